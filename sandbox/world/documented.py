"""What the partner docs' examples name, seeded for `demo` in every world with orders.

A request the docs print must work as pasted on a fresh world, and some name things by their ids: the
customer MTD0018232 (Price Fix's, Get Customer's and Update Customer's curl samples), the stored card
`token_HYAQA0171343asd` of customer 1801262568 (Card Payment Buy), the customer of Customer Balance's
path, the order whose guid Get Order (Alternative)'s request asks for. And two example answers are
orders a partner can read back: the golden order ALS8HEVP (fixtures/golden/get-order-alternative.json)
and Card Payment Get Order's card order. `fixtures/golden/documented-world.json` lists them with
their pages; the world builder writes them before the Faker world, exactly as printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.core import dates

GOLDEN_ORDER_FILE = Path("golden") / "get-order-alternative.json"
DOCUMENTED_FILE = Path("golden") / "documented-world.json"
DOCUMENTED_PARTNER = "demo"
DOCUMENTED_ORDERS = 3  # the golden order and documented-world.json's two (for progress bars)


@dataclass(frozen=True)
class DocumentedWorld:
    customers: list[dict[str, Any]]  # the Customer fields, as printed
    holdings: dict[str, dict[str, str]]  # customer external_id → asset → amount deposited at the start
    cards: list[dict[str, Any]]  # customer_external_id, card_token and the card
    orders: list[dict[str, Any]]  # {"flow", "data": an Order as Get Order renders it}

    @property
    def customers_since(self) -> datetime:
        """When the documented customers joined: 90 days before the first documented order."""
        first = min(dates.parse_order_at(order["data"]["order_at"]) for order in self.orders)
        return first - timedelta(days=90)


def load(fixtures_dir: Path) -> DocumentedWorld | None:
    """The golden order (and its customer) first, then the rest of documented-world.json; None when a
    custom fixtures folder has neither file."""
    if not (fixtures_dir / GOLDEN_ORDER_FILE).exists() or not (fixtures_dir / DOCUMENTED_FILE).exists():
        return None
    golden = json.loads((fixtures_dir / GOLDEN_ORDER_FILE).read_text(encoding="utf-8"))["response"]["data"]
    listed = json.loads((fixtures_dir / DOCUMENTED_FILE).read_text(encoding="utf-8"))
    fields = ("external_id", "firstname", "middlename", "lastname", "email", "phone", "gender",
              "identity_number", "birthdate")  # fmt: skip
    golden_order = {
        "flow": "buy-cash",
        "data": {**golden, "customer_external_id": golden["customer"]["external_id"]},
    }
    return DocumentedWorld(
        customers=[
            {name: customer[name] for name in fields}
            for customer in [golden["customer"], *listed["customers"]]
        ],
        holdings={c["external_id"]: c["holdings"] for c in listed["customers"] if "holdings" in c},
        cards=listed["cards"],
        orders=[golden_order, *listed["orders"]],
    )

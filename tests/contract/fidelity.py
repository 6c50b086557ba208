"""How far each documented page's response example is matched, and why where it is not.

The contract tests compare against these declarations, and docs/contract.md's Fidelity table must say the
same (tests/unit/test_readme.py): one source for both.
"""

from __future__ import annotations

from tests.contract.compare import Differences

NEWER_ORDER = "superseded by Get Order (Alternative)'s Order (api-3874525, 2024-06-26), the newest page"
PAYMENT_SCHEMA = "in the Payment schema; this example leaves it out"

DIFFERENCES: dict[str, Differences] = {
    "price-fix-get-prices-from-amount": Differences(),
    "get-order-alternative": Differences(),
    "card-payment-get-order": Differences(
        added={
            "data.payment_type": f"the example (2023-10-11) lacks it: {NEWER_ORDER}",
            "data.payment.redirect_url": PAYMENT_SCHEMA,
            "data.payment.is_3d": PAYMENT_SCHEMA,
            "data.payment.auth_mode": PAYMENT_SCHEMA,
        },
    ),
    "get-order": Differences(
        added={
            "data.type": NEWER_ORDER,
            "data.payment_type": NEWER_ORDER,
            "data.order_at": NEWER_ORDER,
            "data.payment_cost": NEWER_ORDER,
            "data.currency_code": NEWER_ORDER,
            "data.payment": NEWER_ORDER,
            "data.description": "the Order schema's `description` of a digital order",
            "data.items[].sku": NEWER_ORDER,
        },
        missing={
            "data.channel": NEWER_ORDER,
            "data.tx_type": NEWER_ORDER,
            "data.price_token": NEWER_ORDER,
            "data.currency_rate": NEWER_ORDER,
            "data.currency_total": NEWER_ORDER,
            "data.status_id": NEWER_ORDER,
            "data.items[].product_weight": NEWER_ORDER,
            "data.items[].currency_id": NEWER_ORDER,
            "data.items[].currency_rate": NEWER_ORDER,
            "data.items[].currency_total": NEWER_ORDER,
        },
        reordered={"data": f"`customer` before `items`: {NEWER_ORDER}"},
    ),
    "card-payment-buy-with-card-token": Differences(),
    "create-customer": Differences(),
    "get-customer": Differences(),
    "customer-balance": Differences(),
    "delivery-create-pay-with-cash": Differences(),
}

# Values (not structure) that differ from a printed example on purpose; docs/contract.md says the same.
VALUE_NOTES: dict[str, list[str]] = {
    "card-payment-get-order": ["`details.card_cvv` is `***`: the sandbox never keeps a CVV"],
    "get-order": [
        "`status_name` `New` is not in the documented enum (the sandbox's first status is `Created`)"
    ],
    "delivery-create-pay-with-cash": [
        "`external_id` is null as printed, although the request sends one (Get Order shows it)"
    ],
}

"""What the people and order builders share: the spec, the seeded streams, Faker, the price feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker

from sandbox.core.ids import Ids, Rng
from sandbox.domain.flows import FLOWS
from sandbox.domain.prices.feed import PriceFeed
from sandbox.store.models import SCHEMA_VERSION
from sandbox.world.documented import DOCUMENTED_ORDERS, DOCUMENTED_PARTNER

WORLD_END = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul
WORLD_DAYS = 180


@dataclass
class WorldSpec:
    seed: int
    partners: dict[str, str]
    customers_per_partner: int
    orders: int
    buy_spread: Decimal = Decimal("0.0423")
    sell_spread: Decimal = Decimal("0.0150")
    # The named scenario this world was built from (fixtures/scenarios/<name>.json).
    scenario: str = "default"
    # Coverage: each partner gets at least one order in every flow × reachable status.
    coverage: bool = True

    @property
    def has_orders(self) -> bool:
        """A world with orders also holds the documented orders (for `demo`); an empty one does not."""
        return self.coverage or self.orders > 0

    def coverage_per_partner(self) -> int:
        return sum(len(flow.reachable()) for flow in FLOWS.values()) if self.coverage else 0

    def order_shares(self) -> list[int]:
        """Random orders per partner (in partner order): `orders` spread as evenly as it goes."""
        count = len(self.partners)
        return [self.orders // count + (1 if n < self.orders % count else 0) for n in range(count)]

    def planned_orders(self) -> int:
        """Orders the world will hold: the requested count, at least full coverage, plus the documented
        ones (sandbox/world/documented.py)."""
        coverage = self.coverage_per_partner()
        documented = DOCUMENTED_ORDERS if self.has_orders and DOCUMENTED_PARTNER in self.partners else 0
        return sum(max(share, coverage) for share in self.order_shares()) + documented

    def signature(self) -> dict[str, str]:
        return {
            "schema_version": str(SCHEMA_VERSION),
            "seed": str(self.seed),
            "partners": ",".join(sorted(self.partners)),
            "customers": str(self.customers_per_partner),
            "orders": str(self.orders),
            "spreads": f"{self.buy_spread}/{self.sell_spread}",
            "scenario": self.scenario,
            "coverage": str(self.coverage).lower(),
        }


@dataclass
class WorldContext:
    spec: WorldSpec
    rng_people: Rng
    rng_orders: Rng
    rng_codes: Rng
    fake: Faker
    feed: PriceFeed
    start: datetime
    customers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # The customers random orders go to, per partner: the Faker ones (the documented customers keep
    # exactly what the docs and fixtures give them), or every customer when there are no others.
    order_customers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def for_spec(cls, spec: WorldSpec) -> WorldContext:
        ids = Ids(spec.seed)
        rng_people = ids.stream("customers")
        fake = Faker("tr_TR")
        fake.seed_instance(rng_people.integer_seed())
        return cls(
            spec=spec,
            rng_people=rng_people,
            rng_orders=ids.stream("orders"),
            rng_codes=ids.stream("order-ids"),
            fake=fake,
            feed=PriceFeed(spec.seed, spec.buy_spread, spec.sell_spread),
            start=WORLD_END - timedelta(days=WORLD_DAYS),
        )

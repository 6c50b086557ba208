"""Named worlds: `fixtures/scenarios/<name>.json` says how many orders and customers a world holds.

A scenario's `orders` or `customers` of `null` means "the settings' size" (`SANDBOX_ORDERS`,
`SANDBOX_CUSTOMERS`): that is how `default` follows the settings while `busy` or `empty` are fixed.
`default` exists even when a fixtures folder has no scenarios (a custom `SANDBOX_FIXTURES_DIR`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.world.context import WorldSpec

SCENARIO_DIR = "scenarios"
DEFAULT = "default"


class Scenario(BaseModel):
    """One file of fixtures/scenarios/."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    description: str
    orders: int | None = Field(None, ge=0, le=1_000_000, description="null = the settings' size")
    customers: int | None = Field(None, ge=0, le=100_000, description="null = the settings' size")
    coverage: bool = Field(True, description="At least one order per flow × status for each partner")


BUILT_IN_DEFAULT = Scenario(
    name=DEFAULT,
    description="The settings' sizes, with one order at least in every flow × status per partner.",
)


class UnknownScenario(ValueError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"unknown scenario {name!r}; choose from {', '.join(known)}")


class WorldTooSmall(ValueError):
    """Orders need customers: B2B2C orders and deliveries belong to one."""

    def __init__(self) -> None:
        super().__init__("a world with orders needs at least 1 customer per partner")


@dataclass(frozen=True)
class Sizes:
    """What a world is built from besides the scenario: the settings' seed, partners and defaults."""

    seed: int
    partners: dict[str, str]
    orders: int
    customers: int
    buy_spread: Decimal
    sell_spread: Decimal


def load(fixtures_dir: Path) -> dict[str, Scenario]:
    """Every scenario of `fixtures_dir`, by name (a broken file is an error naming the file)."""
    scenarios = {DEFAULT: BUILT_IN_DEFAULT}
    folder = fixtures_dir / SCENARIO_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            scenario = Scenario.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as error:
            raise ValueError(f"{path}: not a valid scenario ({error})") from None
        if scenario.name != path.stem:
            raise ValueError(f"{path}: its name must be {path.stem!r}, not {scenario.name!r}")
        scenarios[scenario.name] = scenario
    return scenarios


def find(fixtures_dir: Path, name: str) -> Scenario:
    scenarios = load(fixtures_dir)
    if name not in scenarios:
        raise UnknownScenario(name, sorted(scenarios))
    return scenarios[name]


def spec_for(
    scenario: Scenario,
    base: Sizes,
    *,
    seed: int | None = None,
    orders: int | None = None,
    customers: int | None = None,
) -> WorldSpec:
    """The world a scenario describes; explicit `seed`/`orders`/`customers` win over the scenario's."""
    spec = WorldSpec(
        seed=base.seed if seed is None else seed,
        partners=dict(base.partners),
        customers_per_partner=_first(customers, scenario.customers, base.customers),
        orders=_first(orders, scenario.orders, base.orders),
        buy_spread=base.buy_spread,
        sell_spread=base.sell_spread,
        scenario=scenario.name,
        coverage=scenario.coverage,
    )
    if spec.has_orders and spec.customers_per_partner < 1:
        raise WorldTooSmall()
    return spec


def _first(*values: int | None) -> int:
    return next(value for value in values if value is not None)

"""The order status machine: every flow's allowed transitions, written once.

The partner documents the status names only; which status follows which is a sandbox decision,
chosen so every documented status is reachable by some order type.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Flow:
    """One order lifecycle.

    While an order is open it holds what it will take from a wallet: `held` names what ("cash" = the
    order total in its currency, "metal" = the item grams), `soft_holds` are the statuses still awaiting
    confirmation (a balance row's `soft_blocked_amount`) and `hard_holds` the confirmed ones (`blocked`).
    """

    name: str
    type: str  # Buy | Sell | Delivery
    payment_type: str  # cash | credit-card
    initial: str
    transitions: dict[str, tuple[str, ...]]
    held: tuple[str, ...] = ()
    soft_holds: frozenset[str] = frozenset()
    hard_holds: frozenset[str] = frozenset()

    def reachable(self) -> list[str]:
        """Every status an order of this flow can be in, in breadth-first order from the initial one."""
        return list(self._paths())

    def path_to(self, status: str) -> list[str]:
        """The shortest chain of statuses from the initial one to `status` (both included)."""
        if status == self.initial:
            return [status]
        path = self.path_between(self.initial, status)
        if path is None:
            raise ValueError(f"{status!r} is not reachable in flow {self.name!r}")
        return [self.initial, *path]

    def path_between(self, current: str, target: str) -> list[str] | None:
        """The statuses to enter, in order, to go from `current` to `target`; None if it cannot get there."""
        path = self._paths(current).get(target) if target != current else None
        return path[1:] if path else None

    def next_step(self, current: str) -> str | None:
        """The default next status: the first transition listed (the happy path; Cancelled comes last)."""
        following = self.transitions.get(current, ())
        return following[0] if following else None

    def is_final(self, status: str) -> bool:
        return not self.transitions.get(status)

    def _paths(self, start: str | None = None) -> dict[str, list[str]]:
        start = start or self.initial
        paths = {start: [start]}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for following in self.transitions.get(current, ()):
                if following not in paths:
                    paths[following] = [*paths[current], following]
                    queue.append(following)
        return paths


_DELIVERY_STEPS = {
    "Preparing": ("Packed", "Cancelled"),
    "Packed": ("Shipped", "Cancelled"),
    "Shipped": ("Completed",),
}

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        Flow(
            "buy-cash",
            "Buy",
            "cash",
            "Created",
            {"Created": ("Processing", "Cancelled"), "Processing": ("Completed", "Cancelled")},
            held=("cash",),
            soft_holds=frozenset({"Created"}),
            hard_holds=frozenset({"Processing"}),
        ),
        Flow(
            "buy-card",
            "Buy",
            "credit-card",
            "Pending",
            {
                "Pending": ("Payment Confirmed", "Cancelled"),
                "Payment Confirmed": ("Completed",),
                "Completed": ("Refunding",),
                "Refunding": ("Refunded",),
            },
            # Paid by card: wallets hold nothing until a refund is under way, which holds the metal.
            held=("metal",),
            hard_holds=frozenset({"Refunding"}),
        ),
        Flow(
            "sell",
            "Sell",
            "cash",
            "Created",
            {
                "Created": ("Processing", "Cancelled"),
                "Processing": ("Transferring", "Cancelled"),
                "Transferring": ("Completed",),
            },
            held=("metal",),
            soft_holds=frozenset({"Created"}),
            hard_holds=frozenset({"Processing", "Transferring"}),
        ),
        Flow(
            "delivery-cash",
            "Delivery",
            "cash",
            "Created",
            {"Created": ("Preparing", "Cancelled"), **_DELIVERY_STEPS},
            held=("metal", "cash"),
            soft_holds=frozenset({"Created"}),
            hard_holds=frozenset({"Preparing", "Packed"}),
        ),
        Flow(
            "delivery-card",
            "Delivery",
            "credit-card",
            "Pending",
            {
                "Pending": ("Payment Confirmed", "Cancelled"),
                "Payment Confirmed": ("Preparing",),
                **_DELIVERY_STEPS,
            },
            held=("metal",),
            soft_holds=frozenset({"Pending", "Payment Confirmed"}),
            hard_holds=frozenset({"Preparing", "Packed"}),
        ),
    )
}


OPEN_STATUSES = frozenset(status for flow in FLOWS.values() for status in flow.soft_holds | flow.hard_holds)


def reachable_by_type() -> dict[str, list[str]]:
    """Order type → every status some flow of that type reaches."""
    result: dict[str, list[str]] = {}
    for flow in FLOWS.values():
        statuses = result.setdefault(flow.type, [])
        statuses.extend(status for status in flow.reachable() if status not in statuses)
    return result

"""`Docs`: an integrator who copies the partner docs' examples, placeholders bound, in the order the
docs lead (create a customer, fix a price, buy, ...), against the sandbox or another host."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.contract.pages import bind, headers, page, request_example

NOTICE = "x-sandbox-notice"


def ok(response: httpx.Response) -> Any:
    """The `data` of a success envelope; any other answer fails the test with its body."""
    assert response.status_code == 200, (
        f"{response.request.method} {response.request.url.path}: {response.text}"
    )
    body = response.json()
    assert (body["success"], body["code"], body["message"]) == (True, 0, ""), body
    return body["data"]


def notice_rules(response: httpx.Response) -> list[str]:
    """The profile rules a lenient answer says it let through (their keys)."""
    return [value.split(":", 1)[0] for value in response.headers.get_list(NOTICE)]


class Docs:
    def __init__(self, http: httpx.Client, *, remote: bool) -> None:
        self.http = http
        self.remote = remote

    def send(
        self, name: str, body: Any = None, *, path: str | None = None, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        """The page's method on its path (placeholders bound from `variables`), with the headers its
        curl sample sends, and `body` as JSON."""
        spec = page(name)
        target = path or bind(spec["path"], variables or {})
        return self.http.request(spec["method"], target, json=body, headers=headers(name))

    def fresh_world(self) -> None:
        """The seeded world, configuration dropped. The sandbox's control API: never another host's."""
        if self.remote:
            raise RuntimeError("the contract suite never calls a control API on another host")
        ok(self.http.post("/_sandbox/reset", params={"everything": "true"}))

    # -- documented steps, each the docs' own example -------------------------------------------------

    def create_customer(self) -> dict[str, Any]:
        """Create Customer's example (a fresh external_id); the body sent."""
        body = bind(request_example("create-customer"), {})
        ok(self.send("create-customer", body))
        return body

    def price_fix(self, customer_external_id: str | None) -> str:
        """Price Fix (From Amount)'s example for this customer; without one, the example without its
        optional `customer_external_id` (the partner's own price, B2B)."""
        body = bind(
            request_example("price-fix-get-prices-from-amount"),
            {"external_customer_id": customer_external_id},
        )
        if customer_external_id is None:
            del body["customer_external_id"]
        return ok(self.send("price-fix-get-prices-from-amount", body))["token"]

    def buy(self, *, customer_external_id: str | None = None, product_id: int = 3000002) -> dict[str, Any]:
        """Buy (Silver)'s example (10 grams of `product_id` for customer MTD0018232, as printed, or for
        `customer_external_id` with a fresh order external_id); the Order Response."""
        body = bind(request_example("buy-silver-b2b2c-from-amount"), {"product_1": product_id})
        if customer_external_id is not None:
            body["customer"]["external_id"] = customer_external_id
            body["external_id"] = fresh_id("HYAQA")
        return ok(self.send("buy-silver-b2b2c-from-amount", body))


def fresh_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"

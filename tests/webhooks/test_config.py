"""Per-partner webhook endpoints: PUT/GET/DELETE /_sandbox/webhooks and the SANDBOX_WEBHOOK_* defaults."""

from __future__ import annotations

import re

import pytest

from sandbox.control.webhook_schemas import WebhookConfig
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.support.webhooks import SECRET, StartServer, configure, control, flush, partner, seeded_order
from tests.webhooks.receiver import Receiver

GENERATED = re.compile(r"^whsec_[A-Za-z0-9]{32}$")


def listed(server: SandboxServer) -> dict[str, dict]:
    response = control(server, "GET", "/webhooks")
    assert response.status_code == 200, response.text
    Envelope[list[WebhookConfig]].model_validate(response.json())
    return {row["partner"]: row for row in response.json()["data"]}


def test_put_sets_the_partner_url_and_secret(server: SandboxServer) -> None:
    response = control(
        server,
        "PUT",
        "/webhooks",
        json={"partner": "demo", "url": "https://example.test/h", "secret": SECRET},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"partner": "demo", "url": "https://example.test/h", "secret": SECRET}


def test_get_lists_every_partner_with_null_when_unset(server: SandboxServer) -> None:
    configure(server, "http://127.0.0.1:9/demo")

    assert listed(server) == {
        "demo": {"partner": "demo", "url": "http://127.0.0.1:9/demo", "secret": SECRET},
        "acme": {"partner": "acme", "url": None, "secret": None},
    }


def test_put_without_secret_generates_one_and_keeps_it_on_the_next_put(server: SandboxServer) -> None:
    first = configure(server, "http://127.0.0.1:9/a", secret=None)
    second = configure(server, "http://127.0.0.1:9/b", secret=None)

    assert GENERATED.match(first["secret"])
    assert (second["url"], second["secret"]) == ("http://127.0.0.1:9/b", first["secret"])


def test_put_for_an_unknown_partner_is_404(server: SandboxServer) -> None:
    response = control(server, "PUT", "/webhooks", json={"partner": "nobody", "url": "http://x.test/"})

    assert response.status_code == 404
    assert response.json()["data"]["error"] == "partner_not_found"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.test/h",
        "example.test/h",
        "http://",
        "http://exa mple.test/",
        "https://x.test/" + "a" * 2040,
    ],
)
def test_put_refuses_anything_but_an_http_url_up_to_2048_characters(server: SandboxServer, url: str) -> None:
    response = control(server, "PUT", "/webhooks", json={"partner": "demo", "url": url})

    assert response.status_code == 422
    assert list(response.json()["data"]["errors"]) == ["url"]


def test_put_refuses_a_short_secret_and_unknown_fields(server: SandboxServer) -> None:
    body = {"partner": "demo", "url": "http://x.test/", "secret": "short", "extra": 1}

    response = control(server, "PUT", "/webhooks", json=body)

    assert response.status_code == 422
    assert set(response.json()["data"]["errors"]) == {"secret", "extra"}


def test_delete_clears_the_url_and_secret(server: SandboxServer) -> None:
    configure(server, "http://127.0.0.1:9/demo")

    response = control(server, "DELETE", "/webhooks/demo")

    assert response.json()["data"] == {"partner": "demo", "url": None, "secret": None}
    assert listed(server)["demo"]["url"] is None


def test_delete_for_an_unknown_partner_is_404(server: SandboxServer) -> None:
    response = control(server, "DELETE", "/webhooks/nobody")

    assert response.status_code == 404
    assert response.json()["data"]["error"] == "partner_not_found"


def test_settings_url_and_secret_apply_to_every_partner_at_start(start_server: StartServer) -> None:
    server = start_server(webhook_url="http://127.0.0.1:9/all", webhook_secret=SECRET)

    assert {name: (row["url"], row["secret"]) for name, row in listed(server).items()} == {
        "demo": ("http://127.0.0.1:9/all", SECRET),
        "acme": ("http://127.0.0.1:9/all", SECRET),
    }


def test_settings_url_without_secret_generates_one_per_partner(start_server: StartServer) -> None:
    server = start_server(webhook_url="http://127.0.0.1:9/all")

    secrets = [row["secret"] for row in listed(server).values()]
    assert all(GENERATED.match(secret) for secret in secrets)
    assert len(set(secrets)) == 2


def test_settings_url_never_overwrites_a_stored_url(start_server: StartServer) -> None:
    first = start_server()
    configure(first, "http://127.0.0.1:9/own")
    first.stop()

    second = start_server(webhook_url="http://127.0.0.1:9/all", webhook_secret="whsec_from_settings")

    rows = listed(second)
    assert (rows["demo"]["url"], rows["demo"]["secret"]) == ("http://127.0.0.1:9/own", SECRET)
    assert (rows["acme"]["url"], rows["acme"]["secret"]) == ("http://127.0.0.1:9/all", "whsec_from_settings")


def test_settings_url_receives_events_without_any_put(start_server: StartServer, receiver: Receiver) -> None:
    server = start_server(webhook_url=receiver.url, webhook_secret=SECRET)
    with partner(server) as http:
        http.post("/partner/order", json={"guid": seeded_order(server).guid, "push_hook": True})

    flush(server)

    assert [c.json["event"] for c in receiver.calls()] == ["order.pushed"]

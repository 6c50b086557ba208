"""Switching a fault rule off and on (PATCH /_sandbox/faults/{id}, `enabled` in POST): a disabled rule
never matches, draws nothing from the seeded stream and uses none of its `times`; switched on again it
fires with what it had left, from the very next partner request. Bad bodies change nothing, resets keep
the switch, and a database from before the switch existed is rebuilt with its rules on.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

import httpx
import pytest
from sqlmodel import select, update

from sandbox.core.ids import Ids
from sandbox.store.models import SCHEMA_VERSION, FaultRule, WorldMeta
from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import (
    FROZEN_AT,
    ORDERS,
    add_rule,
    error_of,
    partner,
    rules,
)
from tests.support.constants import DEMO
from tests.support.servers import dedicated_server

OFF = {"enabled": False}


def switch(server: SandboxServer, rule_id: int, body: Any) -> httpx.Response:
    return httpx.patch(f"{server.url}/_sandbox/faults/{rule_id}", json=body)


def switched(server: SandboxServer, rule_id: int, enabled: bool) -> dict[str, Any]:
    response = switch(server, rule_id, {"enabled": enabled})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def fired(server: SandboxServer) -> list[tuple[bool, int]]:
    return [(rule["enabled"], rule["fired"]) for rule in rules(server)]


# -- the API -------------------------------------------------------------------------------------------


def test_patch_answers_the_stored_rule_as_get_lists_it(server: SandboxServer) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503}, times=2)

    off = switched(server, rule["id"], False)

    assert off == rule | {"enabled": False}
    assert rules(server) == [off]
    assert switched(server, rule["id"], True) == rule


def test_patch_to_the_state_a_rule_already_has_is_a_no_op(server: SandboxServer) -> None:
    rule = add_rule(server, effect={"type": "drop"})

    assert switched(server, rule["id"], True) == rule


def test_rule_created_disabled_is_stored_but_never_fires(server: SandboxServer, demo: httpx.Client) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503}, enabled=False)

    assert rule["enabled"] is False
    assert [demo.get(ORDERS).status_code for _ in range(3)] == [200, 200, 200]
    assert fired(server) == [(False, 0)]


def test_disabled_rule_keeps_its_times_and_fires_them_when_enabled_again(
    server: SandboxServer, demo: httpx.Client
) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503}, times=2)
    assert demo.get(ORDERS).status_code == 503

    switched(server, rule["id"], False)
    assert [demo.get(ORDERS).status_code for _ in range(4)] == [200] * 4  # the very next request
    assert fired(server) == [(False, 1)]  # nothing used while off

    switched(server, rule["id"], True)
    assert [demo.get(ORDERS).status_code for _ in range(3)] == [503, 200, 200]  # the one firing left
    assert fired(server) == [(True, 2)]


def test_disabled_rule_lets_the_next_rule_answer(server: SandboxServer, demo: httpx.Client) -> None:
    first = add_rule(server, effect={"type": "error", "status": 503})
    add_rule(server, effect={"type": "error", "status": 429})
    assert error_of(demo.get(ORDERS)) == (503, "service_unavailable")

    switched(server, first["id"], False)

    assert error_of(demo.get(ORDERS)) == (429, "rate_limited")


def test_disabled_chance_rule_draws_nothing_from_the_seeded_stream(
    server: SandboxServer, demo: httpx.Client
) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503}, probability=0.5, enabled=False)
    assert httpx.post(f"{server.url}/_sandbox/reset").status_code == 200  # the stream starts over
    assert {demo.get(ORDERS).status_code for _ in range(6)} == {200}
    stream = Ids(42).stream("faults")
    expected = [stream.random() < 0.5 for _ in range(8)]

    switched(server, rule["id"], True)

    assert [demo.get(ORDERS).status_code == 503 for _ in range(8)] == expected


def test_rule_switched_by_another_worker_applies_within_a_second(
    server: SandboxServer, demo: httpx.Client
) -> None:
    add_rule(server, effect={"type": "error", "status": 503})
    assert demo.get(ORDERS).status_code == 503  # this process has cached the rule as on
    with server.sandbox.store.session(write=True) as session:  # another worker's PATCH
        session.exec(update(FaultRule).values(enabled=False))

    deadline = time.monotonic() + 3
    while demo.get(ORDERS).status_code != 200:
        assert time.monotonic() < deadline, "the switch never applied"
        time.sleep(0.05)


def test_rule_disabled_after_the_list_was_loaded_is_not_claimed(server: SandboxServer) -> None:
    """The middleware's cached list may still hold the rule: claiming it checks `enabled` in the same
    UPDATE that counts the firing, so it neither fires nor uses its times."""
    add_rule(server, effect={"type": "error", "status": 503}, times=3)
    book = server.sandbox.faults
    loaded = book.load()
    with server.sandbox.store.session(write=True) as session:
        session.exec(update(FaultRule).values(enabled=False))

    assert book.fire(loaded) == []
    assert fired(server) == [(False, 0)]


def test_reset_keeps_a_rule_switched_off(server: SandboxServer, demo: httpx.Client) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503})
    switched(server, rule["id"], False)

    assert httpx.post(f"{server.url}/_sandbox/reset").status_code == 200

    assert fired(server) == [(False, 0)]
    assert demo.get(ORDERS).status_code == 200


# -- refused bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": "yes"}, "enabled"),
        ({"enabled": "false"}, "enabled"),
        ({"enabled": 0}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({}, "enabled"),
        ({"enabled": True, "x": 1}, "x"),
        ({"enabled": False, "times": 5}, "times"),
        ([False], None),
    ],
)
def test_bad_patch_body_is_the_422_envelope_and_changes_nothing(
    server: SandboxServer, demo: httpx.Client, body: Any, field: str | None
) -> None:
    rule = add_rule(server, effect={"type": "error", "status": 503})

    response = httpx.patch(
        f"{server.url}/_sandbox/faults/{rule['id']}", json=body, headers={"Accept-Language": "en"}
    )

    assert error_of(response) == (422, "validation_failed")
    assert (response.json()["success"], response.json()["code"]) == (False, 422)
    if field is not None:
        assert list(response.json()["data"]["errors"]) == [field]
    assert rules(server) == [rule]
    assert demo.get(ORDERS).status_code == 503


def test_malformed_json_patch_is_422_and_changes_nothing(server: SandboxServer) -> None:
    rule = add_rule(server, effect={"type": "drop"})

    response = httpx.patch(
        f"{server.url}/_sandbox/faults/{rule['id']}",
        content=b'{"enabled": fals',
        headers={"Content-Type": "application/json"},
    )

    assert error_of(response) == (422, "malformed_json")
    assert rules(server) == [rule]


def test_non_boolean_enabled_in_post_is_refused(server: SandboxServer) -> None:
    response = httpx.post(
        f"{server.url}/_sandbox/faults", json={"effect": {"type": "drop"}, "enabled": "off"}
    )

    assert error_of(response) == (422, "validation_failed")
    assert list(response.json()["data"]["errors"]) == ["enabled"]
    assert rules(server) == []


@pytest.mark.parametrize("fault_id", ["999999", "0", "-1", "99999999999999999999999"])
def test_patch_unknown_rule_is_404(server: SandboxServer, fault_id: str) -> None:
    response = httpx.patch(f"{server.url}/_sandbox/faults/{fault_id}", json=OFF)

    assert error_of(response) == (404, "fault_rule_not_found")


def test_patch_non_numeric_id_is_422(server: SandboxServer) -> None:
    response = httpx.patch(f"{server.url}/_sandbox/faults/abc", json=OFF)

    assert error_of(response) == (422, "validation_failed")
    assert list(response.json()["data"]["errors"]) == ["fault_id"]


# -- a database from before the switch -----------------------------------------------------------------


@pytest.mark.sqlite  # an older SQLite file, opened with sqlite3
def test_database_of_the_previous_schema_is_rebuilt_with_its_rules_on(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SCHEMA_VERSION moved with `fault_rule.enabled`: an older file is rebuilt, not crashed on, and its
    rules come back (a reset's PRESERVED tables) switched on."""
    folder = tmp_path_factory.mktemp("schema-6")  # a process of its own, restarted on its damaged file
    with dedicated_server(folder, frozen_at=FROZEN_AT, orders=0, customers=1) as first:
        add_rule(first, match={"path": ORDERS}, effect={"type": "error", "status": 503}, times=4)
    first.sandbox.store.dispose()
    database = first.sandbox.store.engine.url.database
    with contextlib.closing(sqlite3.connect(database)) as old, old:  # what schema 6 left on disk
        old.execute("ALTER TABLE fault_rule DROP COLUMN enabled")
        old.execute("UPDATE fault_rule SET fired = 1")
        old.execute("UPDATE world_meta SET value = '6' WHERE key = 'schema_version'")

    with (
        dedicated_server(folder, frozen_at=FROZEN_AT, orders=0, customers=1) as reopened,
        partner(reopened, DEMO) as demo,
    ):
        (rule,) = rules(reopened)
        assert (rule["match"]["path"], rule["times"], rule["fired"], rule["enabled"]) == (ORDERS, 4, 1, True)
        assert demo.get(ORDERS).status_code == 503
        with reopened.sandbox.store.session() as session:
            version = session.exec(select(WorldMeta.value).where(WorldMeta.key == "schema_version")).one()
    assert version == str(SCHEMA_VERSION)

"""`minted-sandbox reset | advance | export-fixtures | healthcheck` as users run them: real processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from sandbox.catalog import STATUS_IDS
from sandbox.config import Settings, WorldSettings
from sandbox.testing.server import SandboxServer
from sandbox.world.documented import DOCUMENTED_ORDERS
from tests.support.servers import free_port

CLI = [sys.executable, "-m", "sandbox"]
DEFAULT_ORDERS = 400 + DOCUMENTED_ORDERS  # the default world, and the orders the docs name


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


def status_of(db: Path, order_code: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "select status_id from orders where order_code = ?", (order_code,)
        ).fetchone()[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture(scope="module")
def open_order(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(order_code, guid) of the default world's first Packed Delivery order: Packed → Shipped →
    Completed. Read from a world of its own, so that each test's `db` is still built by the command."""
    db = tmp_path_factory.mktemp("open-order") / "world.db"
    built = run("reset", "--db", f"sqlite:///{db}")
    assert built.returncode == 0, built.stderr
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "select order_code, guid from orders where type = 'Delivery' and status_id = ? order by id",
            (STATUS_IDS["Packed"],),
        ).fetchone()


@pytest.mark.parametrize("command", ["reset", "advance", "export-fixtures", "healthcheck"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: minted-sandbox {command}")


def test_version_prints_the_installed_distributions_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"minted-sandbox {version('minted-sandbox')}\n")


def listed_flags(help_text: str) -> set[str]:
    """The option strings of a --help page (`  --database-url URL, --db URL   help...`)."""
    flags = set()
    for line in help_text.splitlines():
        if line.startswith("  -"):
            flags |= {option.split()[0] for option in line.strip().split("  ")[0].split(", ")}
    return flags


WORLD_FLAGS = {
    "-h",
    "--help",
    "--db",
    *(f"--{name.replace('_', '-')}" for name in WorldSettings.model_fields),
}


@pytest.mark.parametrize(
    ("command", "own"),
    [
        ("seed", set()),
        ("reset", {"--everything"}),
        ("advance", {"--to"}),
        ("export-fixtures", {"--out", "--partner"}),
    ],
)
def test_world_commands_list_only_the_flags_they_use(command: str, own: set[str]) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert listed_flags(result.stdout) == WORLD_FLAGS | own
    assert "--port" not in result.stdout  # nor any other setting only the server reads


def test_serve_lists_the_world_flags_and_the_servers_own() -> None:
    flags = listed_flags(run("serve", "--help").stdout)
    server_only = {
        f"--{name.replace('_', '-')}" for name in set(Settings.model_fields) - set(WorldSettings.model_fields)
    }
    assert flags == WORLD_FLAGS | server_only | {"--workers", "--log-level"}
    assert {"--host", "--port", "--control-token"} <= server_only


def test_a_plain_path_for_db_is_a_sqlite_file_there(tmp_path: Path) -> None:
    for path in ("sandbox.db", "./x/y.db"):
        result = subprocess.run(
            [*CLI, "seed", "--db", path, "--orders", "0"], capture_output=True, text=True, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        assert f"into sqlite:///{path} in " in result.stderr
        with sqlite3.connect(tmp_path / path) as connection:
            assert connection.execute("select count(*) from partner").fetchone() == (2,)


def test_reset_builds_then_restores_the_seeded_world(db: Path, open_order: tuple[str, str]) -> None:
    first = run("reset", "--db", f"sqlite:///{db}")  # nothing there yet: built first, then reset
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("reset in ")
    assert first.stdout.rstrip().endswith(f" ms, {DEFAULT_ORDERS} orders")
    moved = run("advance", open_order[0], "--db", f"sqlite:///{db}")
    assert moved.returncode == 0, moved.stderr
    before = status_of(db, open_order[0])
    again = run("reset", "--everything", "--db", f"sqlite:///{db}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith(f" ms, {DEFAULT_ORDERS} orders")
    assert status_of(db, open_order[0]) != before  # back to the seeded status


def test_reset_with_bad_settings_exits_2_with_one_line() -> None:
    result = run("reset", "--db", "sqlite://", "--customers", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "minted-sandbox: error: --customers: Input should be greater than or equal to 1"
    ]


def test_advance_moves_one_step_then_to_a_status_by_guid_or_order_code(
    db: Path, open_order: tuple[str, str]
) -> None:
    url, (code, guid) = f"sqlite:///{db}", open_order
    one = run("advance", code.lower(), "--db", url)
    assert (one.returncode, one.stdout) == (0, f"{code}: Packed -> Shipped\n"), one.stderr
    to = run("advance", guid, "--to", "Completed", "--db", url)
    assert (to.returncode, to.stdout) == (0, f"{code}: Shipped -> Completed\n"), to.stderr


def test_advance_refuses_a_forbidden_move_and_an_unknown_order(db: Path, open_order: tuple[str, str]) -> None:
    url = f"sqlite:///{db}"
    backwards = run("advance", open_order[0], "--to", "Preparing", "--db", url)
    assert backwards.returncode == 2
    assert backwards.stderr.splitlines() == [
        "minted-sandbox: error: An order cannot move from Packed to Preparing; "
        "allowed next: Shipped, Cancelled."
    ]
    assert backwards.stdout == ""
    unknown = run("advance", "NOSUCHORDER", "--db", url)
    assert (unknown.returncode, unknown.stderr) == (2, "minted-sandbox: error: Order not found.\n")


def export(out: Path, db: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return run("export-fixtures", "--out", str(out), "--db", f"sqlite:///{db}", "--orders", "60", *flags)


def test_export_fixtures_is_byte_identical_for_a_seed_and_differs_for_another(tmp_path: Path) -> None:
    first = export(tmp_path / "a", tmp_path / "a.db")
    assert first.returncode == 0, first.stderr
    orders, customers = tmp_path / "a/demo/orders.json", tmp_path / "a/demo/customers.json"
    assert first.stdout.splitlines() == [
        f"wrote {len(json.loads(orders.read_text('utf-8')))} orders to {orders}",
        f"wrote 50 customers to {customers}",
    ]
    rendered = json.loads(orders.read_text("utf-8"))
    assert list(rendered[0])[:4] == ["guid", "order_code", "external_id", "type"]  # documented order
    record = json.loads(customers.read_text("utf-8"))[0]
    assert list(record)[:4] == ["id", "external_id", "company_id", "user_id"]  # documented order
    assert orders.read_bytes().startswith(b"[\n  {\n") and orders.read_bytes().endswith(b"]\n")

    second = export(tmp_path / "b", tmp_path / "b.db")
    assert second.returncode == 0, second.stderr
    for name in ("orders.json", "customers.json"):
        assert (tmp_path / "a/demo" / name).read_bytes() == (tmp_path / "b/demo" / name).read_bytes()

    other = export(tmp_path / "c", tmp_path / "c.db", "--seed", "7")
    assert other.returncode == 0, other.stderr
    for name in ("orders.json", "customers.json"):
        assert (tmp_path / "a/demo" / name).read_bytes() != (tmp_path / "c/demo" / name).read_bytes()


def test_export_fixtures_for_an_unknown_partner_exits_2(tmp_path: Path) -> None:
    result = export(tmp_path / "out", tmp_path / "x.db", "--partner", "nobody")
    assert result.returncode == 2
    assert result.stderr == (
        "minted-sandbox: error: unknown partner 'nobody'; the seeded world has: demo, acme\n"
    )
    assert not (tmp_path / "out/nobody").exists()


def test_healthcheck_exits_0_against_a_running_sandbox() -> None:
    with SandboxServer(Settings(database_url="sqlite://", orders=10, customers=2)) as server:
        result = run("healthcheck", "--url", server.url, "--timeout", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"healthy: {server.url}/_sandbox/health answered 200 in ")


def test_healthcheck_exits_1_against_a_closed_port() -> None:
    port = free_port()
    result = run("healthcheck", "--url", f"http://127.0.0.1:{port}", "--timeout", "1")
    assert result.returncode == 1
    assert result.stderr.startswith(f"minted-sandbox: unhealthy: http://127.0.0.1:{port}/_sandbox/health: ")
    assert len(result.stderr.splitlines()) == 1


def test_healthcheck_does_not_import_fastapi() -> None:
    code = (
        "import sys; from sandbox.cli import main; "
        "main(['healthcheck', '--url', 'http://127.0.0.1:9', '--timeout', '0.5']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'sqlmodel')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "[]", result.stderr

"""The pytest plugin (sandbox/testing/plugin.py), driven the way an integrator's suite drives it: consumer
test files run by pytester in fresh pytest processes that load the plugin through its entry point."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from sandbox.config import Settings
from sandbox.testing.plugin import TENANTS_SINCE, Control, MintedSandboxError
from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import free_port

CONSUMER = (Path(__file__).parent / "consumer_suite.py").read_text()
CONSUMER_TESTS = 22


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox the outer test started: to the consumer suite it is an external one (a container)."""
    database = tmp_path_factory.mktemp("external") / "sandbox.db"
    with SandboxServer(Settings(database_url=f"sqlite:///{database}")) as running:
        yield running


def test_plugin_import_loads_no_fastapi_uvicorn_or_sqlmodel() -> None:
    probe = (
        "import sys, sandbox.testing.plugin; "
        "print([m for m in ('fastapi', 'uvicorn', 'sqlmodel', 'starlette') if m in sys.modules])"
    )

    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "[]"


def test_plugin_is_registered_as_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}

    assert plugins["minted_sandbox"] == "sandbox.testing.plugin"


def test_consumer_suite_using_every_fixture_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_consumer=CONSUMER)

    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=CONSUMER_TESTS)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist-2"])
def test_consumer_suite_against_external_url_passes_and_leaves_no_tenant(
    pytester: pytest.Pytester, external: SandboxServer, workers: list[str]
) -> None:
    """Only the test asking for `minted_sandbox_server` skips: there is no server of the plugin's own."""
    pytester.makepyfile(test_consumer=CONSUMER)

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *workers, f"--minted-sandbox-url={external.url}"
    )

    result.assert_outcomes(passed=CONSUMER_TESTS - 1, skipped=1)
    assert tenants_of(external) == []


def test_external_url_from_ini_is_used(pytester: pytest.Pytester, external: SandboxServer) -> None:
    pytester.makeini(f"[pytest]\nminted_sandbox_url = {external.url}\n")
    pytester.makepyfile(f"def test_url(minted_sandbox):\n    assert minted_sandbox.url == {external.url!r}\n")

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_with_unknown_keyword_fails_the_test(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.minted_sandbox(sed=7)\ndef test_typo(minted_sandbox):\n    pass\n"
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={external.url}")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*minted_sandbox takes keywords*"])


def test_a_hundred_tests_each_get_a_freshly_reset_handle(pytester: pytest.Pytester) -> None:
    """101 resets in a row work; the per-test setup + teardown time is printed for the closing note
    (speed targets belong in the benchmark, not in an assertion here)."""
    pytester.makeconftest(
        "import json\n"
        "TIMES = {}\n"
        "def pytest_runtest_logreport(report):\n"
        "    if report.when in ('setup', 'teardown'):\n"
        "        TIMES[report.nodeid] = TIMES.get(report.nodeid, 0) + report.duration\n"
        "def pytest_sessionfinish(session):\n"
        "    open('overhead.json', 'w').write(json.dumps(list(TIMES.values())))\n"
    )
    pytester.makepyfile(
        "import pytest\n"
        "def test_warm_up(minted_sandbox):\n    pass\n"
        "@pytest.mark.parametrize('n', range(100))\n"
        "def test_trivial(minted_sandbox, n):\n    pass\n"
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=101)
    median = statistics.median(json.loads((pytester.path / "overhead.json").read_text())[1:])

    print(f"minted_sandbox per-test overhead: median {median * 1000:.1f} ms over 100 tests")


# -- the plugin's own server, its errors, pytest-xdist ------------------------------------------------------


def state_of(server: SandboxServer) -> tuple[int, str]:
    state = httpx.get(server.url + "/_sandbox/state").json()["data"]
    return state["seed"], state["scenario"]


def tenants_of(server: SandboxServer) -> list[dict[str, object]]:
    tenants: list[dict[str, object]] = httpx.get(server.url + "/_sandbox/tenants").json()["data"]["tenants"]
    return tenants


def test_plugin_server_reads_none_of_the_shells_sandbox_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shell set up for another sandbox (a token, another world) does not reach the plugin's servers."""
    for name, value in {
        "SANDBOX_CONTROL_TOKEN": "shell-token",
        "SANDBOX_SEED": "7",
        "SANDBOX_ORDERS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(
        "def test_server(minted_sandbox):\n"
        "    assert minted_sandbox.control.state()['seed'] == 42\n"
        "def test_asgi(minted_sandbox_asgi):\n"
        "    assert minted_sandbox_asgi.control.state()['seed'] == 42\n"
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_control_refusal_is_english_and_names_the_call(external: SandboxServer) -> None:
    with httpx.Client(base_url=external.url) as http, pytest.raises(MintedSandboxError) as refused:
        Control(http).enable_fault(999)

    assert str(refused.value) == (
        f"PATCH {external.url}/_sandbox/faults/999 answered 404 fault_rule_not_found: Fault rule not found."
    )
    assert refused.value.status == 404


def test_marker_with_unknown_scenario_is_one_english_line(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.minted_sandbox(scenario='nope')\n"
        "def test_unknown(minted_sandbox):\n    pass\n"
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={external.url}")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"POST {external.url}/_sandbox/seed answered 422 scenario_unknown: Unknown scenario; "
            "valid scenarios: busy, default, empty, every-status."
        ]
    )
    assert "plugin.py" not in result.stdout.str()  # no traceback through the plugin
    assert "During handling" not in result.stdout.str()


def test_unreachable_url_is_one_error_naming_the_url(pytester: pytest.Pytester) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    pytester.makepyfile("def test_one(minted_sandbox):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={url}")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"cannot reach the Minted sandbox at {url} (GET /_sandbox/state: *"])
    assert "plugin.py" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


ISOLATION = """
import json, httpx, pytest

BODY = {"firstname": "Deniz", "lastname": "Kaya", "identity_number": "46714948610"}


def demo_customers(control):
    return next(p["customers"] for p in control.state()["partners"] if p["partner"] == "demo")


@pytest.mark.parametrize("n", range(6))
def test_worker_world_is_its_own(minted_sandbox, worker_id, n):
    control, http = minted_sandbox.control, minted_sandbox.client()
    instant = f"20{30 + int(worker_id[2:])}-01-01T00:00:00+03:00"  # gw0: 2030, gw1: 2031
    control.clock.freeze(instant)
    seeded = demo_customers(control)
    mine = [f"{worker_id}-{n}-{i}" for i in range(3)]
    for external_id in mine:
        created = http.post("/partner/customer", json={"external_id": external_id, **BODY})
        assert created.status_code == 200, created.text

    found = [http.get(f"/partner/customer/{external_id}").status_code for external_id in mine]
    counted = demo_customers(control)
    now = control.clock.now()
    control.reset()
    after_reset = http.get(f"/partner/customer/{mine[0]}").status_code

    assert (found, counted, now["mode"], now["now"]) == ([200] * 3, seeded + 3, "frozen", instant)
    assert after_reset == 404
    listed = httpx.get("URL/_sandbox/tenants").json()["data"]["tenants"]
    mine_listed = [t for t in listed if t["tenant"] == control.tenant]
    record = {"worker": worker_id, "tenant": control.tenant, "username": minted_sandbox.credentials[0],
              "listed": mine_listed, "customers": mine}
    open(f"seen-{worker_id}-{n}.json", "w").write(json.dumps(record))
"""


def test_xdist_workers_on_one_external_url_each_work_in_a_tenant_of_their_own(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    """Two workers freeze the clock, add customers and reset at once on one sandbox: each sees only its
    own world (its clock, its count, its customers until its own reset), and the default world none."""
    pytester.makepyfile(test_isolation=ISOLATION.replace("URL", external.url))

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--minted-sandbox-url={external.url}"
    )

    result.assert_outcomes(passed=6)
    records = [json.loads(path.read_text()) for path in pytester.path.glob("seen-*.json")]
    used = sorted({(r["worker"], r["tenant"], r["username"], r["listed"][0]["ttl_seconds"]) for r in records})
    assert [(worker, username, ttl) for worker, _tenant, username, ttl in used] == [
        ("gw0", f"{used[0][1]}-demo", 3600),
        ("gw1", f"{used[1][1]}-demo", 3600),
    ]  # one tenant a worker, its partner's username, an hour's ttl
    assert used[0][1] != used[1][1]
    assert tenants_of(external) == []
    with httpx.Client(base_url=external.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        in_default = {http.get(f"/partner/customer/{c}").status_code for r in records for c in r["customers"]}
    assert (len(records), in_default) == (6, {404})
    assert httpx.get(external.url + "/_sandbox/clock").json()["data"]["mode"] == "real"


class OlderSandbox(BaseHTTPRequestHandler):
    """A sandbox from before tenants: its control API answers, /_sandbox/tenants is no route of it."""

    def do_GET(self) -> None:
        if self.path == "/_sandbox/state":
            self._answer(200, {"data": {"seed": 42, "scenario": "default"}, "success": True, "code": 0})
        else:
            self.do_POST()

    def do_POST(self) -> None:
        message = "The requested route does not exist."
        body = {"data": {"error": "route_not_found"}, "success": False, "code": 404, "message": message}
        self._answer(404, body)

    def _answer(self, status: int, body: dict[str, object]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


def test_external_sandbox_without_tenants_is_one_error_naming_the_version(pytester: pytest.Pytester) -> None:
    older = ThreadingHTTPServer(("127.0.0.1", 0), OlderSandbox)
    threading.Thread(target=older.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{older.server_address[1]}"
    pytester.makepyfile("def test_one(minted_sandbox):\n    pass\n")

    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={url}")
    finally:
        older.shutdown()
        older.server_close()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"POST {url}/_sandbox/tenants answered 404: the Minted sandbox there has no tenants, and "
            "--minted-sandbox-url runs each test session in a tenant of its own; run minted-sandbox "
            f"{TENANTS_SINCE} or newer at that URL."
        ]
    )
    assert "plugin.py" not in result.stdout.str()


def test_xdist_workers_without_url_each_get_a_sandbox_of_their_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "def test_url(minted_sandbox, worker_id):\n"
        "    open(f'url-{worker_id}', 'w').write(minted_sandbox.url)\n"
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "each").assert_outcomes(
        passed=2
    )
    urls = {path.name: path.read_text() for path in pytester.path.glob("url-*")}

    assert sorted(urls) == ["url-gw0", "url-gw1"]
    assert urls["url-gw0"] != urls["url-gw1"]


def test_marker_world_on_external_sandbox_stays_in_the_sessions_tenant(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    pytester.makepyfile(
        "import httpx, pytest\n"
        "def default_world():\n"
        f"    state = httpx.get('{external.url}/_sandbox/state').json()['data']\n"
        "    return state['seed'], state['scenario']\n"
        "@pytest.mark.minted_sandbox(seed=7, scenario='empty')\n"
        "def test_marked(minted_sandbox):\n"
        "    state = minted_sandbox.control.state()\n"
        "    assert (state['seed'], state['scenario'], default_world()) == (7, 'empty', (42, 'default'))\n"
        "def test_unmarked(minted_sandbox):\n"
        "    assert minted_sandbox.control.state()['scenario'] == 'default'\n"
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={external.url}")

    result.assert_outcomes(passed=2)
    assert (state_of(external), tenants_of(external)) == ((42, "default"), [])

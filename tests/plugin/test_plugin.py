"""The pytest plugin (sandbox/testing/plugin.py), driven the way an integrator's suite drives it: consumer
test files run by pytester in fresh pytest processes that load the plugin through its entry point."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from sandbox.config import Settings
from sandbox.testing.plugin import Control, MintedSandboxError
from sandbox.testing.server import SandboxServer
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


def test_consumer_suite_against_external_url_passes(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    """Only the test asking for `minted_sandbox_server` skips: there is no server of the plugin's own."""
    pytester.makepyfile(test_consumer=CONSUMER)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={external.url}")

    result.assert_outcomes(passed=CONSUMER_TESTS - 1, skipped=1)


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


def test_xdist_workers_on_one_external_url_are_refused(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    pytester.makepyfile("def test_one(minted_sandbox):\n    pass\ndef test_two(minted_sandbox):\n    pass\n")

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--minted-sandbox-url={external.url}"
    )

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [f"*--minted-sandbox-url {external.url} is one sandbox, and 2 pytest-xdist workers would reset*"]
    )


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


def test_marker_world_on_external_sandbox_is_undone_after_the_test_and_the_session(
    pytester: pytest.Pytester, external: SandboxServer
) -> None:
    pytester.makepyfile(
        "import httpx, pytest\n"
        "@pytest.mark.minted_sandbox(seed=7, scenario='empty')\n"
        "def test_marked(minted_sandbox):\n"
        "    assert minted_sandbox.control.state()['scenario'] == 'empty'\n"
        "def test_after_the_marked_test():\n"
        f"    state = httpx.get('{external.url}/_sandbox/state').json()['data']\n"
        "    assert (state['seed'], state['scenario']) == (42, 'default')\n"
        "@pytest.mark.minted_sandbox(scenario='every-status')\n"
        "def test_marked_last(minted_sandbox):\n"
        "    assert minted_sandbox.control.state()['scenario'] == 'every-status'\n"
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--minted-sandbox-url={external.url}")

    result.assert_outcomes(passed=3)
    assert state_of(external) == (42, "default")

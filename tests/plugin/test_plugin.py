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

import pytest

from sandbox.config import Settings
from sandbox.testing.server import SandboxServer

CONSUMER = (Path(__file__).parent / "consumer_suite.py").read_text()
CONSUMER_TESTS = 19


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

"""`make test` provisions its tools: scripts/ensure-test-tools installs Debian's chromium, curl and
postgresql with apt-get where they are missing and the user may install packages, and otherwise stops
with one line saying what to install. Each test runs the real script on a made-up machine: a PATH of
stubs (`id`, `sudo`, `apt-get`, `curl`), and $CHROMIUM and $POSTGRESQL_ROOT pointing into a temporary
directory, so nothing is installed or removed on the machine running the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-test-tools"

# Each stub logs its call; apt-get "installs" by creating the file the script checks for afterwards.
STUBS = {
    "id": '#!/bin/bash\necho "$FAKE_UID"\n',
    "sudo": '#!/bin/bash\n[ "$1" = -n ] && shift\necho "sudo $*" >> "$LOG"\n'
    '[ "$*" = true ] && exit "$SUDO_RC"\nexec "$@"\n',
    "apt-get": '#!/bin/bash\necho "apt-get $* ($DEBIAN_FRONTEND)" >> "$LOG"\n'
    'if [[ " $* " == *" install "* ]]; then\n'
    '  [ "$APT_INSTALL_RC" = 0 ] || exit "$APT_INSTALL_RC"\n'
    '  [[ " $* " == *" chromium "* ]] && echo "#!/bin/bash" > "$CHROMIUM" && /bin/chmod +x "$CHROMIUM"\n'
    '  [[ " $* " == *" curl "* ]] && echo "#!/bin/bash" > "$BIN/curl" && /bin/chmod +x "$BIN/curl"\n'
    '  [[ " $* " == *" postgresql "* ]] && /bin/mkdir -p "$POSTGRESQL_ROOT/15/bin" '
    '&& echo "#!/bin/bash" > "$POSTGRESQL_ROOT/15/bin/initdb"\n'
    "fi\nexit 0\n",
    "curl": "#!/bin/bash\n",
}


@dataclass
class Machine:
    bin: Path
    chromium: Path
    postgresql: Path  # where Debian puts its servers (/usr/lib/postgresql)
    log: Path
    uid: int = 1000
    sudo_rc: int = 1  # `sudo -n true`: 1 is sudo asking for a password
    apt_install_rc: int = 0

    def add(self, *programs: str) -> None:
        for name in programs:
            path = self.bin / name
            path.write_text(STUBS[name])
            path.chmod(0o755)

    def remove(self, *programs: str) -> None:
        for name in programs:
            (self.bin / name).unlink()

    def has_postgresql(self) -> None:
        (self.postgresql / "15" / "bin").mkdir(parents=True)
        (self.postgresql / "15" / "bin" / "initdb").write_text("#!/bin/bash\n")

    def has_chromium(self) -> None:
        self.chromium.write_text("#!/bin/bash\n")
        self.chromium.chmod(0o755)

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "CHROMIUM": str(self.chromium),
            "POSTGRESQL_ROOT": str(self.postgresql),
            "BIN": str(self.bin),
            "LOG": str(self.log),
            "FAKE_UID": str(self.uid),
            "SUDO_RC": str(self.sudo_rc),
            "APT_INSTALL_RC": str(self.apt_install_rc),
        }
        return subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """A Debian machine with curl, PostgreSQL's server and apt-get but no chromium, where the user is not
    root and has no sudo. The script itself needs bash and env; nothing else of the real machine is on
    its PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("bash", "env"):
        (bin_dir / program).symlink_to(shutil.which(program))
    made = Machine(
        bin=bin_dir,
        chromium=tmp_path / "usr-bin-chromium",
        postgresql=tmp_path / "usr-lib-postgresql",
        log=tmp_path / "calls.log",
    )
    made.add("id", "apt-get", "curl")
    made.has_postgresql()
    return made


def test_ensure_test_tools_with_chromium_and_curl_does_nothing(machine: Machine) -> None:
    machine.has_chromium()
    machine.uid = 0

    done = machine.run()

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert machine.calls() == []


def test_ensure_test_tools_without_chromium_or_sudo_stops_with_one_line(machine: Machine) -> None:
    done = machine.run()

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"ensure-test-tools: make test needs chromium ({machine.chromium}): "
        "as root, run apt-get install -y chromium\n"
    )
    assert machine.calls() == []


def test_ensure_test_tools_when_sudo_asks_for_a_password_stops_with_one_line(machine: Machine) -> None:
    machine.add("sudo")
    machine.remove("curl")

    done = machine.run()

    assert done.returncode == 1
    assert done.stderr == (
        f"ensure-test-tools: make test needs chromium ({machine.chromium}) and curl: "
        "as root, run apt-get install -y chromium curl\n"
    )
    assert machine.calls() == ["sudo true"]  # only asked; nothing installed


def test_ensure_test_tools_without_apt_get_names_the_packages(machine: Machine) -> None:
    machine.remove("apt-get", "curl")
    machine.uid = 0

    done = machine.run()

    assert done.returncode == 1
    assert done.stderr == (
        f"ensure-test-tools: make test needs chromium ({machine.chromium}) and curl: "
        "install chromium curl with your system's package manager\n"
    )


def test_ensure_test_tools_as_root_installs_what_is_missing(machine: Machine) -> None:
    machine.remove("curl")
    machine.uid = 0

    done = machine.run()

    assert (done.returncode, done.stderr) == (
        0,
        "ensure-test-tools: installing chromium curl with apt-get (once)\n",
    )
    assert machine.calls() == [
        "apt-get -qq update (noninteractive)",
        "apt-get -qq install -y chromium curl (noninteractive)",
    ]
    assert machine.run().returncode == 0
    assert len(machine.calls()) == 2  # the second run finds both and installs nothing


def test_ensure_test_tools_as_root_installs_postgresql_when_its_server_is_missing(machine: Machine) -> None:
    machine.has_chromium()
    shutil.rmtree(machine.postgresql)
    machine.uid = 0

    done = machine.run()

    assert (done.returncode, done.stderr) == (
        0,
        "ensure-test-tools: installing postgresql with apt-get (once)\n",
    )
    assert machine.calls()[-1] == "apt-get -qq install -y postgresql (noninteractive)"
    assert (machine.postgresql / "15" / "bin" / "initdb").exists()


def test_ensure_test_tools_with_passwordless_sudo_installs_through_sudo(machine: Machine) -> None:
    machine.add("sudo")
    machine.sudo_rc = 0

    done = machine.run()

    assert done.returncode == 0
    assert machine.calls() == [
        "sudo true",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get -qq update",
        "apt-get -qq update (noninteractive)",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y chromium",
        "apt-get -qq install -y chromium (noninteractive)",
    ]
    assert machine.chromium.exists()


def test_ensure_test_tools_when_apt_get_fails_stops_with_one_line(machine: Machine) -> None:
    machine.uid = 0
    machine.apt_install_rc = 100

    done = machine.run()

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"ensure-test-tools: make test needs chromium ({machine.chromium}): "
        "apt-get install -y chromium failed (see above)"
    )


def test_make_test_provisions_its_tools_first_and_make_run_does_not() -> None:
    # Run by `make test` itself, the outer make's MAKEFLAGS and MAKELEVEL would leak into `make -n`.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MAKE", "MFLAGS"))}

    def planned(target: str) -> list[str]:
        done = subprocess.run(
            ["make", "-n", "--no-print-directory", target],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout.splitlines()

    test_plan = planned("test")
    assert test_plan[0] == "scripts/ensure-test-tools"  # before the venv: a missing tool stops at once
    assert test_plan[-1].startswith(".venv/bin/pytest")
    assert not any("ensure-test-tools" in line for line in planned("run"))


def test_browser_tests_without_chromium_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "chromium"
    monkeypatch.setattr(browser, "CHROMIUM", str(missing))

    with pytest.raises(pytest.fail.Exception) as failed, browser.chromium():
        pass

    assert str(failed.value) == f"{missing} is missing: `make test` installs it (scripts/ensure-test-tools)"

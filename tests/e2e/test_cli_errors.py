"""Every way `minted-sandbox` refuses to start: one line on stderr naming what to fix, exit code 2.
Real processes, as users run them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "sandbox"]
# Root writes anywhere: as root, the commands that meet a folder they may not write run as nobody
# (setpriv: util-linux, on every Debian system).
AS_ROOT = os.geteuid() == 0
UID = 65534 if AS_ROOT else os.getuid()
UNPRIVILEGED = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"] if AS_ROOT else []


def run(*args: str, prefix: Sequence[str] = (), **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, *CLI, *args], capture_output=True, text=True, timeout=60, **options)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line of a refused command (and its exit code 2)."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_invalid_settings_variable_is_named_as_the_variable() -> None:
    result = run("serve", env={**os.environ, "SANDBOX_PORT": "abc"})
    assert refusal(result) == (
        "minted-sandbox: error: SANDBOX_PORT: Input should be a valid integer, unable to parse string as an "
        "integer"
    )


def test_a_public_base_url_that_is_not_an_http_url_is_refused_naming_the_variable() -> None:
    result = run("serve", env={**os.environ, "SANDBOX_PUBLIC_BASE_URL": "ftp://sandbox.example.com"})
    assert refusal(result) == (
        "minted-sandbox: error: SANDBOX_PUBLIC_BASE_URL: 'ftp://sandbox.example.com': an http:// or "
        "https:// URL, such as https://sandbox.example.com"
    )


def test_an_invalid_settings_flag_is_named_as_the_flag() -> None:
    assert refusal(run("serve", "--port", "abc")) == (
        "minted-sandbox: error: --port: Input should be a valid integer, unable to parse string as an integer"
    )


def test_an_unknown_flag_is_refused_with_the_usage_of_its_command() -> None:
    assert refusal(run("serve", "--prot")) == (
        "minted-sandbox serve: error: unrecognized arguments: --prot "
        "(usage: minted-sandbox serve [OPTIONS]; see minted-sandbox serve --help)"
    )


def test_a_server_only_flag_is_unknown_to_the_world_commands() -> None:
    assert refusal(run("seed", "--port", "9000")) == (
        "minted-sandbox seed: error: unrecognized arguments: --port 9000 "
        "(usage: minted-sandbox seed [OPTIONS]; see minted-sandbox seed --help)"
    )


def test_a_missing_argument_is_refused_with_the_usage_of_its_command() -> None:
    assert refusal(run("advance")) == (
        "minted-sandbox advance: error: the following arguments are required: ORDER "
        "(usage: minted-sandbox advance ORDER [OPTIONS]; see minted-sandbox advance --help)"
    )


def test_no_command_is_refused_with_the_top_level_usage() -> None:
    assert refusal(run()) == (
        "minted-sandbox: error: the following arguments are required: COMMAND "
        "(usage: minted-sandbox [--version] COMMAND [OPTIONS]; see minted-sandbox --help)"
    )


def test_an_empty_database_location_is_refused() -> None:
    assert refusal(run("seed", "--db", "")) == (
        "minted-sandbox: error: --database-url: expected a database URL (sqlite:///path) or the path of a "
        "SQLite file"
    )


def test_a_database_url_of_an_unknown_driver_is_refused_naming_the_url() -> None:
    # The rest of the line is SQLAlchemy's own reason (`Can't load plugin: sqlalchemy.dialects:nosuch`).
    line = refusal(run("seed", "--db", "nosuch://somewhere/world"))
    assert line.startswith("minted-sandbox: error: database URL 'nosuch://somewhere/world': ")


def test_a_port_in_use_is_refused_naming_the_port_and_the_flag() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--db", "sqlite://", "--port", str(port))
    assert refusal(result) == (
        f"minted-sandbox: error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "choose another --port (SANDBOX_PORT)"
    )


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own tmp_path is private to the user running it)."""
    folder = Path(tempfile.mkdtemp(prefix="minted-cli-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder)


def run_unprivileged(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, prefix=UNPRIVILEGED, cwd=cwd, env={**os.environ, **env})


def test_a_read_only_folder_is_refused_naming_it_and_the_fix(shared_folder: Path) -> None:
    folder = shared_folder / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    result = run_unprivileged("serve", "--db", "read-only/sub/sandbox.db", cwd=shared_folder)
    assert refusal(result) == (
        f"minted-sandbox: error: cannot write the database {folder}/sub/sandbox.db: {folder} is not "
        f"writable by uid {UID}; make {folder} writable for this user, or put the database elsewhere "
        "with --db PATH (SANDBOX_DATABASE_URL)"
    )
    assert list(folder.iterdir()) == []


def test_a_read_only_database_file_is_refused_naming_it(shared_folder: Path) -> None:
    database = shared_folder / "sandbox.db"
    shared_folder.chmod(0o777)
    database.touch()
    database.chmod(0o444)
    result = run_unprivileged("reset", "--db", str(database), cwd=shared_folder)
    assert refusal(result) == (
        f"minted-sandbox: error: cannot write the database {database}: {database} is not writable by "
        f"uid {UID}; make {database} writable for this user, or put the database elsewhere with --db PATH "
        "(SANDBOX_DATABASE_URL)"
    )


def test_in_the_container_a_read_only_volume_is_explained_by_the_images_user(shared_folder: Path) -> None:
    """The image sets MINTED_SANDBOX_CONTAINER and runs as uid 10001; a bind mount of a host folder is
    usually owned by the host's user."""
    shared_folder.chmod(0o555)
    database = f"sqlite:///{shared_folder}/sandbox.db"  # as the image's SANDBOX_DATABASE_URL names /data
    result = run_unprivileged(
        "serve", cwd=shared_folder, MINTED_SANDBOX_CONTAINER="1", SANDBOX_DATABASE_URL=database
    )
    assert refusal(result) == (
        f"minted-sandbox: error: cannot write the database {shared_folder}/sandbox.db: {shared_folder} is "
        f"not writable by uid {UID}; the image runs as that user: make the volume or bind mount at "
        f"{shared_folder} writable by uid {UID} (a host folder: chown {UID} it on the host), or mount a "
        f"named volume there (-v minted-sandbox-data:{shared_folder})"
    )

"""Where the sandbox's data files come from: the package's own copy (fixtures/ shipped in the wheel as
`sandbox.fixtures`), or SANDBOX_FIXTURES_DIR; a folder or an install without them is one clear error,
never a world without the golden order, an unknown scenario or a 500 from Partner Legal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from sandbox import config
from sandbox.config import IsolatedSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_default_fixtures_are_the_packages_copy_of_the_checkouts_folder() -> None:
    assert IsolatedSettings().fixtures_dir == FIXTURES


def test_fixtures_dir_without_runtime_files_is_refused_naming_each(tmp_path: Path) -> None:
    (tmp_path / "legal").mkdir()

    with pytest.raises(ValidationError) as refused:
        IsolatedSettings(fixtures_dir=tmp_path)

    assert refused.value.errors()[0]["msg"] == (
        f"Value error, {tmp_path} is not a fixtures folder: it lacks golden/get-order-alternative.json, "
        "golden/documented-world.json, scenarios"
    )


def test_install_without_the_fixtures_package_is_one_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "FIXTURES_PACKAGE", "sandbox.no_such_fixtures")

    with pytest.raises(ValueError, match=r"lacks its data files \(the package sandbox\.no_such_fixtures"):
        IsolatedSettings()


def test_cli_with_a_wrong_fixtures_dir_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SANDBOX_FIXTURES_DIR": str(tmp_path), "SANDBOX_DATABASE_URL": "sqlite://"}

    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "seed"], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert f"{tmp_path} is not a fixtures folder: it lacks golden/get-order-alternative.json" in done.stderr

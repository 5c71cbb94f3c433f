"""The tree is clean under the lint rules the project chose (pyproject.toml ``[tool.ruff.lint]``).

CI runs ``ruff check .`` before the tests (``.ci/run``); this test runs the same command so
that a developer sees a finding with the rest of the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed (it is in the dev extra)")
    return [exe]


@pytest.mark.timeout(120)
def test_ruff_finds_nothing():
    out = subprocess.run([*_ruff(), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.timeout(120)
def test_ruff_would_find_an_unused_import(tmp_path):
    """The rules are live: a planted unused import is reported with the project's settings."""
    planted = tmp_path / "planted.py"
    planted.write_text("import os\n", encoding="utf-8")
    out = subprocess.run([*_ruff(), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(planted)],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "F401" in out.stdout

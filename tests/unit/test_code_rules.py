"""Project rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: install the test extras (pip install -e '.[test]')")
    return found


def test_ruff_clean() -> None:
    done = subprocess.run([tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_core_imports_neither_sardana_taurus_nor_qt() -> None:
    done = subprocess.run([tool("lint-imports")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_plugin_files_have_unique_bare_names() -> None:
    # Sardana imports every plugin file as a top-level module by its bare name.
    names = [
        p.stem for d in ("macros", "recorders", "controllers") for p in (REPO / d).glob("*.py")
    ]
    assert len(names) == len(set(names))
    import importlib.util

    clashes = [n for n in names if importlib.util.find_spec(n) is not None]
    assert clashes == [], f"plugin files shadow importable modules: {clashes}"

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


def test_mypy_clean() -> None:
    # [tool.mypy] in pyproject.toml: the package, check_untyped_defs, per-library overrides
    done = subprocess.run([tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_environment_variables_are_named_only_in_env_module() -> None:
    # a name spelled in two places drifts apart; sardana_nxsas/env.py names each once
    import ast

    from sardana_nxsas import env

    names = {v for k, v in vars(env).items() if k.isupper() and isinstance(v, str)}
    found = []
    for folder in ("sardana_nxsas", "macros", "recorders", "controllers", "taurusgui"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == REPO / "sardana_nxsas" / "env.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in names:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
    assert found == [], "use the constants of sardana_nxsas.env:\n" + "\n".join(found)


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


def _import_cycles(package: str) -> list[list[str]]:
    """The strongly connected sets of modules of ``package`` that import each other,
    counting every import grimp sees: deferred (inside functions) and TYPE_CHECKING ones."""
    import grimp

    graph = grimp.build_graph(package, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_between_core_modules() -> None:
    assert _import_cycles("sardana_nxsas") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from cyclic_pkg import b  # deferred\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic_pkg import a\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _import_cycles("cyclic_pkg") == [["cyclic_pkg.a", "cyclic_pkg.b"]]

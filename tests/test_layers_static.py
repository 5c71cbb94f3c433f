"""The layering rules of docs/developer/architecture.md, checked by reading the source.

``tests/test_layers.py`` imports modules in fresh interpreters and looks at what got
loaded; that sees only the imports the probed code paths reach. This scan reads every
``import`` statement of every module, at module level and inside functions, so a rule
broken on a path no test runs is found too:

* ``theory`` imports neither ``numerics`` nor ``verify`` nor torch, scipy, matplotlib
  (anywhere), and no numpy at module level (it reaches numpy only inside ``lambdify``);
* ``numerics`` imports neither ``theory`` nor ``verify`` nor sympy (anywhere);
* ``kernel`` imports no layer (anywhere) and nothing heavy at module level;
* torch, matplotlib, cvxpy, pandas, dask and ray are imported at module level only by the
  torch modules of ``numerics/icl``, and a module that does not import them at module level
  does not import one of those torch modules at module level either;
* a command module of the CLI imports no other command's private (``_``) names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "numerics", "verify", "kernel")
HEAVY = {"torch", "matplotlib", "cvxpy", "pandas", "dask", "distributed", "ray"}
#: Where a module may import a heavy package at module level: the torch package.
HEAVY_HOME = "numerics/icl/"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["stl", *parts])


def _imports(tree: ast.Module, module: str, is_package: bool):
    """``(name, imported names, at module level)`` of every import in ``tree``; relative
    imports resolved against ``module``."""
    top = {id(node) for node in tree.body}
    # an import inside ``if TYPE_CHECKING:`` at module level is not run
    for node in tree.body:
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))
                    and not (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), id(node) in top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name, tuple(a.name for a in node.names), id(node) in top


def _sources():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield path


def _scan():
    out = {}
    for path in _sources():
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[path.relative_to(ROOT).as_posix()] = (module, list(_imports(tree, module, path.name == "__init__.py")))
    return out


SCAN = _scan()


def _root(name: str) -> str:
    return name.split(".")[0]


def _starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations() -> list[str]:
    found = []
    for rel, (module, imports) in SCAN.items():
        layer = rel.split("/")[0]
        for name, _, top in imports:
            if layer == "theory":
                if _starts(name, "stl.numerics", "stl.verify") or _root(name) in {"torch", "scipy", "matplotlib"}:
                    found.append(f"{rel}: theory imports {name}")
                if top and _root(name) == "numpy":
                    found.append(f"{rel}: theory imports numpy at module level")
            elif layer == "numerics":
                if _starts(name, "stl.theory", "stl.verify") or _root(name) == "sympy":
                    found.append(f"{rel}: numerics imports {name}")
            elif layer == "kernel":
                if _starts(name, "stl.theory", "stl.numerics", "stl.verify"):
                    found.append(f"{rel}: the kernel imports {name}")
                if top and _root(name) in {"numpy", "sympy", "torch", "scipy"}:
                    found.append(f"{rel}: the kernel imports {name} at module level")
            if top and _root(name) in HEAVY and not rel.startswith(HEAVY_HOME):
                found.append(f"{rel}: imports {name} at module level (import it inside the function)")
    return found


def _heavy_modules() -> set[str]:
    return {module for rel, (module, imports) in SCAN.items()
            if any(top and _root(name) in HEAVY for name, _, top in imports)}


def _light_modules_importing_heavy_ones() -> list[str]:
    heavy = _heavy_modules()
    found = []
    for rel, (module, imports) in SCAN.items():
        if module in heavy:
            continue
        for name, names, top in imports:
            targets = {name} | {f"{name}.{n}" for n in names}
            hit = sorted(t for t in targets if t in heavy)
            if top and hit:
                found.append(f"{rel}: imports the torch module {', '.join(hit)} at module level")
    return found


def _private_command_imports() -> list[str]:
    found = []
    for rel, (module, imports) in SCAN.items():
        if not rel.startswith("verify/cli/cmd_"):
            continue
        for name, names, _ in imports:
            if name.startswith("stl.verify.cli.cmd_") and name != module:
                private = [n for n in names if n.startswith("_")]
                if private:
                    found.append(f"{rel}: imports {', '.join(private)} from {name}")
    return found


def test_every_layer_keeps_to_its_imports():
    assert _violations() == []


def test_a_light_module_does_not_import_a_torch_module_at_module_level():
    assert _heavy_modules(), "the scan should see the torch modules of numerics/icl"
    assert _light_modules_importing_heavy_ones() == []


def test_no_command_imports_another_commands_private_helpers():
    assert _private_command_imports() == []


@pytest.mark.parametrize("source,rel,expected", [
    ("import stl.numerics.loop\n", "theory/planted.py", "theory imports stl.numerics.loop"),
    ("def f():\n    from stl.theory import symbols\n", "numerics/planted.py", "numerics imports stl.theory"),
    ("import sympy\n", "numerics/planted.py", "numerics imports sympy"),
    ("import numpy as np\n", "theory/planted.py", "theory imports numpy at module level"),
    ("import torch\n", "verify/planted.py", "imports torch at module level"),
    ("from ..verify import report\n", "kernel/planted.py", "the kernel imports stl.verify"),
])
def test_the_scan_sees_a_planted_violation(monkeypatch, source, rel, expected):
    tree = ast.parse(source)
    module = _module_name(ROOT / rel)
    monkeypatch.setitem(SCAN, rel, (module, list(_imports(tree, module, False))))
    assert any(expected in v for v in _violations())


def test_the_scan_sees_a_planted_private_import(monkeypatch):
    rel = "verify/cli/cmd_planted.py"
    tree = ast.parse("from stl.verify.cli.cmd_simulate import _helper\n")
    monkeypatch.setitem(SCAN, rel, ("stl.verify.cli.cmd_planted", list(_imports(tree, "stl.verify.cli.cmd_planted",
                                                                                 False))))
    assert _private_command_imports() == [f"{rel}: imports _helper from stl.verify.cli.cmd_simulate"]

"""The layering rules of docs/developer/architecture.md, checked in fresh interpreters.

Each probe runs in a subprocess so that modules imported by other tests cannot leak in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = (
        "import sys, json\n"
        f"{statement}\n"
        "print(json.dumps(sorted({'.'.join(m.split('.')[:2]) if m.startswith('stl.') else m.split('.')[0]\n"
        "                          for m in sys.modules})))\n"
    )
    # Run outside the checkout: from its root the bare folder names would import too.
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_theory_imports_neither_torch_nor_numerics():
    loaded = _loaded_after("import stl.theory, stl.theory.results, stl.theory.bound, stl.theory.parsing")
    assert not {"torch", "stl.numerics", "stl.verify", "scipy", "matplotlib"} & loaded


def test_numerics_imports_neither_sympy_nor_torch():
    loaded = _loaded_after(
        "import stl.numerics, stl.numerics.loop, stl.numerics.models.registry, stl.numerics.estimators\n"
        "from stl.numerics.models.registry import get_model\n"
        "get_model('gaussian', {})"
    )
    assert not {"torch", "sympy", "stl.theory", "stl.verify"} & loaded


def test_cli_help_is_light():
    loaded = _loaded_after(
        "from stl.verify.cli.main import build_parser\nbuild_parser().format_help()"
    )
    assert not {"torch", "matplotlib", "dask", "distributed", "cvxpy", "ray"} & loaded


def test_symbolic_cli_does_not_import_torch(capsys):
    loaded = _loaded_after(
        "from stl.verify.cli.main import main\nmain(['derive', 'theorem1', '--format', 'json'])"
    )
    assert not {"torch", "matplotlib", "dask", "cvxpy"} & loaded


@pytest.mark.parametrize("name", __import__("stl.verify.cli.main", fromlist=["x"]).COMMAND_MODULES)
def test_every_command_module_exists(name):
    __import__(name)

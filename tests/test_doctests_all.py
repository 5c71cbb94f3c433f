"""Every example in the kernel's, the numerics and the verify layers' docstrings runs and
prints what it says (the theory layer has its own, tests/theory/test_doctests.py). Modules that need
an optional extra (torch) are skipped where it is not installed."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import stl.kernel
import stl.numerics
import stl.verify

TORCH = importlib.util.find_spec("torch") is not None
# Examples that train networks or run suites take longer than a unit test should; the
# tests of those modules cover them.
SLOW = {"stl.verify.checks.literature", "stl.verify.checks.atlas", "stl.verify.cli.cmd_atlas"}


def _modules(package) -> list[str]:
    return sorted({package.__name__} | {info.name for info in
                                        pkgutil.walk_packages(package.__path__, package.__name__ + ".")})


MODULES = _modules(stl.kernel) + _modules(stl.numerics) + _modules(stl.verify)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in SLOW:
        pytest.skip("examples covered by the module's own tests")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:  # an optional extra (dask, pyarrow, ...) is absent
        pytest.skip(f"{name} needs {exc.name}")
    if not TORCH and "torch" in (module.__doc__ or "") and ">>>" in (module.__doc__ or ""):
        pytest.skip("needs torch")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"

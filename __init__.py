"""``stl``: the self-consuming training loop toolkit, installed as one namespace.

The source tree keeps three top-level folders; they install as the subpackages

* :mod:`stl.theory` (``theory/``, sympy only): symbols, definitions, bounds, derivations, LaTeX;
* :mod:`stl.numerics` (``numerics/``, numpy/scipy, torch for the ICL models): batched loops,
  models, schemes, estimators;
* :mod:`stl.verify` (``verify/``): checks, suites, reports, the ``stl`` command line.

This file is ``stl/__init__.py`` once installed (``pyproject.toml`` maps the package
``stl`` to the repository root). Importing ``stl`` imports none of the three layers.

A thin Python API, each function imported on first use (:mod:`stl.verify.api`):
``stl.derive(NAME, subs=..., limit=...)``, ``stl.simulate(MODEL, ...)`` (a trajectory;
``.to_frame()`` with pandas), ``stl.bound(MODEL, ...)`` (a table; ``.plot(FILE)`` draws
T1's figure) and ``stl.verify(SUITE, out=...)`` (a report). ``stl.verify`` is also the
verification package; calling it runs a suite.

>>> import stl
>>> stl.__version__
'0.2.0'
"""

__version__ = "0.2.0"

#: The functions of the thin API (:mod:`stl.verify.api`), imported on first use.
API = ("derive", "simulate", "bound", "verify")


def __getattr__(name: str):
    if name == "verify":  # the package stl.verify, which is callable (it runs a suite)
        import importlib

        return importlib.import_module("stl.verify")
    if name in API:
        from stl.verify import api

        return getattr(api, name)
    raise AttributeError(f"module 'stl' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *API])

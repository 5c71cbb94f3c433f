"""``stl``: the self-consuming training loop toolkit, installed as one namespace.

The source tree keeps three top-level folders; they install as the subpackages

* :mod:`stl.theory` (``theory/``, sympy only): symbols, definitions, bounds, derivations, LaTeX;
* :mod:`stl.numerics` (``numerics/``, numpy/scipy, torch for the ICL models): batched loops,
  models, schemes, estimators;
* :mod:`stl.verify` (``verify/``): checks, suites, reports, the ``stl`` command line.

This file is ``stl/__init__.py`` once installed (``pyproject.toml`` maps the package
``stl`` to the repository root). Importing ``stl`` imports none of the three layers.

>>> import stl
>>> stl.__version__
'0.2.0'
"""

__version__ = "0.2.0"

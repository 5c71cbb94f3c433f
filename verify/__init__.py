"""Verification layer: joins :mod:`stl.theory` and :mod:`stl.numerics` into checks, suites,
reports, the optimal synthetic size and the ``stl`` command line.

The package is callable: ``stl.verify("quick", out="report")`` runs a suite
(:func:`stl.verify.api.verify`), so the thin API's ``stl.verify`` and the package are one
object whichever was imported first.
"""

import sys as _sys
import types as _types

from stl import __version__  # noqa: F401 - one version, in stl/__init__.py (stl.verify.__version__)


class _CallablePackage(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        from stl.verify.api import verify

        return verify(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage

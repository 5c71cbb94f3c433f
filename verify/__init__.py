"""Verification layer: joins :mod:`stl.theory` and :mod:`stl.numerics` into checks, suites,
reports, the optimal synthetic size and the ``stl`` command line."""

from stl import __version__  # one version, in stl/__init__.py

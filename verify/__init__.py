"""Verification layer: joins :mod:`theory` and :mod:`numerics` into checks, suites,
reports, the optimal synthetic size and the ``stl`` command line."""

__version__ = "0.1.0"

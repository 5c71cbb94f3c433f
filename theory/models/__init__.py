"""Analytic constants of the concrete models (THEORY.md section 4), one module per model.

Each module's ``constants(...)`` returns a :class:`ModelConstants`; the values are sympy
expressions in ``n`` and the model's parameters, with a note per constant saying
whether it is exact or a bound, and why.

>>> from stl.theory.models.categorical import constants
>>> constants().tau_n                                      # THEORY.md section 4
1/n
"""

from stl.theory.models.constants import ModelConstants

__all__ = ["ModelConstants"]

"""Estimators of the constants of THEORY.md: ``β_n``, ``τ_n``, ``γ_n^i``, ``d_TV(n)``.

Each returns an :class:`Estimate` (value, standard error, confidence interval, method
text); none returns a bare float.
"""

from stl.numerics.estimators.estimate import Estimate
from stl.numerics.estimators.growth_law import GrowthLaw, fit_growth_law
from stl.numerics.estimators.learnability import estimate_dtv
from stl.numerics.estimators.pieces import estimate_t1_pieces
from stl.numerics.estimators.recursive import estimate_gamma
from stl.numerics.estimators.stability import estimate_beta, estimate_tau

__all__ = ["Estimate", "GrowthLaw", "estimate_beta", "estimate_dtv", "estimate_gamma", "estimate_t1_pieces", "estimate_tau", "fit_growth_law"]

"""Exact expectations of simple self-consuming loops, as sympy expressions.

These are the closed forms of the model-collapse literature that the toolkit holds
against its simulated loop (``stl verify``'s ``closed-form-*`` checks). The numeric twin
of each lives in :mod:`stl.numerics.closed_forms` (numpy, with the derivations); the
tests evaluate both at random points and require them to agree, so the formula a report
prints is the formula the check computed.

Generation 0 is the fit to real data, so ``i + 1`` refits separate generation ``i`` from
the real law (``replace`` scheme unless the name says otherwise):

* ``wright_fisher_heterozygosity``: ``E H_i = H_0 (1 − 1/n)^{i+1}``, categorical MLE;
* ``gaussian_variance``: ``E σ̂²_i = σ² ((n − 1)/n)^{i+1}`` (MLE), ``σ²`` (unbiased);
* ``gaussian_mean_error``: ``E‖μ̂_i − μ‖² = d σ² (1 − ((n − 1)/n)^{i+1})`` (MLE),
  ``d σ² (i + 1)/n`` (unbiased);
* ``linreg_replace``: ``E‖θ̂_i − θ*‖² = (i + 1) σ² d/(n − d − 1)``, OLS;
* ``linreg_accumulate``: ``σ² d Σ_{k=1}^{i+1} 1/(k(kn − d − 1))``, OLS on all data so far.

>>> closed_form("gaussian_variance").subs({n: 2, i: 1, sigma: 1})
1/4
>>> statement_latex("linreg_replace")
'\\\\mathbb{E}\\\\,\\\\lVert \\\\hat{\\\\theta}_{i} - \\\\theta^{*} \\\\rVert^{2} = \\\\frac{\\\\sigma^{2} d \\\\left(i + 1\\\\right)}{n - d - 1}'
"""

from __future__ import annotations

from types import MappingProxyType

import sympy as sp

from stl.theory.errors import InputError
from stl.theory.latex import to_latex
from stl.theory.symbols import dim, i, k, n, sigma

#: Heterozygosity ``1 − Σ_s p_s²`` of the real categorical law.
H_0 = sp.Symbol("H_0", nonnegative=True)

#: The expectation each formula gives, as a symbol typeset by :data:`NOTATION`.
QUANTITY = MappingProxyType({
    "wright_fisher_heterozygosity": sp.Symbol("E_H_i", nonnegative=True),
    "gaussian_variance": sp.Symbol("E_variance_i", nonnegative=True),
    "gaussian_mean_error": sp.Symbol("E_mean_error_i", nonnegative=True),
    "linreg_replace": sp.Symbol("E_test_error_i", nonnegative=True),
    "linreg_accumulate": sp.Symbol("E_test_error_i", nonnegative=True),
})

#: Typeset names of this module's own symbols, handed to sympy's printer.
NOTATION = MappingProxyType({
    H_0: "H_{0}",
    QUANTITY["wright_fisher_heterozygosity"]: r"\mathbb{E}\,H_{i}",
    QUANTITY["gaussian_variance"]: r"\mathbb{E}\,\hat{\sigma}^{2}_{i}",
    QUANTITY["gaussian_mean_error"]: r"\mathbb{E}\,\lVert \hat{\mu}_{i} - \mu \rVert^{2}",
    QUANTITY["linreg_replace"]: r"\mathbb{E}\,\lVert \hat{\theta}_{i} - \theta^{*} \rVert^{2}",
})

ESTIMATORS = ("mle", "unbiased")


def closed_form(formula: str, estimator: str = "mle") -> sp.Expr:
    """The right-hand side of ``formula`` (see the module docstring) in ``n, i, σ, d, H_0``."""
    if estimator not in ESTIMATORS:
        raise InputError("estimator", estimator, " | ".join(ESTIMATORS))
    shrink = (n - 1) / n
    if formula == "wright_fisher_heterozygosity":
        return H_0 * (1 - 1 / n) ** (i + 1)
    if formula == "gaussian_variance":
        return sigma ** 2 * (shrink ** (i + 1) if estimator == "mle" else 1)
    if formula == "gaussian_mean_error":
        if estimator == "unbiased":
            return dim * sigma ** 2 * (i + 1) / n
        return dim * sigma ** 2 * (1 - shrink ** (i + 1))
    if formula == "linreg_replace":
        return (i + 1) * sigma ** 2 * dim / (n - dim - 1)
    if formula == "linreg_accumulate":
        return sigma ** 2 * dim * sp.Sum(1 / (k * (k * n - dim - 1)), (k, 1, i + 1))
    raise InputError("formula", formula, ", ".join(QUANTITY))


def statement(formula: str, estimator: str = "mle") -> sp.Eq:
    """``E metric_i = closed form`` as an unevaluated equation."""
    return sp.Eq(QUANTITY.get(formula, sp.S.Zero), closed_form(formula, estimator), evaluate=False)


def statement_latex(formula: str, estimator: str = "mle") -> str:
    """LaTeX of :func:`statement`, printed by sympy with the theory's symbol names."""
    return to_latex(statement(formula, estimator), notation=dict(NOTATION), order="none")

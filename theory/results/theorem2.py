"""T2, transformers doing in-context learning inside the loop.

The Gaussian label noise turns a parameter change into a TV change (exact TV derived by
integration in :mod:`stl.theory.models.gaussian`, then its linear bound); the transformer's
parameter-Lipschitz constant and its optimizer's stability give ``τ_n = c/n`` with
``c = m κ (1+Γ)^L c_A / (σ_s √(2π))`` (:mod:`stl.theory.models.transformer`). T1 and the
Corollary then apply with that ``c``: the bound is stated in the form ``τ_n = c/n`` with
``c`` defined beside it (``Bound.defined``), as a paper would write it.

>>> bound = theorem2_bound()                                     # THEORY.md T2
>>> bound.source
'T2'
"""

from __future__ import annotations

import sympy as sp

from stl.theory.bound import Bound
from stl.theory.derivation import Derivation, Step
from stl.theory.models import transformer
from stl.theory.models.gaussian import gaussian_tv, tv_linear_bound
from stl.theory.prose import Notation, Prose
from stl.theory.results.corollary import corollary_bound
from stl.theory.results.theorem1 import theorem1_bound
from stl.theory.symbols import Delta_n, Gamma, L, Lip, c, lam, lam_c, m, n, sigma_s, tau_n, tv_gauss

_a, _b = sp.symbols("a_1 b_1", real=True)
_GAUSSIAN_A = Notation(r"\mathcal{N}(a_{1}, \sigma_{s}^{2})", "N(a₁, σₛ²)")
_GAUSSIAN_B = Notation(r"\mathcal{N}(b_{1}, \sigma_{s}^{2})", "N(b₁, σₛ²)")
_SLOPE = Notation(r"\frac{1}{\sigma_{s} \sqrt{2 \pi}}", "1/(σₛ √(2π))")
_PHI_FORM = Notation(r"2 \Phi\left(\frac{|a_{1} - b_{1}|}{2 \sigma_{s}}\right) - 1",
                     "2Φ(|a₁ - b₁|/(2σₛ)) - 1")


def transformer_c() -> sp.Expr:
    """``c = n τ_n`` for the transformer (T2's architecture constant)."""
    return transformer.constants().rate_coefficients()["c"]


def critical_proportion() -> sp.Expr:
    """L2's ``λ_c`` (``1 - 1/c``) with the transformer's ``c``: deeper nets need more real data."""
    from stl.theory.results import recursive_stability as rs

    return rs.critical_proportion().subs(c, transformer_c())


#: What T2 assumes: the Corollary's hypotheses, with τ_n from the transformer's.
T2_REQUIRES = ("loss", "D1", "D4", "transformer", "rates")


def theorem2_bound() -> Bound:
    """The Corollary's limit bound in ``τ_n = c/n`` form, ``c`` the transformer constant."""
    limit = corollary_bound()
    return Bound(limit.terms, "T2", lhs=limit.lhs, assumptions=limit.assumptions,
                 conditions=limit.conditions, description="T1 and the Corollary with "
                 "transformer constants, as the number of generations grows",
                 premises=limit.premises, provenance="derived", requires=T2_REQUIRES,
                 defined=((c, transformer_c()),))


def theorem2_finite_bound() -> Bound:
    """T1 at generation ``i`` with ``γ`` from L2 and ``τ_n = c/n`` of the transformer."""
    bound = theorem1_bound(recursive=True).subs(tau_n=c / n)
    return Bound(bound.terms, "T2", lhs=bound.lhs, assumptions=bound.assumptions,
                 special_cases=bound.special_cases, description="T1 with transformer τ_n",
                 provenance="derived", requires=T2_REQUIRES, defined=((c, transformer_c()),))


def derivation() -> Derivation:
    exact = gaussian_tv(_a, _b, sigma_s)
    linear = tv_linear_bound(sp.Abs(_a - _b), sigma_s)
    consts = transformer.constants()
    tau_generic = transformer.tau_from(Lip, Delta_n)
    steps = (
        Step(sp.Eq(tv_gauss, exact, evaluate=False),
             Prose.of("exact TV of ", _GAUSSIAN_A, " and ", _GAUSSIAN_B, ", derived by integrating the density "
                      "difference left of the midpoint; equals ", _PHI_FORM)),
        Step(sp.LessThan(exact, linear, evaluate=False),
             Prose.of("the TV is concave in ", sp.Abs(_a - _b), " with slope ", _SLOPE,
                      " at 0")),
        Step(sp.LessThan(tau_n, tau_generic, evaluate=False),
             Prose.of(m, " generated labels per synthetic prompt, each Gaussian around a "
                      "prediction that moves by at most ", Lip * Delta_n, "; the TV of a "
                      "chain is at most the sum of the per-step TVs")),
        Step(sp.LessThan(Lip, transformer.LIPSCHITZ, evaluate=False),
             Prose.of("parameter-Lipschitz constant with a depth factor ",
                      (1 + Gamma) ** L)),
        Step(sp.LessThan(Delta_n, transformer.PARAMETER_STABILITY, evaluate=False),
             Prose.of("a stable optimizer moves the parameters by ", sp.Order(1 / n, (n, sp.oo)),
                      " per changed prompt")),
        Step(sp.LessThan(tau_n, consts.tau_n, evaluate=False),
             Prose.of("so ", sp.Eq(tau_n, c / n, evaluate=False))),
        Step(sp.Eq(c, transformer_c(), evaluate=False), "the architecture constant"),
        Step(sp.Eq(lam_c, critical_proportion(), evaluate=False),
             Prose.of("critical real proportion (L2): grows towards 1 with depth ", L)),
        Step(theorem2_finite_bound().statement(),
             Prose.of("T1 with L2 and the transformer ", tau_n)),
        Step(theorem2_bound().statement(),
             Prose.of("Corollary: ", Notation(r"i \to \infty", "i → ∞"), " with ",
                      sp.StrictLessThan((1 - lam) * c, 1), "; ",
                      sp.Order(1 / sp.sqrt(n), (n, sp.oo)), " when ",
                      sp.StrictGreaterThan(lam, lam_c))),
    )
    return Derivation(
        name="theorem2", title="Transformers in in-context learning", source="T2",
        statement="A constant proportion of real data above λ_c keeps the ICL loop stable; "
                  "λ_c grows with depth.",
        steps=steps, result=theorem2_bound(),
        extras=(("tau_n", consts.tau_n), ("c", transformer_c()),
                ("lambda_c", critical_proportion()), ("rate_n", theorem2_bound().rate(n).order)))

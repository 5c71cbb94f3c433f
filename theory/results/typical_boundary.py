r"""The typical-case critical proportion ``λ_c^typ``: an empirical predictor, not a theorem.

L2 (THEORY.md) bounds the recursive stability by ``γ_n^j ≤ τ_n (1 + n_s γ_n^{j−1})`` with
``τ_n`` the *supremum* of ``d_TV(P_{A(S)}, P_{A(S')})`` over neighbouring datasets, so its
critical proportion ``λ_c = 1 − 1/c`` (``τ_n = c/n``) is sufficient: a loop may stay
stable well below it. The typical-case estimate keeps L2's recursion and replaces the
supremum by the constant the loop actually runs at:

    γ^j = τ_typ + ρ_typ γ^{j−1},  γ^0 = τ_typ   ⇒   γ^i/γ^0 = Σ_{k=0}^{i} ρ_typ^k,
    ρ_typ = (1 − λ) c_typ,        λ_c^typ = 1 − 1/c_typ   (0 when c_typ ≤ 1),

with ``τ_typ`` the TV of a random real swap (it cancels from the growth).

``c_typ`` is *defined by measurement*: it is the ``c`` for which L2's growth
``Σ_{k≤i} ((1 − λ_p) c)^k`` equals the growth ``γ̂^i/γ̂^0`` that the loop shows over ``i``
generations at a pilot real share ``λ_p`` (by default one kept real point), under the
loop's own coupling. The growth formula is L2's solved recurrence
(:func:`stl.theory.results.recursive_stability.gamma_in_rho`), divided by ``γ^0 = τ``; it is
not re-derived here.

What the estimate assumes (:data:`ASSUMPTIONS`, as data) and why it is only an estimate:
the loop's growth need not have L2's geometric form at all (a learner whose coupled
differences add up in quadrature grows like a power of ``i``), and the constant that
reproduces it may depend on ``λ`` and on the horizon ``i``. The atlas
(:mod:`stl.verify.checks.atlas`) reports where it locates the observed boundary and where not.

>>> typical_critical_proportion()
Piecewise((1 - 1/c_typ, c_typ > 1), (0, True))
>>> print(to_latex(typical_growth()))                       # Σ_{k≤i} ρ_typ^k
\frac{1 - \left(\left(1 - \lambda\right) c_{\mathrm{typ}}\right)^{i + 1}}{1 - \left(1 - \lambda\right) c_{\mathrm{typ}}}
>>> typical_growth(keeps_real=False)                        # λ = 0: ρ_typ^i
(c_typ*(1 - lam))**i
>>> ESTIMATE.kind
'empirical predictor'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from stl.theory.results.recursive_stability import gamma_in_rho
from stl.theory.symbols import c_typ, growth, lam, lam_c_typ, rho, tau_n, to_latex

#: ``ρ_typ``: L2's growth factor with the typical constant in place of ``n τ_n``.
TYPICAL_RHO = (1 - lam) * c_typ


def typical_growth(keeps_real: bool = True) -> sp.Expr:
    """``γ^i/γ^0`` under L2's recursion at the typical constant (L2's solution over ``τ``)."""
    return (gamma_in_rho(keeps_real) / tau_n).subs(rho, TYPICAL_RHO)


def typical_critical_proportion() -> sp.Expr:
    """``λ_c^typ``: the real proportion where ``ρ_typ = 1`` (clipped at 0 for ``c_typ ≤ 1``)."""
    (root,) = sp.solve(sp.Eq(TYPICAL_RHO, 1), lam)
    return sp.Piecewise((sp.expand(root), c_typ > 1), (0, True))


def pilot_relation() -> sp.Eq:
    """The relation that defines ``c_typ``: the measured growth equals L2's typical growth."""
    return sp.Eq(growth, typical_growth(True), evaluate=False)


@dataclass(frozen=True)
class Assumption:
    """One named premise of the typical-case estimate and what breaks when it fails."""

    name: str
    statement: str
    when_it_fails: str


#: The premises of ``λ_c^typ`` (none of them is proved; the atlas tests their consequence).
ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("recursion form",
               "the loop's expected coupled TV grows by L2's recursion, each differing training point "
               "costing on average c_typ/n instead of the supremum tau_n",
               "a learner whose coupled differences add up in quadrature (most estimators from sums) grows "
               "like a power of i, and the fitted c_typ depends on the horizon"),
    Assumption("one constant for all lambda",
               "the constant the loop runs at does not depend on the real share lambda",
               "c_typ measured at the pilot share differs from the one at the boundary and lambda_c^typ "
               "misses the observed boundary by the difference"),
    Assumption("same horizon and coupling",
               "c_typ is measured over the same number of generations and under the same coupling as the "
               "observed boundary it predicts",
               "the prediction and the observation answer different questions"),
    Assumption("no saturation",
               "the coupled TV stays well below its cap of 1 and the chains stay where the learner is smooth "
               "(no clipping) over the pilot",
               "growth stops for a reason L2 does not model and c_typ is underestimated"),
)


@dataclass(frozen=True)
class TypicalEstimate:
    """``λ_c^typ`` with its defining relation and premises; ``kind`` says it is no theorem."""

    critical: sp.Expr
    rho: sp.Expr
    relation: sp.Eq
    assumptions: tuple[Assumption, ...]
    kind: str = "empirical predictor"
    provenance: str = "derived"
    source: str = "L2, typical case (docs/atlas.md)"

    def latex(self) -> str:
        """``λ_c^typ = 1 − 1/c_typ`` (for ``c_typ > 1``) as LaTeX, through sympy's printer."""
        return to_latex(sp.Eq(lam_c_typ, self.critical.args[0][0], evaluate=False))

    def relation_latex(self) -> str:
        """The relation that defines ``c_typ``, as LaTeX."""
        return to_latex(self.relation, order="none")

    def statement(self) -> str:
        """One paragraph for people: what the estimate is and that it is not a theorem."""
        return ("Empirical predictor (not a theorem): lambda_c^typ = 1 - 1/c_typ, where c_typ is the constant "
                "for which L2's recursion reproduces the loop's own growth of gamma over the horizon; "
                "L2's lambda_c = 1 - 1/c with c = n tau_n (a supremum) stays the sufficient condition. "
                "Assumes: " + "; ".join(a.statement for a in self.assumptions) + ".")


ESTIMATE = TypicalEstimate(typical_critical_proportion(), TYPICAL_RHO, pilot_relation(), ASSUMPTIONS)

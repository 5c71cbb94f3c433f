"""The Corollary: when a self-consuming loop converges, and at which rate in ``n``.

T1 with L2's ``γ_n^{i-1}`` and the rates ``β_n = b/n``, ``τ_n = c/n``,
``d_TV(n) = a n^{-1/2}``; sympy then takes ``i -> oo`` with ``λ`` in (0, 1) and
``ρ = (1-λ) c`` in (0, 1) (both written as ``u/(1+u)``, ``u > 0``, so that the limit
is decidable).

>>> bound = corollary_bound()                                    # THEORY.md Corollary
>>> bound.rate("n").order
1/sqrt(n)
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from stl.theory.assumptions import Condition, Domain
from stl.theory.bound import Bound
from stl.theory.derivation import Derivation, Step
from stl.theory.indexed import l2_premise
from stl.theory.limits import LimSup
from stl.theory.prose import Notation, Prose
from stl.theory.results.recursive_stability import (
    RHO,
    critical_proportion,
    gamma_in_rho,
    limit_below_one,
)
from stl.theory.results.theorem1 import N_S, stability_term, theorem1_bound
from stl.theory.symbols import (
    M,
    a,
    b,
    beta_n,
    c,
    d_tv,
    gamma,
    gen,
    i,
    lam,
    lam_c,
    n,
    n_s,
    rho,
    tau_n,
)

#: The rate substitutions of the Corollary.
RATES = {beta_n: b / n, tau_n: c / n, d_tv: a / sp.sqrt(n)}

STABLE_PHASE = Condition(sp.StrictLessThan((1 - lam) * c, 1), "rho < 1, the stable phase of L2")
#: What the Corollary assumes: T1's hypotheses, D2 for L2, and the rate forms.
COROLLARY_REQUIRES = ("loss", "D1", "D2", "D4", "rates")
#: The limit needs some real data: λ in (0, 1].
LAM_POSITIVE = Domain(lam, sp.Integer(0), sp.Integer(1), low_open=True, high_open=False)


def finite_i_bound() -> Bound:
    """T1 + L2 + the rates, for finite ``i`` (the expression the limit is taken of)."""
    return theorem1_bound(recursive=True).subs(RATES)


@cache
def limit_of_terms() -> tuple[tuple[str, sp.Expr], ...]:
    """Brute force: sympy's ``i -> oo`` limit of each finite-i term (a cross-check).

    ``c = ρ/(1-λ)`` with ``ρ = v/(1+v)`` and ``λ = u/(1+u)`` (``u, v > 0``) tells sympy
    that both geometric ratios lie in (0, 1).
    """
    u, v = sp.Dummy("u", positive=True), sp.Dummy("v", positive=True)
    forward = {rho: v / (1 + v), lam: u / (1 + u)}
    back = {u: lam / (1 - lam), v: rho / (1 - rho)}
    terms = []
    for name, expr in finite_i_bound().terms:
        inner = expr.subs(c, rho / (1 - lam)).subs(forward)
        value = sp.limit(inner, i, sp.oo).subs(back)
        terms.append((name, sp.simplify(sp.simplify(value).subs(rho, (1 - lam) * c))))
    return tuple(terms)


@cache
def structured_limit() -> tuple[tuple[str, sp.Expr], ...]:
    """The same limit taken factor by factor, which keeps T1's shape for printing."""
    u = sp.Dummy("u", positive=True)
    gamma_limit = limit_below_one(gamma_in_rho(True)).subs(rho, RHO)
    stability = stability_term().subs(n_s, N_S).subs(gamma, gamma_limit).subs(RATES)
    geometric = sp.limit((1 - (1 - lam) ** i).subs(lam, u / (1 + u)), i, sp.oo)
    shift = (1 - lam) * M * d_tv * geometric / lam
    return (("stability", stability), ("shift", shift.subs(RATES)))


def corollary_bound() -> Bound:
    """The ``i -> oo`` limit of T1 under the Corollary's rates, for ``(1-λ) c < 1``."""
    return Bound(structured_limit(), "Corollary",
                 lhs=LimSup(sp.Abs(gen(i)), i, sp.oo, "-"),
                 assumptions=(LAM_POSITIVE,), conditions=(STABLE_PHASE,),
                 description="limit over generations of the T1 bound",
                 premises=(l2_premise(),), provenance="derived", requires=COROLLARY_REQUIRES)


def derivation() -> Derivation:
    finite = finite_i_bound()
    limit = corollary_bound()
    collapse = sp.limit(finite.term("shift"), lam, 0, "+")
    steps = (
        Step(sp.Eq(beta_n, b / n, evaluate=False), "stable learner"),
        Step(sp.Eq(tau_n, c / n, evaluate=False), "TV-stable learner"),
        Step(sp.Eq(d_tv, a / sp.sqrt(n), evaluate=False), "parametric learnability"),
        Step(finite.statement(),
             Prose.of("T1 with L2's bound on ", gamma, " and the three rates")),
        Step(sp.Eq(sp.Limit(finite.rhs(), i, sp.oo), limit.rhs(), evaluate=False),
             Prose.of(Notation(r"i \to \infty", "i → ∞"), " with ", STABLE_PHASE.relation,
                      " and ", sp.StrictGreaterThan(lam, 0),
                      ": both geometric factors vanish"), kind="limit"),
        Step(sp.Order(limit.expr, (n, sp.oo)),
             Prose.of("leading order in ", n, ": ", sp.Order(1 / sp.sqrt(n), (n, sp.oo)),
                      " uniformly in the number of generations")),
        Step(sp.Eq(sp.Limit(finite.term("shift"), lam, 0, "+"), collapse, evaluate=False),
             Prose.of(sp.Eq(lam, 0, evaluate=False), ": the shift term grows linearly in ",
                      i, " (collapse)"), kind="limit"),
        Step(sp.Eq(lam_c, critical_proportion(), evaluate=False),
             Prose.of(sp.StrictGreaterThan(lam, lam_c), " keeps ",
                      sp.StrictLessThan(sp.Eq(rho, (1 - lam) * c, evaluate=False).rhs, 1),
                      "; below it the stability term grows like ", rho ** i)),
    )
    return Derivation(
        name="corollary", title="When a self-consuming loop converges", source="Corollary",
        statement="With a constant proportion of real data above the critical value the "
                  "error stays O(n^{-1/2}) for all generations.",
        steps=steps, result=limit,
        extras=(("lambda_c", critical_proportion()), ("rate_n", limit.rate(n).order)))

"""L2, recursive stability from TV-stability, with its phase transition.

The recurrence ``γ_n^j <= τ_n (e + ρ γ_n^{j-1})``, ``γ_n^0 <= τ_n`` with
``ρ = (1-λ) n τ_n`` is solved by ``sympy.rsolve`` for ``e = 1`` (a non-empty kept real
subset, λ > 0) and ``e = 0`` (λ = 0: no real point survives, no leading 1).

>>> bound = recursive_stability_bound()                 # THEORY.md L2
>>> bound.subs(lam=0).expr                               # λ = 0: geometric, no leading 1
tau_n*(n*tau_n)**i
>>> critical_proportion()                                # λ_c = 1 - 1/c
1 - 1/c
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from stl.theory.bound import Bound, SpecialCase
from stl.theory.derivation import Derivation, Step
from stl.theory.prose import Prose
from stl.theory.symbols import c, g_seq, i, j, k, lam, lam_c, n, n_s, rho, tau_n

#: What L2 assumes (named hypotheses of :mod:`stl.theory.definitions`).
L2_REQUIRES = ("D2", "coupling")

#: ρ in the public symbols.
RHO = (1 - lam) * n * tau_n


@cache
def _solve(keeps_real: bool) -> sp.Expr:
    lead = 1 if keeps_real else 0
    recurrence = g_seq(j) - rho * g_seq(j - 1) - lead * tau_n
    solution = sp.rsolve(recurrence, g_seq(j), {g_seq(0): tau_n})
    if solution is None:  # pragma: no cover - sympy regression guard
        raise RuntimeError("sympy could not solve the L2 recurrence")
    return sp.simplify(solution.subs(j, i))


def gamma_in_rho(keeps_real: bool = True) -> sp.Expr:
    """``γ_n^i`` bound in terms of ``ρ`` and ``τ_n`` (from rsolve)."""
    solved = _solve(keeps_real)
    if not keeps_real:
        return solved
    # rsolve's (ρ^{i+1} - 1)/(ρ - 1) is the textbook (1 - ρ^{i+1})/(1 - ρ): fold signs
    return _tidy_ratio(solved)


def _tidy_ratio(expr: sp.Expr) -> sp.Expr:
    """Flip the signs of numerator and denominator of ``τ (ρ^{i+1} - 1)/(ρ - 1)``."""
    num, den = sp.fraction(sp.factor(expr / tau_n))
    flipped = tau_n * sp.powsimp(sp.expand(-num)) / sp.expand(-den)
    if sp.simplify(flipped - expr) != 0:  # pragma: no cover - guards the rewrite
        raise RuntimeError("sign flip changed the expression")
    return flipped


def gamma_sum(keeps_real: bool = True) -> sp.Expr:
    """The same bound as the raw sum ``τ_n (e Σ_{k<i} ρ^k + ρ^i)`` (numeric fallback)."""
    lead = 1 if keeps_real else 0
    return tau_n * (lead * sp.Sum(rho ** k, (k, 0, i - 1)) + rho ** i)


def recursive_stability_bound(keeps_real: bool = True, generation: sp.Expr = i) -> Bound:
    """L2 as a :class:`Bound` on ``γ_n^{generation}`` in the public symbols (``ρ`` expanded).

    With ``keeps_real`` the bound carries the λ = 0 special case, where the leading 1
    disappears; ``ρ = 1`` is a removable singularity resolved by the limit (linear growth).
    ``generation = i - 1`` gives the form T1 uses for ``γ_n^{i-1}``.
    """
    general = gamma_in_rho(True).subs(rho, RHO).subs(i, generation)
    without_real = Bound((("stability", gamma_in_rho(False).subs(rho, RHO).subs(i, generation)),),
                         "L2", lhs=g_seq(generation), description="recursive stability, λ = 0",
                         provenance="derived", requires=L2_REQUIRES)
    if not keeps_real:
        return without_real
    case = SpecialCase(lam, sp.Integer(0), without_real.subs(lam=0),
                       "with λ = 0 no real point reaches generation j >= 1")
    return Bound((("stability", general),), "L2", lhs=g_seq(generation), special_cases=(case,),
                 description="recursive stability after i generations", provenance="derived",
                 requires=L2_REQUIRES)


def critical_proportion() -> sp.Expr:
    """``λ_c`` solving ``ρ = 1`` once ``τ_n = c/n`` (THEORY.md L2)."""
    (solution,) = sp.solve(sp.Eq(RHO.subs(tau_n, c / n), 1), lam)
    return sp.expand(solution)


def limit_below_one(expr: sp.Expr) -> sp.Expr:
    """``lim_{i->oo}`` for 0 < ρ < 1, via ρ = u/(1+u) with u > 0 (so sympy knows ρ < 1)."""
    u = sp.Dummy("u", positive=True)
    inner = sp.limit(expr.subs(rho, u / (1 + u)), i, sp.oo)
    return _tidy_ratio(sp.simplify(inner.subs(u, rho / (1 - rho))))


def derivation() -> Derivation:
    general = gamma_in_rho(True)
    linear = sp.limit(general, rho, 1)
    steps = (
        Step(sp.LessThan(g_seq(j), tau_n * (1 + rho * g_seq(j - 1)), evaluate=False),
             Prose.of("under the recursive maximal coupling the two training sets of "
                      "generation ", j, " differ in one kept real point and, in expectation, ",
                      n_s * g_seq(j - 1), " synthetic points; a path of single swaps costs ",
                      tau_n, " each (D2)")),
        Step(sp.LessThan(g_seq(0), tau_n, evaluate=False), "generation 0: D2 directly"),
        Step(sp.Eq(rho, RHO, evaluate=False),
             Prose.of(sp.Eq(rho, n_s * tau_n, evaluate=False), " with ",
                      sp.Eq(n_s, (1 - lam) * n, evaluate=False))),
        Step(sp.Eq(g_seq(i), general, evaluate=False),
             "solving the recurrence with equality (sympy rsolve)"),
        Step(sp.Eq(g_seq(i), gamma_in_rho(False), evaluate=False),
             Prose.of(sp.Eq(lam, 0, evaluate=False), ": the kept real subset is empty, the "
                      "recurrence is ", sp.LessThan(g_seq(j), rho * g_seq(j - 1), evaluate=False))),
        Step(sp.Eq(sp.Limit(general, rho, 1), linear, evaluate=False),
             Prose.of(sp.Eq(rho, 1, evaluate=False), " is the boundary: linear growth in ", i),
             kind="limit"),
        Step(sp.Eq(sp.Limit(general, i, sp.oo), limit_below_one(general), evaluate=False),
             Prose.of(sp.StrictLessThan(rho, 1), ": ", g_seq(i), " stays ", sp.Order(tau_n),
                      " for all ", i, "; ", sp.StrictGreaterThan(rho, 1), " grows like ", rho ** i),
             kind="limit"),
        Step(sp.Eq(lam_c, critical_proportion(), evaluate=False),
             Prose.of("with ", sp.Eq(tau_n, c / n, evaluate=False), ", ",
                      sp.Eq(rho, (1 - lam) * c, evaluate=False),
                      " equals 1 at the critical real proportion")),
    )
    return Derivation(
        name="recursive-stability", title="Recursive stability from TV-stability",
        source="L2",
        statement="How a one-point change in S_0 propagates through the generations.",
        steps=steps, result=recursive_stability_bound(),
        extras=(("rho", RHO), ("lambda_c", critical_proportion())))

"""L1, the cumulative distribution shift, solved from its recurrence.

``a_j <= d_TV(n) + (1 - λ) a_{j-1}``, ``a_0 <= d_TV(n)`` is solved by ``sympy.rsolve``;
the closed form is never typed in. :func:`shift_sum` gives the same quantity as the
finite geometric sum (the numeric fallback the tests hold the closed form against).

>>> shift_closed_form().subs({lam: sp.Rational(1, 2), d_tv: 1, i: 2})   # THEORY.md L1
7/4
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from stl.theory.bound import Bound
from stl.theory.derivation import Derivation, Step
from stl.theory.prose import Notation, Prose
from stl.theory.symbols import a_seq, d_tv, i, j, k, lam


#: The mixture a generation trains on, and the triangle inequality through it (L1's step).
MIXTURE = Notation(r"\tilde{D}_{j} = \lambda D_{0} + (1 - \lambda) P_{\theta_{j-1}}",
                   "D~_j = λ D_0 + (1-λ) P_θ(j-1)")
TRIANGLE = Notation(r"d_{\mathrm{TV}}(P_{\theta_{j}}, D_{0}) \leq d_{\mathrm{TV}}(P_{\theta_{j}}, "
                    r"\tilde{D}_{j}) + (1 - \lambda) d_{\mathrm{TV}}(P_{\theta_{j-1}}, D_{0})",
                    "d_TV(P_θj, D_0) <= d_TV(P_θj, D~_j) + (1-λ) d_TV(P_θ(j-1), D_0)")


@cache
def _solved() -> sp.Expr:
    recurrence = a_seq(j) - (1 - lam) * a_seq(j - 1) - d_tv
    solution = sp.rsolve(recurrence, a_seq(j), {a_seq(0): d_tv})
    if solution is None:  # pragma: no cover - sympy regression guard
        raise RuntimeError("sympy could not solve the L1 recurrence")
    # rsolve leaves (d λ - d)(1-λ)^j / λ + d/λ; collect the powers of (1 - λ)
    return sp.factor(sp.powsimp(sp.expand(solution.subs(j, i)), combine="exp"),
                     deep=False)


def shift_closed_form() -> sp.Expr:
    """``a_i`` bound in closed form, from ``rsolve`` (valid for λ in (0, 1])."""
    return geometric_form(_solved(), lam, i, d_tv / lam)


def geometric_form(expr: sp.Expr, lam_: sp.Symbol, index: sp.Expr, scale: sp.Expr) -> sp.Expr:
    """Rewrite ``scale (c0 + c1 (1-λ)^index)`` as ``scale (c0 + c1/(1-λ) (1-λ)^(index+1))``.

    rsolve returns powers ``(1-λ)^i`` with a coefficient that carries another factor
    ``(1-λ)``; folding it into the power gives the textbook geometric-sum form. The
    rewrite is checked to be an identity before it is returned.
    """
    power = sp.Dummy("P")
    body = sp.expand(sp.cancel(expr / scale)).subs((1 - lam_) ** index, power)
    c0, c1 = body.subs(power, 0), sp.cancel(body.coeff(power) / (1 - lam_))
    rewritten = scale * (c0 + c1 * (1 - lam_) ** (index + 1))
    if sp.simplify(rewritten - expr) != 0:  # pragma: no cover - guards the rewrite
        raise RuntimeError("geometric rewrite changed the expression")
    return rewritten


def shift_sum(upper: sp.Expr = i) -> sp.Expr:
    """The same bound as the raw geometric sum ``d_TV(n) Σ_{k=0}^{upper} (1-λ)^k``."""
    return d_tv * sp.Sum((1 - lam) ** k, (k, 0, upper))


def shift_bound() -> Bound:
    """L1 as a :class:`Bound` on ``a_i = E d_TV(P_{θ_i}, D_0)`` (single term ``shift``)."""
    return Bound((("shift", shift_closed_form()),), "L1", lhs=a_seq(i),
                 description="cumulative distribution shift after i generations",
                 provenance="derived", requires=("D4",))


def derivation() -> Derivation:
    closed = shift_closed_form()
    steps = (
        Step(sp.LessThan(a_seq(j), d_tv + (1 - lam) * a_seq(j - 1), evaluate=False),
             Prose.of("triangle inequality through the mixture ", MIXTURE, ": ", TRIANGLE,
                      ", then D4 in expectation")),
        Step(sp.LessThan(a_seq(0), d_tv, evaluate=False),
             "generation 0 is fitted to real data: D4"),
        Step(sp.Eq(a_seq(i), _solved(), evaluate=False),
             Prose.of("solving the recurrence with equality (sympy rsolve); the solution of "
                      "the equality dominates any sequence satisfying the inequality because ",
                      sp.GreaterThan(1 - lam, 0, evaluate=False))),
        Step(sp.Eq(_solved(), closed, evaluate=False),
             "the same closed form written as a geometric series sum", kind="identity"),
        Step(sp.Eq(sp.Limit(closed, lam, 0, "+"), sp.limit(closed, lam, 0, "+"),
                   evaluate=False),
             Prose.of(Notation(r"\lambda \to 0", "λ → 0"), " (no real data): the shift grows "
                      "linearly in ", i, ", the collapse regime"), kind="limit"),
        Step(sp.LessThan(closed, d_tv / lam, evaluate=False),
             Prose.of("any constant ", sp.StrictGreaterThan(lam, 0), " keeps the shift below ",
                      d_tv / lam, " for every ", i)),
    )
    return Derivation(
        name="shift", title="Cumulative distribution shift", source="L1",
        statement="The expected TV distance between generation i and the real distribution.",
        steps=steps, result=shift_bound())

"""T3, the optimal number of synthetic samples for a fixed number of real ones.

With ``t = n_r + n_s``, ``λ = n_r/t`` and the stability terms dropped, T1' as
``i -> oo`` becomes ``B(t) = A t^{-1/2} + (C/n_r)(t - n_r) t^{-1/2}``, where
``A = c_0 M sqrt(log(1/δ))`` and ``C = M a``. ``B`` is derived from T1' here and its
stationary point is found by ``sympy.solve(dB/dt = 0)``.

>>> optimal_synthetic_size().subs({A: 5, C: 1, n_r: 100})      # THEORY.md T3
300
>>> optimal_synthetic_size().subs({A: 3, C: 2, n_r: 100})      # A <= 2C: no synthetic data
0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from stl.theory.assumptions import Domain, domain_of
from stl.theory.bound import Bound
from stl.theory.derivation import Derivation, Step
from stl.theory.limits import LimSup
from stl.theory.results.corollary import RATES
from stl.theory.results.recursive_stability import recursive_stability_bound
from stl.theory.prose import Notation, Prose
from stl.theory.results.theorem1_rate import (
    T1_RATE_REQUIRES,
    shift_in_probability,
    theorem1_rate_bound,
)
from stl.theory.symbols import (
    A,
    C,
    M,
    a,
    beta_n,
    bound_t,
    c_0,
    d_tv,
    delta,
    gamma,
    gen_error,
    i,
    lam,
    n,
    n_r,
    n_s,
    n_s_star,
    t,
    tau_n,
)
from stl.theory.symbols import t_star as t_opt_symbol

#: T3's constants in the public symbols.
A_VALUE = c_0 * M * sp.sqrt(sp.log(1 / delta))
C_VALUE = M * a
#: n and λ as functions of the sizes (THEORY.md T3).
SIZES = {n: t, lam: n_r / t}
#: T3 fixes a positive number of real samples (λ = n_r/n, and B has C/n_r): n_r > 0.
N_R_POSITIVE = Domain(n_r, sp.Integer(0), sp.oo, low_open=True)


def in_sizes(expr: sp.Expr, total: sp.Expr = n_r + n_s) -> sp.Expr:
    """Write ``n = total`` and ``λ = n_r/total`` (and ``1-λ`` as ``(total-n_r)/total``)."""
    return expr.subs(1 - lam, (total - n_r) / total).subs({n: total, lam: n_r / total})


@cache
def objective_in_t() -> sp.Expr:
    """``B(t)`` derived from T1': stability terms dropped, ``i -> oo``, ``d_TV = a t^{-1/2}``."""
    rate = theorem1_rate_bound()
    concentration = rate.term("concentration")
    shift_limit = rate.only("shift").limit(i, sp.oo).expr
    total = in_sizes((concentration + shift_limit).subs(d_tv, RATES[d_tv]), t)
    total = sp.expand(sp.powsimp(sp.expand(total), force=True))
    # name the two constant groups A and C (an exact rewrite, checked below)
    u = sp.Dummy("u", positive=True)
    in_ac = sp.expand(total.subs(c_0, u * A / (M * sp.sqrt(sp.log(1 / delta)))).subs(u, 1)
                      .subs(a, C / M))
    if sp.simplify(in_ac.subs({A: A_VALUE, C: C_VALUE}) - total) != 0:  # pragma: no cover
        raise RuntimeError("renaming T3's constants changed the objective")
    return in_ac


def objective_in_ns() -> sp.Expr:
    """``B`` as a function of ``n_s`` (public symbols ``c_0, M, delta, a, n_r, n_s``)."""
    return objective_in_t().subs(t, n_r + n_s).subs({A: A_VALUE, C: C_VALUE})


@cache
def stationary_point() -> sp.Expr:
    """``t*`` solving ``dB/dt = 0`` (the unique positive root, valid when ``A > C``)."""
    roots = sp.solve(sp.Eq(sp.diff(objective_in_t(), t), 0), t)
    if len(roots) != 1:  # pragma: no cover - B' has one root in t > 0
        raise RuntimeError(f"expected one stationary point, got {roots}")
    return sp.factor(roots[0])


@cache
def optimal_synthetic_size() -> sp.Expr:
    """``n_s*`` in ``A, C, n_r``: ``t* - n_r`` when that is positive, else 0."""
    unconstrained = sp.expand(stationary_point() - n_r)
    # t* > n_r  <=>  unconstrained > 0; solve that for A to name the regime
    (threshold,) = sp.solve(sp.Eq(unconstrained, 0), A)
    return sp.Piecewise((unconstrained, A > threshold), (sp.Integer(0), True))


def optimal_ratio() -> sp.Expr:
    """Optimal synthetic-to-real ratio ``n_s*/n_r`` in the regime ``A > 2C``."""
    return sp.expand(optimal_synthetic_size().args[0][0] / n_r)


def optimal_synthetic_size_public() -> sp.Expr:
    """``n_s*`` in the public symbols ``c_0, M, delta, a, n_r``."""
    (value, condition), (otherwise, _) = optimal_synthetic_size().args
    values = {A: A_VALUE, C: C_VALUE}
    # M > 0 cancels from both sides of A > 2C
    relation = condition.subs(values)
    relation = relation.func(sp.cancel(relation.lhs / M), sp.cancel(relation.rhs / M))
    return sp.Piecewise((sp.expand(value.subs(values)), relation), (otherwise, True))


def optimal_size_value(n_real: float, c0: float, loss_bound: float, delta_: float,
                       a_: float) -> float:
    """``n_s*`` as a float for numbers; each number is checked against its domain.

    >>> round(optimal_size_value(100, 1, 1, 0.01, 0.25), 2)          # THEORY.md T3
    658.39
    """
    values = {n_r: n_real, c_0: c0, M: loss_bound, delta: delta_, a: a_}
    for symbol, value in values.items():
        (N_R_POSITIVE if symbol == n_r else domain_of(symbol)).check(value)
    big_a = float(A_VALUE.subs({c_0: c0, M: loss_bound, delta: delta_}))
    big_c = float(C_VALUE.subs({M: loss_bound, a: a_}))
    return float(_optimum_function()(big_a, big_c, float(n_real)))


@cache
def _optimum_function():
    return sp.lambdify((A, C, n_r), optimal_synthetic_size(), modules="math")


def optimum_statement() -> Prose:
    """``n_s*`` and when it is positive, in words and formulas (printed with T3's bound)."""
    ratio = optimal_ratio()
    (_, positive), _ = optimal_synthetic_size().args
    return Prose.of("The bound is smallest at ", sp.Eq(n_s_star, n_r * ratio, evaluate=False),
                    " when ", positive, ", that is when ",
                    sp.StrictGreaterThan(c_0 * sp.sqrt(sp.log(1 / delta)), 2 * a),
                    ", and at ", sp.Eq(n_s_star, 0, evaluate=False),
                    " otherwise: the optimal synthetic-to-real ratio is ", ratio, ".")


#: What T3 assumes: T1''s hypotheses and its regime.
T3_REQUIRES = (*T1_RATE_REQUIRES, "regime")


@cache
def optimal_size_bound() -> Bound:
    """T3's objective as a bound in ``n_s`` (terms ``concentration`` and ``shift``)."""
    rate = theorem1_rate_bound()
    concentration = in_sizes(rate.term("concentration"))
    shift = in_sizes(rate.only("shift").limit(i, sp.oo).expr.subs(d_tv, RATES[d_tv]))
    return Bound((("concentration", concentration), ("shift", shift)), "T3",
                 lhs=LimSup(sp.Abs(gen_error(i)), i, sp.oo, "-"),
                 assumptions=(N_R_POSITIVE,), hides_constants=True, confidence=1 - delta,
                 confidence_terms=("concentration",),
                 description="T1' as i -> oo without stability terms, as a function of n_s",
                 provenance="derived", requires=T3_REQUIRES,
                 remarks=(shift_in_probability(("concentration",)), optimum_statement()),
                 defined=((A, A_VALUE), (C, C_VALUE)))


def finite_generation_bound() -> Bound:
    """T1' at a finite generation ``i`` with all terms, as a function of ``n_s``.

    ``γ_n^{i-1}`` comes from L2 and the rates ``β_n = b/n``, ``τ_n = c/n``,
    ``d_TV = a n^{-1/2}``; ``n = n_r + n_s`` and ``λ = n_r/n``. It has no closed-form
    minimizer: minimize it numerically (e.g. ``lambdify`` then scipy).
    """
    rate = theorem1_rate_bound()
    previous = recursive_stability_bound().expr.subs(i, i - 1)
    terms = []
    for name, expr in rate.terms:
        expr = expr.subs(gamma, previous).subs(RATES).subs({beta_n: RATES[beta_n],
                                                           tau_n: RATES[tau_n]})
        terms.append((name, in_sizes(expr)))
    return Bound(tuple(terms), "T3", lhs=sp.Abs(gen_error(i)), hides_constants=True,
                 confidence=1 - delta, confidence_terms=("stability", "concentration"),
                 assumptions=(N_R_POSITIVE,),
                 description="T1' at generation i as a function of n_s",
                 provenance="derived", requires=T1_RATE_REQUIRES,
                 remarks=(shift_in_probability(),))


@dataclass(frozen=True)
class Posynomial:
    """``B(t) = Σ coefficient_k t^{exponent_k}`` subject to ``n_r t^{-1} <= 1``.

    A geometric program when every coefficient is positive, i.e. when ``A > C``:
    minimize the posynomial over ``t > 0`` with the monomial constraint ``t >= n_r``.
    """

    variable: sp.Symbol
    monomials: tuple[tuple[sp.Expr, sp.Expr], ...]
    constraint: sp.Expr
    valid_when: sp.Basic

    def expr(self) -> sp.Expr:
        return sp.Add(*(coef * self.variable ** power for coef, power in self.monomials))


def geometric_program() -> Posynomial:
    """T3's objective as a posynomial in ``t`` (cvxpy ``gp=True`` form)."""
    poly = sp.collect(sp.expand(objective_in_t()), t, evaluate=False)
    monomials = []
    for power_term, coefficient in poly.items():
        _, exponent = power_term.as_base_exp()
        monomials.append((sp.factor(coefficient), exponent))
    monomials.sort(key=lambda pair: float(pair[1]))
    return Posynomial(t, tuple(monomials), n_r / t, A > C)


def derivation() -> Derivation:
    objective = objective_in_t()
    derivative = sp.together(sp.diff(objective, t))
    t_star = stationary_point()
    n_star = optimal_synthetic_size()
    curvature = sp.factor(sp.diff(objective, t, 2).subs(t, t_star))
    w, r = sp.Dummy("w", positive=True), sp.Dummy("r", positive=True)
    if not sp.simplify(curvature.subs({A: C * (1 + w), n_r: r})).is_positive:  # pragma: no cover
        raise RuntimeError("T3's stationary point is not a minimum for A > C")
    steps = (
        Step(sp.Eq(A, A_VALUE, evaluate=False), "constant of the concentration term"),
        Step(sp.Eq(C, C_VALUE, evaluate=False), "constant of the shift term"),
        Step(sp.Eq(bound_t(t), objective, evaluate=False),
             Prose.of("T1' with ", Notation(r"i \to \infty", "i → ∞"), ", stability terms "
                      "dropped, ", sp.Eq(n, t, evaluate=False), " with ",
                      sp.Eq(t, n_r + n_s, evaluate=False), ", ",
                      sp.Eq(lam, n_r / t, evaluate=False), " and ",
                      sp.Eq(d_tv, a / sp.sqrt(t), evaluate=False))),
        Step(sp.Eq(sp.Derivative(bound_t(t), t), derivative, evaluate=False),
             "stationarity condition"),
        Step(sp.Eq(t, t_star, evaluate=False),
             Prose.of("its positive root (sympy solve), for ", sp.StrictGreaterThan(A, C))),
        Step(sp.Eq(sp.Subs(sp.Derivative(bound_t(t), (t, 2)), t, t_star), curvature,
                   evaluate=False),
             Prose.of("the second derivative at ", t_opt_symbol, " is positive for ",
                      sp.StrictGreaterThan(A, C), ": a minimum")),
        Step(sp.Eq(n_s, n_star, evaluate=False),
             Prose.of(sp.Eq(n_s_star, t_opt_symbol - n_r, evaluate=False), " when ",
                      t_opt_symbol, " exceeds ", n_r, ", else the boundary ",
                      sp.Eq(n_s, 0, evaluate=False), " (", bound_t(t), " increases on ",
                      sp.GreaterThan(t, n_r), ")")),
        Step(sp.Eq(n_s / n_r, optimal_ratio(), evaluate=False),
             Prose.of("optimal synthetic-to-real ratio when ", sp.StrictGreaterThan(A, 2 * C))),
    )
    return Derivation(
        name="optimal-size", title="Optimal synthetic data size", source="T3",
        statement="For n_r real samples, the number of synthetic samples that minimizes the "
                  "bound in the regime of negligible stability terms and many generations.",
        steps=steps, result=optimal_size_bound(),
        extras=(("n_s_opt", optimal_synthetic_size_public()),
                ("t_opt", sp.cancel(t_star.subs({A: A_VALUE, C: C_VALUE})))),
    )


__all__ = [
    "A_VALUE", "C_VALUE", "Posynomial", "derivation", "finite_generation_bound",
    "geometric_program", "objective_in_ns", "objective_in_t", "optimal_ratio",
    "optimal_size_bound", "optimal_size_value", "optimal_synthetic_size",
    "optimal_synthetic_size_public", "stationary_point"
]

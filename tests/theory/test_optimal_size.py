"""T3: the closed-form optimum against brute-force minimization of the same expression."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar

from stl.theory.results.optimal_size import (
    A_VALUE,
    C_VALUE,
    derivation,
    finite_generation_bound,
    geometric_program,
    objective_in_ns,
    objective_in_t,
    optimal_ratio,
    optimal_size_bound,
    optimal_size_value,
    optimal_synthetic_size,
    optimal_synthetic_size_public,
    stationary_point,
)
from stl.theory.symbols import A, C, M, a, c_0, delta, n_r, n_s, t


def stated_objective(t_value, a_const, c_const, n_real):
    """THEORY.md T3: B(t) = A t^{-1/2} + (C/n_r)(t - n_r) t^{-1/2}."""
    return a_const / math.sqrt(t_value) + (c_const / n_real) * (t_value - n_real) / math.sqrt(t_value)


def test_objective_is_the_stated_one(points):
    function = sp.lambdify((t, A, C, n_r), objective_in_t())
    for _ in range(100):
        args = (points.uniform(1, 1e4), points.uniform(0.1, 10), points.uniform(0.1, 10),
                points.uniform(1, 1e3))
        assert math.isclose(function(*args), stated_objective(*args), rel_tol=1e-12)


def test_public_objective_matches_the_bound_object(points):
    bound = optimal_size_bound()
    assert bound.hides_constants and bound.source == "T3"
    assert sp.simplify(bound.expr - objective_in_ns()) == 0
    objective = sp.lambdify((n_s, n_r, A, C), objective_in_t().subs(t, n_r + n_s))
    function = bound.lambdify()
    for _ in range(50):
        row = {"n_s": points.uniform(0, 1e4), "n_r": points.uniform(1, 1e3),
                   "c_0": points.uniform(0.1, 5), "M": points.uniform(0.1, 5),
                   "delta": points.uniform(1e-6, 0.9), "a": points.uniform(0.05, 3)}
        big_a = row["c_0"] * row["M"] * math.sqrt(math.log(1 / row["delta"]))
        big_c = row["M"] * row["a"]
        assert math.isclose(function(**row), objective(row["n_s"], row["n_r"], big_a, big_c),
                            rel_tol=1e-10)


def test_closed_form_optimum_matches_brute_force(points):
    optimum = sp.lambdify((A, C, n_r), optimal_synthetic_size(), modules="math")
    objective = sp.lambdify((n_s, n_r, A, C), objective_in_t().subs(t, n_r + n_s))
    checked = {"interior": 0, "boundary": 0}
    for _ in range(120):
        n_real = points.uniform(1, 1000)
        big_c = points.uniform(0.1, 5)
        big_a = big_c * points.uniform(0.5, 8)
        closed = optimum(big_a, big_c, n_real)
        upper = max(10 * closed, 10 * n_real)
        result = minimize_scalar(objective, args=(n_real, big_a, big_c),
                                 bounds=(0, upper), method="bounded",
                                 options={"xatol": 1e-10 * upper})
        grid = np.linspace(0, upper, 20001)
        best_grid = grid[np.argmin(objective(grid, n_real, big_a, big_c))]
        # the bound's value at the closed form is the smallest found by either search
        value = objective(closed, n_real, big_a, big_c)
        assert value <= objective(result.x, n_real, big_a, big_c) + 1e-12 * abs(value)
        assert value <= objective(best_grid, n_real, big_a, big_c) + 1e-12 * abs(value)
        assert abs(result.x - closed) <= 1e-5 * upper
        checked["interior" if big_a > 2 * big_c else "boundary"] += 1
        if big_a <= 2 * big_c:
            assert closed == 0
    assert min(checked.values()) > 10  # both regimes were exercised


def test_stationarity_and_ratio():
    t_star = stationary_point()
    assert sp.simplify(sp.diff(objective_in_t(), t).subs(t, t_star)) == 0
    assert sp.simplify(optimal_ratio() - (A / C - 2)) == 0  # THEORY.md T3
    assert optimal_synthetic_size().subs({A: 5, C: 1, n_r: 100}) == 300
    assert optimal_synthetic_size().subs({A: 2, C: 1, n_r: 100}) == 0


def test_public_optimum_and_value_helper(points):
    for _ in range(20):
        values = {n_r: points.integer(1, 500), c_0: points.uniform(0.5, 3), M: 1.0,
                  delta: points.uniform(1e-4, 0.5), a: points.uniform(0.05, 1)}
        big_a = float(A_VALUE.subs(values))
        big_c = float(C_VALUE.subs(values))
        expected = values[n_r] * (big_a / big_c - 2) if big_a > 2 * big_c else 0.0
        got = float(optimal_synthetic_size_public().subs(values))
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(optimal_size_value(values[n_r], values[c_0], values[M],
                                               values[delta], values[a]),
                            expected, rel_tol=1e-12, abs_tol=1e-12)
    with pytest.raises(ValueError):
        optimal_size_value(100, 1, 1, 0, 0.5)  # delta = 0 is refused


def test_zero_real_samples_is_refused():
    """T3 fixes n_r > 0 real samples (λ = n_r/n and B carries C/n_r); n_r = 0 used to
    pass the domain check and fail later as an unrelated 'limit' error."""
    from stl.theory.errors import AssumptionError

    for bound in (optimal_size_bound(), finite_generation_bound()):
        with pytest.raises(AssumptionError, match="n_r"):
            bound.subs(n_r=0)
    with pytest.raises(AssumptionError, match="n_r"):
        optimal_size_value(0, 1, 1, 0.01, 0.25)
    assert optimal_size_bound().subs(n_r=sp.Rational(1, 2)).free_symbols  # any n_r > 0 is fine


def test_geometric_program_form(points):
    program = geometric_program()
    assert sp.simplify(program.expr() - objective_in_t()) == 0
    assert program.constraint == n_r / t
    for coefficient, _ in program.monomials:
        # positive exactly when A > C (the GP's validity condition)
        assert coefficient.subs({A: 3, C: 1, n_r: 10}) > 0


def test_finite_generation_bound_is_minimizable(points):
    bound = finite_generation_bound()
    function = bound.lambdify()
    fixed = {"n_r": 100, "i": 50, "c_0": 1.0, "M": 1.0, "delta": 0.05, "b": 0.5, "c": 0.5, "a": 0.3}
    grid = np.linspace(0, 5000, 5001)
    values = function(n_s=grid, **fixed)
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert 0 < grid[np.argmin(values)] < 5000  # an interior optimum for these constants
    best = minimize_scalar(lambda x: function(n_s=x, **fixed), bounds=(0, 5000),
                           method="bounded", options={"xatol": 1e-6})
    assert best.fun <= values.min() * (1 + 1e-9)


def test_derivation_extras():
    extras = dict(derivation().extras)
    assert set(extras) == {"n_s_opt", "t_opt"}


def test_rate_in_the_synthetic_size():
    # concentration falls like n_s^{-1/2}, the shift grows like n_s^{1/2}: the bound grows
    assert optimal_size_bound().rate(n_s).order == sp.sqrt(n_s)

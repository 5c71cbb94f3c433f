"""T2: Gaussian TV (exact and linear bound), transformer constants, instantiation."""

from __future__ import annotations

import math

import sympy as sp
from scipy import integrate, stats

from stl.theory.models import transformer
from stl.theory.models.gaussian import gaussian_tv, tv_linear_bound
from stl.theory.results.corollary import corollary_bound
from stl.theory.results.theorem2 import (
    critical_proportion,
    derivation,
    theorem2_bound,
    theorem2_finite_bound,
    transformer_c,
)
from stl.theory.symbols import Gamma, L, c, c_A, kappa, m, n, sigma_s, tau_n


def numeric_tv(mean_a, mean_b, std):
    """Half the L1 distance of the two densities, by quadrature."""
    def gap(x):
        return abs(stats.norm.pdf(x, mean_a, std) - stats.norm.pdf(x, mean_b, std))

    centre, span = (mean_a + mean_b) / 2, abs(mean_a - mean_b) + 12 * std
    value, _ = integrate.quad(gap, centre - span, centre + span, points=[centre],
                              epsabs=1e-13, epsrel=1e-12, limit=200)
    return value / 2


def test_exact_gaussian_tv_matches_quadrature_and_phi_form(points):
    x, y, s = sp.symbols("x y s", real=True)
    exact = sp.lambdify((x, y, s), gaussian_tv(x, y, s), modules="math")
    for _ in range(15):
        a_, b_, s_ = points.uniform(-3, 3), points.uniform(-3, 3), points.uniform(0.2, 3)
        phi_form = 2 * stats.norm.cdf(abs(a_ - b_) / (2 * s_)) - 1  # THEORY.md T2
        assert math.isclose(exact(a_, b_, s_), phi_form, rel_tol=1e-10, abs_tol=1e-13)
        assert math.isclose(exact(a_, b_, s_), numeric_tv(a_, b_, s_), abs_tol=1e-8)
        linear = abs(a_ - b_) / (s_ * math.sqrt(2 * math.pi))
        assert exact(a_, b_, s_) <= linear + 1e-15
        bound = float(tv_linear_bound(abs(a_ - b_), s_))
        assert math.isclose(bound, linear, rel_tol=1e-12)


def test_transformer_tau_is_the_stated_product(points):
    function = sp.lambdify((m, kappa, Gamma, L, c_A, sigma_s, n), transformer.constants().tau_n)
    for _ in range(50):
        args = (points.integer(1, 40), points.uniform(0.1, 3), points.uniform(0, 1),
                points.integer(1, 8), points.uniform(0.1, 5), points.uniform(0.05, 2),
                points.integer(1, 10 ** 4))
        mm, kap, gam, depth, ca, sig, size = args
        lipschitz = kap * (1 + gam) ** depth
        expected = mm * lipschitz * (ca / size) / (sig * math.sqrt(2 * math.pi))
        assert math.isclose(function(*args), expected, rel_tol=1e-12)


def test_depth_raises_c_and_the_critical_proportion():
    values = {m: 10, kappa: sp.Rational(1, 10), Gamma: sp.Rational(1, 2), c_A: 1, sigma_s: 1}
    cs = [float(transformer_c().subs(values).subs(L, depth)) for depth in (1, 2, 4)]
    lams = [float(critical_proportion().subs(values).subs(L, depth)) for depth in (1, 2, 4)]
    assert cs[0] < cs[1] < cs[2]
    assert lams[0] < lams[1] < lams[2]
    assert math.isclose(cs[2] / cs[1], 1.5 ** 2, rel_tol=1e-12)  # geometric in depth


def test_bounds_instantiate_t1_and_the_corollary():
    assert theorem2_bound().expr == corollary_bound().expr  # stated in tau_n = c/n form
    assert dict(theorem2_bound().defined) == {c: transformer_c()}
    expanded = theorem2_bound().expanded().expr
    assert sp.simplify(expanded - corollary_bound().expr.subs(c, transformer_c())) == 0
    finite = theorem2_finite_bound()
    assert tau_n not in finite.free_symbols and c in finite.free_symbols
    assert {m, L, Gamma} <= finite.expanded().free_symbols and tau_n not in finite.expanded().free_symbols
    assert theorem2_bound().rate(n).order == 1 / sp.sqrt(n)


def test_derivation_extras_and_steps():
    result = derivation()
    assert result.source == "T2"
    assert set(dict(result.extras)) == {"tau_n", "c", "lambda_c", "rate_n"}

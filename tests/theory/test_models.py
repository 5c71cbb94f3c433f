"""Model constants against brute force (categorical), quadrature (Gaussian) and recurrences."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
import sympy as sp
from scipy import integrate, stats

from stl.theory.errors import InputError
from stl.theory.models import categorical, gaussian, linreg, transformer
from stl.theory.models.constants import ModelConstants
from stl.theory.symbols import M, R_z, c_theta, dim, i, n, n_cat, sigma


def brier(q, z):
    return sum((value - (1 if index == z else 0)) ** 2 for index, value in enumerate(q))


def count_vectors(total, k):
    for cut in itertools.combinations(range(total + k - 1), k - 1):
        edges = (-1,) + cut + (total + k - 1,)
        yield tuple(edges[j + 1] - edges[j] - 1 for j in range(k))


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7])
def test_categorical_beta_tau_m_by_exhaustive_search(size):
    """Every data set on 3 symbols, every moved sample, every query: exact fractions."""
    k = 3
    worst_loss, worst_tv, worst_value = Fraction(0), Fraction(0), Fraction(0)
    for counts in count_vectors(size, k):
        q = [Fraction(c_, size) for c_ in counts]
        worst_value = max(worst_value, max(brier(q, z) for z in range(k)))
        for source, target in itertools.permutations(range(k), 2):
            if counts[source] == 0:
                continue
            moved = list(q)
            moved[source] -= Fraction(1, size)
            moved[target] += Fraction(1, size)
            worst_tv = max(worst_tv, sum(abs(x - y) for x, y in zip(q, moved)) / 2)
            for z in range(k):
                worst_loss = max(worst_loss, abs(brier(moved, z) - brier(q, z)))
    consts = categorical.constants()
    assert consts.beta_n.subs(n, size) == sp.Rational(worst_loss.numerator,
                                                      worst_loss.denominator)
    assert consts.tau_n.subs(n, size) == sp.Rational(worst_tv.numerator, worst_tv.denominator)
    assert consts.beta_n.subs(n, size) <= sp.Rational(4, size) + sp.Rational(2, size ** 2)
    assert consts.M == 2 and worst_value <= 2


def test_categorical_learnability_bound_dominates_exact_expectation(points):
    """E d_TV(q_hat, p) by exact multinomial enumeration is below the d_tv bound."""
    consts = categorical.constants(k=3)
    for size in (3, 6, 10):
        for _ in range(3):
            raw = [points.uniform(0.05, 1) for _ in range(3)]
            p = [x / sum(raw) for x in raw]
            expected_tv = 0.0
            for counts in count_vectors(size, 3):
                prob = stats.multinomial.pmf(counts, size, p)
                expected_tv += prob * sum(abs(c_ / size - pi) for c_, pi in zip(counts, p)) / 2
            assert expected_tv <= float(consts.d_tv.subs(n, size))


def test_categorical_constants_instantiate_t1():
    consts = categorical.constants()
    bound = consts.theorem1()
    assert {n_cat, n} <= bound.free_symbols
    assert consts.rate_coefficients()["c"] == 1  # tau_n = 1/n: lambda_c = 0
    with pytest.raises(InputError):
        consts.with_parameters(x=3)
    assert categorical.constants(k=5).d_tv == sp.sqrt(2) / sp.sqrt(n)


def test_gaussian_tv_of_mean_fit_is_exact(points):
    d_tv = sp.lambdify(n, gaussian.mean_model_constants().d_tv, modules="math")
    for size in (1, 2, 5, 30, 400):
        # E[2 Phi(|G|/(2 sigma)) - 1] with G ~ N(0, sigma^2/size), by quadrature (sigma = 1)
        scale = 1 / math.sqrt(size)
        value, _ = integrate.quad(
            lambda g, scale=scale: (2 * stats.norm.cdf(abs(g) / 2) - 1)
            * stats.norm.pdf(g, 0, scale),
            -12 * scale, 12 * scale, epsabs=1e-13, points=[0])
        assert math.isclose(d_tv(size), value, rel_tol=1e-8)
        assert math.isclose(d_tv(size), 2 * math.atan(1 / (2 * math.sqrt(size))) / math.pi,
                            rel_tol=1e-12)
        assert d_tv(size) <= 1 / (math.pi * math.sqrt(size))


def test_gaussian_tau_and_variance_collapse(points):
    consts = gaussian.mean_model_constants()
    for _ in range(10):
        size, std, radius = points.integer(1, 500), points.uniform(0.1, 3), points.uniform(0.1, 5)
        values = {n: size, sigma: std, R_z: radius}
        exact = 2 * stats.norm.cdf((2 * radius / size) / (2 * std)) - 1
        assert math.isclose(float(consts.tau_n.subs(values)), exact, rel_tol=1e-10)
        assert float(consts.tau_n.subs(values)) <= float(consts.extra("tau_n_linear").subs(values))
    mle = gaussian.variance_under_replace(False)
    for size in (2, 10):
        ratio = Fraction(size - 1, size)
        expected = ratio
        for generation in range(6):
            assert mle.subs({n: size, i: generation}) == sp.Rational(expected.numerator,
                                                                    expected.denominator)
            expected *= ratio
    assert gaussian.variance_under_replace(True) == 1
    # the card's closed forms carry sigma^2 times the ratio
    assert sp.simplify(gaussian.variance_closed_form("mle").expr - sigma ** 2 * mle) == 0


def test_linreg_constants():
    consts = linreg.constants()
    assert consts.beta_n is None and consts.d_tv is None and consts.M == M
    assert sp.simplify(linreg.mean_abs_projection() - sp.sqrt(2 / sp.pi)) == 0
    assert sp.simplify(consts.tau_n - c_theta / (sp.pi * sigma * n)) == 0
    error = linreg.test_error_replace()
    step = sigma ** 2 * dim / (n - dim - 1)
    for generation in range(5):
        assert sp.simplify(error.subs(i, generation) - (generation + 1) * step) == 0
    # without beta_n and d_tv, T1 keeps them as symbols (to be estimated)
    bound = consts.theorem1()
    assert {sp.Symbol("beta_n", nonnegative=True), sp.Symbol("d_tv", nonnegative=True)} \
        <= bound.free_symbols


def test_model_constants_is_immutable_and_documented():
    for function in (categorical.constants, gaussian.mean_model_constants, linreg.constants, transformer.constants):
        consts = function()
        assert isinstance(consts, ModelConstants)
        for name in ("beta_n", "tau_n", "M", "d_tv"):
            assert consts.note(name), (consts.model, name)
        with pytest.raises(AttributeError):
            consts.model = "other"  # type: ignore[misc]

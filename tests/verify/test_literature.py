"""The literature reproductions: closed forms against sampling, and each check able to fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import stl.theory.models.published as published
import stl.verify.checks.literature as lit
from stl.theory.symbols import i, n, sigma


@pytest.mark.parametrize("dof", [1, 3, 7.5, 19, 60])
def test_expected_log_chi2_matches_sampling(dof):
    # E log chi2_nu = psi(nu/2) + log 2; sd of log chi2 is sqrt(psi'(nu/2)), so 5 SE is a fair band.
    rng = np.random.default_rng(int(dof * 10))
    x = np.log(rng.chisquare(dof, size=200_000))
    exact = float(sp.N(published.expected_log_chi2(sp.Float(dof))))
    assert abs(x.mean() - exact) < 5 * x.std(ddof=1) / math.sqrt(x.size)


@pytest.mark.parametrize("estimator,q", [("mle", 0), ("unbiased", 1)])
def test_gaussian_log_variance_replace_matches_direct_recursion(estimator, q):
    # Simulate the refit directly (not through the toolkit's loop) at a random setting.
    rng = np.random.default_rng(7 + q)
    nn, G, s = 9, 4, 1.7
    var = np.full(100_000, s ** 2)
    logs = []
    for _ in range(G + 1):
        x = rng.normal(0.0, np.sqrt(var)[:, None], size=(var.size, nn))
        var = x.var(axis=1, ddof=q)
        logs.append(np.log(var))
    expr = published.gaussian_log_variance_replace(estimator).subs({n: nn, sigma: s})
    for g, lv in enumerate(logs):
        exact = float(sp.N(expr.subs(i, g)))
        assert abs(lv.mean() - exact) < 5 * lv.std(ddof=1) / math.sqrt(lv.size)


def test_published_bad_estimator_is_input_error():
    from stl.theory.errors import InputError

    with pytest.raises(InputError):
        published.gaussian_log_variance_replace("median")


def test_accumulate_bound_is_pi2_over_6_times_ols():
    from stl.theory.symbols import dim

    val = float(sp.N(published.accumulate_bound_linreg().subs({n: 50, dim: 5, sigma: 1})))
    assert val == pytest.approx(math.pi ** 2 / 6 * 5 / 44)


def test_shumailov_gaussian_passes_and_wrong_slope_fails(monkeypatch):
    chk = lambda: lit.shumailov_gaussian_check("t", n=20, generations=3, replicates=2000, block=2000, margin=0.3)
    out = chk().run(seed=0)
    assert out.verdict == "pass"
    assert out.details["power"]["replicates_needed"] > 0
    # Fault: the MLE slope (divisor n) claimed for the unbiased estimator.
    real = published.gaussian_log_variance_replace
    monkeypatch.setattr(published, "gaussian_log_variance_replace", lambda est="unbiased": real("mle"))
    assert chk().run(seed=0).verdict == "fail"


def test_gerstgrasser_passes_and_replace_as_accumulate_fails(monkeypatch):
    chk = lambda: lit.gerstgrasser_check("t", n=50, dim=5, generations=8, replicates=1000, block=1000)
    assert chk().run(seed=0).verdict == "pass"

    # Fault: the 'accumulate' arm actually replaces its data; the bound must then fail.
    def wrong_plan(p, seed):
        params = lit._lin_params(p)
        return (lit._blocks(p, "linreg", params, "replace", 0.0, ("test_error",), seed, "accumulate")
                + lit._blocks(p, "linreg", params, "replace", 0.0, ("test_error",), seed, "replace"))

    monkeypatch.setattr(lit, "_lin_plan", wrong_plan)
    assert chk().run(seed=0).verdict == "fail"


@pytest.mark.slow
def test_shumailov_gmm_default_passes():
    out = lit.shumailov_gmm_check(replicates=100, block=100, generations=20).run(seed=0)
    assert out.verdict == "pass"


@pytest.mark.slow
def test_bertrand_flow_default_passes():
    assert lit.bertrand_check().run(seed=0).verdict == "pass"

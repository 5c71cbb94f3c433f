"""The model-based checks can pass and, given a wrong claim, fail."""

import math

import numpy as np
import pytest

from stl.verify.checks.closed_forms import closed_form_check
from stl.verify.checks.phase import gain_learner_block, l2_value, phase_transition_check
from stl.verify.checks.rates import exponent_check
from stl.verify.checks.validity import t1_validity_check


def test_gain_learner_split_invariance():
    whole = gain_learner_block(n=1000, lam=0.5, c=2.0, generations=3, seed=4, first=0, count=20)
    parts = np.concatenate([gain_learner_block(n=1000, lam=0.5, c=2.0, generations=3, seed=4, first=0, count=7),
                            gain_learner_block(n=1000, lam=0.5, c=2.0, generations=3, seed=4, first=7, count=13)])
    assert np.array_equal(whole, parts)


def test_l2_value_matches_theory():
    from stl.theory.results.recursive_stability import recursive_stability_bound

    f = recursive_stability_bound().lambdify()
    for lam, c in ((0.5, 1.5), (0.2, 0.5), (0.0, 2.0)):
        n = 100
        rho = (1 - lam) * c
        for i in range(4):
            assert l2_value(c / n, rho, i, lam > 0) == pytest.approx(f(n=n, lam=lam, i=i, tau_n=c / n))


def test_phase_check_passes_on_both_sides_of_rho_1():
    res = phase_transition_check(n=10_000, generations=3, replicates=300, lams=(0.2, 0.8), cs=(0.5, 3.0),
                                 block=150).run(seed=2)
    regimes = {c["regime"] for c in res.details["cells"]}
    assert regimes == {"stable", "unstable"} and res.verdict == "pass"


def test_validity_fails_when_the_bound_is_too_small(monkeypatch):
    import stl.verify.constants as vc

    real = vc.t1_general

    def shrunk():
        total, stab, shift = real()
        return (lambda **kw: 0.01 * total(**kw)), stab, shift

    monkeypatch.setattr(vc, "t1_general", shrunk)
    monkeypatch.setattr(vc, "t1_analytic", lambda *a, **k: None)
    res = t1_validity_check("categorical", {"k": "4"}, n=50, lam=0.5, generations=2, replicates=300,
                            est_replicates=30, name="shrunk").run(seed=0)
    assert res.verdict == "fail"


def test_closed_form_detects_the_wrong_formula():
    # the MLE variance-collapse formula does not describe the unbiased estimator
    chk = closed_form_check("wrong", "gaussian_variance", "gaussian", {"dim": "1", "estimator": "unbiased"},
                            "variance", n=20, generations=4, replicates=2000, margin=0.15)
    from stl.verify.checks import closed_forms as cf

    res_right = chk.run(seed=0)
    assert res_right.verdict == "pass"  # the formula module knows the unbiased case
    orig = cf.FORMULAS["gaussian_variance"]
    try:
        cf.FORMULAS["gaussian_variance"] = lambda n, generations, scale=1.0, **_: orig(n, generations, scale, "mle")
        assert chk.run(seed=0).verdict == "fail"
    finally:
        cf.FORMULAS["gaussian_variance"] = orig


def test_rate_check_fails_for_a_wrong_exponent():
    chk = exponent_check("wrong-rate", "categorical", {"k": "4"}, "tv_to_real", ns=(100, 200, 400, 800),
                         expected=-1.0, margin=0.05, replicates=1000)
    assert chk.run(seed=0).verdict == "fail"


def test_clip_is_flagged_and_only_shrinks_delta():
    both = gain_learner_block(n=100, lam=0.0, c=3.0, generations=6, seed=0, first=0, count=200, with_clip=True)
    delta, clip = both[:, 0, :], both[:, 1, :]
    assert clip[:, -1].mean() > 0.5                     # an unstable loop with small n reaches the clip
    assert np.all(np.diff(clip, axis=1) >= 0)            # "has clipped" never switches back off
    assert np.array_equal(delta, gain_learner_block(n=100, lam=0.0, c=3.0, generations=6, seed=0, first=0,
                                                    count=200))
    assert delta[:, -1].mean() < l2_value(3.0 / 100, 3.0, 6, kept_real=False)


def test_closed_form_fails_when_the_formula_is_off_by_less_than_the_margin(monkeypatch):
    """A formula 3 % off is contradicted by the simulation (the exact value leaves the CI)
    even though 3 % is inside the 5 % equivalence margin: the check must fail, not pass."""
    from stl.verify.checks import closed_forms as cf

    chk = closed_form_check("biased", "wright_fisher_heterozygosity", "categorical", {"k": "4"},
                            "heterozygosity", n=50, generations=3, replicates=2000, margin=0.05)
    assert chk.run(seed=0).verdict == "pass"
    orig = cf.FORMULAS["wright_fisher_heterozygosity"]
    monkeypatch.setitem(cf.FORMULAS, "wright_fisher_heterozygosity", lambda **kw: 1.03 * orig(**kw))
    res = chk.run(seed=0)
    assert res.verdict == "fail"
    assert not res.measured.ci_low <= res.predicted <= res.measured.ci_high


def test_closed_forms_have_one_home():
    """verify uses stl.numerics.closed_forms' functions themselves, not a restatement."""
    import stl.numerics.closed_forms as home
    from stl.verify.checks import closed_forms as cf

    assert cf.FORMULAS is home.FORMULAS
    assert cf.wright_fisher_heterozygosity is home.wright_fisher_heterozygosity


def test_formula_latex_comes_from_theory():
    """Claims print the theory's own expressions (no hand-written LaTeX of T1, L2, T3)."""
    from stl.theory.results import get
    from stl.theory.results import optimal_size as T3
    from stl.theory.results.theorem1 import theorem1_bound
    from stl.theory.symbols import to_latex
    from stl.verify.checks.optimum import optimum_check
    from stl.verify.checks.phase import l2_attained_check
    from stl.verify.checks.validity import t1_tightness_check

    assert t1_validity_check("categorical", name="x").claim_latex == theorem1_bound().statement_latex()
    assert to_latex(theorem1_bound().rhs(), order="none") in t1_tightness_check().claim_latex
    l2 = get("recursive-stability").result
    assert l2_attained_check().claim_latex.endswith(to_latex(l2.rhs(), order="none"))
    assert l2.statement_latex() in phase_transition_check().claim_latex
    assert to_latex(T3.optimal_synthetic_size_public(), order="none") in optimum_check().claim_latex


def test_tightness_ratio_interval_brackets_the_ratio():
    """The reported interval of bound/|E gen_i| is [bound/ci_high, bound/ci_low] — a real
    interval with a standard error, not [lower limit, point estimate]."""
    from stl.verify.checks.validity import t1_tightness_check

    res = t1_tightness_check(ns=(50,), lams=(0.5,), generations=1, replicates=300, block=300).run(seed=0)
    m = res.measured
    assert m.ci_low < m.value < m.ci_high and math.isfinite(m.stderr) and m.stderr > 0
    cell = min(res.details["cells"], key=lambda c: c["ratio_low"])
    assert m.ci_high == pytest.approx(cell["ratio_high"])


def test_optimum_row_is_scipy_against_sympy(monkeypatch):
    """measured = scipy's n_s*, predicted = the sympy closed form; a disagreeing solver fails."""
    pytest.importorskip("cvxpy")
    from stl.verify.checks import optimum
    from stl.verify.optimal_size import Problem, by_sympy

    res = optimum.optimum_check(n_r=50, simulate_model=None, name="opt").run(seed=0)
    expected = by_sympy(Problem(n_r=50))["n_s"]
    assert res.verdict == "pass" and expected > 0
    assert res.predicted == expected and res.measured.value == expected
    real = optimum.by_scipy
    monkeypatch.setattr(optimum, "by_scipy", lambda p: {**real(p), "n_s": real(p)["n_s"] + 5})
    bad = optimum.optimum_check(n_r=50, simulate_model=None, name="opt").run(seed=0)
    assert bad.verdict == "fail" and bad.measured.value == expected + 5


def test_headline_relations_are_comparisons_not_info():
    res = phase_transition_check(n=10_000, generations=3, replicates=300, lams=(0.2, 0.8), cs=(0.5, 3.0),
                                 block=150).run(seed=2)
    assert res.relation in ("<=", ">=", "==")


def test_l2_attained_fails_when_l2_is_off_by_less_than_the_margin(monkeypatch):
    """L2 is attained exactly by the gain learner: an L2 value 4 % off (inside the ±5 %
    margin) is contradicted by the data and must fail."""
    from stl.verify.checks import phase
    from stl.verify.checks.phase import l2_attained_check

    chk = l2_attained_check(n=10_000, generations=2, replicates=4000, cells=((0.5, 1.5),), block=2000)
    assert chk.run(seed=0).verdict == "pass"
    real = phase.l2_value
    monkeypatch.setattr(phase, "l2_value", lambda *a, **k: 1.04 * real(*a, **k))
    assert chk.run(seed=0).verdict == "fail"

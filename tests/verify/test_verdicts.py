"""Verdict rules on synthetic measurements (THEORY.md §5: pass / fail / inconclusive)."""

import dataclasses
import math

import numpy as np
import pytest

from stl.verify.checks.check import Check, CheckResult, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.stats import slope_fit
from stl.verify.checks.verdicts import RULES, at_least, at_most, combine, decide, equivalent, family_z


def m(value, half, n=100):
    return Measurement(value, half / 1.96, value - half, value + half, n)


def test_violated_bound_fails():
    assert at_most(m(1.0, 0.1), 0.5) == "fail"


def test_borderline_bound_is_inconclusive():
    assert at_most(m(1.0, 0.1), 1.05) == "inconclusive"
    assert at_most(m(1.0, 0.1), 0.95) == "inconclusive"


def test_clear_bound_passes():
    assert at_most(m(1.0, 0.1), 2.0) == "pass"


def test_lower_bound_mirror():
    assert at_least(m(1.0, 0.1), 0.5) == "pass"
    assert at_least(m(1.0, 0.1), 1.5) == "fail"
    assert at_least(m(1.0, 0.1), 1.0) == "inconclusive"


def test_equivalence_three_ways():
    assert equivalent(m(1.00, 0.01), 1.0, margin=0.05) == "pass"
    assert equivalent(m(1.20, 0.01), 1.0, margin=0.05) == "fail"
    # CI wider than the margin: cannot decide, even though the point estimate is spot on
    assert equivalent(m(1.00, 0.50), 1.0, margin=0.05) == "inconclusive"


def test_nan_never_passes():
    nan = Measurement(math.nan, math.nan, math.nan, math.nan, 0)
    for rule in RULES.values():
        args = (nan, 1.0) if rule is not equivalent else (nan, 1.0, 0.1)
        assert rule(*args) == "inconclusive"


def test_absolute_interval_of_a_mean():
    a = Measurement(-0.5, 0.1, -0.7, -0.3, 10).absolute()
    assert (a.ci_low, a.ci_high) == (0.3, 0.7)
    b = Measurement(0.1, 0.1, -0.1, 0.3, 10).absolute()
    assert (b.ci_low, b.ci_high) == (0.0, 0.3)


def test_combine_and_decide():
    assert combine(["pass", "pass"]) == "pass"
    assert combine(["pass", "inconclusive"]) == "inconclusive"
    assert combine(["inconclusive", "fail"]) == "fail"
    assert combine([]) == "inconclusive"
    assert decide("<=", m(1, 0.1), 2) == "pass"
    with pytest.raises(ValueError):
        decide("~", m(1, 0.1), 2)


def test_family_z_grows_with_comparisons():
    assert family_z(1) == pytest.approx(1.959964, abs=1e-5)
    assert family_z(20) > family_z(5) > family_z(1)


def test_measurement_from_samples_uses_sample_sd():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    mm = Measurement.from_samples(x, z=2.0)
    assert mm.value == 2.5
    assert mm.stderr == pytest.approx(np.std(x, ddof=1) / 2)
    # 4 values estimate their own stderr: t with 3 dof at the coverage of z = 2 (not ±2 se)
    from stl.kernel.student_t import t_quantile

    assert mm.z == pytest.approx(t_quantile(2.0, 3)) and mm.z > 3
    assert mm.ci_high - mm.ci_low == pytest.approx(2 * mm.z * mm.stderr)


def test_slope_fit_recovers_exponent_and_inflates_on_misfit():
    x = np.log([100, 200, 400, 800, 1600])
    exact = slope_fit(x, -0.5 * x + 2, np.full(5, 0.01), z=1.96)
    assert exact.value == pytest.approx(-0.5)
    noisy_y = -0.5 * x + 2 + np.array([0.1, -0.1, 0.1, -0.1, 0.1])
    noisy = slope_fit(x, noisy_y, np.full(5, 0.01), z=1.96)
    assert noisy.stderr > exact.stderr  # scatter beyond the error bars widens the CI


def _one(x):
    return x


def _plan(p, seed):
    return [Task(_one, {"x": p["value"]})]


def _conclude(p, seed, outs):
    mm = Measurement.from_mean(outs[0], p["se"], 100, 1.96)
    return Outcome(mm, p["bound"], "<=", at_most(mm, p["bound"]))


@pytest.mark.parametrize("value,se,bound,verdict", [
    (1.0, 0.01, 2.0, "pass"), (3.0, 0.01, 2.0, "fail"), (2.0, 0.1, 2.0, "inconclusive")])
def test_a_check_reports_its_verdict_honestly(value, se, bound, verdict):
    chk = Check("synthetic", "validity", "x ≤ b", "x \\le b", {"value": value, "se": se, "bound": bound},
                _plan, _conclude)
    res = chk.run(seed=0)
    assert res.verdict == verdict
    assert res.runtime_s >= 0 and res.seed == 0


def test_results_are_immutable_and_round_trip():
    chk = Check("synthetic", "validity", "x ≤ b", "", {"value": 1.0, "se": 0.1, "bound": 2.0},
                _plan, _conclude)
    res = chk.run(seed=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.verdict = "fail"  # type: ignore[misc]
    with pytest.raises(TypeError):
        res.parameters["value"] = 5  # type: ignore[index]
    again = CheckResult.from_dict(res.to_dict())
    assert again.to_dict() == res.to_dict()


def test_invalid_verdict_or_kind_rejected():
    with pytest.raises(ValueError):
        Outcome(None, None, "<=", "maybe")
    with pytest.raises(ValueError):
        Check("x", "nonsense", "", "", {}, _plan, _conclude)


def test_agrees_fails_on_a_significant_deviation_inside_the_margin():
    """An exact formula contradicted by the data must fail even when the deviation is
    smaller than the equivalence margin (`equivalent` alone would call it a pass)."""
    from stl.verify.checks.verdicts import agrees

    tight = Measurement(1.02, 0.001, 1.018, 1.022, 10**6)
    assert equivalent(tight, 1.0, margin=0.05) == "pass"
    assert agrees(tight, 1.0, margin=0.05) == "fail"
    assert agrees(m(1.0, 0.01), 1.0, margin=0.05) == "pass"
    assert agrees(m(1.0, 0.5), 1.0, margin=0.05) == "inconclusive"
    assert agrees(Measurement(math.nan, math.nan, math.nan, math.nan, 0), 1.0, margin=0.1) == "inconclusive"


def test_slope_interval_uses_student_t_when_the_scale_is_estimated():
    """Five points scattering more than their errors: the scale comes from 3 residual
    degrees of freedom, so the interval must use t_3 (≈3.18 for 95 %), not 1.96."""
    from scipy.stats import t as student_t

    x = np.log([50.0, 100, 200, 400, 800])
    y = -x + np.array([0.0, 0.05, -0.05, 0.05, -0.05])
    fit = slope_fit(x, y, np.full(5, 0.001), z=1.959963984540054)
    assert fit.z == pytest.approx(student_t.ppf(0.975, 3))
    assert fit.ci_high - fit.value == pytest.approx(fit.z * fit.stderr)
    # points within their errors: the given z is kept (the scale is not estimated)
    quiet = slope_fit(x, -x, np.full(5, 0.1), z=1.959963984540054)
    assert quiet.z == pytest.approx(1.959963984540054)


def test_agrees_tolerates_rounding_of_a_deterministic_mean():
    """A column with no sampling error (every replicate equal) averages to ``exact`` up to
    rounding; that is agreement, not a significant deviation."""
    from stl.verify.checks.verdicts import agrees

    v = 1.0000000000000435
    assert agrees(Measurement(v, 0.0, v, v, 4000), 1.0, margin=0.05) == "pass"


def test_replicate_means_use_student_t_for_small_samples():
    """A mean of 8 replicates with its own standard error: a 95 % interval is ±t_7 = ±2.365
    standard errors; ±1.96 would claim more certainty than 8 values give."""
    from scipy.stats import t as student_t

    from stl.verify.checks.stats import column_measurements

    x = np.arange(8.0)
    got = Measurement.from_samples(x)
    assert got.z == pytest.approx(student_t.ppf(0.975, 7))
    assert got.ci_high - got.value == pytest.approx(student_t.ppf(0.975, 7) * got.stderr)
    col = column_measurements(np.stack([x, 2 * x], axis=1), z=1.959963984540054)
    assert col[1].z == pytest.approx(student_t.ppf(0.975, 7))


def test_estimated_constants_upper_limit_uses_student_t():
    from scipy.stats import t as student_t

    from stl.verify.checks.validity import upper_limit

    v = np.array([[1.0], [2.0], [4.0], [7.0]])
    se = v.std(ddof=1) / 2.0
    assert float(upper_limit(v, 1.959963984540054)[0]) == pytest.approx(v.mean() + student_t.ppf(0.975, 3) * se)

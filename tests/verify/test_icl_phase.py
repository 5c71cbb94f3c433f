"""T2 checks of the in-context learners: λ_c predicted from ĉ, then the loop on both sides."""

import pytest

pytest.importorskip("torch")

from stl.verify.checks.icl import t2_phase_check  # noqa: E402

LSA = {"dim": "2", "context": "6", "label_noise": "0.3", "steps": "100", "probes": "200"}


def _run(lams, seed=3):
    return t2_phase_check(name="t2-phase-test", model="lsa", params=LSA, n=100, lams=lams, generations=4,
                          replicates=32, c_replicates=32, measure_draws=128, block=32).run(seed=seed)


def test_phase_lsa_passes_with_the_loops_on_both_sides():
    res = _run((0.4, 0.9))
    claims = {r["claim"].split(":")[0]: r["verdict"] for r in res.details["claims"]}
    assert res.verdict == "pass", res.details["summary"]
    assert all(v == "pass" for v in claims.values())
    lo, hi = res.details["lambda_c_ci"]
    assert 0.4 < lo <= res.details["lambda_c"] <= hi < 0.9
    assert set(res.details["power"]) == {"lambda_c", "growth_below", "bounded_above", "contrast"}


def test_phase_lsa_fails_when_both_loops_are_above_lambda_c():
    # Both λ above the measured λ_c ≈ 0.8: the prediction no longer separates them and the
    # "below" loop does not grow, so the check must fail rather than pass or hedge.
    res = _run((0.9, 0.95))
    assert res.verdict == "fail", res.details["summary"]
    assert res.details["claims"][0]["verdict"] == "fail"


def test_phase_check_refuses_unordered_lams():
    with pytest.raises(ValueError):
        t2_phase_check(lams=(0.9, 0.4))

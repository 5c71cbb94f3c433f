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
    from stl.verify.errors import InputError

    with pytest.raises(InputError, match="lams"):
        t2_phase_check(lams=(0.9, 0.4))


# -- the gpu suite's checks, run on the CPU at toy sizes (their code paths and verdict rules) --

TOY = {"recipe": "small", "dim": "2", "context": "4", "width": "8", "heads": "2", "layers": "1", "steps": "40",
       "batch": "16", "probes": "200", "noise": "0.5"}


def test_learning_t2_check_decides_every_row_and_counts_trainings():
    from stl.verify.checks.icl import t2_learning_check

    res = t2_learning_check(name="gpu-t2-toy", params=TOY, n=256, n_small=64, lam=0.5, generations=2, replicates=6,
                            device="cpu").run(seed=0)
    verdicts = [r["verdict"] for r in res.details["claims"]]
    assert res.verdict in ("pass", "fail") and set(verdicts) <= {"pass", "fail"}
    assert any(r["claim"].startswith("learns (n=256)") for r in res.details["claims"])
    assert any("E risk_G(n=64) − E risk_G(n=256)" in r["claim"] for r in res.details["claims"])
    # Lockstep: the three loops (n = 256 twice, n = 64) train as one run a generation.
    assert list(res.details["timing"]["trainings"]) == [3]
    assert res.details["learning"]["replicate_ratio_max"] >= res.details["learning"]["ratio_to_ridge"] > 0


def test_learning_row_fails_a_transformer_that_has_not_learned():
    from stl.verify.checks.icl import t2_learning_check

    res = t2_learning_check(name="gpu-t2-untrained", params={**TOY, "steps": "1"}, n=128, n_small=64, lam=0.5,
                            generations=1, replicates=6, device="cpu").run(seed=0)
    learn = [r for r in res.details["claims"] if r["claim"].startswith("learns")]
    assert learn and all(r["verdict"] == "fail" for r in learn) and res.verdict == "fail"


def test_adaptive_phase_check_puts_its_loops_on_both_sides_of_the_prediction():
    from stl.verify.checks.icl import t2_adaptive_phase_check

    params = {**TOY, "seed_labels": "4", "label_noise": "1"}
    res = t2_adaptive_phase_check(name="gpu-phase-toy", params=params, n=64, generations=2, replicates=6,
                                  c_replicates=6, measure_draws=64, device="cpu").run(seed=1)
    lo, hi = res.details["lams"]
    c = res.details["c"]["value"]
    assert (1 - lo) * c > 1 > (1 - hi) * c or lo == 0.0
    assert set(r["verdict"] for r in res.details["claims"]) <= {"pass", "fail"}
    assert res.details["coupling"] == "maximal" and res.details["timing"]["trainings"] >= 1


def test_depth_learning_check_reports_pairs_with_power():
    from stl.verify.checks.icl import t2_depth_learning_check

    res = t2_depth_learning_check(name="gpu-depth-toy", params={**TOY, "label_noise": "1"}, layers=(1, 2, 3), n=64,
                                  replicates=6, device="cpu").run(seed=0)
    assert res.verdict in ("pass", "fail")
    (pair,) = res.details["pairs"]
    assert pair["claim"] == "c(L=3) − c(L=2)" and pair["datasets"] == 6
    assert pair["separated"] or pair["datasets_needed"] > 0
    assert len(res.details["learning"]) == 3


def test_gpu_suite_refuses_without_cuda(monkeypatch, capsys):
    """Refused before anything runs (one line, exit 2); building the checks still works."""
    import torch

    from stl.verify.cli.main import main
    from stl.verify.errors import InputError
    from stl.verify.suites import refuse_without_cuda, resolve

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="CUDA"):
        refuse_without_cuda(["gpu"])
    with pytest.raises(InputError, match="CUDA"):
        refuse_without_cuda(["quick", "gpu-phase-transformer"])
    refuse_without_cuda(["smoke-optimum"])
    assert [c.name for c in resolve(["gpu"])][0] == "gpu-t2-transformer"
    assert main(["verify", "--suite", "gpu", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CUDA" in err

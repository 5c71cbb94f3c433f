"""The atlas (issue 22): both predictions, the boundary by bisection, located and safe, the figure."""

from __future__ import annotations

import doctest
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

import stl.verify.checks.atlas as atlas


# -- theory reached through lambdify ---------------------------------------------------

def test_growth_and_rho_come_from_theory_and_invert_each_other():
    assert atlas.geometric_sum(1.0, 7) == 8.0                    # the ρ = 1 limit, from sympy
    for rho, g in ((0.4, 3), (0.97, 10), (1.8, 6)):
        assert abs(atlas.solve_rho(atlas.geometric_sum(rho, g), g, True) - rho) < 1e-9
        assert abs(atlas.solve_rho(rho ** g, g, False) - rho) < 1e-9
    assert atlas.lambda_c_typical(4.0) == pytest.approx(0.75) and atlas.lambda_c_typical(0.9) == 0.0
    assert atlas.lambda_c_l2(2.0) == pytest.approx(0.5)


# -- the statistics on synthetic trajectories of L2's form --------------------------------

def _l2_run(rho, generations, seed, r=400, sd=0.3):
    g = np.array([atlas.geometric_sum(rho, k) for k in range(generations + 1)])
    return g * np.random.default_rng(seed).lognormal(-sd ** 2 / 2, sd, (r, generations + 1))


def test_the_boundary_is_located_where_rho_is_one_and_its_interval_covers_it():
    c, G = 1.0 / 0.7, 8                                          # λ_c = 0.3
    lams = [0.05, 0.15, 0.25, 0.35, 0.45]
    b = atlas.locate_boundary(lams, [_l2_run((1 - l) * c, G, seed=k) for k, l in enumerate(lams)], G)
    assert b["where"] == "inside the bracket"
    assert b["ci_low"] <= 0.3 <= b["ci_high"] and abs(b["value"] - 0.3) < 0.05


def test_a_boundary_below_one_kept_real_point_or_above_the_bracket_says_so():
    G = 6
    below = atlas.locate_boundary([0.01, 0.5], [_l2_run(0.5, G, 1), _l2_run(0.3, G, 2)], G)
    assert (below["value"], below["ci_low"], below["ci_high"], below["where"]) == (
        0.0, 0.0, 0.01, "below the smallest kept real share")
    above = atlas.locate_boundary([0.01, 0.5], [_l2_run(3.0, G, 1), _l2_run(2.0, G, 2)], G)
    assert above["value"] == 0.5 and above["ci_high"] == 1.0 and above["where"] == "above the bracket"


@pytest.mark.parametrize("c", [1.1, 2.5])
def test_the_pilot_recovers_the_constant_of_an_l2_loop(c):
    lam_p, G = 0.01, 8
    t = atlas.typical_prediction(_l2_run((1 - lam_p) * c, G, seed=int(c * 10)), lam_p, G)
    # within 4 standard errors (twice the 95 % interval's width; it covers in 92 of 100 seeds)
    lo, hi = t["c_typ_ci"]
    assert abs(t["c_typ"] - c) <= 2 * (hi - lo)
    assert abs(t["value"] - (1 - 1 / c)) <= 2 * (t["ci_high"] - t["ci_low"])


def test_located_is_interval_overlap_and_reports_the_gap_and_the_detectable_difference():
    p = {"replicates": 100}
    obs = {"ci_low": 0.10, "ci_high": 0.14, "z": 2.5}
    near = {"ci_low": 0.12, "ci_high": 0.2, "stderr_lambda": 0.02}
    far = {"ci_low": 0.2, "ci_high": 0.3, "stderr_lambda": 0.02}
    assert atlas._located(p, near, obs, 1.1)["verdict"] == "located"
    miss = atlas._located(p, far, obs, 1.1)
    assert miss["verdict"] == "missed" and miss["gap"] == pytest.approx(0.06)
    assert miss["detectable_difference"] > 0 and miss["replicates_for_target"] > p["replicates"]


# -- the check end to end on the learner whose c is a knob --------------------------------

def _gain_check(**kw):
    # n = 20000 as in the atlas: with fewer points the pilot's own θ reaches the clip within 3
    # generations (the "no saturation" premise of c_typ fails and it misses; see the docs).
    return atlas.atlas_check("atlas-gain-test", "gain-bernoulli", {"gain": "3"}, n=20000, lams=(0.0, 0.5, 0.85, 0.95),
                             generations=3, replicates=150, tau_replicates=20, block=150, locate_steps=6, **kw)


@pytest.mark.timeout(300)
def test_gain_learner_both_predictions_locate_its_boundary_and_l2_is_safe():
    r = _gain_check().run(seed=0)
    d = r.details
    assert r.verdict == "pass" and d["safe"]["verdict"] == "pass"
    assert d["located"]["verdict"] == "located"
    obs, typ = d["observed_lambda_c"], d["typical_lambda_c"]
    assert obs["ci_low"] <= 2 / 3 <= obs["ci_high"] and typ["ci_low"] <= 2 / 3 <= typ["ci_high"]
    assert len(obs["points"]) >= 5                      # the bisection refined the bracket
    assert d["growth_law"]["preferred"] == "geometric"  # L2 is attained: ρ^i
    assert {"located", "safe", "premise"} <= set(d) and d["power"]["rows"]
    assert not d["premise"]["violated"] and not any(row["l2_bound"]["violated"] for row in d["rows"])


@pytest.mark.timeout(300)
def test_safe_fails_when_the_architecture_constant_is_underestimated(monkeypatch):
    # A ĉ of half the truth predicts λ_c = 1/3, but the loop is unstable up to 2/3.
    real = atlas.tau_block

    def halved(**kw):
        out = real(**kw)
        return {**out, "values": out["values"] / 2}

    monkeypatch.setattr(atlas, "tau_block", halved)
    r = _gain_check().run(seed=0)
    assert r.verdict == "fail"
    assert r.details["observed_lambda_c"]["ci_low"] > r.details["predicted_lambda_c"]["ci_high"]
    # and L2's own bound with that ĉ is exceeded where the loop is unstable
    assert any(row["l2_bound"]["violated"] for row in r.details["rows"])


def test_bad_entries_are_refused():
    with pytest.raises(atlas.InputError):
        atlas.atlas_check("x", "categorical", {}, n=50, lams=(0.0, 0.5), generations=3, replicates=10,
                          tau_replicates=4, pilot_real=50)
    with pytest.raises(atlas.InputError):
        atlas.atlas_check("x", "categorical", {}, n=50, lams=(0.0, 0.5), generations=3, replicates=10,
                          tau_replicates=4, gamma_options={"neighbours": 3})
    with pytest.raises(atlas.InputError):
        atlas.atlas_check("x", "categorical", {}, n=50, lams=(0.0, 0.5), generations=3, replicates=10,
                          tau_replicates=4, gamma_options={"coupling": "exact"})


@pytest.mark.parametrize("size", sorted(atlas.SIZES))
def test_every_documented_entry_builds_and_its_grid_reaches_high_real_shares(size):
    for e in atlas.entries(size):
        check = e.check(size)
        assert check.tasks(0) and max(e.lams) >= 0.9 and min(e.lams) == 0.0


@pytest.mark.timeout(300)
def test_the_module_examples_run():
    failures, _ = doctest.testmod(atlas, optionflags=doctest.ELLIPSIS)
    assert failures == 0


# -- table, JSON and figure ---------------------------------------------------------------

def _rows():
    names = ["categorical", "gain-bernoulli", "gaussian", "linreg", "gmm", "ngram", "kde", "charlm", "flow",
             "lsa", "transformer"]
    obs = [0.0, 0.67, 0.04, 0.12, 0.01, 0.08, 0.0, 0.3, 0.05, 0.45, 0.02]
    typ = [0.0, 0.66, 0.035, 0.09, 0.006, 0.07, 0.0, 0.28, 0.06, 0.5, 0.03]
    l2 = [0.0, 0.667, 0.25, 0.49, 0.56, 0.6, 0.0, 0.9, 0.97, 0.74, 0.95]
    return [{"architecture": a, "lambda_c_observed": o, "lambda_c_observed_ci": [max(o - 0.03, 0), o + 0.03],
             "lambda_c_typical": t, "lambda_c_typical_ci": [max(t - 0.02, 0), t + 0.02],
             "lambda_c_predicted": p, "lambda_c_predicted_ci": [max(p - 0.05, 0), min(p + 0.05, 1)]}
            for a, o, t, p in zip(names, obs, typ, l2)]


def test_figure_labels_never_overlap_each_other_or_a_marker(tmp_path):
    from stl.verify.figures import _overlaps, draw_atlas

    path = tmp_path / "atlas.png"
    boxes, obstacles = draw_atlas(_rows(), path, return_artists=True)
    assert path.stat().st_size > 10_000
    # categorical and kde share (0, 0): one label names both
    assert len(boxes) == 10
    assert not any(_overlaps(a, b, 0) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert not any(_overlaps(a, b, 0) for a in boxes for b in obstacles)


def test_table_keeps_the_design_names_and_never_wraps_an_interval():
    class Result:
        verdict, runtime_s = "pass", 1.0
        details = {"model": "gain-bernoulli", "params": {"gain": "3"}, "n": 100, "generations": 3,
                   "c_hat": {"value": 3.0, "ci_low": 2.9, "ci_high": 3.1},
                   "predicted_lambda_c": {"value": 0.667, "ci_low": 0.655, "ci_high": 0.677},
                   "typical_lambda_c": {"c_typ": 2.9, "c_typ_ci": [2.8, 3.0], "lam_pilot": 0.01, "value": 0.655,
                                        "ci_low": 0.643, "ci_high": 0.667},
                   "observed_lambda_c": {"value": 0.67, "ci_low": 0.64, "ci_high": 0.7, "points": [{}] * 6,
                                         "half_horizon": {"value": 0.66}},
                   "located": {"verdict": "located", "gap": 0.0, "c_at_boundary": 3.0, "detectable_difference": 0.04},
                   "growth_law": {"preferred": "geometric", "rate": {"value": 3.0}, "exponent": {"value": 2.2}},
                   "c_loop": None, "collapse_speed": None, "risk_boundary": {"bounded_from": 0.7},
                   "premise": {"applies": True, "value": 2.4, "ci_low": 2.2, "ci_high": 2.6, "violated": False},
                   "safe": {"verdict": "pass"}}

    rows = atlas.table_rows([Result()])
    for key in ("lambda_c_predicted", "lambda_c_observed", "lambda_c_typical"):
        assert isinstance(rows[0][key], float) and len(rows[0][key + "_ci"]) == 2
    text = atlas.render_table(rows, "quick", 0)
    cells = [c for line in text.splitlines() if line.startswith("| ") for c in line.split("|")]
    for cell in cells:
        if "[" in cell:
            assert not re.search(r"\S \[|, \S", cell), cell       # only no-break spaces inside
    json.dumps(rows)


@pytest.mark.timeout(300)
def test_cli_json_has_both_predictions_and_the_located_boundary():
    out = subprocess.run([sys.executable, "-m", "stl.verify.cli.main", "atlas", "--models", "categorical",
                          "--size", "quick", "--format", "json", "--quiet"], capture_output=True, text=True,
                         timeout=280)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)["architectures"][0]
    for key in ("lambda_c_predicted", "lambda_c_observed", "lambda_c_typical"):
        assert math.isfinite(row[key]) and len(row[key + "_ci"]) == 2
    assert row["located"] in ("located", "missed") and row["safe"] in ("pass", "fail", "inconclusive")

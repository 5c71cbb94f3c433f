"""T3: the sympy closed form, scipy and cvxpy agree in the closed-form regime."""

import math

import pytest

from stl.verify.errors import InputError
from stl.verify.research.optimal_size import Problem, disagreements, problem_from_subs, solve


@pytest.mark.parametrize("n_r,a,c_0", [(100, 0.25, 1.0), (37, 0.1, 2.0), (500, 0.4, 1.5)])
def test_methods_agree_in_closed_form_regime(n_r, a, c_0):
    pytest.importorskip("cvxpy")
    p = Problem(n_r=n_r, a=a, c_0=c_0)
    r = solve(p, ("sympy", "scipy", "cvxpy"))
    exact = n_r * (p.A / p.C - 2)
    assert r["sympy"]["n_s_continuous"] == pytest.approx(exact, rel=1e-12)
    assert abs(r["scipy"]["n_s_continuous"] - exact) < 1e-3 * max(exact, 1)
    assert abs(r["cvxpy"]["n_s_continuous"] - exact) < 1e-3 * max(exact, 1)
    assert r["sympy"]["n_s"] == r["scipy"]["n_s"] == r["cvxpy"]["n_s"]
    assert r["sympy"]["n_s"] in (math.floor(exact), math.ceil(exact))


def test_no_synthetic_data_when_a_le_2c():
    p = Problem(n_r=100, a=1.0)  # A/C = 1.73 < 2
    r = solve(p, ("sympy", "scipy", "cvxpy"))
    assert r["sympy"]["n_s"] == r["scipy"]["n_s"] == 0
    assert r["cvxpy"].get("n_s", 0) == 0 or "reason" in r["cvxpy"]


def test_methods_that_do_not_apply_say_why():
    p = Problem(n_r=100, b=1.0, c=0.5, i=10)
    r = solve(p, ("sympy", "scipy", "cvxpy", "simulate"))
    assert "reason" in r["sympy"] and "reason" in r["cvxpy"] and "reason" in r["simulate"]
    assert "n_s" in r["scipy"]
    assert any("only scipy" in n for n in disagreements(p, r))
    p2 = Problem(n_r=100, a=0.9, c_0=0.5)  # A < C: not a posynomial
    assert "posynomial" in solve(p2, ("cvxpy",))["cvxpy"]["reason"]


def test_simulation_reports_ci_and_ties():
    p = Problem(n_r=40)
    r = solve(p, ("simulate",), model="categorical", model_params={"k": "4"}, generations=3,
              replicates=40, seed=1, grid=[0, 40, 160])
    s = r["simulate"]
    assert s["n_s"] in (0, 40, 160) and s["risk_ci"][0] <= s["risk"] <= s["risk_ci"][1]
    assert s["n_s"] in s["indistinguishable"]


def test_bad_inputs():
    with pytest.raises(InputError):
        Problem(n_r=0)
    with pytest.raises(InputError):
        Problem(n_r=10, delta=2)
    with pytest.raises(InputError):
        problem_from_subs(10, {"zz": "1"})
    assert problem_from_subs(10, {"i": "oo", "a": "1/4"}).i == math.inf


@pytest.mark.parametrize("picked, expect", [(0, "no new information"), (1969, "worst-case shift"),
                                            (400, "cannot tell apart")])
def test_disagreement_explanation_follows_the_direction(picked, expect):
    p = Problem(n_r=100, c_0=1.0, M=1.0, delta=0.05, a=0.25)
    near = [picked, 492] if picked == 400 else [picked]
    results = {"scipy": {"n_s": 492},
               "simulate": {"n_s": picked, "metric": "tv_to_real", "indistinguishable": near}}
    (note,) = [n for n in disagreements(p, results) if n.startswith("simulation picks")]
    assert expect in note

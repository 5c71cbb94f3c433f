"""The checks can pass and, given a wrong formula, constant, estimator or loop, fail.

The full catalogue of deliberate faults runs through ``stl verify --self-test``
(:mod:`stl.verify.selftest`, ``tests/verify/test_selftest.py``); here each check kind is
shown to pass on the toolkit and to fail on one fault of its own.
"""

import math

import numpy as np
import pytest

from stl.verify.errors import InputError

from stl.verify.checks.closed_forms import closed_form_check
from stl.verify.checks.exact import categorical_exact_check, stability_constants_check, t1_pieces_check
from stl.verify.checks.identities import theory_identities_check
from stl.verify.checks.model_facts import coupling_check, risk_check
from stl.verify.checks.phase import l2_attained_check, phase_transition_check
from stl.verify.checks.rates import exponent_check
from stl.verify.checks.validity import t1_tightness_check, t1_validity_check
from stl.verify.checks.verdict_rules import verdict_rules_check

CAT = {"k": "5"}


def test_phase_check_passes_on_both_sides_of_lambda_c():
    res = phase_transition_check("phase", "gain-bernoulli", n=1000, generations=4, replicates=200, lams=(0.2, 0.8), cs=(0.5, 3.0),
                                 block=200).run(seed=2)
    assert {c["side"] for c in res.details["cells"]} == {"stable (λ > λ_c)", "unstable (λ < λ_c)"}
    assert res.verdict == "pass" and res.relation in ("<=", ">=")


def test_l2_attained_fails_when_l2_is_off_by_less_than_the_margin(monkeypatch):
    """L2 is attained exactly: an L2 value 4 % off (inside a ±10 % margin) is contradicted."""
    import stl.verify.bridge as vc

    chk = l2_attained_check("l2", "categorical", CAT, cells=({"lam": 0.5},), n=40, generations=3,
                            replicates=6000, block=3000, margin=0.1)
    assert chk.run(seed=0).verdict == "pass"
    real = vc.l2_function
    monkeypatch.setattr(vc, "l2_function", lambda: (lambda **kw: 1.04 * real()(**kw)))
    assert chk.run(seed=0).verdict == "fail"


def test_validity_fails_when_the_bound_is_too_small(monkeypatch):
    import stl.verify.bridge as vc

    chk = t1_validity_check("gaussian", {"dim": "1"}, n=50, lam=0.5, generations=2, replicates=300,
                            est_replicates=30, name="shrunk")
    good = chk.run(seed=0)
    assert good.verdict == "pass" and "estimated_caveat" in good.details
    real = vc.t1_general

    def shrunk():
        total, stab, shift = real()
        return (lambda **kw: 0.01 * total(**kw)), stab, shift

    monkeypatch.setattr(vc, "t1_general", shrunk)
    assert chk.run(seed=0).verdict == "fail"


def test_exact_check_fails_for_a_smoothed_learner(monkeypatch):
    from stl.numerics.models.categorical import CategoricalModel, CategoricalParams
    from stl.numerics.models._batched import row_bincount

    chk = categorical_exact_check("exact", CAT, configs=({"scheme": "mix", "n": 30, "lam": 0.5},),
                                  generations=2, replicates=4000, block=4000, margin=0.1)
    assert chk.run(seed=1).verdict == "pass"

    def laplace(self, data, *, streams=None, warm=None):
        return CategoricalParams((row_bincount(data, self.k) + 1.0) / (data.shape[1] + self.k))

    monkeypatch.setattr(CategoricalModel, "fit", laplace)
    assert chk.run(seed=1).verdict == "fail"


def test_pieces_check_reports_factors_and_fails_on_a_shrunk_piece_bound(monkeypatch):
    import stl.verify.bridge as vc

    chk = t1_pieces_check("pieces", CAT, n=30, lam=0.5, generations=2, replicates=4000, block=4000, margin=0.2)
    res = chk.run(seed=0)
    assert res.verdict == "pass"
    assert all(f >= 1 for f in res.details["bound_over_exact"]["c"])
    real = vc.piece_bound_functions

    def shrunk():
        out = dict(real())
        out["c"] = lambda **kw: 0.3 * real()["c"](**kw)   # below the exact synthetic piece
        return out

    monkeypatch.setattr(vc, "piece_bound_functions", shrunk)
    assert chk.run(seed=0).verdict == "fail"


def test_constants_check_fails_for_a_wrong_beta(monkeypatch):
    from stl.verify import cards as vc

    chk = stability_constants_check("constants", CAT, n=30, replicates=100)
    assert chk.run(seed=0).verdict == "pass"
    real = vc.analytic_constants

    def wrong(model, params, n):
        c = real(model, params, n)
        return vc.NumericConstants(c.model, c.n, 0.5 * c.beta_n, c.tau_n, c.M, c.d_tv, c.notes, c.source)

    monkeypatch.setattr(vc, "analytic_constants", wrong)
    assert chk.run(seed=0).verdict == "fail"


def test_coupling_check_fails_for_an_independent_coupling(monkeypatch):
    from stl.numerics.models.categorical import CategoricalModel

    chk = coupling_check("coupling", cases=({"model": "categorical", "params": CAT, "n": 20},), draws=400,
                         replicates=200)
    assert chk.run(seed=0).verdict == "pass"

    def independent(self, a, b, streams, count, purpose="coupling"):
        xa = self.sample(a, streams, count, purpose=purpose)
        xb = self.sample(b, streams, count, purpose=purpose + "-b")
        return xa, xb, xa != xb

    monkeypatch.setattr(CategoricalModel, "sample_coupled", independent)
    assert chk.run(seed=0).verdict == "fail"


def test_risk_check_fails_for_a_wrong_closed_form(monkeypatch):
    from stl.numerics.models.linreg import LinRegModel

    chk = risk_check("risks", cases=({"model": "linreg", "params": {"dim": "3"}, "n": 20},), probe=4000,
                     replicates=60)
    assert chk.run(seed=0).verdict == "pass"
    real = LinRegModel.risk_under
    monkeypatch.setattr(LinRegModel, "risk_under", lambda self, p, law, streams=None: 1.05 * real(self, p, law))
    assert chk.run(seed=0).verdict == "fail"


def test_identities_check_fails_for_an_off_by_one_shift(monkeypatch):
    import sympy as sp

    from stl.theory.results import shift
    from stl.theory.symbols import i

    chk = theory_identities_check("ids", points=4)
    assert chk.run(seed=0).verdict == "pass"
    real = shift.shift_closed_form
    monkeypatch.setattr(shift, "shift_closed_form", lambda: real().subs(i, i + 1))
    assert chk.run(seed=0).verdict == "fail"
    assert sp.Symbol  # sympy is what the identities are built with


def test_verdict_rules_check_fails_for_a_lenient_rule(monkeypatch):
    from stl.verify.checks import verdicts

    assert verdict_rules_check("rules").run(seed=0).verdict == "pass"
    monkeypatch.setattr(verdicts, "at_most", lambda m, b: "pass" if m.ci_low <= b else "fail")
    assert verdict_rules_check("rules").run(seed=0).verdict == "fail"


def _plant_closed_form(monkeypatch, module_name, name, change, when=None):
    """Replace the closed form ``name`` on its model's theory card (its one home) by ``change(form)``."""
    import dataclasses
    import importlib

    module = importlib.import_module(module_name)
    (card,) = module.CARDS
    forms = tuple(change(f) if f.name == name and (when is None or dict(f.when) == when) else f
                  for f in card.closed_forms)
    monkeypatch.setattr(module, "CARDS", (dataclasses.replace(card, closed_forms=forms),))


def test_closed_form_detects_the_wrong_formula(monkeypatch):
    import dataclasses

    from stl.theory.models import gaussian

    # the MLE variance-collapse formula does not describe the unbiased estimator
    chk = closed_form_check("wrong", "gaussian_variance", "gaussian", {"dim": "1", "estimator": "unbiased"},
                            "variance", n=20, generations=4, replicates=2000, margin=0.15)
    assert chk.run(seed=0).verdict == "pass"  # the card knows the unbiased case
    mle = gaussian.variance_closed_form("mle").expr
    _plant_closed_form(monkeypatch, "stl.theory.models.gaussian", "gaussian_variance",
                       lambda f: dataclasses.replace(f, expr=mle), when={"estimator": "unbiased"})
    assert chk.run(seed=0).verdict == "fail"


def test_rate_check_fails_for_a_wrong_exponent():
    chk = exponent_check("wrong-rate", "categorical", {"k": "4"}, "tv_to_real", ns=(100, 200, 400, 800),
                         expected=-1.0, margin=0.05, replicates=1000)
    assert chk.run(seed=0).verdict == "fail"


def test_closed_form_fails_when_the_formula_is_off_by_less_than_the_margin(monkeypatch):
    """A formula 3 % off is contradicted by the simulation (the exact value leaves the CI)
    even though 3 % is inside the 5 % equivalence margin: the check must fail, not pass."""
    import dataclasses

    import sympy as sp

    chk = closed_form_check("biased", "wright_fisher_heterozygosity", "categorical", {"k": "4"},
                            "heterozygosity", n=50, generations=3, replicates=2000, margin=0.05)
    assert chk.run(seed=0).verdict == "pass"
    _plant_closed_form(monkeypatch, "stl.theory.models.categorical", "wright_fisher_heterozygosity",
                       lambda f: dataclasses.replace(f, expr=sp.Rational(103, 100) * f.expr))
    res = chk.run(seed=0)
    assert res.verdict == "fail"
    assert not res.measured.ci_low <= res.predicted <= res.measured.ci_high


def test_closed_forms_have_one_home():
    """The check evaluates the closed form on the model's theory card and prints that same form."""
    from stl.theory.models import linreg

    chk = closed_form_check("x", "linreg_replace", "linreg", {"dim": "3"}, "test_error", n=20, generations=2)
    form = linreg.CARDS[0].closed_form("test_error", "replace", {"ridge": 0.0})
    assert chk.claim_latex == form.statement_latex()
    with pytest.raises(InputError):   # a formula the card does not give for this metric and scheme
        closed_form_check("x", "linreg_accumulate", "linreg", {"dim": "3"}, "test_error", n=20, generations=2)


def test_formula_latex_comes_from_theory():
    """Claims print the theory's own expressions (no hand-written LaTeX of T1, L2, T3)."""
    from stl.theory.results import get
    from stl.theory.results import optimal_size as T3
    from stl.theory.results.theorem1 import theorem1_bound
    from stl.theory.symbols import to_latex
    from stl.verify.checks.optimum import solver_consistency_check

    assert t1_validity_check("categorical", name="x").claim_latex == theorem1_bound().statement_latex()
    assert to_latex(theorem1_bound().rhs(), order="none") in t1_tightness_check().claim_latex
    l2 = get("recursive-stability").result
    assert l2_attained_check("x", "categorical").claim_latex.endswith(to_latex(l2.rhs(), order="none"))
    assert l2.statement_latex() in phase_transition_check("p", "gain-bernoulli").claim_latex
    assert to_latex(T3.optimal_synthetic_size_public(), order="none") in solver_consistency_check().claim_latex


def test_tightness_is_measured_against_the_exact_values():
    res = t1_tightness_check(ns=(50,), lams=(0.5,), generations=2, replicates=500, block=500).run(seed=0)
    assert res.verdict == "pass"
    for cell in res.details["cells"]:
        assert cell["ratio_exact"] >= 1 and math.isfinite(cell["ratio_exact"])
    assert res.measured.value == pytest.approx(min(c["ratio_exact"] for c in res.details["cells"]))


def test_solver_disagreement_fails(monkeypatch):
    pytest.importorskip("cvxpy")
    from stl.verify.research import optimal_size
    from stl.verify.checks.optimum import solver_consistency_check

    assert solver_consistency_check(n_r=50, name="opt").run(seed=0).verdict == "pass"
    real = optimal_size.by_scipy
    monkeypatch.setattr(optimal_size, "by_scipy", lambda p: {**real(p), "n_s": real(p)["n_s"] + 5})
    bad = solver_consistency_check(n_r=50, name="opt").run(seed=0)
    assert bad.verdict == "fail" and "scipy" in bad.details["decided_by"]


def test_power_is_written_into_the_details():
    res = categorical_exact_check("p", CAT, configs=({"scheme": "replace", "n": 30, "lam": 0.0},),
                                  generations=1, replicates=2000, block=2000, margin=0.1).run(seed=0)
    power = res.details["rows"][0]["power"]
    assert {"min_detectable_deviation", "replicates_needed", "underpowered"} <= set(power)
    assert np.isfinite(power["min_detectable_deviation"])

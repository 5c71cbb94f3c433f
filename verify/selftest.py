"""Mutation testing of the verification suite: deliberate faults the suite must catch.

``stl verify --self-test`` first runs the suite (default ``quick``) on the toolkit as it
is — every check must pass, or a kill means nothing — then, for each fault of
:data:`CATALOGUE`, applies the fault (monkeypatching, never editing a file), runs the
suite's checks in order and records the first check that fails. A fault is **killed**
when some check fails (or the suite crashes on it, reported apart); it **survives** when
every check still passes or is inconclusive. The kill rate is the share of killed faults.

Faults cover every layer a verdict rests on: theory formulas (L1, L2, ρ, T1's assembly,
T3's optimum), model constants, estimators, couplings, schemes (all five), the exact
references the schemes are held against, models and the verdict rules themselves. Each patches the one function where the mistake would be made, at the
place where the toolkit looks it up at run time, so the fault reaches every caller.

Running the checks of one fault stops at its first failure, which is why the suite lists
its cheap, decisive checks first; a surviving fault costs one full run of the suite.

>>> [f.name for f in CATALOGUE][:3]
['l2-exponent-off-by-one', 'l2-leading-one-dropped', 'rho-without-the-real-share']
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Callable, Sequence
from unittest import mock

#: Share of the catalogue the quick suite must kill (issue 9).
REQUIRED_KILL_RATE = 0.9


@dataclass(frozen=True)
class Fault:
    """One deliberate mistake: what it breaks and how it is applied (``apply(stack)``)."""

    name: str
    category: str
    description: str
    apply: Callable[[ExitStack], None]


def _patch(stack: ExitStack, target, attribute: str, new) -> None:
    stack.enter_context(mock.patch.object(target, attribute, new))


def _module(name: str):
    import importlib

    return importlib.import_module(name)


# -- theory formulas ------------------------------------------------------------------

def _l2_exponent(stack):
    rs = _module("stl.theory.results.recursive_stability")
    from stl.theory.symbols import i

    real = rs.gamma_in_rho
    _patch(stack, rs, "gamma_in_rho", lambda keeps_real=True: real(keeps_real).subs(i, i - 1)
           if keeps_real else real(keeps_real))


def _l2_leading_one(stack):
    rs = _module("stl.theory.results.recursive_stability")
    real = rs.gamma_in_rho
    _patch(stack, rs, "gamma_in_rho", lambda keeps_real=True: real(False))


def _rho(stack):
    rs = _module("stl.theory.results.recursive_stability")
    from stl.theory.symbols import n, tau_n

    _patch(stack, rs, "RHO", n * tau_n)


def _l1_index(stack):
    sh = _module("stl.theory.results.shift")
    from stl.theory.symbols import i

    real = sh.shift_closed_form
    _patch(stack, sh, "shift_closed_form", lambda: real().subs(i, i + 1))


def _t1_assembly(stack):
    t1 = _module("stl.theory.results.theorem1")
    from stl.theory.symbols import beta_n, gamma, n_s

    _patch(stack, t1, "stability_term", lambda: beta_n * (1 + n_s * gamma))


def _t1_pieces_one(stack):
    t1 = _module("stl.theory.results.theorem1")
    from stl.theory.symbols import beta_n, gamma, lam, n_s

    real = t1.stability_pieces
    _patch(stack, t1, "stability_pieces", lambda: (lam * beta_n * n_s * gamma, real()[1]))


def _t1_shift_index(stack):
    t1 = _module("stl.theory.results.theorem1")
    sh = _module("stl.theory.results.shift")
    from stl.theory.symbols import M, lam

    _patch(stack, t1, "shift_term", lambda: (1 - lam) * M * sh.shift_closed_form())


def _t3_closed_form(stack):
    t3 = _module("stl.theory.results.optimal_size")
    from stl.theory.symbols import n_r

    real = t3.optimal_synthetic_size_public
    _patch(stack, t3, "optimal_synthetic_size_public", lambda: real() + n_r)


# -- model constants (theory) ---------------------------------------------------------

def _beta(stack):
    cat = _module("stl.theory.models.categorical")
    from stl.theory.symbols import n

    _patch(stack, cat, "brier_stability", lambda: 2 / n)


def _tau(stack):
    cat = _module("stl.theory.models.categorical")
    from stl.theory.symbols import n

    _patch(stack, cat, "tv_one_count_moved", lambda: 1 / (2 * n))


def _loss_max(stack):
    import sympy as sp

    cat = _module("stl.theory.models.categorical")
    _patch(stack, cat, "brier_maximum", lambda: sp.Integer(1))


def _dtv(stack):
    cat = _module("stl.theory.models.categorical")
    real = cat.tv_learnability
    _patch(stack, cat, "tv_learnability", lambda: real() / 2)


def _gain_tau(stack):
    import dataclasses

    gb = _module("stl.theory.models.gain_bernoulli")
    (card,) = gb.CARDS
    real = card.constants

    def halved(gain=None):
        c = real(gain)
        return type(c)(c.model, c.beta_n, c.tau_n / 2, c.M, c.d_tv, c.parameters, c.notes)

    # the model's card holds its constants function: the card is where verify looks it up
    _patch(stack, gb, "CARDS", (dataclasses.replace(card, constants=halved),))


# -- estimators -------------------------------------------------------------------------

def _gamma_lag(stack):
    est = _module("stl.numerics.estimators")
    real = est.estimate_gamma

    def lagged(*args, **kwargs):
        e = real(*args, **kwargs)
        v = e.per_replicate.copy()
        v[:, 1:] = e.per_replicate[:, :-1]      # reports generation i − 1 as generation i
        return type(e).from_replicates(e.name, v, e.replicate_ids, e.method, proxy=e.proxy,
                                       details=e.details, bounds=e.bounds)

    _patch(stack, est, "estimate_gamma", lagged)


def _tau_random(stack):
    est = _module("stl.numerics.estimators")
    real = est.estimate_tau
    _patch(stack, est, "estimate_tau", lambda *a, **k: real(*a, **{**k, "neighbours": 1}))


def _dtv_target(stack):
    from stl.numerics.models.base import REAL
    from stl.numerics.schemes import SchemeState

    _patch(stack, SchemeState, "mixture", lambda self, history: [(1.0, REAL)])


def _beta_no_swapped_points(stack):
    est = _module("stl.numerics.estimators")
    real = est.estimate_beta
    _patch(stack, est, "estimate_beta", lambda *a, **k: real(*a, **{**k, "probes": 1, "neighbours": 1}))


# -- couplings ----------------------------------------------------------------------------

def _categorical_independent(stack):
    from stl.numerics.models.categorical import CategoricalModel

    def independent(self, a, b, streams, count, purpose="coupling"):
        xa = self.sample(a, streams, count, purpose=purpose)
        xb = self.sample(b, streams, count, purpose=purpose + "-b")
        return xa, xb, xa != xb

    _patch(stack, CategoricalModel, "sample_coupled", independent)


def _linreg_synchronous(stack):
    from stl.numerics.models.base import Model
    from stl.numerics.models.linreg import LinRegModel

    _patch(stack, LinRegModel, "sample_coupled", Model.sample_coupled)


def _gain_coupling(stack):
    from stl.numerics.models.gain_bernoulli import GainBernoulliModel

    def shifted(self, a, b, streams, count, purpose="coupling"):
        u = streams.uniform(purpose, (count,))
        xa = (u < a.theta[:, None]).astype("int8")
        xb = ((1.0 - u) < b.theta[:, None]).astype("int8")   # antithetic, not maximal
        return xa, xb, xa != xb

    _patch(stack, GainBernoulliModel, "sample_coupled", shifted)


# -- schemes --------------------------------------------------------------------------------

def _scheme_wrapper(stack, which: str, change):
    from stl.numerics.schemes import SchemeState

    real = SchemeState.step

    def step(self, synthetic, real_points=None):
        if self.scheme.name == which:
            return change(self, real, synthetic, real_points)
        return real(self, synthetic, real_points)

    _patch(stack, SchemeState, "step", step)


def _mix_drops_real(stack):
    def change(self, real, synthetic, real_points):
        kept = self.real
        self.real = kept[:, :0]
        try:
            return real(self, synthetic, real_points)
        finally:
            self.real = kept
    _scheme_wrapper(stack, "mix", change)


def _replace_wrong_data(stack):
    _scheme_wrapper(stack, "replace", lambda self, real, synthetic, rp: real(self, self.train, rp))


def _accumulate_no_growth(stack):
    _scheme_wrapper(stack, "accumulate", lambda self, real, synthetic, rp: real(self, synthetic[:, :0], rp))


def _fresh_keeps_real(stack):
    def change(self, real, synthetic, real_points):
        kept = getattr(self, "_first_real", None)
        if kept is None:
            self._first_real = kept = real_points       # the first fresh batch, reused forever
        return real(self, synthetic, kept)
    _scheme_wrapper(stack, "fresh", change)


def _subsample_with_replacement(stack):
    import numpy as np

    def change(self, real, synthetic, real_points):
        self._pool.append(synthetic)
        pool = self._pool.data
        idx = self.streams.integers(self.subsample_purpose, pool.shape[1], (self.scheme.n,))
        train = np.take_along_axis(pool, idx.reshape(idx.shape + (1,) * (pool.ndim - 2)), axis=1)
        self.params = self.model.fit(train, streams=self.streams, warm=self.params)
        self.train = train
        self.generation += 1
        return self.params, train
    _scheme_wrapper(stack, "accumulate-subsample", change)


# -- exact references -------------------------------------------------------------------------

def _exact_fresh_as_kept(stack):
    import dataclasses

    from stl.numerics.exact import CategoricalLoopExact

    real = CategoricalLoopExact._moments.func

    def moments(self):
        return real(dataclasses.replace(self, scheme="mix") if self.scheme == "fresh" else self)

    _patch(stack, CategoricalLoopExact, "_moments", property(moments))


def _exact_accumulating_lag(stack):
    from stl.numerics.exact import CategoricalLoopExact

    real = CategoricalLoopExact._accumulated_moments

    def lagged(self):
        out = {k: v.copy() for k, v in real(self).items()}
        out["m2"][1:] = out["m2"][:-1]                 # generation j − 1's moment reported as j's
        return out

    _patch(stack, CategoricalLoopExact, "_accumulated_moments", lagged)


# -- models ---------------------------------------------------------------------------------

def _laplace(stack):
    from stl.numerics.models._batched import row_bincount
    from stl.numerics.models.categorical import CategoricalModel, CategoricalParams

    def fit(self, data, *, streams=None, warm=None):
        return CategoricalParams((row_bincount(data, self.k) + 1.0) / (data.shape[1] + self.k))

    _patch(stack, CategoricalModel, "fit", fit)


def _gaussian_divisor(stack):
    from stl.numerics.models.gaussian import GaussianModel

    real = GaussianModel.fit

    def fit(self, data, *, streams=None, warm=None):
        saved = self.ddof
        self.ddof = -1                                   # divides the scatter by n + 1
        try:
            return real(self, data, streams=streams, warm=warm)
        finally:
            self.ddof = saved

    _patch(stack, GaussianModel, "fit", fit)


def _linreg_risk(stack):
    from stl.numerics.models.linreg import LinRegModel

    real = LinRegModel.risk_under
    _patch(stack, LinRegModel, "risk_under", lambda self, p, law, streams=None: 1.05 * real(self, p, law))


def _categorical_risk_under(stack):
    from stl.numerics.models.base import REAL
    from stl.numerics.models.categorical import CategoricalModel

    real = CategoricalModel.risk_under
    _patch(stack, CategoricalModel, "risk_under", lambda self, p, law, streams=None: real(self, p, REAL))


# -- verdict rules ----------------------------------------------------------------------------

def _lenient_at_most(stack):
    v = _module("stl.verify.checks.verdicts")
    _patch(stack, v, "at_most", lambda m, bound: "pass" if m.ci_low <= bound else "fail")


def _agrees_is_equivalent(stack):
    v = _module("stl.verify.checks.verdicts")
    _patch(stack, v, "agrees", v.equivalent)


def _no_bonferroni(stack):
    v = _module("stl.verify.checks.verdicts")
    _patch(stack, v, "family_z", lambda comparisons, alpha=0.05: 1.959963984540054)


def _normal_not_student(stack):
    t = _module("stl.kernel.student_t")
    _patch(stack, t, "t_quantile", lambda z, dof: float(z))


CATALOGUE: tuple[Fault, ...] = (
    Fault("l2-exponent-off-by-one", "formula", "L2's closed form uses ρ^i for ρ^{i+1}", _l2_exponent),
    Fault("l2-leading-one-dropped", "formula", "L2 forgets the kept real point (the leading 1) for λ > 0",
          _l2_leading_one),
    Fault("rho-without-the-real-share", "formula", "ρ = n τ_n instead of (1 − λ) n τ_n", _rho),
    Fault("l1-off-by-one", "formula", "L1's closed form is evaluated one generation late", _l1_index),
    Fault("t1-stability-assembly", "formula", "T1's stability term loses the λ of the real-subset piece",
          _t1_assembly),
    Fault("t1-piece-a-without-one", "formula", "piece (a)'s bound drops the changed real point (the 1 +)",
          _t1_pieces_one),
    Fault("t1-shift-index", "formula", "T1's shift term uses L1 at generation i instead of i − 1", _t1_shift_index),
    Fault("t3-closed-form", "formula", "T3's optimum n_r (A/C − 1) instead of n_r (A/C − 2)", _t3_closed_form),
    Fault("categorical-beta", "constant", "categorical β_n = 2/n", _beta),
    Fault("categorical-tau", "constant", "categorical τ_n = 1/(2n)", _tau),
    Fault("categorical-loss-bound", "constant", "categorical M = 1 (the Brier loss reaches 2)", _loss_max),
    Fault("categorical-dtv", "constant", "categorical d_TV(n) halved", _dtv),
    Fault("gain-tau", "constant", "gain learner τ_n = c/(2n)", _gain_tau),
    Fault("gamma-lagged", "estimator", "estimate_gamma reports generation i − 1 as i", _gamma_lag),
    Fault("tau-random-neighbour", "estimator", "estimate_tau uses one random neighbour, not the worst of 16",
          _tau_random),
    Fault("dtv-against-real-law", "estimator", "learnability measured against D_0 instead of D̃_j", _dtv_target),
    Fault("beta-no-swapped-points", "estimator", "estimate_beta probes one point and one neighbour",
          _beta_no_swapped_points),
    Fault("categorical-independent-coupling", "coupling", "categorical draws independent, labelled maximal",
          _categorical_independent),
    Fault("linreg-synchronous-coupling", "coupling", "linreg uses the synchronous coupling, labelled maximal",
          _linreg_synchronous),
    Fault("gain-antithetic-coupling", "coupling", "gain learner couples by antithetic uniforms", _gain_coupling),
    Fault("mix-drops-real-data", "scheme", "mix trains on its synthetic points only", _mix_drops_real),
    Fault("replace-trains-on-the-parent-data", "scheme", "replace refits the parent's training set",
          _replace_wrong_data),
    Fault("accumulate-never-grows", "scheme", "accumulate adds no synthetic points to the pool",
          _accumulate_no_growth),
    Fault("fresh-keeps-its-real-points", "scheme", "fresh reuses its first real batch instead of new points",
          _fresh_keeps_real),
    Fault("subsample-with-replacement", "scheme", "accumulate-subsample draws its n points with replacement",
          _subsample_with_replacement),
    Fault("exact-fresh-as-kept", "reference", "the exact fresh reference treats the fresh real points as kept",
          _exact_fresh_as_kept),
    Fault("exact-accumulating-lag", "reference", "the accumulating schemes' exact moments lag a generation",
          _exact_accumulating_lag),
    Fault("categorical-laplace-smoothing", "model", "the categorical fit adds one to every count", _laplace),
    Fault("gaussian-divisor", "model", "the Gaussian MLE divides the scatter by n + 1", _gaussian_divisor),
    Fault("linreg-risk-scaled", "model", "linreg's exact risk 5 % high", _linreg_risk),
    Fault("categorical-risk-ignores-the-law", "model", "risk under the parent's law uses D_0 instead",
          _categorical_risk_under),
    Fault("verdict-at-most-lenient", "verdict", "at_most passes a straddling interval", _lenient_at_most),
    Fault("verdict-agrees-ignores-significance", "verdict", "agrees accepts a significant deviation",
          _agrees_is_equivalent),
    Fault("verdict-no-bonferroni", "verdict", "intervals are not widened for many comparisons", _no_bonferroni),
    Fault("verdict-normal-not-student", "verdict", "intervals use the normal quantile for few replicates",
          _normal_not_student),
)


def _clear_caches() -> None:
    """Theory results are cached; a fault must not leak into (or hide behind) a cache."""
    from stl.theory.results import get
    from stl.verify.checks import formulas

    get.cache_clear()
    for name in ("t1_latex", "t1_tightness_latex", "l2_latex", "phase_latex", "optimum_latex"):
        fn = getattr(formulas, name, None)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()
    rs = _module("stl.theory.results.recursive_stability")
    if hasattr(rs._solve, "cache_clear"):
        rs._solve.cache_clear()
    cat = _module("stl.theory.models.categorical")
    if hasattr(cat.brier_stability, "cache_clear"):
        cat.brier_stability.cache_clear()


@dataclass(frozen=True)
class FaultResult:
    fault: Fault
    killed: bool
    killed_by: str | None
    how: str          # "fail", "crash" or "survived"
    seconds: float
    detail: str = ""

    def to_dict(self) -> dict:
        return {"fault": self.fault.name, "category": self.fault.category, "description": self.fault.description,
                "killed": self.killed, "killed_by": self.killed_by, "how": self.how,
                "seconds": round(self.seconds, 3), "detail": self.detail}


def run_fault(fault: Fault, factories: Sequence, seed: int, on_check: Callable[[str], None] | None = None
              ) -> FaultResult:
    """Apply ``fault``, run the checks of ``factories`` in order, stop at the first failure."""
    start = time.perf_counter()
    _clear_caches()
    try:
        with ExitStack() as stack:
            fault.apply(stack)
            for factory in factories:
                if on_check:
                    on_check(factory.name)
                try:
                    result = factory.make().run(seed)
                except Exception as exc:  # a crash under a fault is caught, and said so
                    return FaultResult(fault, True, factory.name, "crash", time.perf_counter() - start,
                                       f"{type(exc).__name__}: {exc}"[:300])
                if result.verdict == "fail":
                    detail = str(dict(result.details).get("decided_by", ""))[:300]
                    return FaultResult(fault, True, factory.name, "fail", time.perf_counter() - start, detail)
    finally:
        _clear_caches()
    return FaultResult(fault, False, None, "survived", time.perf_counter() - start)


def kill_rate(results: Sequence[FaultResult]) -> float:
    return sum(r.killed for r in results) / max(len(results), 1)


def self_test(factories: Sequence, seed: int = 0, faults: Sequence[Fault] = CATALOGUE,
              progress: Callable[[str], None] | None = None) -> list[FaultResult]:
    """Every fault of ``faults`` against the checks of ``factories`` (see the module docstring)."""
    out = []
    for k, fault in enumerate(faults):
        if progress:
            progress(f"fault {k + 1}/{len(faults)}: {fault.name}")
        out.append(run_fault(fault, factories, seed))
    return out


def render(results: Sequence[FaultResult], baseline_ok: bool, suite: str) -> str:
    """The self-test table for people."""
    width = max(len(r.fault.name) for r in results)
    lines = [f"self-test of suite {suite}: {len(results)} deliberate faults "
             f"(baseline {'passes' if baseline_ok else 'DOES NOT PASS'})", ""]
    for r in results:
        what = f"killed by {r.killed_by}" + (" (crash)" if r.how == "crash" else "") if r.killed else "SURVIVED"
        lines.append(f"  {r.fault.name:<{width}}  {r.fault.category:<10} {what:<46} {r.seconds:6.1f}s")
    rate = kill_rate(results)
    lines += ["", f"kill rate {rate:.0%} ({sum(r.killed for r in results)}/{len(results)}; "
                  f"required {REQUIRED_KILL_RATE:.0%})"]
    survivors = [r.fault for r in results if not r.killed]
    if survivors:
        lines.append("survivors: " + "; ".join(f"{f.name} ({f.description})" for f in survivors))
    return "\n".join(lines) + "\n"

"""Suites: named lists of checks, defined as data.

A suite is a tuple of :class:`Factory` entries — a check-building function with its
keyword arguments — so a suite can be read, extended and filtered without executing
anything. ``quick`` represents every kind of THEORY.md §5 (validity, tightness, rates,
phase transition, closed forms, optimum) and every scheme (``mix``, ``replace``, ``fresh``,
``accumulate`` and ``accumulate-subsample`` each held against an exact reference in
``categorical-exact``), and finishes in well under five minutes on two CPU cores (it is
the README's main job); ``full`` is ``quick`` plus larger grids, more models and the T2
claims for the in-context learners, which train one network per replicate and generation
and are too slow for ``quick`` on a CPU; ``smoke`` is a seconds-long subset used by the
fast test suite. Any single check can be run by its name.

Sizes. Building a check validates its parameters against the code it will call
(:meth:`~stl.verify.checks.check.Check.validate_sizes`: budgets of the exact references,
domains of the closed forms, models, metrics, estimators), so a suite that cannot run
fails when it is built — ``tests/verify/test_suites.py`` builds every suite. Replicates
are sized by the power computation each check reports (``replicates_needed`` in its
details: 80 % power to detect its margin, and to pass every equality of the check when
it holds), measured at seed 0 and rounded up with 15–35 % headroom (more where it is cheap, so
other seeds decide too); a configuration or cell that needs more than its check's
default carries its own ``replicates``.

>>> [c.name for c in resolve(["smoke"])][:2]
['smoke-verdict-rules', 'smoke-t1-validity-categorical']
>>> resolve(["no-such-thing"])
Traceback (most recent call last):
...
stl.kernel.errors.InputError: --suite: got 'no-such-thing'; allowed: a suite (smoke, quick, full, gpu) or a check name (see `stl verify --list`)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from stl.verify.checks.check import Check
from stl.verify.plumbing.frozen import FrozenDict
from stl.verify.errors import InputError


@dataclass(frozen=True)
class Factory:
    """``build(**kwargs)`` makes one :class:`Check`; ``name`` is the check's name."""

    name: str
    build: Callable[..., Check]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: Compute time measured on two CPU cores with one worker (``stl verify --list`` shows
    #: it, ``--max-time`` plans with it); ``None`` when not measured.
    expected_s: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "kwargs", FrozenDict(self.kwargs))

    def make(self) -> Check:
        check = self.build(name=self.name, **dict(self.kwargs))
        if check.name != self.name:  # pragma: no cover - a programming error in a suite table
            raise RuntimeError(f"factory {self.name!r} built check {check.name!r}")
        return check


def _lazy(target: str) -> Callable[..., Check]:
    """A check builder that imports ``module:function`` only when a check is made."""
    module, _, attr = target.partition(":")

    def build(**kw) -> Check:
        import importlib

        return getattr(importlib.import_module(module), attr)(**kw)

    build.__name__ = build.__qualname__ = attr
    return build


_validity = _lazy("stl.verify.checks.validity:t1_validity_check")
_tightness = _lazy("stl.verify.checks.validity:t1_tightness_check")
_exponent = _lazy("stl.verify.checks.rates:exponent_check")
_growth = _lazy("stl.verify.checks.rates:growth_shape_check")
_phase = _lazy("stl.verify.checks.phase:phase_transition_check")
_attained = _lazy("stl.verify.checks.phase:l2_attained_check")
_closed = _lazy("stl.verify.checks.closed_forms:closed_form_check")
_solvers = _lazy("stl.verify.checks.optimum:solver_consistency_check")
_simulated_optimum = _lazy("stl.verify.checks.optimum:simulated_optimum_check")
_exact = _lazy("stl.verify.checks.exact:categorical_exact_check")
_pieces = _lazy("stl.verify.checks.exact:t1_pieces_check")
_constants = _lazy("stl.verify.checks.exact:stability_constants_check")
_identities = _lazy("stl.verify.checks.identities:theory_identities_check")
_coupling = _lazy("stl.verify.checks.model_facts:coupling_check")
_risks = _lazy("stl.verify.checks.model_facts:risk_check")
_rules = _lazy("stl.verify.checks.verdict_rules:verdict_rules_check")
_t2 = _lazy("stl.verify.checks.icl:t2_check")
_t2_depth = _lazy("stl.verify.checks.icl:t2_depth_check")
_t2_phase = _lazy("stl.verify.checks.icl:t2_phase_check")
_lit_gaussian = _lazy("stl.verify.checks.literature:shumailov_gaussian_check")
_lit_gmm = _lazy("stl.verify.checks.literature:shumailov_gmm_check")
_lit_gerstgrasser = _lazy("stl.verify.checks.literature:gerstgrasser_check")
_lit_bertrand = _lazy("stl.verify.checks.literature:bertrand_check")
_lit_fu_kde = _lazy("stl.verify.checks.literature:fu_kde_check")


def closed_form_factories(suite: str) -> tuple[Factory, ...]:
    """The closed-form checks of ``suite``: every model card's closed-form runs declared for
    it (``Model.verification.closed_forms``), in registry order, each holding the loop
    against the closed form the model's theory card gives for that metric and scheme."""
    from stl.verify.cards import all_cards

    out = []
    for card in all_cards():
        for run in card.verification.closed_forms:
            if run.suite != suite:
                continue
            form = card.closed_form(run.metric, run.scheme, run.params)
            out.append(Factory(run.name, _closed, dict(formula=form.name, model=card.name, params=dict(run.params),
                                                       metric=run.metric, scheme=run.scheme, **dict(run.sizes)),
                               expected_s=run.expected_s))
    return tuple(out)


CAT = {"k": "10"}

SMOKE: tuple[Factory, ...] = (
    Factory("smoke-verdict-rules", _rules, {}, expected_s=0.01),
    Factory("smoke-t1-validity-categorical", _pieces,
            dict(params={"k": "4"}, n=30, lam=0.5, generations=2, replicates=1500, block=1500, margin=0.2),
            expected_s=0.3),
    Factory("smoke-phase-transition", _phase,
            dict(model="gain-bernoulli", n=1000, generations=3, replicates=200, lams=(0.2, 0.8), cs=(0.5, 3.0), block=200),
            expected_s=0.3),
    *closed_form_factories("smoke"),
    Factory("smoke-optimum", _solvers, dict(n_r=50), expected_s=0.22),
)

LSA_T2 = {"dim": "2", "context": "6", "label_noise": "1", "steps": "100"}
# σ_s = 0.3 puts the LSA's λ_c near 0.8 (ĉ = n γ̂_0 ≈ 5 at n = 100), well inside (0, 1).
LSA_PHASE = {"dim": "2", "context": "6", "label_noise": "0.3", "steps": "100", "probes": "200"}
# The transformer near λ_c: one parent-written label per prompt (seed_labels = context),
# so its coupling is maximal; full-batch Adam with weight decay keeps ĉ moderate.
TF_PHASE = {"dim": "2", "context": "4", "seed_labels": "4", "width": "16", "heads": "2", "layers": "1",
            "batch": "0", "steps": "100", "lr": "0.003", "weight_decay": "0.1", "label_noise": "2",
            "probes": "100"}

GAIN_CELLS = ({"lam": 0.5, "params": {"gain": "3"}}, {"lam": 0.8, "params": {"gain": "3"}})

#: Ordered cheap-and-decisive first: ``stl verify --self-test`` stops a fault's run at the
#: first failing check, so the order sets how long the self-test takes, not what it finds.
QUICK: tuple[Factory, ...] = (
    Factory("verdict-rules", _rules, {}, expected_s=0.01),
    Factory("theory-identities", _identities, dict(points=12), expected_s=2.8),
    Factory("risk-closed-forms", _risks, dict(probe=4000, replicates=60), expected_s=2.0),
    Factory("coupling-maximal", _coupling, dict(draws=400, replicates=480), expected_s=1.2),
    Factory("stability-constants-categorical", _constants, dict(params=CAT, n=50, replicates=200),
            expected_s=0.2),
    # All five schemes against their exact references (stl.numerics.exact): mix, replace and
    # fresh by their moments and enumerated laws, the accumulating ones by their moments.
    Factory("categorical-exact", _exact,
            dict(params=CAT, configs=({"scheme": "mix", "n": 50, "lam": 0.5}, {"scheme": "replace", "n": 50, "lam": 0.0},
                                      {"scheme": "fresh", "n": 50, "lam": 0.5},
                                      {"scheme": "accumulate", "n": 50, "lam": 0.0},
                                      {"scheme": "accumulate-subsample", "n": 50, "lam": 0.0}),
                 generations=4, replicates=22000, block=11000, margin=0.05), expected_s=4.2),
    Factory("t1-validity-categorical", _pieces,
            dict(params=CAT, scheme="mix", n=50, lam=0.5, generations=4, replicates=12000, block=6000, margin=0.1),
            expected_s=1.5),
    Factory("t1-validity-categorical-replace", _pieces,
            dict(params=CAT, scheme="replace", n=50, lam=0.0, generations=4, replicates=8000, block=4000,
                 margin=0.1), expected_s=0.7),
    Factory("l2-attained-categorical", _attained,
            dict(model="categorical", params=CAT, cells=({"lam": 0.5}, {"lam": 0.2}), n=50, generations=4,
                 replicates=4500, block=2250, margin=0.05), expected_s=1.4),
    Factory("l2-attained-gain", _attained,
            dict(model="gain-bernoulli", params={}, cells=GAIN_CELLS, n=10_000, generations=3, replicates=1500,
                 block=750, margin=0.1), expected_s=1.8),
    Factory("phase-transition-gain", _phase,
            dict(model="gain-bernoulli", n=2000, generations=5, replicates=400, lams=(0.2, 0.5, 0.8), cs=(0.5, 1.5, 3.0), block=400),
            expected_s=1.9),
    # The closed forms the model cards give, at the sizes each model declares for this suite.
    *closed_form_factories("quick"),
    Factory("rate-gen-gap-categorical", _exponent,
            dict(model="categorical", params=CAT, metric="gen_gap", ns=(50, 100, 200, 400, 800),
                 expected=-1.0, margin=0.1, replicates=2000, block=1000,
                 claim="T1 at i = 0: |E gen_0| ≤ β_n = O(1/n); the fitted exponent of E gen_0 in n is −1 (±0.1)."),
            expected_s=0.73),
    Factory("rate-dtv-categorical", _exponent,
            dict(model="categorical", params=CAT, metric="tv_to_real", ns=(100, 200, 400, 800, 1600),
                 expected=-0.5, margin=0.05, replicates=2000, block=1000,
                 claim="D4's rate: E d_TV(P_θ0, D_0) ∝ n^{-1/2}; the fitted exponent is −0.5 (±0.05)."),
            expected_s=0.64),
    Factory("growth-shape-categorical", _growth,
            dict(model="categorical", params=CAT, metric="tv_to_real", n=100, lams=(0.0, 0.5),
                 generations=20, replicates=1000, plateau_margin=0.05), expected_s=0.33),
    Factory("t1-validity-gaussian", _validity,
            dict(model="gaussian", params={"dim": "1"}, n=100, lam=0.5, generations=5,
                 replicates=400, est_replicates=60, block=200), expected_s=3.5),
    Factory("t1-validity-linreg", _validity,
            dict(model="linreg", params={"dim": "5"}, n=100, lam=0.5, generations=5,
                 replicates=400, est_replicates=60, block=200), expected_s=0.9),
    Factory("t1-validity-kde", _validity,
            dict(model="kde", params={"bandwidth": "0.3"}, n=50, lam=0.5, generations=3,
                 replicates=120, est_replicates=30, block=60), expected_s=2.1),
    Factory("t1-tightness-categorical", _tightness,
            dict(model="categorical", params=CAT, ns=(50, 200), lams=(0.2, 0.8), generations=6,
                 replicates=1000, block=1000), expected_s=1.2),
    Factory("t3-solver-consistency", _solvers, dict(n_r=100), expected_s=3.1),
    Factory("t3-simulated-optimum", _simulated_optimum,
            dict(n_r=50, grid=(0, 12, 25, 50, 100, 200), params=CAT, generations=4, replicates=20000, block=5000,
                 margin=0.05), expected_s=8.0),
    # Label noise σ_s = 1 makes each synthetic generation move the parent visibly, so 6
    # generations of 40 replicates separate λ = 0 from λ = 0.9, above this learner's λ_c
    # (≈ 0.5 from ĉ = n γ̂_0 at n = 100, σ_s = 1); 200 probe prompts keep it cheap.
    Factory("t2-icl-lsa-quick", _t2,
            dict(model="lsa", params={**LSA_T2, "probes": "200"}, ns=(100, 400), lam=0.9, generations=6,
                 replicates=40, margin=0.1, block=40), expected_s=13.0),
    Factory("t2-phase-lsa-quick", _t2_phase,
            dict(model="lsa", params=LSA_PHASE, n=100, lams=(0.4, 0.9), generations=4, replicates=48,
                 c_replicates=80, measure_draws=128, block=48), expected_s=4.8),
)

FULL_EXTRA: tuple[Factory, ...] = (
    # Published results reproduced with the toolkit's loop (docs/literature.md); times measured
    # on two shared cores beside other jobs.
    Factory("lit-shumailov-gaussian", _lit_gaussian, {}, expected_s=9.4),
    Factory("lit-gerstgrasser-accumulate", _lit_gerstgrasser, {}, expected_s=8.3),
    Factory("lit-shumailov-gmm", _lit_gmm, {}, expected_s=94.0),
    Factory("lit-bertrand-flow", _lit_bertrand, {}, expected_s=174.0),
    Factory("lit-fu-kde-phase-transition", _lit_fu_kde, {}, expected_s=15.0),
    Factory("categorical-exact-grid", _exact,
            dict(params={"k": "5"}, configs=({"scheme": "mix", "n": 40, "lam": 0.25, "replicates": 95000},
                                               {"scheme": "fresh", "n": 40, "lam": 0.5, "replicates": 95000},
                                               {"scheme": "mix", "n": 80, "lam": 0.75, "replicates": 170000}),
                 generations=10, replicates=95000, block=10000, margin=0.03), expected_s=16.0),
    Factory("t1-validity-categorical-grid", _pieces,
            dict(params={"k": "5"}, scheme="mix", n=80, lam=0.25, generations=10, replicates=100000, block=10000,
                 margin=0.05), expected_s=3.5),
    Factory("l2-attained-gain-long", _attained,
            dict(model="gain-bernoulli", params={}, n=10_000, generations=4, replicates=5400, block=1350,
                 cells=({"lam": 0.3, "params": {"gain": "1.2"}}, {"lam": 0.5, "params": {"gain": "1.5"}},
                        {"lam": 0.7, "params": {"gain": "3"}},
                        {"lam": 0.0, "params": {"gain": "1.5"}, "replicates": 20000}),
                 margin=0.05), expected_s=18.0),
    Factory("t1-validity-gaussian-2d", _validity,
            dict(model="gaussian", params={"dim": "2"}, n=200, lam=0.3, generations=10,
                 replicates=1000, est_replicates=200, block=250), expected_s=5.0),
    Factory("t1-validity-linreg-ridge", _validity,
            dict(model="linreg", params={"dim": "5", "ridge": "0.1"}, n=200, lam=0.3, generations=10,
                 replicates=1000, est_replicates=200, block=250), expected_s=3.0),
    Factory("t1-validity-kde-full", _validity,
            dict(model="kde", params={"bandwidth": "0.3"}, n=100, lam=0.5, generations=8,
                 replicates=400, est_replicates=80, block=100), expected_s=20.0),
    Factory("t1-tightness-categorical-grid", _tightness,
            dict(model="categorical", params=CAT, ns=(50, 100, 200, 400, 800), lams=(0.1, 0.3, 0.5, 0.7, 0.9),
                 generations=20, replicates=2000, block=1000), expected_s=16.0),
    Factory("growth-shape-gaussian-mean", _growth,
            dict(model="gaussian", params={"dim": "1"}, metric="mean_error", n=100, lams=(0.0, 0.3, 0.7),
                 generations=30, replicates=4000, plateau_margin=0.2, block=1000), expected_s=2.7),
    Factory("phase-transition-gain-grid", _phase,
            dict(model="gain-bernoulli", n=5000, generations=8, replicates=1000, boundary_replicates=6500,
                 lams=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), cs=(0.5, 1.5, 2.0, 2.5, 3.0, 4.0),
                 block=1000), expected_s=26.0),
    *closed_form_factories("full"),
    Factory("t2-icl-lsa", _t2,
            dict(model="lsa", params=LSA_T2, ns=(100, 800), lam=0.9, generations=20, replicates=80,
                 margin=0.1, block=20), expected_s=150.0),
    Factory("t2-phase-lsa", _t2_phase,
            dict(model="lsa", params=LSA_PHASE, n=100, lams=(0.4, 0.9), generations=6, replicates=160,
                 c_replicates=160, measure_draws=256, block=40), expected_s=35.0),
    # STABLE_RECIPE of stl.numerics.models.transformer: full-batch Adam, weight decay, σ_s = 4.
    Factory("t2-depth-transformer", _t2_depth,
            dict(params={"dim": "2", "context": "6", "width": "16", "heads": "2", "batch": "0", "steps": "200",
                         "lr": "0.003", "weight_decay": "0.1", "label_noise": "4", "probes": "500"},
                 layers=(1, 2, 4), n=100, replicates=16, neighbours=1, block=8), expected_s=205.0),
    # T2 (i)/(ii) on the transformer: the risk's generation-to-generation change is noisy
    # (per-replicate sd ≈ 0.3 at level ≈ 0.8), so "levelled off" is a ±25 % band, which
    # 52 replicates decide (power in details: 44 needed at the measured distance, seed 0).
    Factory("t2-icl-transformer", _t2,
            dict(model="transformer", params={**TF_PHASE, "probes": "500"}, ns=(64, 256), lam=0.95, generations=4,
                 replicates=52, margin=0.25, block=26), expected_s=440.0),
    Factory("t2-phase-transformer", _t2_phase,
            dict(model="transformer", params=TF_PHASE, n=64, lams=(0.4, 0.95), generations=3, replicates=64,
                 c_replicates=32, measure_draws=256, block=16), expected_s=400.0),
    Factory("t3-simulated-optimum-long", _simulated_optimum,
            dict(n_r=100, grid=(0, 25, 50, 100, 200, 400, 800), params=CAT, generations=10, replicates=34000,
                 block=8500, margin=0.05), expected_s=23.0),
)

# -- the `gpu` suite (issue 19): T2 with transformers that learn, at Garg-like sizes ----------
# Self-contained: its checks (stl.verify.checks.icl, "T2 at device sizes") run on CUDA, and
# `resolve` refuses them in one line where no CUDA device is available. The learn-cuda recipe
# (d 8, context 20, noise 0.5, width 32, 2 layers, initial weights 8x GPT-2's, 3000 steps)
# learns on every replicate at n = 16384 (16 on the CPU: 1.06-1.40x ridge, mean 1.23); at
# n = 4096 it over-fits (mean 1.39x, paired +0.06 in risk, sd 0.04), which is what "decreases
# with n" is read from. expected_s is predicted for one H200 by benchmarks/gpu_cost.py from
# the first GPU session's step times (its one finished check, 136 s, calibrates the
# per-check overhead); the whole suite is predicted at about 4.6 minutes, against 8 allowed
# and the 350 s the GPU session gives it. Replicates from the power of each row:
#  * t2: (ii) replace's risk grew 0.011 a generation in the first session; a fit's risk
#    varies by 0.035 between replicates (CPU), so risk_G - risk_0 has an sd of about 0.05
#    and at G = 4 (+0.044) needs 14 replicates at the suite's z (2.50, 4 rows) and 80 %
#    power; (i) by n: +0.06 with sd 0.04 needs 6; learns: -0.1 with sd 0.035 needs 2.
#  * phase: learn-cuda fits are not chaotic in one prompt: on the CPU (4 datasets, n = 16384,
#    sigma_s = 1, one parent-written label) the TV of one swap was 0.0001-0.0048 (mean 0.0015,
#    so c-hat is about 25 and lambda_c about 0.96), of 34 swaps 0.006-0.018, of unrelated data
#    0.05. Because c varies between datasets by more than its mean, the side row (c-hat's
#    interval inside [c/4, 2.5c] for rho = 4 and 0.4) needs about 30 datasets; 8192 coupled
#    draws keep the Monte Carlo error of each gamma-hat (about 12 differing draws at gamma
#    0.0015: relative sd 0.3) small beside that spread (relative sd about 1.4). Below (rho = 4) the measured growth in the number of swaps
#    (TV ~ swaps^0.56) predicts gamma-hat_2 of about 3.8 gamma-hat_0; with a per-dataset sd as
#    large as the mean, 24 replicates decide growth > gamma-hat_0/4.
#  * depth: c-hat(L=4) - c-hat(L=1), paired on the same datasets; 16 datasets, with the
#    datasets that would separate L=2 from L=4 reported.
_gpu_t2 = _lazy("stl.verify.checks.icl:t2_learning_check")
_gpu_phase = _lazy("stl.verify.checks.icl:t2_adaptive_phase_check")
_gpu_depth = _lazy("stl.verify.checks.icl:t2_depth_learning_check")
GPU_LEARN = {"recipe": "learn-cuda"}

GPU: tuple[Factory, ...] = (
    Factory("gpu-t2-transformer", _gpu_t2,
            dict(params=GPU_LEARN, n=16384, n_small=4096, lam=0.5, generations=4, replicates=16, margin=0.25,
                 learn_factor=1.5), expected_s=93.0),
    # One parent-written label per prompt (seed_labels = context): the coupling is maximal.
    # sigma_s = 1 keeps gamma-hat readable (not saturated) for a chaotic minibatch learner.
    Factory("gpu-phase-transformer", _gpu_phase,
            dict(params={**GPU_LEARN, "seed_labels": "20", "label_noise": "1"}, n=16384, rho_below=4.0,
                 rho_above=0.4, generations=2, replicates=24, c_replicates=32, measure_draws=8192,
                 learn_factor=1.5), expected_s=122.0),
    Factory("gpu-depth-transformer", _gpu_depth,
            dict(params={**GPU_LEARN, "label_noise": "1"}, layers=(1, 2, 4), n=16384, replicates=16,
                 learn_factor=1.5), expected_s=53.0),
)
_GPU_NAMES = frozenset(f.name for f in GPU)


def refuse_without_cuda(names: Sequence[str]) -> None:
    """The gpu checks need CUDA: refuse them (one line, exit status 2) where there is none.

    Called by ``stl verify`` before it runs anything; building the checks (``resolve``,
    ``--list``, the build-and-validate test) works on any machine."""
    if not any(f.name in _GPU_NAMES for f in _pick(names)):
        return
    try:
        import torch

        ok = torch.cuda.is_available()
    except ImportError:
        ok = False
    if not ok:
        raise InputError("--suite", "gpu", "a machine with a CUDA device (none is available here); "
                                           "run quick or full instead")
# -- end of the gpu suite ------------------------------------------------------------------------


SUITES: Mapping[str, tuple[Factory, ...]] = FrozenDict({
    "smoke": SMOKE,
    "quick": QUICK,
    "full": QUICK + FULL_EXTRA,
    "gpu": GPU,
})


def all_factories() -> dict[str, Factory]:
    """Every check of every suite, by name (names are unique across suites)."""
    out: dict[str, Factory] = {}
    for suite in SUITES.values():
        for f in suite:
            out.setdefault(f.name, f)
    return out


def check_names() -> tuple[str, ...]:
    return tuple(all_factories())


def resolve(names: Sequence[str]) -> list[Check]:
    """Checks for suite and/or check names, in order, without duplicates.

    Unknown names raise :class:`~stl.verify.errors.InputError` listing what is allowed.
    """
    seen, out = set(), []
    for f in _pick(names):
        if f.name not in seen:
            seen.add(f.name)
            out.append(f.make())
    return out


def _pick(names: Sequence[str]) -> list[Factory]:
    """The factories that suite and/or check ``names`` stand for, in order."""
    if not names:
        names = ["quick"]
    table = all_factories()
    picked: list[Factory] = []
    for name in names:
        if name in SUITES:
            picked.extend(SUITES[name])
        elif name in table:
            picked.append(table[name])
        else:
            raise InputError("--suite", repr(name),
                             f"a suite ({', '.join(SUITES)}) or a check name (see `stl verify --list`)")
    return picked

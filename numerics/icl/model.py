"""What the ``lsa`` and ``transformer`` models share, behind the engine's :class:`Model` protocol.

The two models are declared in :mod:`stl.numerics.models.lsa` and
:mod:`stl.numerics.models.transformer`; this module holds their common base
:class:`ICLModel`. It imports torch only when a model is built (:func:`torch_parts`).

Data are prompts packed as ``(R, n, T, d + 1)`` NumPy arrays (``T = context + 1``, label
in the last channel; see :mod:`stl.numerics.icl.prompts`); ``--n`` counts prompts. Fitting
trains one model per replicate, all replicates as one batched torch computation;
sampling writes synthetic prompts as in THEORY.md T2 (:mod:`stl.numerics.icl.synthetic`).

Parameters (``--param K=V``; DESIGN.md names first)

=================  ===========================================================  ===========
``dim``            input dimension ``d``                                        5
``context``        labelled examples ``m`` before the query (``T = m + 1``)     10
``noise``          σ of real labels                                             0.1
``seed_labels``    ``k_0``: labels of a synthetic prompt taken from its task    2
``label_noise``    σ_s of the parent-written synthetic labels                   0.1
``steps``          optimiser steps per generation                               lsa 100, transformer 800
``lr``             lsa: gradient-descent step as a fraction of ``1/L`` (the     lsa 1.0, transformer 0.003
                   loss curvature, < 2); transformer: peak Adam learning rate
``batch``          prompts per minibatch, 0 = full batch                        lsa 0, transformer 32
``layers``         transformer blocks                                           2
``width``          transformer width                                            32
``heads``          attention heads (divides ``width``)                          2
``attention``      transformer: ``linear`` or ``softmax`` (see                  linear
                   :mod:`stl.numerics.icl.transformer`)
``optimizer``      transformer: ``adam`` or ``sgd``                             adam
``weight_decay``   transformer: decoupled (AdamW) weight decay                  0
``curriculum``     transformer: fraction of steps over which the prompt         0
                   length grows from 2 pairs to ``context + 1``
``warm_start``     1: generation ``j`` starts from its parent's weights;        0
                   0: every generation is trained from a fresh initialisation
``clip``           ``M``: the loss for ``gen_gap`` is ``min(squared error, M)``  10
``probes``         real prompts per replicate for ``icl_risk`` and baselines    1000
=================  ===========================================================  ===========

Sizing on a CPU: the transformer defaults (width 32, 2 layers, linear attention, 800
Adam steps of 32 prompts, peak lr 0.003 with a 5 % linear warm-up, cosine decay to 0
and per-replicate gradient clipping at norm 1) and its run defaults ``--n 2000
--replicates 2`` (``default_n``, ``default_replicates``; ``lsa``: 500 and 32) make ``stl
simulate transformer --generations 5`` take about two minutes on two shared cores
(measured 1 min 52 s), with a generation-0 ``icl_risk`` of ≈ 0.13–0.27 against
averaging ≈ 0.6 and least squares / ridge ≈ 0.02 (``benchmarks/icl_training.py``; the
first defaults — softmax attention, width 16, 400 constant-rate steps — gave ≈ 0.7). The training set is the generation's fixed ``n``
prompts, drawn in minibatches with replacement for ``steps`` steps (about ``steps ·
batch / n`` epochs). Replicates are batched (one computation, no Python loop over
replicates); on one CPU thread the default-size decoder is compute-bound, so its cost
still grows about linearly in ``R`` there (``benchmarks/icl_batched.py``).

Training minimises the plain mean squared error (clipping would zero the gradient of
large errors); ``gen_gap`` uses the clipped loss ``ℓ ∈ [0, M]`` that T1 needs. The
transformer scores every position (``ŷ_k`` from the prefix); ``lsa`` scores the query,
as in the trained-linear-transformer literature (:mod:`stl.numerics.icl.lsa`).

Metrics: ``icl_risk`` (mean squared error on the query label after ``context`` real
examples, fresh real prompts, purpose ``"probe"``), ``gen_gap``, the baselines on the
same prompts ``icl_risk_ls``, ``icl_risk_ridge`` (Bayes-optimal), ``icl_risk_avg``;
``lsa`` adds ``icl_risk_exact`` (closed-form risk of the trained ``Γ``) and
``gamma_scale`` (``tr Γ / d``, whose optimum is ``c*``).

Randomness: purposes ``"init"`` (transformer weights) and ``"batches"`` (minibatch
indices) are read by ``fit``; two fits given equal streams share both, so neighbouring
datasets differ only in the data (what τ̂_n and γ̂_n^i need).

>>> from stl.numerics.rng import ReplicateStreams
>>> from stl.numerics.models.registry import get_model
>>> m = get_model("lsa", {"dim": "3", "context": "6"}, device="cpu")
>>> s = ReplicateStreams(0, 2)
>>> data = m.draw_real(s, 200)
>>> data.shape
(2, 200, 7, 4)
>>> theta = m.fit(data, streams=s)
>>> m.sample(theta, s, 5).shape
(2, 5, 7, 4)
>>> sorted(m.metrics(theta, data, s))[:3]
['gamma_scale', 'gen_gap', 'icl_risk']
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from stl.numerics.errors import InputError
from stl.numerics.models.base import REAL, Model, ParamSpec, choice_of, float_in, int_in
from stl.numerics.rng import ReplicateStreams


@cache
def torch_parts():
    """``(torch, parts)``: torch and the ICL machinery, imported on first use.

    Declaring or listing the ICL models (``--help``, ``--list-models``, the docs) never
    imports torch; building one does, through this function.
    """
    import torch

    from stl.numerics.icl import _torch, baselines, prompts, synthetic, training

    return torch, _Parts(_torch, baselines, prompts, synthetic, training)


def threaded(method):
    """Run a torch-heavy method under the toolkit's thread policy
    (:func:`stl.numerics.threads.torch_threads`: one thread unless ``STL_TORCH_THREADS``
    says otherwise), so tiny kernels never oversubscribe a busy machine."""
    import functools

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        from stl.numerics.threads import torch_threads

        with torch_threads():
            return method(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class _Parts:
    torch_io: Any
    baselines: Any
    prompts: Any
    synthetic: Any
    training: Any


def common_specs(steps: str, lr: str, batch: str) -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("dim", int_in(1, 256), "5", "an integer in [1, 256]", "input dimension d"),
        ParamSpec("context", int_in(1, 512), "10", "an integer in [1, 512]", "examples m before the query"),
        ParamSpec("noise", float_in(0.0), "0.1", "a float >= 0", "sigma of real labels"),
        ParamSpec("seed_labels", int_in(0), "2", "an integer in [0, context + 1]", "k_0: task labels per synthetic prompt"),
        ParamSpec("label_noise", float_in(0.0), "0.1", "a float >= 0", "sigma_s of synthetic labels"),
        ParamSpec("steps", int_in(0, 10_000_000), steps, "an integer >= 0", "optimiser steps per generation"),
        ParamSpec("lr", float_in(0.0, low_open=True), lr, "a float > 0 (lsa: < 2)", "learning rate"),
        ParamSpec("batch", int_in(0), batch, "an integer >= 0 (0 = full batch)", "minibatch size"),
        ParamSpec("warm_start", choice_of("0", "1"), "0", "0 or 1", "1: start from the parent's weights"),
        ParamSpec("clip", float_in(0.0, low_open=True), "10", "a float > 0", "M: clip level of the loss"),
        ParamSpec("probes", int_in(1, 1_000_000), "1000", "an integer >= 1", "real prompts for icl_risk"),
    )


@dataclass(frozen=True)
class ICLParams:
    """Fitted weights of ``R`` replicates (tensors with a leading replicate axis)."""

    tensors: dict  # name -> torch.Tensor (R, ...)

    @property
    def replicates(self) -> int:
        return next(iter(self.tensors.values())).shape[0]


class ICLModel(Model):
    """Shared machinery of the two in-context-learning models (see the module docstring)."""

    family = "icl"
    devices = ("cpu", "cuda")
    requires = ("torch",)
    risk_metric = "icl_risk"
    # Sequential reflection coupling: each synthetic label is maximally coupled given its
    # chain's past (THEORY.md D3). Per prompt it is a valid coupling whose differing
    # fraction is at least the prompt-level TV: an upper estimate, which D3 allows.
    # An instance whose prompts carry one parent-written label (seed_labels >= context)
    # is maximal (see __init__).
    coupling = "upper"
    #: torch dtype of the weights and prompts, by name (torch is imported lazily).
    dtype_name = "float32"
    #: Positions scored by training and by the loss: ``k >= loss_from(T)``.
    score_query_only = False

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        torch, K = torch_parts()
        super().__init__(params, device=device)
        self.dtype = getattr(torch, self.dtype_name)
        p = self.params
        K.prompts.check_prompt_params(p["dim"], p["context"], p["noise"])
        self.dim, self.context, self.noise = p["dim"], p["context"], p["noise"]
        self.length = self.context + 1
        K.synthetic.check_synthetic_params(self.length, p["seed_labels"], p["label_noise"])
        self.seed_labels, self.label_noise = p["seed_labels"], p["label_noise"]
        if self.seed_labels >= self.length - 1:
            # At most one parent-written label per prompt: the label-by-label coupling is
            # then the reflection coupling of one Gaussian pair, which *is* maximal
            # (P(differ) = d_TV of the prompt laws), so γ̂ is unbiased for this instance.
            self.coupling = "maximal"
        self.steps, self.lr, self.batch = p["steps"], p["lr"], p["batch"]
        self.warm_start = p["warm_start"] == "1"
        self.loss_bound = float(p["clip"])
        self.probe_size = int(p["probes"])
        self.noise_size = K.prompts.prompt_noise_size(self.dim, self.length)

    def resolve_device(self, device: str) -> str:
        # auto: CUDA when torch sees one; cuda without one is refused (numerics.icl._torch)
        return self._k.torch_io.resolve_device(device).type

    @property
    def _torch(self):
        return torch_parts()[0]

    @property
    def _k(self):
        return torch_parts()[1]

    @property
    def torch_device(self):
        return self._torch.device(self.device)

    # -- model-specific ------------------------------------------------------------
    predict_fn: Callable

    @abc.abstractmethod
    def init_tensors(self, replicates: int, streams: ReplicateStreams) -> dict:
        """Initial weights ``(R, ...)`` (read from ``streams["init"]`` when random)."""

    @abc.abstractmethod
    def optimizer(self) -> str:
        """``"sgd"`` or ``"adam"`` (see :mod:`stl.numerics.icl.training`)."""

    @property
    def loss_from(self) -> int:
        return self.length - 1 if self.score_query_only else 0

    # -- conversion ----------------------------------------------------------------
    def _prompts(self, data: np.ndarray):
        data = np.asarray(data)
        if data.ndim != 4 or data.shape[2:] != (self.length, self.dim + 1):
            raise InputError("prompts", data.shape, f"an array (R, n, {self.length}, {self.dim + 1})")
        return self._k.prompts.unpack(data, device=self.torch_device, dtype=self.dtype)

    def _noise_tensor(self, z: np.ndarray):
        return self._k.torch_io.as_tensor(z, self.torch_device, self.dtype)

    def _numpy(self, t) -> np.ndarray:
        return self._k.torch_io.to_numpy(t)

    # -- protocol ------------------------------------------------------------------
    def draw_real(self, streams: ReplicateStreams, count: int, purpose: str = "real") -> np.ndarray:
        z = streams.normal(purpose, (count, self.noise_size))
        p = self._k.prompts.prompts_from_noise(self._noise_tensor(z), self.dim, self.length, self.noise)
        return self._numpy(p.pack())

    @threaded
    def fit(self, data: np.ndarray, *, streams: ReplicateStreams | None = None,
            warm: ICLParams | None = None) -> ICLParams:
        prompts = self._prompts(data)
        R, n = prompts.replicates, prompts.count
        if streams is None:
            # A learner with randomness needs a stream; without one the fit is seeded by
            # 0 so that it stays a deterministic function of the data.
            streams = ReplicateStreams(0, R)
        if streams.replicates != R:
            raise InputError("streams", streams.replicates, f"{R} replicates (the data's leading axis)")
        init = self.init_tensors(R, streams)   # always drawn: keeps the init stream aligned
        if self.warm_start and warm is not None:
            init = {k: v.clone() for k, v in warm.tensors.items()}
        order = None
        # Minibatches (with replacement) unless batch = 0, or gradient descent would
        # see the whole set anyway (batch >= n): then full-batch, deterministic GD.
        if self.batch and not (self.batch >= n and self.optimizer() == "sgd"):
            idx = streams.integers("batches", n, (self.steps, self.batch))
            order = self._torch.as_tensor(idx, device=self.torch_device)
        return ICLParams(self.train_tensors(init, prompts, order))

    #: Learning-rate schedule and per-replicate gradient clip of :func:`training.train`.
    schedule = "constant"
    grad_clip: float | None = None

    #: Decoupled weight decay and length-curriculum fraction (:func:`training.train`).
    weight_decay = 0.0
    curriculum = 0.0

    def train_tensors(self, init: dict, prompts, order) -> dict:
        return self._k.training.train(init, self.predict_fn, prompts, steps=self.steps, lr=self.lr, order=order,
                     optimizer=self.optimizer(), loss_from=self.loss_from, schedule=self.schedule,
                     clip=self.grad_clip, weight_decay=self.weight_decay, curriculum=self.curriculum)

    def draw_noise(self, streams: ReplicateStreams, count: int, generations: int,
                   purpose: str = "synthetic") -> np.ndarray:
        return streams.normal(purpose, (generations, count, self.noise_size))

    def _synth_kwargs(self):
        return {"dim": self.dim, "length": self.length, "seed_labels": self.seed_labels,
                    "noise": self.noise, "label_noise": self.label_noise}

    @threaded
    def sample(self, params: ICLParams, streams: ReplicateStreams, count: int, *,
               noise: np.ndarray | None = None, purpose: str = "synthetic") -> np.ndarray:
        if noise is None:
            noise = streams.normal(purpose, (count, self.noise_size))
        z = self._noise_tensor(noise)
        p = self._k.synthetic.synthesize(self.predict_fn, params.tensors, z, **self._synth_kwargs())
        return self._numpy(p.pack())

    @threaded
    def sample_coupled(self, params_a: ICLParams, params_b: ICLParams, streams: ReplicateStreams,
                       count: int, purpose: str = "coupling"):
        z = self._noise_tensor(streams.normal(purpose, (count, self.noise_size)))
        u = self._noise_tensor(streams.uniform(purpose + "-accept", (count, self.length)))
        c = self._k.synthetic.synthesize_coupled(self.predict_fn, params_a.tensors, self.predict_fn, params_b.tensors,
                               z, u, **self._synth_kwargs())
        return self._numpy(c.a.pack()), self._numpy(c.b.pack()), c.differ.cpu().numpy()

    def _errors(self, params: ICLParams, prompts, loss_from: int | None = None):
        with self._torch.no_grad():
            return self._k.training.squared_errors(self.predict_fn, params.tensors, prompts,
                                                   self.loss_from if loss_from is None else loss_from)

    @threaded
    def loss(self, params: ICLParams, data: np.ndarray) -> np.ndarray:
        err = self._errors(params, self._prompts(data))
        # Clip each squared error at M, then average over the scored positions: in [0, M].
        return self._numpy(err.clamp(max=self.loss_bound).mean(-1))

    def _probe_prompts(self, streams: ReplicateStreams):
        # The run's real probe prompts, drawn once (common random numbers over generations).
        return self._k.prompts.unpack(self.probe(streams), device=self.torch_device, dtype=self.dtype)

    def risk(self, params: ICLParams, streams: ReplicateStreams) -> np.ndarray:
        return self.loss(params, self.probe(streams)).mean(axis=1)

    @threaded
    def measure(self, params: ICLParams, streams: ReplicateStreams, names) -> dict[str, np.ndarray]:
        probe = self._probe_prompts(streams)
        out = {}
        if "icl_risk" in names:
            out["icl_risk"] = self._numpy(self._errors(params, probe, 0)[..., -1].mean(-1))
        baselines = [m for m in names if m.startswith("icl_risk_") and m.removeprefix("icl_risk_")
                     in self._k.baselines.BASELINES]
        if baselines:
            # Baselines in float64: the normal equations of small prompts are ill-conditioned.
            p64 = self._k.prompts.Prompts(probe.x.double(), probe.y.double())
            for name, value in self._k.baselines.baseline_risks(p64, self.noise).items():
                out[f"icl_risk_{name}"] = self._numpy(value)
        out.update(self.extra_metrics(params, names))
        return {m: out[m] for m in names}

    def extra_metrics(self, params: ICLParams, names) -> dict[str, np.ndarray]:
        """Model-specific metrics among ``names`` (none by default)."""
        return {}

    # -- densities and TV ------------------------------------------------------------
    def _label_logpdf_parent(self, params: ICLParams, p):
        # log N(y_k; TF_θ(prefix), σ_s²) summed over the parent-written labels k >= k_0.
        k0 = self.seed_labels
        if k0 >= self.length:
            return p.y.new_zeros(p.y.shape[:2])
        if self.label_noise == 0:
            raise InputError("label_noise", 0, "> 0 (a density of synthetic prompts needs label noise)")
        with self._torch.no_grad():
            mean = self.predict_fn(params.tensors, p.x, p.y)[..., k0:]
        r = (p.y[..., k0:] - mean) / self.label_noise
        return (-0.5 * r ** 2 - math.log(self.label_noise * math.sqrt(2 * math.pi))).sum(-1)

    def _task_logpdf(self, p, upto: int):
        # Labels y_{<upto} with the task integrated out: N(0, X Xᵀ/d + σ² I).
        torch = self._torch
        if upto == 0:
            return p.y.new_zeros(p.y.shape[:2])
        X = p.x[..., :upto, :].double()
        y = p.y[..., :upto].double()
        cov = X @ X.transpose(-1, -2) / self.dim
        cov = cov + self.noise ** 2 * torch.eye(upto, dtype=cov.dtype, device=cov.device)
        try:
            L = torch.linalg.cholesky(cov)
        except RuntimeError:
            raise InputError("noise", self.noise, "> 0 (the real label law is singular at 0)") from None
        sol = torch.linalg.solve_triangular(L, y.unsqueeze(-1), upper=False).squeeze(-1)
        logdet = 2 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)
        return (-0.5 * (sol ** 2).sum(-1) - 0.5 * logdet - 0.5 * upto * math.log(2 * math.pi)).to(p.y.dtype)

    def log_density(self, params: ICLParams | None, data: np.ndarray) -> np.ndarray:
        """``log`` density of packed prompts under ``P_θ`` (``params=REAL``: ``D_0``)."""
        p = self._prompts(data)
        logx = (-0.5 * p.x ** 2 - 0.5 * math.log(2 * math.pi)).sum((-1, -2))
        if params is REAL:
            return self._numpy(logx + self._task_logpdf(p, self.length))
        return self._numpy(logx + self._task_logpdf(p, self.seed_labels) + self._label_logpdf_parent(params, p))

    @threaded
    def tv(self, p, q, streams: ReplicateStreams, *, samples: int | None = None) -> np.ndarray:
        """``d_TV`` between laws; two fitted parents use only the label likelihood ratio.

        Inputs, task and the first ``k_0`` labels have the same law under every parent,
        so ``q/p`` is the ratio of the parent-written labels' Gaussian likelihoods: the
        unbiased estimate ``E_{P}(1 − q/p)_+`` needs no marginal over tasks.
        """
        if len(p) == 1 and len(q) == 1 and p[0][1] is not REAL and q[0][1] is not REAL:
            m = samples or self.probe_size
            a, b = p[0][1], q[0][1]
            x = self._prompts(self.sample(a, streams, m, purpose="tv"))
            ratio = self._label_logpdf_parent(b, x) - self._label_logpdf_parent(a, x)
            return self._numpy((1.0 - self._torch.exp(ratio.clamp(max=0.0))).clamp(0.0, 1.0).mean(1))
        return super().tv(p, q, streams, samples=samples)



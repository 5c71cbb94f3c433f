"""What the ``lsa`` and ``transformer`` models share, behind the engine's :class:`Model` protocol.

The two models are declared in :mod:`stl.numerics.models.lsa` and
:mod:`stl.numerics.models.transformer`; this module holds their common base
:class:`ICLModel`. It imports torch only when a model is built (:func:`torch_parts`).

Data are prompts packed as ``(R, n, T, d + 1)`` NumPy arrays (``T = context + 1``, label
in the last channel; see :mod:`stl.numerics.icl.prompts`); ``--n`` counts prompts. Fitting
trains one model per replicate, all replicates as one batched torch computation;
sampling writes synthetic prompts as in THEORY.md T2 (:mod:`stl.numerics.icl.synthetic`).

Parameters (``--param K=V``; DESIGN.md names first). ``recipe`` names a whole
configuration (:mod:`stl.numerics.icl.recipes`): the parameters marked *recipe* below take
the recipe's values unless given explicitly, and the recipe also sets the run sizes
``--n`` and ``--replicates`` when those are not given. ``recipe=auto`` (the default)
picks the device's recipe, so a run with no ``--param`` trains a network that learns:
``learn-cpu`` on a CPU, ``learn-cuda`` on CUDA (``lsa``: ``gd`` on both).

=================  ===========================================================  ===========
``recipe``         named configuration (:mod:`stl.numerics.icl.recipes`)        auto
``dim``            input dimension ``d``                                        recipe
``context``        labelled examples ``m`` before the query (``T = m + 1``)     recipe
``noise``          σ of real labels                                             recipe
``seed_labels``    ``k_0``: labels of a synthetic prompt taken from its task    2
``label_noise``    σ_s of the parent-written synthetic labels                   recipe
``steps``          optimiser steps per generation                               recipe
``lr``             lsa: gradient-descent step as a fraction of ``1/L`` (the     recipe
                   loss curvature, < 2); transformer: peak Adam learning rate
``batch``          prompts per minibatch, 0 = full batch                        recipe
``layers``         transformer blocks                                           recipe
``width``          transformer width                                            recipe
``heads``          attention heads (divides ``width``)                          recipe
``init_scale``     transformer: factor on GPT-2's initial weight scale 0.02     recipe
``attention``      transformer: ``linear`` or ``softmax`` (see                  linear
                   :mod:`stl.numerics.icl.transformer`)
``optimizer``      transformer: ``adam`` or ``sgd``                             adam
``weight_decay``   transformer: decoupled (AdamW) weight decay                  recipe
``curriculum``     transformer: fraction of steps over which the prompt         recipe
                   length grows from 2 pairs to ``context + 1``
``precision``      transformer: ``fp32``, ``tf32`` or ``bf16`` products in      fp32
                   training (CUDA only; :mod:`stl.numerics.icl.precision`)
``warm_start``     1: generation ``j`` starts from its parent's weights;        0
                   0: every generation is trained from a fresh initialisation
``clip``           ``M``: the loss for ``gen_gap`` is ``min(squared error, M)``  10
``probes``         real prompts per replicate for ``icl_risk`` and baselines    1000
=================  ===========================================================  ===========

Sizing. A fit trains every replicate as one batched computation (no Python loop over
replicates) in as few runs as the device's free memory allows
(:mod:`stl.numerics.icl.sizing`); measurements and synthetic samples are computed in
chunks of prompts sized the same way. Fits are *deferred* (:mod:`stl.numerics.icl.deferred`):
the two chains of the stability estimators train as one batched run. On a CPU the
``learn-cpu`` recipe's run sizes (``--n 4000 --replicates 2``) take about 30 s per
generation on one free core; on CUDA a training step is captured once as a CUDA graph
and replayed (:mod:`stl.numerics.icl.capture`).

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
from stl.numerics.icl import recipes
from stl.numerics.icl.deferred import ICLParams
from stl.numerics.models.base import REAL, Model, ParamSpec, choice_of, float_in, int_in
from stl.numerics.rng import ReplicateStreams

__all__ = ["ICLModel", "ICLParams", "common_specs", "torch_parts"]


@cache
def torch_parts():
    """``(torch, parts)``: torch and the ICL machinery, imported on first use.

    Declaring or listing the ICL models (``--help``, ``--list-models``, the docs) never
    imports torch; building one does, through this function.
    """
    import torch

    from stl.numerics.icl import _torch, baselines, deferred, precision, prompts, sizing, synthetic, training

    return torch, _Parts(_torch, baselines, prompts, synthetic, training, sizing, precision, deferred)


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
    sizing: Any
    precision: Any
    deferred: Any


_FROM_RECIPE = "set by the recipe"


def common_specs(model: str) -> tuple[ParamSpec, ...]:
    """The ``--param`` keys both ICL models accept; those every recipe of ``model`` sets
    have no default of their own (:mod:`stl.numerics.icl.recipes`)."""
    keyed = set(recipes.keys(model))

    def default(key, value):
        return None if key in keyed else value

    def note(key, text):
        return f"{text} ({_FROM_RECIPE})" if key in keyed else text

    specs = (
        ParamSpec("recipe", choice_of(*recipes.names(model)), "auto", help=recipes.help_text(model)),
        ParamSpec("dim", int_in(1, 256), default("dim", "5"), help=note("dim", "input dimension d")),
        ParamSpec("context", int_in(1, 512), default("context", "10"), help=note("context", "examples m before the query")),
        ParamSpec("noise", float_in(0.0), default("noise", "0.1"), help=note("noise", "sigma of real labels")),
        # the upper end depends on context: the model checks it when it is built
        ParamSpec("seed_labels", int_in(0).where("and <= context + 1"), "2",
                  help="k_0: task labels per synthetic prompt"),
        ParamSpec("label_noise", float_in(0.0), default("label_noise", "0.1"),
                  help=note("label_noise", "sigma_s of synthetic labels")),
        ParamSpec("steps", int_in(0, 10_000_000), default("steps", "100"),
                  help=note("steps", "optimiser steps per generation")),
        # lsa's gradient descent is stable for lr < 2 (its own check when it is built)
        ParamSpec("lr", float_in(0.0, low_open=True).where("(lsa: < 2)"), default("lr", "1.0"),
                  help=note("lr", "learning rate")),
        ParamSpec("batch", int_in(0).where("(0 = full batch)"), default("batch", "0"),
                  help=note("batch", "minibatch size")),
        ParamSpec("warm_start", choice_of("0", "1"), "0", help="1: start from the parent's weights"),
        ParamSpec("clip", float_in(0.0, low_open=True), "10", help="M: clip level of the loss"),
        ParamSpec("probes", int_in(1, 1_000_000), "1000", help="real prompts for icl_risk"),
    )
    return specs


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
    # is maximal (effective_coupling).
    coupling = "upper"
    #: torch dtype of the weights and prompts, by name (torch is imported lazily).
    dtype_name = "float32"
    #: Positions scored by training and by the loss: ``k >= loss_from(T)``.
    score_query_only = False
    #: Products in training (:mod:`stl.numerics.icl.precision`); the transformer reads it
    #: from ``--param precision``.
    precision = "fp32"
    #: The loss and its backward compiled into fused kernels (:mod:`stl.numerics.icl.fusion`);
    #: the transformer reads it from ``--param compile``.
    compile_step = False

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        torch, K = torch_parts()
        given = dict(params or {})
        # The recipe fills every recipe key the caller left out; it depends on the device
        # actually used (auto: CUDA when present), so resolve that first.
        used = K.torch_io.resolve_device(device).type
        recipe = recipes.resolve(self.name, str(given.get("recipe", "auto")).strip(), used)
        super().__init__({**recipe.params, **given, "recipe": recipe.name}, device=device)
        self.recipe = recipe
        # Run sizes the recipe was measured with (instance attributes: the CLI reads them).
        self.default_n, self.default_replicates = recipe.n, recipe.replicates
        self.dtype = getattr(torch, self.dtype_name)
        p = self.params
        K.prompts.check_prompt_params(p["dim"], p["context"], p["noise"])
        self.dim, self.context, self.noise = p["dim"], p["context"], p["noise"]
        self.length = self.context + 1
        K.synthetic.check_synthetic_params(self.length, p["seed_labels"], p["label_noise"])
        self.seed_labels, self.label_noise = p["seed_labels"], p["label_noise"]
        self.steps, self.lr, self.batch = p["steps"], p["lr"], p["batch"]
        self.warm_start = p["warm_start"] == "1"
        self.loss_bound = float(p["clip"])
        self.probe_size = int(p["probes"])
        self.noise_size = K.prompts.prompt_noise_size(self.dim, self.length)
        self._queue = K.deferred.FitQueue(self._train_stacked)
        self._activation_bytes: float | None = None

    @property
    def effective_coupling(self) -> str:
        """``maximal`` when a prompt carries at most one parent-written label: the
        label-by-label coupling is then the reflection coupling of one Gaussian pair, which
        *is* maximal (P(differ) = d_TV of the prompt laws), so γ̂ is unbiased for this
        instance; otherwise the class's ``upper``."""
        return "maximal" if self.seed_labels >= self.length - 1 else type(self).coupling

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

    @property
    def trainings(self) -> int:
        """Batched trainings this model has run (deferred fits trained together count once)."""
        return self._queue.trainings

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

    # -- memory ----------------------------------------------------------------------
    def activation_bytes_per_prompt(self) -> float:
        """Bytes one prompt's forward pass keeps for backward (:mod:`stl.numerics.icl.sizing`)."""
        if self._activation_bytes is None:
            one = {k: v[:1].detach().cpu() for k, v in
                   self.init_tensors(1, ReplicateStreams(0, 1)).items()}
            self._activation_bytes = self._k.sizing.activation_bytes_per_prompt(
                self.predict_fn, one, length=self.length, dim=self.dim, dtype=self.dtype)
        return self._activation_bytes

    def training_bytes_per_replicate(self, n: int) -> float:
        """Device memory one replicate's fit on ``n`` prompts needs at its peak."""
        n_params = sum(math.prod(v.shape[1:]) for v in self.init_tensors(1, ReplicateStreams(0, 1)).values())
        return self._k.sizing.training_bytes_per_replicate(
            activation_per_prompt=self.activation_bytes_per_prompt(), batch=min(self.batch or n, n), n=n,
            length=self.length, dim=self.dim, n_params=n_params, steps=self.steps)

    def cost_weights(self) -> int:
        """Weights the cost model counts per replicate: linear attention's one ``(d + 1)²`` matrix."""
        return (self.dim + 1) ** 2

    def cost(self, n: int):
        """Training units per replicate and generation, ``(steps × batch + probes) × (m + 1) ×
        weights``, the memory of one replicate's training and the FLOPs of one optimiser step
        (forward and backward: 6 FLOPs per weight and token, ``2(m + 1)`` tokens a prompt):
        a fit trains a network, so the sizes are the network's, not a measured tiny fit's."""
        from stl.numerics.models.cost import Cost, point_size

        batch = min(self.batch or n, n)
        weights = self.cost_weights()
        units = (self.steps * batch + self.probe_size) * (self.context + 1) * weights
        flops = 6.0 * weights * batch * 2 * (self.context + 1)
        return Cost(point_size(self), weights, False, self.probe_size, float(units),
                    float(self.training_bytes_per_replicate(n)), flops, int(self.steps))

    def _prompt_chunk(self, replicates: int) -> int:
        """Prompts per replicate that one no-grad forward pass may take at once."""
        S = self._k.sizing
        budget = S.EVAL_FRACTION * S.free_bytes(self.torch_device)
        per = max(self.activation_bytes_per_prompt(), 1.0) * replicates
        return int(max(1, min(1 << 30, budget // per))) if math.isfinite(budget) else 1 << 30

    def predict_chunked(self, tensors: dict, x, y):
        """``predict_fn`` over the prompt axis in chunks that fit the device (float32 products)."""
        torch = self._torch
        chunk = self._prompt_chunk(x.shape[0])
        with torch.no_grad(), self._k.precision.exact_products():
            if x.shape[1] <= chunk:
                return self.predict_fn(tensors, x, y)
            return torch.cat([self.predict_fn(tensors, x[:, a:b], y[:, a:b])
                              for a, b in self._k.sizing.chunks(x.shape[1], chunk)], dim=1)

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
        """Everything but the training happens now (streams read, data on the device); the
        training itself is deferred and batched with other pending fits
        (:mod:`stl.numerics.icl.deferred`)."""
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
            order = self._torch.as_tensor(idx, device=self.torch_device, dtype=self._torch.int32)
        # Minibatch fits train together whatever their n (the smaller datasets are padded
        # with rows no index reaches); full-batch fits need equal n.
        signature = ("full", n) if order is None else ("minibatch",) + tuple(order.shape[1:])
        return self._queue.submit(init, prompts, order, signature)

    def _train_stacked(self, init: dict, prompts, order) -> dict:
        """Train a stack of replicates in as few batched runs as the device's memory allows."""
        from stl.numerics.threads import torch_threads

        torch, S = self._torch, self._k.sizing
        R = prompts.replicates
        with torch_threads():
            per = self.training_bytes_per_replicate(prompts.count)
            size = S.replicates_per_batch(S.TRAIN_FRACTION * S.free_bytes(self.torch_device), per, R)
            parts = []
            for a, b in S.chunks(R, size):
                part = self._k.prompts.Prompts(prompts.x[a:b], prompts.y[a:b])
                parts.append(self.train_tensors({k: v[a:b] for k, v in init.items()}, part,
                                                None if order is None else order[a:b]))
            if len(parts) == 1:
                return parts[0]
            return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}

    #: Learning-rate schedule and per-replicate gradient clip of :func:`training.train`.
    schedule = "constant"
    grad_clip: float | None = None

    #: Decoupled weight decay and length-curriculum fraction (:func:`training.train`).
    weight_decay = 0.0
    curriculum = 0.0

    def train_tensors(self, init: dict, prompts, order) -> dict:
        return self._k.training.train(init, self.predict_fn, prompts, steps=self.steps, lr=self.lr, order=order,
                                      optimizer=self.optimizer(), loss_from=self.loss_from, schedule=self.schedule,
                                      clip=self.grad_clip, weight_decay=self.weight_decay,
                                      curriculum=self.curriculum, precision=self.precision,
                                      compile=self.compile_step)

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
        p = self._k.synthetic.synthesize(self.predict_chunked, params.tensors, z, **self._synth_kwargs())
        return self._numpy(p.pack())

    @threaded
    def sample_coupled(self, params_a: ICLParams, params_b: ICLParams, streams: ReplicateStreams,
                       count: int, purpose: str = "coupling"):
        z = self._noise_tensor(streams.normal(purpose, (count, self.noise_size)))
        u = self._noise_tensor(streams.uniform(purpose + "-accept", (count, self.length)))
        ta, tb = params_a.tensors, params_b.tensors
        c = self._k.synthetic.synthesize_coupled(self.predict_chunked, ta, self.predict_chunked, tb,
                                                 z, u, **self._synth_kwargs())
        return self._numpy(c.a.pack()), self._numpy(c.b.pack()), c.differ.cpu().numpy()

    def _errors(self, params: ICLParams, prompts, loss_from: int | None = None):
        start = self.loss_from if loss_from is None else loss_from
        pred = self.predict_chunked(params.tensors, prompts.x, prompts.y)
        return (pred[..., start:] - prompts.y[..., start:]) ** 2

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
        mean = self.predict_chunked(params.tensors, p.x, p.y)[..., k0:]
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



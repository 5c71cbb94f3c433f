"""The ``Model`` protocol: what the loop, the schemes and the estimators need of a model.

Every method is *batched over replicates*: data, parameters, losses and metrics carry a
leading replicate axis of length ``R``. The loop never iterates over replicates; the
only per-replicate Python loop is inside :class:`stl.numerics.rng.ReplicateStreams` block
draws (THEORY.md section 0 fixes the loop; DESIGN.md fixes the metric and parameter
names).

Data
    A dataset of ``n`` points for ``R`` replicates is one NumPy array of shape
    ``(R, n, *point_shape)``: ``(R, n)`` integer symbols for ``categorical``,
    ``(R, n, d)`` for ``gaussian``/``kde``, ``(R, n, d + 1)`` rows ``(x, y)`` for
    ``linreg``, ``(R, n, m, d + 1)`` prompts for the in-context-learning models.
    Because a dataset is an array, schemes build training sets by slicing and
    concatenating along axis 1, and estimators build neighbouring datasets
    (D1/D2 of THEORY.md) by overwriting one index along axis 1.

Parameters
    ``fit`` returns an opaque, model-specific batched parameter object (the classical
    models use a small frozen dataclass of arrays with leading axis ``R``; the torch
    models may hold a batched module). The engine only passes it back to the same model.

Randomness
    Every random number comes from a :class:`~stl.numerics.rng.ReplicateStreams` passed in,
    under a *purpose* tag (``"real"``, ``"synthetic"``, ``"probe"``, ``"coupling"``,
    ``"init"``...), so results do not depend on how replicates are split.

Hooks with defaults
    * sufficient statistics (``suff_stats`` / ``fit_stats``) for ``accumulate``:
      a model that returns ``None`` from ``suff_stats`` is refitted on the
      concatenated pool instead;
    * pre-drawn sampling noise (``draw_noise`` / ``sample(..., noise=...)``), so the loop
      draws the noise of many generations in one block;
    * the maximal coupling (``sample_coupled``) used by ``estimate_gamma`` (THEORY.md D3);
      a model without it gets the synchronous-coupling *proxy*, labelled as such;
    * total variation (``tv``) between fitted laws and mixtures of them with ``D_0``
      (``REAL`` stands for ``D_0``); the default is the unbiased Monte Carlo identity
      ``d_TV(P, Q) = E_{x~P} (1 - q(x)/p(x))_+`` from ``log_density``.

Minimal example (the categorical model implements the protocol):

>>> from stl.numerics.models.registry import get_model
>>> from stl.numerics.rng import ReplicateStreams
>>> model = get_model("categorical", {"k": "3"})
>>> streams = ReplicateStreams(seed=0, replicates=4)
>>> s0 = model.draw_real(streams, 20)
>>> s0.shape
(4, 20)
>>> theta = model.fit(s0)
>>> model.sample(theta, streams, 5).shape
(4, 5)
>>> sorted(model.metrics(theta, s0, streams))
['gen_gap', 'heterozygosity', 'support_size', 'tv_to_real']
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from stl.numerics.errors import InputError
from stl.numerics.models.cost import Cost
from stl.numerics.models.params import (  # noqa: F401 - the declaration's vocabulary, re-exported
    Choice,
    FloatRange,
    IntRange,
    ParamSpec,
    choice_of,
    float_in,
    int_in,
    parse_params,
)
from stl.numerics.models.verification import Case, ClosedFormRun, Verification  # noqa: F401
from stl.numerics.rng import ReplicateStreams

#: Stands for the real law ``D_0`` in a mixture given to :meth:`Model.tv`.
REAL = None

#: A mixture of laws: ``[(weight, params_or_REAL), ...]`` with weights summing to 1.
Mixture = Sequence[tuple[float, Any]]

Params = Any
Stats = dict


@dataclass(frozen=True)
class MetricInfo:
    """How a metric reads in a figure: a few words and its LaTeX (matplotlib mathtext
    renders it; no ``$``), both for one replicate's value at generation ``i``.

    >>> print(METRICS["tv_to_real"].label())
    TV to the real law $d_{\\mathrm{TV}}(P_{\\hat{\\theta}_i}, D_0)$
    """

    words: str
    latex: str

    def label(self) -> str:
        return f"{self.words} ${self.latex}$" if self.latex else self.words


#: The metrics of the built-in models, declared once (figures, reports and the docs read
#: them through :meth:`Model.metric_info`). ``gen_gap`` is not here: it is THEORY.md's
#: ``gen_i``, whose LaTeX :mod:`stl.theory` owns (the verify layer joins the two). A model
#: whose metric means something else under the same name says so in its own
#: ``metric_latex``.
METRICS: Mapping[str, MetricInfo] = {
    "heterozygosity": MetricInfo("heterozygosity", r"1 - \sum_k \hat{q}_{i,k}^2"),
    "tv_to_real": MetricInfo("TV to the real law", r"d_{\mathrm{TV}}(P_{\hat{\theta}_i}, D_0)"),
    "support_size": MetricInfo("symbols kept", r"|\{k : \hat{q}_{i,k} > 0\}|"),
    "variance": MetricInfo("variance of the fitted law", r"\mathrm{tr}\,\mathrm{Cov}(P_{\hat{\theta}_i}) / d"),
    "component_variance": MetricInfo("within-component variance", r"\sum_c \hat{w}_c\,\hat{\sigma}_{c}^2"),
    "mean_error": MetricInfo("error of the fitted mean", r"\|\hat{\mu}_i - \mu\|^2"),
    "kl_to_real": MetricInfo("KL from the real law", r"\mathrm{KL}(D_0 \,\|\, P_{\hat{\theta}_i})"),
    "test_error": MetricInfo("excess test risk", r"\|\hat{\theta}_i - \theta^{\star}\|^2"),
    "nll_real": MetricInfo("NLL on real data", r"\mathbb{E}_{D_0}[-\log p_{\hat{\theta}_i}]"),
    "theta": MetricInfo("fitted parameter", r"\hat{\theta}_i"),
    "at_clip": MetricInfo("share at the clip", r"\mathbf{1}[\hat{\theta}_i \in \{0, 1\}]"),
    "cross_entropy": MetricInfo("cross-entropy on real text", r"\mathbb{E}_{D_0}[-\log p_{\hat{\theta}_i}] / L"),
    "entropy": MetricInfo("entropy of the fitted law", r"H(P_{\hat{\theta}_i}) / L"),
    "icl_risk": MetricInfo("ICL risk on real prompts", r"R_{\mathrm{ICL}}(\hat{\theta}_i)"),
    "icl_risk_ls": MetricInfo("ICL risk, least squares", r"R_{\mathrm{ICL}}^{\mathrm{LS}}"),
    "icl_risk_ridge": MetricInfo("ICL risk, Bayes-optimal ridge", r"R_{\mathrm{ICL}}^{\mathrm{ridge}}"),
    "icl_risk_avg": MetricInfo("ICL risk, averaging", r"R_{\mathrm{ICL}}^{\mathrm{avg}}"),
    "icl_risk_exact": MetricInfo("ICL population risk (closed form)", r"R_{\mathrm{ICL}}(\hat{\Gamma}_i)"),
    "gamma_scale": MetricInfo("scale of the trained attention", r"\mathrm{tr}\,\hat{\Gamma}_i / d"),
}


#: Model families: ``classical`` models fit in closed form with numpy; ``icl`` models
#: train in-context learners on prompts with torch (THEORY.md T2).
FAMILIES = ("classical", "icl")

#: How :meth:`Model.sample_coupled` couples two parents' synthetic draws (THEORY.md D3):
#: ``maximal`` — ``P(x ≠ x') = d_TV`` exactly, so the fraction of differing draws is an
#: unbiased estimate of ``E d_TV``; ``upper`` — a valid coupling (each chain keeps its own
#: law) whose differing fraction is at least ``d_TV`` (e.g. label-by-label maximal
#: couplings of a sequence): an upper estimate; ``synchronous`` — the same noise fed to
#: both parents, valid for T1 but a labelled proxy for ``γ`` (for continuous data almost
#: every draw differs).
COUPLINGS = ("maximal", "upper", "synchronous")

#: Devices a ``--device`` option may name.
DEVICES = ("auto", "cpu", "cuda")


class Model(abc.ABC):
    """A learning algorithm ``A`` together with its generative law ``P_θ`` and real law ``D_0``.

    A model is **one declaration**: the class attributes below say everything the numeric
    side of the toolkit needs to know about it without building it (its ``--param`` keys
    with their ranges and defaults, its metrics and which of them is its risk, whether its
    risk is exact, its coupling, run sizes, family, devices, the packages it needs, the sizes
    at which it is verified), and the methods implement it. The theory side of the same
    model (analytic constants or the reason there are none, closed forms) is declared in its
    module of :mod:`stl.theory.models`; :mod:`stl.verify.cards` joins the two halves by
    ``name``. The registry (:mod:`stl.numerics.models.registry`) discovers
    every subclass that sets ``name`` in the modules of :mod:`stl.numerics.models`, and
    third-party subclasses through the ``stl.models`` entry-point group; nothing else
    lists model names.

    ``self.params`` holds the typed ``--param`` values (after :func:`parse_params`) and
    ``self.device`` the device actually used.
    """

    # -- the declaration (class attributes) -----------------------------------------
    #: Registry name (``categorical``, ``gaussian``, ...). Empty for abstract bases.
    name: ClassVar[str] = ""
    #: One line for ``stl simulate --list-models`` and the docs.
    summary: ClassVar[str] = ""
    #: The ``--param`` keys this model accepts, in ``--help`` order.
    param_specs: ClassVar[tuple[ParamSpec, ...]] = ()
    #: Every metric the model can report (DESIGN.md names), in report order. ``gen_gap``
    #: is computed by the base class from :meth:`risk` and :meth:`loss`.
    metric_names: ClassVar[tuple[str, ...]] = ()
    #: The metric that measures the fitted law's risk on ``D_0`` (lower is better); what
    #: ``stl optimize --method simulate`` minimizes over ``n_s``.
    risk_metric: ClassVar[str] = "gen_gap"
    #: LaTeX of this model's own metrics where :data:`METRICS` has none or means something
    #: else (``{"name": MetricInfo(...)}``); read by :meth:`metric_info`.
    metric_latex: ClassVar[Mapping[str, MetricInfo]] = {}
    #: ``classical`` or ``icl`` (:data:`FAMILIES`).
    family: ClassVar[str] = "classical"
    #: Devices the model can run on besides ``auto`` (``cpu`` always).
    devices: ClassVar[tuple[str, ...]] = ("cpu",)
    #: Python packages the model needs beyond numpy and scipy (``("torch",)``).
    requires: ClassVar[tuple[str, ...]] = ()
    #: How :meth:`sample_coupled` couples two parents (:data:`COUPLINGS`).
    coupling: ClassVar[str] = "synchronous"
    #: Whether :meth:`risk` is exact (a closed form or quadrature), not the default Monte
    #: Carlo mean over a real probe; the model-facts checks hold it against fresh real data.
    exact_risk: ClassVar[bool] = False
    #: The sizes at which the model is verified (:mod:`stl.numerics.models.verification`):
    #: model-facts cases, closed-form suite checks, atlas entries.
    verification: ClassVar[Verification] = Verification()
    #: ``--param`` values the verification checks pin unless a check names them (the
    #: transformer's ``recipe``: its checks were sized before recipes existed, and must not
    #: change when the command line's default recipe does).
    pinned_in_checks: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: Whether :meth:`exact_loop` gives the exact law of the loop (the T1 tightness check needs it).
    has_exact_loop: ClassVar[bool] = False
    #: Run sizes the CLI uses when ``--n`` / ``--replicates`` are not given (the torch
    #: models train one network per replicate and need more data, fewer replicates).
    default_n: ClassVar[int] = 100
    default_replicates: ClassVar[int] = 200

    # -- facts that may depend on the parameters (instance attributes or properties) --
    #: ``M``: the loss used for ``gen_gap`` lies in ``[0, M]``.
    loss_bound: float = 1.0
    #: Size of the real probe sample of Monte Carlo risks and TV (see :meth:`probe`).
    probe_size: int = 2000

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        # Values may be CLI strings or already-typed values; both go through the specs so a
        # model built in Python is validated exactly like one built from ``--param``.
        given = {k: v if isinstance(v, str) else _as_text(v) for k, v in dict(params or {}).items()}
        self.params = parse_params(self.name, self.param_specs, given)
        self.device = self.resolve_device(device)

    def resolve_device(self, device: str) -> str:
        """The device this model will use for ``--device device`` (``InputError`` if it cannot).

        numpy models run on the CPU: ``auto`` means ``cpu``, and ``cuda`` is refused
        rather than recorded as if it had been used. Torch models override this.
        """
        if device not in DEVICES:
            raise InputError("--device", device, " | ".join(DEVICES))
        if device == "cuda" and "cuda" not in self.devices:
            raise InputError("--device", device, f"auto or cpu ({self.name} runs on the CPU with numpy)")
        return "cpu" if device == "auto" else device

    @property
    def has_maximal_coupling(self) -> bool:
        """``effective_coupling == "maximal"`` (kept for code written against the earlier flag)."""
        return self.effective_coupling == "maximal"

    @property
    def tv_exact(self) -> bool:
        """Whether :meth:`tv` between two fitted laws is deterministic (closed form or
        quadrature) rather than a Monte Carlo estimate. Default: no."""
        return False

    def law_facts(self) -> dict[str, float]:
        """Numbers that describe this configured model for theory's formulas, by name: its
        numeric ``--param`` values (``dim``, ``scale``, ...), plus what a model derives from
        them (the categorical model's ``real_heterozygosity``). The theory card of the model
        names the symbol each one stands for; :mod:`stl.verify.cards` checks they match."""
        return {k: v for k, v in self.params.items()
                if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)}

    def cost(self, n: int) -> Cost:
        """What one replicate and generation costs at ``n`` (:mod:`stl.numerics.models.cost`):
        by default measured on tiny data; a model that trains a network states its own."""
        from stl.numerics.models.cost import measured_cost

        return measured_cost(self, n)

    @property
    def effective_coupling(self) -> str:
        """The coupling of this configured instance: the class's :attr:`coupling` (a fact of
        the class, never changed per instance), unless these parameters make
        :meth:`sample_coupled` tighter than the class promises (an in-context learner whose
        prompts carry one parent-written label is maximal)."""
        return type(self).coupling

    def exact_loop(self, scheme: str, n: int, lam: float, generations: int):
        """The exact law of the whole loop at these settings (a reference the T1 tightness
        check holds its bound against: ``E gen_i`` with no sampling error), or ``None`` when
        the model has none (the default). :attr:`has_exact_loop` says so without building."""
        return None

    def available_metrics(self) -> tuple[str, ...]:
        """The metrics these parameters support (default: every declared metric).

        A model withholds a declared metric its parameters cannot give (the Gaussian
        ``tv_to_real`` exists only in one dimension).
        """
        return tuple(self.metric_names)

    # -- required -------------------------------------------------------------------
    @abc.abstractmethod
    def draw_real(self, streams: ReplicateStreams, count: int, purpose: str = "real") -> np.ndarray:
        """``count`` i.i.d. points from ``D_0`` per replicate: ``(R, count, *point_shape)``."""

    @abc.abstractmethod
    def fit(self, data: np.ndarray, *, streams: ReplicateStreams | None = None, warm: Params | None = None) -> Params:
        """``θ = A(S)`` for every replicate's dataset ``data`` ``(R, n, ...)``.

        ``warm`` is the parent's parameters (iterative learners may start from them);
        ``streams`` feeds learners that are themselves random (initialisation, batches).
        """

    @abc.abstractmethod
    def sample(self, params: Params, streams: ReplicateStreams, count: int, *,
               noise: np.ndarray | None = None, purpose: str = "synthetic") -> np.ndarray:
        """``count`` i.i.d. points from ``P_θ`` per replicate: ``(R, count, ...)``.

        With ``noise`` (one generation's slice of :meth:`draw_noise`), no stream is read.
        """

    @abc.abstractmethod
    def loss(self, params: Params, data: np.ndarray) -> np.ndarray:
        """Per-point bounded loss ``ℓ(θ, z) ∈ [0, M]``: shape ``(R, n)``."""

    @abc.abstractmethod
    def measure(self, params: Params, streams: ReplicateStreams, names: Sequence[str]) -> dict[str, np.ndarray]:
        """The model's own metrics ``names`` (never ``gen_gap``) → ``(R,)`` values.

        ``streams`` feeds Monte Carlo metrics (real probes come from :meth:`probe`).
        """

    def metrics(self, params: Params, train: np.ndarray | None, streams: ReplicateStreams,
                names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Metrics ``names`` (default: :meth:`available_metrics`) → ``(R,)`` values.

        ``gen_gap`` (THEORY.md section 0) is ``risk − mean loss on train`` for every model;
        with ``train=None`` it is skipped.
        """
        want = self.check_metrics(names)
        own = [m for m in want if m != "gen_gap"]
        out = self.measure(params, streams, own) if own else {}
        if "gen_gap" in want and train is not None:
            out["gen_gap"] = self.gen_gap(params, train, streams)
        return {m: out[m] for m in want if m in out}

    @classmethod
    def metric_info(cls, name: str) -> MetricInfo | None:
        """How ``name`` reads in a figure: this model's own declaration, else the table of
        built-in metrics (:data:`METRICS`); ``None`` when neither declares it.

        >>> from stl.numerics.models.registry import model_class
        >>> model_class("categorical").metric_info("heterozygosity").words
        'heterozygosity'
        """
        return cls.metric_latex.get(name) or METRICS.get(name)

    def check_metrics(self, names: Sequence[str] | None) -> tuple[str, ...]:
        """``names`` validated against :meth:`available_metrics` (``None``: all of them)."""
        available = self.available_metrics()
        if names is None:
            return available
        names = tuple(names)
        unknown = [m for m in names if m not in available]
        if unknown:
            raise InputError("--metric", ", ".join(unknown), f"a metric of {self.name}: " + ", ".join(available))
        return names

    # -- optional hooks with defaults ---------------------------------------------
    def draw_noise(self, streams: ReplicateStreams, count: int, generations: int,
                   purpose: str = "synthetic") -> np.ndarray | None:
        """Parameter-free sampling noise for ``generations`` generations, ``(R, G, count, ...)``.

        Returning ``None`` (the default) makes the loop call :meth:`sample` without noise.
        Drawing ``G`` generations at once equals drawing them one by one (C-order fill),
        so the loop may chunk generations freely.
        """
        return None

    def suff_stats(self, data: np.ndarray) -> Stats | None:
        """Additive sufficient statistics of ``data`` (dict of arrays), or ``None``.

        Statistics of a union of datasets are the elementwise sums (:meth:`add_stats`).
        """
        return None

    def add_stats(self, a: Stats, b: Stats) -> Stats:
        """Statistics of the union of two datasets (elementwise sum by default)."""
        return {key: a[key] + b[key] for key in a}

    def fit_stats(self, stats: Stats, *, warm: Params | None = None) -> Params:
        """``A`` applied through sufficient statistics; must equal ``fit`` on the pool."""
        raise NotImplementedError(f"{self.name} has no sufficient-statistics fit")

    def probe(self, streams: ReplicateStreams) -> np.ndarray:
        """The run's real probe sample ``(R, probe_size, ...)``, drawn once per run.

        Every generation of a run sees the same probe (common random numbers), so the
        differences between generations that the checks look at carry no probe noise.
        """
        return streams.memo(("probe", self.name, self.probe_size),
                            lambda: self.draw_real(streams, self.probe_size, purpose="probe"))

    def risk(self, params: Params, streams: ReplicateStreams) -> np.ndarray:
        """Population risk ``R_{D_0}(θ)`` ``(R,)``; default: mean loss on the run's real probe."""
        return self.loss(params, self.probe(streams)).mean(axis=1)

    def risk_under(self, params: Params, law: Params, streams: ReplicateStreams) -> np.ndarray:
        """``E_{z ~ P_law} ℓ(θ, z)`` ``(R,)``: the risk under a fitted law (T1's ``R_P``, the
        parent's law in the shift piece); ``law=REAL`` is :meth:`risk`. Default: the mean loss
        on ``probe_size`` draws from ``P_law`` (purpose ``"probe-law"``)."""
        if law is REAL:
            return self.risk(params, streams)
        return self.loss(params, self.sample(law, streams, self.probe_size, purpose="probe-law")).mean(axis=1)

    #: Largest ``(R, points)`` block of losses :meth:`empirical_risk` holds at once.
    loss_block_elements: ClassVar[int] = 1 << 21

    def empirical_risk(self, params: Params, train: np.ndarray) -> np.ndarray:
        """``R̂_S(θ)``, the mean loss on ``train`` per replicate, in blocks of points so
        that a long ``accumulate`` pool (``(R, (i + 1) n)``) never becomes one huge
        array of losses (each point's loss depends only on that point)."""
        R, size = train.shape[0], train.shape[1]
        step = max(1, self.loss_block_elements // max(R, 1))
        if size <= step:
            return self.loss(params, train).mean(axis=1)
        total = np.zeros(R)
        for start in range(0, size, step):
            total += self.loss(params, train[:, start:start + step]).sum(axis=1)
        return total / size

    def gen_gap(self, params: Params, train: np.ndarray, streams: ReplicateStreams) -> np.ndarray:
        """``R_{D_0}(θ) − R̂_S(θ)`` per replicate (THEORY.md section 0)."""
        return self.risk(params, streams) - self.empirical_risk(params, train)

    def log_density(self, params: Params, data: np.ndarray) -> np.ndarray:
        """``log p_θ(z)`` per point ``(R, n)``; ``params=REAL`` means ``D_0``."""
        raise NotImplementedError(f"{self.name} has no density")

    def tv(self, p: Mixture, q: Mixture, streams: ReplicateStreams, *, samples: int | None = None) -> np.ndarray:
        """``d_TV(P, Q)`` per replicate between two mixtures of fitted laws and ``D_0``.

        Default: unbiased Monte Carlo ``E_{x~P} (1 − q(x)/p(x))_+`` with ``samples``
        draws from ``P`` (purpose ``"tv"``). Models with a closed form override it.
        """
        m = samples or self.probe_size
        x = self._sample_mixture(p, streams, m)
        log_p = self._mixture_log_density(p, x)
        log_q = self._mixture_log_density(q, x)
        return np.clip(1.0 - np.exp(np.minimum(log_q - log_p, 0.0)), 0.0, 1.0).mean(axis=1)

    def sample_coupled(self, params_a: Params, params_b: Params, streams: ReplicateStreams,
                       count: int, purpose: str = "coupling") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A coupled pair of synthetic sets ``(x, x', differ)``, each ``(R, count, ...)``.

        Each marginal is ``count`` i.i.d. draws from its own parent's law; for a model
        with ``coupling = "maximal"`` the pairs are maximally coupled, so
        ``P(x_k ≠ x'_k) = d_TV(P_a, P_b)`` (THEORY.md D3). The default is the
        *synchronous* coupling (the same noise fed to both parents): valid for T1 but a
        proxy, and ``estimate_gamma`` labels it so. ``differ`` is ``(R, count)`` bool.
        """
        noise = self.draw_noise(streams, count, 1, purpose=purpose)
        if noise is None:
            raise NotImplementedError(f"{self.name} has neither a maximal coupling nor pre-drawable noise")
        xa = self.sample(params_a, streams, count, noise=noise[:, 0])
        xb = self.sample(params_b, streams, count, noise=noise[:, 0])
        differ = (xa != xb).reshape(xa.shape[0], count, -1).any(axis=2)
        return xa, xb, differ

    def describe(self) -> dict[str, Any]:
        """The model's name, typed parameters and device used, for a run's ``config``."""
        return {"model": self.name, "params": {k: _plain(v) for k, v in self.params.items()},
                "device": self.device}

    # -- helpers for mixtures --------------------------------------------------------
    def _draw_from(self, component: Params, streams: ReplicateStreams, count: int, purpose: str) -> np.ndarray:
        if component is REAL:
            return self.draw_real(streams, count, purpose=purpose)
        return self.sample(component, streams, count, purpose=purpose)

    def _sample_mixture(self, mix: Mixture, streams: ReplicateStreams, count: int) -> np.ndarray:
        # Draw `count` points from every component and pick one per point by a uniform:
        # wasteful by a factor len(mix) but keeps all draws parameter-free in size.
        parts = [self._draw_from(c, streams, count, "tv") for _, c in mix]
        if len(parts) == 1:
            return parts[0]
        u = streams.uniform("tv-mix", (count,))
        edges = np.cumsum([w for w, _ in mix])[:-1]
        which = np.searchsorted(edges, u, side="right")
        out = parts[0].copy()
        for k in range(1, len(parts)):
            sel = which == k
            out[sel] = parts[k][sel]
        return out

    def _mixture_log_density(self, mix: Mixture, x: np.ndarray) -> np.ndarray:
        logs = [np.log(w) + self.log_density(c, x) for w, c in mix if w > 0]
        return np.logaddexp.reduce(np.stack(logs), axis=0)


def _as_text(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(repr(float(v)) for v in np.ravel(value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


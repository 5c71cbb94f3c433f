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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stl.numerics.errors import InputError
from stl.numerics.rng import ReplicateStreams

#: Stands for the real law ``D_0`` in a mixture given to :meth:`Model.tv`.
REAL = None

#: A mixture of laws: ``[(weight, params_or_REAL), ...]`` with weights summing to 1.
Mixture = Sequence[tuple[float, Any]]

Params = Any
Stats = dict


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param`` a model accepts: name, parser, default (as text), allowed text.

    ``parse(text)`` returns the typed value or raises ``ValueError``; the registry turns
    that into an ``InputError`` naming the key and ``allowed``.

    >>> spec = ParamSpec("k", int_in(2, 10_000), "10", "an integer in [2, 10000]", "symbols")
    >>> spec.parse("7")
    7
    """

    name: str
    parse: Callable[[str], Any]
    default: str | None
    allowed: str
    help: str = ""


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """Parser of an integer in ``[low, high]`` (no upper limit when ``high`` is None)."""

    def parse(text: str) -> int:
        value = int(str(text).strip())
        if value < low or (high is not None and value > high):
            raise ValueError(text)
        return value

    return parse


def float_in(low: float | None = None, high: float | None = None, *, low_open: bool = False) -> Callable[[str], float]:
    """Parser of a finite float in ``[low, high]`` (``(low, high]`` when ``low_open``)."""

    def parse(text: str) -> float:
        value = float(str(text).strip())
        if not np.isfinite(value):
            raise ValueError(text)
        if low is not None and (value < low or (low_open and value == low)):
            raise ValueError(text)
        if high is not None and value > high:
            raise ValueError(text)
        return value

    return parse


def choice_of(*options: str) -> Callable[[str], str]:
    """Parser of one of ``options`` (exact text)."""

    def parse(text: str) -> str:
        value = str(text).strip()
        if value not in options:
            raise ValueError(text)
        return value

    return parse


def parse_params(model: str, specs: Sequence[ParamSpec], given: Mapping[str, str]) -> dict[str, Any]:
    """Typed values of ``given`` (CLI strings) filled with defaults; ``InputError`` otherwise.

    >>> parse_params("m", [ParamSpec("k", int_in(2), "3", "an integer >= 2")], {"k": "5"})
    {'k': 5}
    """
    by_name = {s.name: s for s in specs}
    for key in given:
        if key not in by_name:
            allowed = ", ".join(by_name) or "(none)"
            raise InputError(f"--param {key}", key, f"a parameter of {model}: {allowed}")
    out: dict[str, Any] = {}
    for spec in specs:
        text = given.get(spec.name, spec.default)
        if text is None:
            out[spec.name] = None
            continue
        try:
            out[spec.name] = spec.parse(text)
        except (ValueError, TypeError):
            raise InputError(f"--param {spec.name}", text, spec.allowed) from None
    return out


class Model(abc.ABC):
    """A learning algorithm ``A`` together with its generative law ``P_θ`` and real law ``D_0``.

    Subclasses set ``name``, ``param_specs``, ``metric_names``, ``loss_bound`` (``M``)
    and implement the abstract methods. ``self.params`` holds the typed ``--param``
    values (after :func:`parse_params`).
    """

    #: Registry name (``categorical``, ``gaussian``, ...).
    name: str = ""
    #: The ``--param`` keys this model accepts, in ``--help`` order.
    param_specs: tuple[ParamSpec, ...] = ()
    #: Metrics :meth:`metrics` returns (DESIGN.md names), in report order.
    metric_names: tuple[str, ...] = ()
    #: ``M``: the loss used for ``gen_gap`` lies in ``[0, M]``.
    loss_bound: float = 1.0
    #: Whether :meth:`tv` is deterministic — closed form or quadrature — (True) or a
    #: Monte Carlo estimate (False).
    tv_exact: bool = False
    #: Whether :meth:`sample_coupled` is the exact maximal coupling of THEORY.md D3.
    has_maximal_coupling: bool = False
    #: Size of the fresh real probe sample used by Monte Carlo risks and TV.
    probe_size: int = 2000
    #: Run sizes the CLI uses when ``--n`` / ``--replicates`` are not given (the torch
    #: models train one network per replicate and need more data, fewer replicates).
    default_n: int = 100
    default_replicates: int = 200

    def __init__(self, params: Mapping[str, Any] | None = None):
        # Values may be CLI strings or already-typed values; both go through the specs so a
        # model built in Python is validated exactly like one built from ``--param``.
        given = {k: v if isinstance(v, str) else _as_text(v) for k, v in dict(params or {}).items()}
        self.params = parse_params(self.name, self.param_specs, given)

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
    def metrics(self, params: Params, train: np.ndarray | None, streams: ReplicateStreams) -> dict[str, np.ndarray]:
        """Every name in ``metric_names`` → ``(R,)`` values for these parameters.

        ``train`` is the generation's training set (for ``gen_gap``; ``None`` means skip
        ``gen_gap``); ``streams`` feeds Monte Carlo metrics (purpose ``"probe"``).
        A model may also accept a keyword ``names`` (the metrics wanted, ``None`` = all)
        to skip work; ``run_loop`` passes it only when the signature has it.
        """

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

    def risk(self, params: Params, streams: ReplicateStreams) -> np.ndarray:
        """Population risk ``R_{D_0}(θ)`` ``(R,)``; default: mean loss on a fresh real probe."""
        probe = self.draw_real(streams, self.probe_size, purpose="probe")
        return self.loss(params, probe).mean(axis=1)

    def gen_gap(self, params: Params, train: np.ndarray, streams: ReplicateStreams) -> np.ndarray:
        """``R_{D_0}(θ) − R̂_S(θ)`` per replicate (THEORY.md section 0)."""
        return self.risk(params, streams) - self.loss(params, train).mean(axis=1)

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
        with ``has_maximal_coupling`` the pairs are maximally coupled, so
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
        """The model's name and typed parameters, for a run's ``config``."""
        return {"model": self.name, "params": {k: _plain(v) for k, v in self.params.items()}}

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


"""One run of the self-consuming loop, described once: :class:`RunSpec`.

A run is a model (registry name and ``--param`` texts), a scheme, its sizes (``n``, ``λ``,
generations, replicates), a seed, the metrics to keep and how ``gen_gap`` averages an
``accumulate`` pool. Every path that runs the loop — ``stl simulate``, ``stl bound``,
``stl sweep``'s cells, the loop checks (:func:`stl.verify.checks.loops.loop_block`, which the
closed-form, exact, ICL and literature checks, the atlas and ``stl optimize --method
simulate`` use) and the Python API (:func:`stl.simulate`) — builds one ``RunSpec`` and asks
it for the model, the scheme, the config it records and the :class:`Trajectory`. So the
defaults (the model's own ``n`` and replicates, ``λ = 0.5``) are resolved in one place and
the metric names are validated once, against the model, when the spec is resolved.

>>> spec = RunSpec("categorical", n=20, lam=0.5, generations=2, replicates=4, seed=0,
...                metrics=("gen_gap",))
>>> spec.run().values["gen_gap"].shape
(4, 3)
>>> c = spec.config(command="simulate")
>>> c["command"], c["scheme"], c["n_r"], c["n_s"], c["lam_effective"]
('simulate', 'mix', 10, 10, 0.5)
>>> RunSpec("categorical", metrics=("nope",)).metric_names
Traceback (most recent call last):
...
stl.kernel.errors.InputError: --metric: got nope; allowed: a metric of categorical: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

#: ``λ`` of a run that does not give one (``stl simulate`` without ``--lam``).
DEFAULT_LAM = 0.5


@dataclass(frozen=True)
class RunSpec:
    """What one loop run is; resolved (model built, scheme sized, metrics checked) on first use.

    ``n`` and ``replicates`` left at ``None`` take the model's own defaults, ``lam`` at
    ``None`` takes :data:`DEFAULT_LAM`; ``metrics`` at ``None`` keeps every metric of the
    model. ``model_object`` passes a model already built from ``model`` and ``params``
    (a command that needed it before the run, e.g. for its budget check), so it is not
    built twice.
    """

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    scheme: str = "mix"
    n: int | None = None
    lam: float | None = None
    generations: int = 10
    replicates: int | None = None
    seed: int = 0
    metrics: Sequence[str] | None = None
    pool_risk: str = "subsample"
    device: str = "auto"
    model_object: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        # --param values as the texts the model parses ("3", not 3), whatever the caller had
        object.__setattr__(self, "params", {str(k): str(v) for k, v in dict(self.params).items()})
        if self.metrics is not None:
            object.__setattr__(self, "metrics", tuple(dict.fromkeys(self.metrics)))

    @classmethod
    def from_args(cls, args, *, metrics: Sequence[str] | None = None, model_object: Any = None) -> "RunSpec":
        """The run of a command's parsed options (``simulate``, ``bound``, ``stability``)."""
        from stl.verify.cli.common import parse_assignments

        return cls(args.model, parse_assignments(args.param, "--param"), args.scheme, args.n, args.lam,
                   args.generations, args.replicates, args.seed, metrics,
                   getattr(args, "pool_risk", "subsample"), getattr(args, "device", "auto"), model_object)

    # -- resolution: once per spec --------------------------------------------------
    @cached_property
    def model_built(self):
        """The model, built from its name and parameters on the requested device."""
        if self.model_object is not None:
            return self.model_object
        from stl.numerics.models.registry import get_model

        return get_model(self.model, dict(self.params), device=self.device)

    @cached_property
    def n_resolved(self) -> int:
        return int(self.model_built.default_n if self.n is None else self.n)

    @cached_property
    def replicates_resolved(self) -> int:
        return int(self.model_built.default_replicates if self.replicates is None else self.replicates)

    @property
    def lam_given(self) -> float:
        """``λ`` as asked for (the default when not given); the scheme may not use it."""
        return DEFAULT_LAM if self.lam is None else float(self.lam)

    @cached_property
    def scheme_built(self):
        """The scheme sized with ``n`` and ``λ`` (``n_r``, ``n_s``, the ``λ`` it uses)."""
        from stl.numerics.schemes import get_scheme

        return get_scheme(self.scheme, self.n_resolved, self.lam_given)

    @cached_property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics the run keeps, checked against the model (all of them when not given)."""
        return tuple(self.model_built.check_metrics(None if self.metrics is None else list(self.metrics)))

    # -- what the run records and does ------------------------------------------------
    def config(self, *, command: str | None = None, device_requested: bool = True) -> dict[str, Any]:
        """The run's ``config`` as the commands record it (DESIGN.md keys), before provenance."""
        desc = self.model_built.describe()
        s = self.scheme_built
        config: dict[str, Any] = {} if command is None else {"command": command}
        config.update({"model": desc["model"], "params": desc["params"], "scheme": s.name, "n": s.n,
                       "lam": self.lam_given, "lam_effective": s.lam, "n_r": s.n_r, "n_s": s.n_s,
                       "generations": self.generations, "replicates": self.replicates_resolved,
                       "seed": self.seed, "device": desc["device"]})
        if device_requested:
            config["device_requested"] = self.device
        if s.name.startswith("accumulate"):
            # λ is not used: the real share of the pool is 1/(j + 1) at generation j.
            config["lam_effective"] = None
            config["real_proportion"] = "1/(j+1) at generation j (S_0 within the accumulated pool)"
        return config

    def run(self, progress: Callable[[int, int], None] | None = None, *, first: int = 0,
            count: int | None = None):
        """The :class:`~stl.numerics.trajectory.Trajectory` of replicates
        ``[first, first + count)`` (all of them by default)."""
        from stl.numerics.loop import run_loop

        s = self.scheme_built
        return run_loop(self.model_built, s, s.n, s.lam, self.generations,
                        self.replicates_resolved if count is None else int(count), self.seed, first,
                        progress, metrics=self.metric_names, pool_risk=self.pool_risk)

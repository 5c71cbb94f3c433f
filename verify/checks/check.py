"""A check of the theory and the immutable record of its result.

A :class:`Check` states a claim of the theory (THEORY.md §5 lists the kinds) and knows
how to measure it. Measuring is split in two so that the work can be spread over
processes or a cluster without changing a single number:

* ``plan(parameters, seed)`` returns independent :class:`Task` objects (grid cells,
  replicate blocks). A task is a module-level function plus plain keyword arguments, so
  it pickles to any worker; its randomness comes only from ``(seed, replicate)``
  streams (:mod:`stl.numerics.rng`), so where it runs does not matter.
* ``conclude(parameters, seed, outputs)`` receives the task outputs *in plan order* and
  returns an :class:`Outcome` (measurement, prediction, verdict, details).

:meth:`Check.run` does both in this process; :func:`stl.verify.runner.run_checks` does the
same through a backend (local pool, Dask, Ray).

>>> from stl.verify.checks.check import Check, Outcome
>>> from stl.verify.checks.measurement import Measurement
>>> from stl.verify.checks.task import Task
>>> def _square(x):
...     return x * x
>>> def _plan(p, seed):
...     return (Task(_square, {"x": p["x"]}, "sq"),)
>>> def _conclude(p, seed, outs):
...     m = Measurement.exact(outs[0])
...     return Outcome(measured=m, predicted=9.0, relation="<=", verdict="pass")
>>> check = Check("demo", "validity", "x² ≤ 9", r"x^2 \\le 9", {"x": 3}, _plan, _conclude)
>>> check.run(seed=0).verdict
'pass'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task, execute
from stl.verify.plumbing.frozen import freeze, thaw

Verdict = Literal["pass", "fail", "inconclusive", "error"]

#: The verdicts a check's conclusion can reach (THEORY.md §5).
OUTCOME_VERDICTS: tuple[str, ...] = ("pass", "fail", "inconclusive")

#: Every verdict a :class:`CheckResult` can carry, in the order reports count them:
#: the three of a conclusion, and ``error`` for a check that raised instead of concluding
#: (its plan, one of its tasks or its conclusion). ``error`` counts as failing.
VERDICTS: tuple[str, ...] = OUTCOME_VERDICTS + ("error",)

#: The check kinds of THEORY.md §5 (plus ``t2`` for the transformer claims and
#: ``smoke``, the tiny end-to-end kind used by the fast test suite).
KINDS: tuple[str, ...] = (
    "validity", "tightness", "rates", "phase-transition", "closed-form", "t2", "optimum", "smoke",
)


class Outputs(Sequence):
    """Task outputs in plan order, also readable by task key.

    ``outputs[k]`` is the ``k``-th output (plan order); :meth:`get` finds one by its key and
    :meth:`group` lists, in plan order, the outputs whose tuple key starts with a prefix —
    so a check pools "every loop block of configuration 0" by name, not by counting.

    >>> out = Outputs([("loop", 0, 0), ("loop", 0, 5), ("beta", 0, 0)], ["a", "b", "c"])
    >>> out.group(("loop", 0)), out.get(("beta", 0, 0)), out[1]
    (['a', 'b'], 'c', 'b')
    """

    def __init__(self, keys: Sequence[Any], values: Sequence[Any]):
        keys, values = list(keys), list(values)
        if len(keys) != len(values):
            raise ValueError(f"{len(values)} outputs for {len(keys)} tasks")
        named = [repr(k) for k in keys if isinstance(k, tuple)]
        if len(set(named)) != len(named):
            raise ValueError("tuple task keys of a check must be unique")
        self._keys, self._values = keys, values

    def __getitem__(self, index):
        return self._values[index]

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key) -> Any:
        for k, v in zip(self._keys, self._values):
            if k == key:
                return v
        raise KeyError(key)

    def group(self, prefix: tuple) -> list:
        n = len(prefix)
        return [v for k, v in zip(self._keys, self._values)
                if isinstance(k, tuple) and k[:n] == tuple(prefix)]


@dataclass(frozen=True)
class Outcome:
    """What a check concluded: measured value, prediction, relation, verdict, details.

    ``relation`` says how ``measured`` is compared with ``predicted``: ``"<="`` (the
    prediction is an upper bound), ``">="`` (a lower bound), ``"=="`` (an exact value,
    up to an equivalence margin) or ``"info"`` (a ratio or summary; the verdict then
    comes from sub-comparisons listed in ``details``).
    """

    measured: Measurement | None
    predicted: float | None
    relation: str
    verdict: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in OUTCOME_VERDICTS:
            raise ValueError(f"verdict must be one of {OUTCOME_VERDICTS}, got {self.verdict!r}")
        object.__setattr__(self, "details", freeze(self.details))
        if self.predicted is not None:
            object.__setattr__(self, "predicted", float(self.predicted))


PlanFn = Callable[[Mapping[str, Any], int], Sequence[Task]]
ConcludeFn = Callable[[Mapping[str, Any], int, Sequence[Any]], Outcome]
ValidateFn = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class Check:
    """A claim of the theory together with the recipe that measures it.

    ``claim`` is one sentence for people, ``claim_latex`` the same claim as LaTeX,
    ``parameters`` the (JSON-like) settings both ``plan`` and ``conclude`` receive.
    """

    name: str
    kind: str
    claim: str
    claim_latex: str
    parameters: Mapping[str, Any]
    plan: PlanFn
    conclude: ConcludeFn
    #: ``validate(parameters)`` raises ``InputError`` when the conclusion would leave the
    #: domain or budget of the code it calls (an exact reference too large to enumerate,
    #: a fit with too few points); the tasks are validated on their own (:meth:`validate_sizes`).
    validate: ValidateFn | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "parameters", freeze(self.parameters))
        self.validate_sizes()

    def validate_sizes(self) -> None:
        """Refuse, now, parameters the run would refuse minutes later.

        Runs the check's own ``validate`` and validates every planned task's arguments
        against the code it will call (:func:`stl.verify.checks.loops.validate_task`:
        the model and its parameters, the scheme and its sizes, the metrics, the
        estimator and its options), without running anything. An ``InputError`` names the
        check: ``check NAME: ARGUMENT: got X; allowed: Y``.
        """
        from stl.verify.checks.loops import validate_tasks
        from stl.verify.errors import USER_ERRORS, InputError

        try:
            if self.validate is not None:
                self.validate(self.parameters)
            validate_tasks(self.tasks(0))
        except USER_ERRORS as exc:
            raise InputError(f"check {self.name}: {exc.argument}", exc.got, exc.allowed) from None

    def tasks(self, seed: int) -> tuple[Task, ...]:
        return tuple(self.plan(self.parameters, int(seed)))

    def failed(self, seed: int, where: str, error: str, runtime_s: float, trace: str = "") -> "CheckResult":
        """The result of this check when it raised instead of concluding: verdict ``error``.

        ``where``: ``plan``, ``task KEY``, ``conclude`` or ``backend``; ``error``: the
        exception as ``Type: message``; ``trace``: the end of its traceback.
        """
        return CheckResult(
            name=self.name, kind=self.kind, claim=self.claim, claim_latex=self.claim_latex,
            parameters=self.parameters, measured=None, predicted=None, relation="info", verdict="error",
            runtime_s=float(runtime_s), seed=int(seed),
            details={"summary": f"The check raised instead of concluding ({where}): {error}",
                     "error": error, "where": where, "traceback": trace,
                     "decided_by": f"error in {where}: {error}"})

    def finish(self, seed: int, outputs: Sequence[Any], runtime_s: float) -> "CheckResult":
        """Turn task outputs (in plan order) into the :class:`CheckResult`."""
        start = time.perf_counter()
        keys = [task.key for task in self.tasks(seed)]
        outcome = self.conclude(self.parameters, int(seed), Outputs(keys, outputs))
        runtime = runtime_s + (time.perf_counter() - start)
        return CheckResult(
            name=self.name, kind=self.kind, claim=self.claim, claim_latex=self.claim_latex,
            parameters=self.parameters, measured=outcome.measured, predicted=outcome.predicted,
            relation=outcome.relation, verdict=outcome.verdict, runtime_s=runtime,
            seed=int(seed), details=outcome.details,
        )

    def run(self, seed: int) -> "CheckResult":
        """Run every task here, sequentially, and conclude."""
        outputs, total = [], 0.0
        for task in self.tasks(seed):
            out, secs = execute(task)
            outputs.append(out)
            total += secs
        return self.finish(seed, outputs, total)


@dataclass(frozen=True)
class CheckResult:
    """The immutable record of one finished check (one entry of ``report.json``).

    ``runtime_s`` is the compute time of the check's tasks plus its conclusion (the sum
    over workers, so it does not depend on how the tasks were spread).
    """

    name: str
    kind: str
    claim: str
    claim_latex: str
    parameters: Mapping[str, Any]
    measured: Measurement | None
    predicted: float | None
    relation: str
    verdict: str
    runtime_s: float
    seed: int
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        object.__setattr__(self, "parameters", freeze(self.parameters))
        object.__setattr__(self, "details", freeze(self.details))

    def to_dict(self) -> dict:
        """The ``report.json`` entry: the contract fields first, then the extras."""
        m = self.measured
        return {
            "name": self.name,
            "kind": self.kind,
            "claim": self.claim,
            "verdict": self.verdict,
            "measured": None if m is None else m.value,
            "predicted": self.predicted,
            "runtime_s": self.runtime_s,
            "relation": self.relation,
            "measured_ci": None if m is None else [m.ci_low, m.ci_high],
            "measured_stderr": None if m is None else m.stderr,
            "measurement": None if m is None else m.to_dict(),
            "claim_latex": self.claim_latex,
            "seed": self.seed,
            "parameters": thaw(self.parameters),
            "details": thaw(self.details),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "CheckResult":
        m = d.get("measurement")
        return cls(
            name=str(d["name"]), kind=str(d["kind"]), claim=str(d["claim"]),
            claim_latex=str(d.get("claim_latex", "")), parameters=d.get("parameters", {}),
            measured=None if m is None else Measurement.from_dict(m),
            predicted=None if d.get("predicted") is None else float(d["predicted"]),
            relation=str(d.get("relation", "info")), verdict=str(d["verdict"]),
            runtime_s=float(d["runtime_s"]), seed=int(d["seed"]),
            details=d.get("details", {}),
        )

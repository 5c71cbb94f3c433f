"""Value objects of a verification check: measurements, tasks, checks and their results.

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

>>> from stl.verify.checks.core import Check, Outcome, Task, Measurement
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

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence

import numpy as np

from stl.verify.errors import InputError

Verdict = Literal["pass", "fail", "inconclusive"]

#: The three verdicts a check can reach, in the order reports list them.
VERDICTS: tuple[str, ...] = ("pass", "fail", "inconclusive")

#: The check kinds of THEORY.md §5 (plus ``t2`` for the transformer claims and
#: ``smoke``, the tiny end-to-end kind used by the fast test suite).
KINDS: tuple[str, ...] = (
    "validity", "tightness", "rates", "phase-transition", "closed-form", "t2", "optimum", "smoke",
)


# --------------------------------------------------------------------------------------
# Immutable JSON-like containers
# --------------------------------------------------------------------------------------

class FrozenDict(Mapping):
    """A read-only mapping (picklable, unlike ``types.MappingProxyType``).

    >>> d = FrozenDict({"a": 1})
    >>> d["a"], dict(d)
    (1, {'a': 1})
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None):
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):
        raise AttributeError("FrozenDict is immutable")

    def __reduce__(self):
        return (FrozenDict, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))


def _hashable(value):
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def freeze(obj: Any) -> Any:
    """Deep-copy ``obj`` into immutable JSON-like values.

    Mappings become :class:`FrozenDict`, sequences and numpy arrays tuples, numpy
    scalars Python numbers.

    >>> freeze({"x": [1, 2], "y": np.float64(0.5)})
    FrozenDict({'x': (1, 2), 'y': 0.5})
    """
    if isinstance(obj, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in obj.items()})
    if isinstance(obj, np.ndarray):
        return tuple(freeze(v) for v in obj.tolist())
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def thaw(obj: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists (ready for ``json``)."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _float(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x


# --------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------

def t_quantile(z: float, dof: int) -> float:
    """The Student-t quantile with ``dof`` degrees of freedom at the coverage of normal ``z``.

    For an interval whose standard error is estimated from ``dof + 1`` values.

    >>> round(t_quantile(1.959963984540054, 7), 3), round(t_quantile(1.959963984540054, 10**6), 3)
    (2.365, 1.96)
    """
    from statistics import NormalDist

    from scipy.stats import t as student_t

    if not dof >= 1:
        return math.inf
    return float(student_t.ppf(NormalDist().cdf(float(z)), int(dof)))


@dataclass(frozen=True)
class Measurement:
    """A measured value with its standard error and confidence interval.

    ``z`` is the normal quantile the interval was built with (1.96 for 95 %), kept so a
    reader knows what the interval means. ``n`` is the number of independent replicates
    behind the value (0 for a number computed exactly).

    >>> m = Measurement.from_samples([1.0, 2.0, 3.0, 4.0])
    >>> round(m.value, 3), round(m.stderr, 3), round(m.z, 3), round(m.ci_low, 3)
    (2.5, 0.645, 3.182, 0.446)
    """

    value: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int = 0
    z: float = 1.959963984540054

    @classmethod
    def from_mean(cls, mean: float, stderr: float, n: int, z: float) -> "Measurement":
        mean, stderr = float(mean), float(stderr)
        return cls(mean, stderr, mean - z * stderr, mean + z * stderr, int(n), float(z))

    @classmethod
    def from_samples(cls, samples, z: float = 1.959963984540054) -> "Measurement":
        """Mean of i.i.d. replicate values with its interval.

        The standard error is estimated from the same ``n`` values, so the interval uses
        the Student-t quantile with ``n − 1`` degrees of freedom at the coverage the
        normal quantile ``z`` stands for (:func:`t_quantile`): with 8 replicates a 95 %
        interval is ±2.36 standard errors, not ±1.96; with thousands the two agree.
        """
        x = np.asarray(samples, dtype=float).ravel()
        if x.size < 2:
            raise InputError("replicates", int(x.size), "at least 2 replicate values")
        mean = float(x.mean())
        se = float(x.std(ddof=1) / math.sqrt(x.size))
        return cls.from_mean(mean, se, x.size, t_quantile(z, x.size - 1))

    @classmethod
    def exact(cls, value: float) -> "Measurement":
        """A number known without sampling error (stderr 0)."""
        v = float(value)
        return cls(v, 0.0, v, v, 0, 0.0)

    def scaled(self, factor: float) -> "Measurement":
        """The measurement of ``factor * X`` (a positive factor keeps the interval order)."""
        lo, hi = sorted((self.ci_low * factor, self.ci_high * factor))
        return Measurement(self.value * factor, abs(self.stderr * factor), lo, hi, self.n, self.z)

    def absolute(self) -> "Measurement":
        """An interval for ``|E X|`` from one for ``E X``.

        >>> Measurement(-0.1, 0.1, -0.3, 0.1, 10).absolute().ci_low
        0.0
        """
        lo, hi = self.ci_low, self.ci_high
        if lo >= 0:
            a_lo, a_hi = lo, hi
        elif hi <= 0:
            a_lo, a_hi = -hi, -lo
        else:
            a_lo, a_hi = 0.0, max(-lo, hi)
        return Measurement(abs(self.value), self.stderr, a_lo, a_hi, self.n, self.z)

    def to_dict(self) -> dict:
        return {"value": self.value, "stderr": self.stderr, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "n": self.n, "z": self.z}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Measurement":
        def num(key):
            v = d[key]
            return math.nan if v is None else float(v)
        return cls(num("value"), num("stderr"), num("ci_low"), num("ci_high"),
                   int(d.get("n", 0)), float(d.get("z", 0.0) or 0.0))


# --------------------------------------------------------------------------------------
# Tasks, outcomes, checks, results
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """One independent unit of work: ``fn(**kwargs)``.

    ``fn`` must be a module-level function (so it pickles) and ``kwargs`` plain values.
    """

    fn: Callable[..., Any]
    kwargs: Mapping[str, Any]
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "kwargs", FrozenDict(self.kwargs))

    def run(self) -> Any:
        return self.fn(**dict(self.kwargs))


def execute(task: Task) -> tuple[Any, float]:
    """Run ``task`` and return ``(output, seconds)``; the function every backend ships."""
    start = time.perf_counter()
    out = task.run()
    return out, time.perf_counter() - start


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
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        object.__setattr__(self, "details", freeze(self.details))
        if self.predicted is not None:
            object.__setattr__(self, "predicted", float(self.predicted))


PlanFn = Callable[[Mapping[str, Any], int], Sequence[Task]]
ConcludeFn = Callable[[Mapping[str, Any], int, Sequence[Any]], Outcome]


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

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "parameters", freeze(self.parameters))

    def tasks(self, seed: int) -> tuple[Task, ...]:
        return tuple(self.plan(self.parameters, int(seed)))

    def finish(self, seed: int, outputs: Sequence[Any], runtime_s: float) -> "CheckResult":
        """Turn task outputs (in plan order) into the :class:`CheckResult`."""
        start = time.perf_counter()
        outcome = self.conclude(self.parameters, int(seed), tuple(outputs))
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

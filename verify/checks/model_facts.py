"""Exact facts of the models, held against simulation: maximal couplings and exact risks.

Two facts every verdict downstream leans on:

* :func:`coupling_check` — a model that declares ``coupling = "maximal"`` must couple two
  parents so that the pair differs with probability exactly ``d_TV`` (THEORY.md D3) and
  each draw keeps its own parent's law. The check draws coupled pairs between fitted laws
  with :meth:`Model.sample_coupled` and holds the differing fraction against the model's
  exact TV, and the mean of each side against its parent's, two-sided.
* :func:`risk_check` — a model's exact population risk (:meth:`Model.risk`, which
  ``gen_gap`` uses instead of a Monte Carlo probe) must equal the mean loss on fresh real
  data, two-sided.

The fitted laws are those of a short loop on the model itself, so the parameters are the
ones the checks of T1 and L2 see. Which models, at which parameters and ``n``, is read
from the model cards (:mod:`stl.verify.cards`): every model that declares model-facts
cases (``Model.verification.facts``) joins the risk check when its risk is exact and the
coupling check where it declares a maximal coupling with an exact TV; a new model, a
third-party one included, joins both by declaring its cases.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.compare import deciding, describe, equality_rows, headline
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import combine, family_z


def _fits(model, streams, n: int):
    """Two fitted laws per replicate (a fit to real data and one generation later)."""
    a = model.fit(model.draw_real(streams, n))
    b = model.fit(model.sample(a, streams, n))
    return a, b


def _point_mean(x: np.ndarray) -> np.ndarray:
    """A scalar summary of each draw: the mean of its coordinates (``(R, count)``)."""
    x = np.asarray(x, dtype=float)
    return x.reshape(x.shape[0], x.shape[1], -1).mean(axis=2)


def coupling_sample(model: str, params: Mapping[str, str], n: int, draws: int, seed: int,
                    replicates: int) -> dict[str, np.ndarray]:
    """Per replicate: differing fraction of ``draws`` coupled pairs, exact TV, and the two
    sides' sample means beside the same statistic under each parent's own law."""
    from stl.numerics.rng import ReplicateStreams
    from stl.verify.checks.loops import build_model

    m = build_model(model, params)
    streams = ReplicateStreams(seed, replicates)
    a, b = _fits(m, streams, n)
    xa, xb, differ = m.sample_coupled(a, b, streams, draws, purpose="coupling-check")
    tv = m.tv([(1.0, a)], [(1.0, b)], streams)
    own_a = m.sample(a, streams, draws, purpose="coupling-own")
    own_b = m.sample(b, streams, draws, purpose="coupling-own")
    return {"differ": differ.mean(axis=1), "tv": np.asarray(tv, dtype=float),
            "mean_a": _point_mean(xa).mean(axis=1) - _point_mean(own_a).mean(axis=1),
            "mean_b": _point_mean(xb).mean(axis=1) - _point_mean(own_b).mean(axis=1)}


def risk_sample(model: str, params: Mapping[str, str], n: int, probe: int, seed: int,
                replicates: int) -> dict[str, np.ndarray]:
    """Per replicate: the exact risk of a fitted law and its mean loss on fresh real data."""
    from stl.numerics.rng import ReplicateStreams
    from stl.verify.checks.loops import build_model

    m = build_model(model, params)
    streams = ReplicateStreams(seed, replicates)
    _, b = _fits(m, streams, n)
    loss = m.loss(b, m.draw_real(streams, probe, purpose="risk-check"))
    return {"exact": np.asarray(m.risk(b, streams), dtype=float), "monte_carlo": loss.mean(axis=1)}


def declared_cases(fact: str) -> tuple[dict, ...]:
    """The model-facts cases of every model card that has ``fact`` (``"coupling"``: a maximal
    coupling with an exact TV at the case's parameters; ``"risk"``: an exact risk).

    >>> [c["model"] for c in declared_cases("coupling")][:2]
    ['categorical', 'gain-bernoulli']
    """
    from stl.verify.cards import all_cards

    out = []
    for c in all_cards():
        for case in c.verification.facts:
            if fact == "risk" and not c.exact_risk:
                continue
            if fact == "coupling" and not (c.coupling == "maximal" and c.build(case.params).tv_exact):
                continue
            out.append({"model": c.name, "params": dict(case.params), "n": case.n})
    return tuple(out)


def _label(case: Mapping[str, Any]) -> str:
    params = ",".join(f"{k}={v}" for k, v in dict(case["params"]).items())
    return f"{case['model']}({params}) n={case['n']}"


def _coupling_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(coupling_sample, dict(model=c["model"], params=dict(c["params"]), n=c["n"], draws=p["draws"],
                                       seed=seed, replicates=p["replicates"]), ("coupling", k))
            for k, c in enumerate(p["cases"])]


def _coupling_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    z = family_z(3 * len(p["cases"]))
    rows, verdicts = [], []
    for k, case in enumerate(p["cases"]):
        out = outputs.get(("coupling", k))
        # per replicate: differing fraction minus exact TV (an equality with 0), then each
        # side's mean minus the mean of an uncoupled draw from its own parent (also 0)
        values = np.stack([out["differ"] - out["tv"], out["mean_a"], out["mean_b"]], axis=1)
        labels = [f"{_label(case)}: P(x ≠ x') − d_TV", f"{_label(case)}: x keeps P_a's mean",
                  f"{_label(case)}: x' keeps P_b's mean"]
        margin = p["margin"] * np.array([max(float(out["tv"].mean()), 1e-3), 1.0, 1.0])
        r, v = equality_rows(values, np.zeros(3), margin, z, labels=labels)
        rows += r
        verdicts.append(v)
    head = deciding(rows, "exact")
    summary = (f"{len(p['cases'])} models with a maximal coupling, {p['draws']} coupled draws × {p['replicates']} "
               "replicates each: the differing fraction equals the exact TV and both marginals keep their "
               "parent's law. " + describe(head, "exact", ""))
    return Outcome(headline(head, "exact", p["replicates"], z), 0.0, "==", combine(verdicts),
                   {"summary": summary, "rows": rows, "z": z, "decided_by": describe(head, "exact", "")})


def coupling_check(name: str = "coupling-maximal", cases: Sequence[Mapping[str, Any]] | None = None,
                   draws: int = 400, replicates: int = 200, margin: float = 0.05) -> Check:
    """Declared maximal couplings differ with probability d_TV and keep both marginals
    (``cases``: the models cards declare, :func:`declared_cases`, unless given)."""
    cases = declared_cases("coupling") if cases is None else tuple(cases)
    return Check(
        name=name, kind="closed-form",
        claim=("Every model that declares a maximal coupling (" + ", ".join(c["model"] for c in cases) + ") "
               "couples two fitted parents as D3 requires: the coupled pair differs with probability "
               "equal to the model's exact d_TV between them, and each side keeps its own parent's law (its "
               "mean equals an uncoupled draw's), two-sided."),
        claim_latex=r"\Pr(x \ne x') = d_{\mathrm{TV}}(P_a, P_b),\quad x \sim P_a,\ x' \sim P_b",
        parameters={"name": name, "cases": [dict(c) for c in cases], "draws": int(draws),
                    "replicates": int(replicates), "margin": float(margin)},
        plan=_coupling_plan, conclude=_coupling_conclude)


def _risk_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(risk_sample, dict(model=c["model"], params=dict(c["params"]), n=c["n"], probe=p["probe"],
                                   seed=seed, replicates=p["replicates"]), ("risk", k))
            for k, c in enumerate(p["cases"])]


def _risk_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    z = family_z(len(p["cases"]))
    rows, verdicts = [], []
    for k, case in enumerate(p["cases"]):
        out = outputs.get(("risk", k))
        # Replicate by replicate: Monte Carlo minus exact, whose mean is 0 if the risk is exact.
        diff = (out["monte_carlo"] - out["exact"])[:, None]
        r, v = equality_rows(diff, np.zeros(1), p["margin"] * float(np.mean(out["exact"])), z,
                             labels=[f"{_label(case)}: mean loss on fresh real data − exact risk"])
        rows += r
        verdicts.append(v)
    head = deciding(rows, "exact")
    summary = (f"exact risks of {len(p['cases'])} models against {p['probe']} fresh real points × "
               f"{p['replicates']} replicates each. " + describe(head, "exact", ""))
    return Outcome(headline(head, "exact", p["replicates"], z), 0.0, "==", combine(verdicts),
                   {"summary": summary, "rows": rows, "z": z, "decided_by": describe(head, "exact", "")})


def risk_check(name: str = "risk-closed-forms", cases: Sequence[Mapping[str, Any]] | None = None,
               probe: int = 4000, replicates: int = 100, margin: float = 0.02) -> Check:
    """Each model's exact population risk equals the mean loss on fresh real data
    (``cases``: the models cards declare, :func:`declared_cases`, unless given)."""
    cases = declared_cases("risk") if cases is None else tuple(cases)
    return Check(
        name=name, kind="closed-form",
        claim=("The exact population risks that gen_gap uses (" + ", ".join(sorted({c["model"] for c in cases}))
               + ") equal the mean loss of the same fitted laws on fresh real data, two-sided."),
        claim_latex=r"R_{D_0}(\theta)\ \text{(closed form)} = \mathbb{E}_{z\sim D_0}\,\ell(\theta, z)",
        parameters={"name": name, "cases": [dict(c) for c in cases], "probe": int(probe),
                    "replicates": int(replicates), "margin": float(margin)},
        plan=_risk_plan, conclude=_risk_conclude)

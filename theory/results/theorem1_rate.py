"""T1', the rate form of the main theorem, with the absolute constant ``c_0`` kept.

The high-probability stability bounds (Feldman-Vondrák 2019; Bousquet-Klochkov-
Zhivotovskiy 2020) replace T1's expectation pieces by ``c_0 β log n log(1/δ)`` and add
the concentration term ``c_0 M sqrt(log(1/δ)/n)``; the shift term is T1's, without a
hidden constant. The bound is flagged ``hides_constants`` (the paper's ``≲``). This rate
form is the one the paper states (``provenance="paper"``).

The shift term bounds the distribution shift in expectation only (L1 with D4), so the
bound's probability ``1 - δ`` covers its stability and concentration terms; the remark
:func:`shift_in_probability` says how the shift holds with high probability (Markov's
inequality, at a factor ``1/δ``), and every format prints that same remark.

>>> bound = theorem1_rate_bound()                                # THEORY.md T1'
>>> bound.term_names, bound.hides_constants
(('stability', 'concentration', 'shift'), True)
"""

from __future__ import annotations

import sympy as sp

from stl.theory.bound import Bound, SpecialCase
from stl.theory.derivation import Derivation, Step
from stl.theory.prose import Prose
from stl.theory.results.theorem1 import N_S, T1_REQUIRES, shift_term, stability_term
from stl.theory.symbols import (
    M,
    beta_n,
    c_0,
    delta,
    emp_real,
    emp_syn,
    gen_error,
    i,
    lam,
    n,
    n_s,
    risk_parent,
    risk_real,
)

#: Factor the high-probability stability bounds put on each stability cost.
HIGH_PROBABILITY_FACTOR = sp.log(n) * sp.log(1 / delta)


#: What T1' assumes: T1's hypotheses and the high-probability stability bounds.
T1_RATE_REQUIRES = (*T1_REQUIRES, "hp")


def shift_in_probability(covered: tuple[str, ...] = ("stability", "concentration")) -> Prose:
    """How the shift term holds with high probability (THEORY.md T1' caveat).

    The ``covered`` terms hold with probability ``1 - δ``; the shift term bounds the
    shift ``(1 - λ)|R_{D_0} - R_{P_{θ_{i-1}}}|`` only in expectation, and Markov's
    inequality turns that into a bound with probability ``1 - δ`` at a factor ``1/δ``.
    """
    named = " and ".join(covered)
    return Prose.of(
        f"The {named} term{'s' if len(covered) > 1 else ''} hold{'' if len(covered) > 1 else 's'}"
        " with probability at least ", 1 - delta, " (the high-probability stability "
        "bounds); the shift term bounds the distribution shift only in expectation (L1 with "
        "D4). By Markov's inequality the realized shift exceeds the shift term divided by ",
        delta, " with probability at most ", delta, ", so with the shift term divided by ",
        delta, " the bound holds with probability at least ", 1 - 2 * delta, ".")


def concentration_term() -> sp.Expr:
    return c_0 * M * sp.sqrt(sp.log(1 / delta) / n)


def _terms(stability: sp.Expr) -> tuple[tuple[str, sp.Expr], ...]:
    return (("stability", c_0 * stability * HIGH_PROBABILITY_FACTOR),
            ("concentration", concentration_term()))


def theorem1_rate_bound() -> Bound:
    """T1' in the public symbols (``gamma`` = γ_n^{i-1}, ``n_s`` = (1-λ) n)."""
    generation0 = Bound(_terms(beta_n) + (("shift", sp.Integer(0)),), "T1'",
                        lhs=sp.Abs(gen_error(0)), hides_constants=True, confidence=1 - delta,
                        description="generation 0, with probability >= 1 - delta",
                        provenance="paper", requires=("loss", "D1", "hp"))
    case = SpecialCase(i, sp.Integer(0), generation0, "generation 0 sees real data only")
    terms = _terms(stability_term().subs(n_s, N_S)) + (("shift", shift_term()),)
    return Bound(terms, "T1'", lhs=sp.Abs(gen_error(i)), hides_constants=True, confidence=1 - delta,
                 confidence_terms=("stability", "concentration"), special_cases=(case,),
                 description="generalization error of generation i: the stability and "
                             "concentration terms with probability >= 1 - delta, the shift "
                             "term in expectation",
                 provenance="paper", requires=T1_RATE_REQUIRES, remarks=(shift_in_probability(),))


def derivation() -> Derivation:
    bound = theorem1_rate_bound()
    centred = lam * (risk_real - emp_real) + (1 - lam) * (risk_parent - emp_syn)
    steps = (
        Step(sp.LessThan(sp.Abs(gen_error(i)),
                         sp.Add(sp.Abs(centred), (1 - lam) * sp.Abs(risk_real - risk_parent),
                                evaluate=False), evaluate=False),
             Prose.of("T1's split of ", gen_error(i), " and the triangle inequality")),
        Step(sp.LessThan(sp.Abs(centred),
                         sp.Add(bound.term("stability"), bound.term("concentration"),
                                evaluate=False), evaluate=False),
             Prose.of("with probability at least ", 1 - delta, ": uniform stability gives a "
                      "deviation bound with an extra factor ", HIGH_PROBABILITY_FACTOR,
                      ", plus the concentration of a loss in ", sp.Interval(0, M),
                      ", up to an absolute constant ", c_0, " (Feldman and Vondrak 2019; "
                      "Bousquet, Klochkov and Zhivotovskiy 2020)")),
        Step(sp.LessThan((1 - lam) * sp.Abs(risk_real - risk_parent), bound.term("shift"),
                         evaluate=False),
             "the TV argument of T1 (b) and L1, which carries no hidden constant"),
        Step(bound.statement(),
             Prose.of("T1': the sum; its stability and concentration terms hold with "
                      "probability at least ", 1 - delta, ", its shift term in expectation "
                      "(Markov's inequality at a factor ", 1 / delta, " gives it with "
                      "probability ", 1 - delta, ")")),
    )
    return Derivation(
        name="theorem1-rate", title="Rate form of the main theorem", source="T1'",
        statement="Up to the absolute constant c_0: the stability and concentration terms "
                  "with probability at least 1 - δ, the shift term in expectation.",
        steps=steps, result=bound)

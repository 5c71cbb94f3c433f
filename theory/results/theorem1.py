"""T1, the generalization bound of a self-consuming training loop (explicit constants).

The stability part is assembled from the proof's pieces (a) and (c) with sympy, and the
shift part is L1's solved recurrence at generation ``i - 1``; nothing is typed in
closed form here.

>>> bound = theorem1_bound()                                     # THEORY.md T1
>>> bound.term_names
('stability', 'shift')
>>> bound.subs(i=0).expr                                         # |E gen_0| <= beta_n
beta_n
"""

from __future__ import annotations

import sympy as sp

from stl.theory.bound import Bound, SpecialCase
from stl.theory.derivation import Derivation, Step
from stl.theory.prose import Notation, Prose
from stl.theory.results.recursive_stability import recursive_stability_bound
from stl.theory.results.shift import shift_closed_form
from stl.theory.symbols import (
    M,
    a_seq,
    beta_n,
    emp_real,
    emp_syn,
    gamma,
    gen,
    i,
    lam,
    n,
    n_s,
    risk_parent,
    risk_real,
)

#: ``n_s`` in the public symbols (THEORY.md section 0).
N_S = (1 - lam) * n
#: What T1 assumes (named hypotheses of :mod:`stl.theory.definitions`).
T1_REQUIRES = ("loss", "D1", "D3", "D4")


def stability_pieces() -> tuple[sp.Expr, sp.Expr]:
    """Proof pieces (a) and (c): the real part and the synthetic part, each in β_n."""
    real_part = lam * beta_n * (1 + n_s * gamma)  # 1 + n_s γ differing points, β_n each
    synthetic_part = (1 - lam) * beta_n  # i.i.d. given the parent: one swap
    return real_part, synthetic_part


def stability_term() -> sp.Expr:
    """β_n (1 + λ n_s γ): the sum of the two pieces, factored by sympy."""
    real_part, synthetic_part = stability_pieces()
    return sp.factor(sp.expand(real_part + synthetic_part), beta_n)


def shift_term() -> sp.Expr:
    """(1-λ) M a_{i-1}, with L1's closed form at generation i - 1."""
    return (1 - lam) * M * shift_closed_form().subs(i, i - 1)


def generation0_bound() -> Bound:
    """T1 at generation 0: ``|E gen_0| <= β_n`` (the learner sees only real data)."""
    return Bound((("stability", beta_n), ("shift", sp.Integer(0))), "T1",
                 lhs=sp.Abs(gen(0)), description="generation 0", provenance="derived",
                 requires=("loss", "D1"))


def theorem1_bound(recursive: bool = False) -> Bound:
    """T1 as a :class:`Bound` in the public symbols, terms ``stability`` and ``shift``.

    ``gamma`` stands for ``γ_n^{i-1}`` and ``n_s = (1-λ) n``. With ``recursive=True``
    ``γ_n^{i-1}`` is replaced by L2's bound in ``tau_n``. Substituting ``i = 0`` gives
    the generation-0 bound ``β_n``.
    """
    stability = stability_term().subs(n_s, N_S)
    if recursive:
        previous = recursive_stability_bound().expr.subs(i, i - 1)
        stability = stability.subs(gamma, previous)
    terms = (("stability", stability), ("shift", shift_term()))
    case = SpecialCase(i, sp.Integer(0), generation0_bound(),
                       "generation 0 is fitted to real data only")
    return Bound(terms, "T1", lhs=sp.Abs(gen(i)), special_cases=(case,),
                 description="expected generalization error of generation i",
                 provenance="derived", requires=T1_REQUIRES)


def derivation() -> Derivation:
    real_part, synthetic_part = stability_pieces()
    shift = shift_term()
    bound = theorem1_bound()
    emp_mix = lam * emp_real + (1 - lam) * emp_syn
    split = (lam * (risk_real - emp_real) + (1 - lam) * (risk_real - risk_parent)
             + (1 - lam) * (risk_parent - emp_syn))
    steps = (
        Step(sp.Eq(risk_real - emp_mix, split, evaluate=False),
             "split the empirical risk of the mixed training set into its real and "
             "synthetic parts and add and subtract the parent's risk", kind="identity"),
        Step(sp.LessThan(lam * sp.Abs(risk_real - emp_real), real_part, evaluate=False),
             Prose.of("(a) in expectation: renaming one real point changes the training set "
                      "in ", 1 + n_s * gamma, " points under the recursive coupling, ", beta_n,
                      " each (D1, D3)")),
        Step(sp.LessThan((1 - lam) * sp.Abs(risk_real - risk_parent),
                         (1 - lam) * M * a_seq(i - 1), evaluate=False),
             Prose.of("(b) a loss in ", sp.Interval(0, M), " changes its mean by at most ", M,
                      " times the total variation distance between laws")),
        Step(sp.LessThan(a_seq(i - 1), shift_closed_form().subs(i, i - 1), evaluate=False),
             Prose.of("L1 at generation ", i - 1)),
        Step(sp.LessThan((1 - lam) * sp.Abs(risk_parent - emp_syn), synthetic_part,
                         evaluate=False),
             "(c) in expectation: synthetic points are i.i.d. given the parent (D1)"),
        Step(sp.Eq(real_part + synthetic_part, stability_term(), evaluate=False),
             "(a) + (c)", kind="identity"),
        Step(sp.Eq(n_s, N_S, evaluate=False),
             Prose.of("the synthetic points of a generation: a share ", 1 - lam, " of its ", n,
                      " points")),
        Step(bound.statement(), "T1: sum of (a), (b), (c)"),
        Step(sp.LessThan(sp.Abs(gen(0)), beta_n, evaluate=False),
             "generation 0 sees real data only: D1"),
        Step(sp.Eq(sp.Limit(shift, lam, 0, "+"), sp.limit(shift, lam, 0, "+"), evaluate=False),
             Prose.of(Notation(r"\lambda \to 0", "λ → 0"), ": the shift term grows linearly "
                      "in ", i), kind="limit"),
    )
    return Derivation(
        name="theorem1", title="Generalization error of a self-consuming training loop",
        source="T1",
        statement="Under D1, D3 and D4 the expected generalization error of every "
                  "generation i >= 1 is bounded by a stability term plus a shift term.",
        steps=steps, result=bound)


def proof_piece_bounds() -> dict[str, sp.Expr]:
    """The bound on ``|E|`` of each piece of T1's proof, in the public symbols.

    ``a``: ``λ β_n (1 + n_s γ_n^{i-1})`` (the real subset); ``b``: ``(1 − λ) M a_{i−1}`` with
    ``a_{i−1} = E d_TV(P_{θ_{i−1}}, D_0)`` left as the sequence ``a_shift(i − 1)`` (L1 bounds
    it; :func:`shift_term` is this piece with L1 substituted); ``c``: ``(1 − λ) β_n`` (the
    synthetic part). ``n_s = (1 − λ) n``. The three sum to T1 once L1 is used for ``a_{i−1}``.

    >>> sorted(proof_piece_bounds())
    ['a', 'b', 'c']
    """
    real_part, synthetic_part = stability_pieces()
    return {"a": real_part.subs(n_s, N_S), "b": (1 - lam) * M * a_seq(i - 1), "c": synthetic_part}


"""Definitions D1-D4 of THEORY.md and the named hypotheses a result may rest on.

A :class:`Definition` is a value object: its code, name, statement in words, the
defining inequality (a sympy relation, printed by :mod:`stl.theory.latex`) and the
parameter it controls. :data:`HYPOTHESES` states, by name and content, each assumption
a result can make (D1-D4 and the setting's: bounded loss, the recursive coupling, the
high-probability stability bounds, the rate forms, T2's transformer, T3's regime); a
bound lists the names it needs (``Bound.requires``) and every printed statement says
them the same way (:class:`~stl.theory.prose.Prose`).

D4 is unconditional on purpose (THEORY.md): the expectation is over everything random,
including the kept real subset. Given that subset the distance cannot vanish at rate
``n^{-1/2}``, since ``λ(p̂_R - p_0)`` does not; L1 and T1 need only the unconditional
statement.

>>> [d.code for d in DEFINITIONS]
['D1', 'D2', 'D3', 'D4']
>>> DEFINITIONS[0].parameter
beta_n
>>> print(HYPOTHESES["D4"].text(unicode=False))
𝒜 is d_tv-learnable (D4): at every generation j, E d_TV(P_θⱼ, D̃ⱼ) is at most d_tv, the expectation taken over everything random, the kept real subset included
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp

from stl.theory import symbols as S
from stl.theory.prose import LEARNER, Notation, Prose

_loss_gap = sp.Symbol("sup_loss_gap", nonnegative=True)
_model_gap = sp.Symbol("sup_model_tv", nonnegative=True)
_recursive_gap = sp.Symbol("sup_expected_tv_i", nonnegative=True)
_learn_gap = sp.Symbol("expected_tv_to_mixture", nonnegative=True)

#: Typeset forms of the quantities the definitions bound.
QUANTITY_LATEX = MappingProxyType({
    _loss_gap: r"\sup_{S \simeq S',\, z} \left|\ell(A(S), z) - \ell(A(S'), z)\right|",
    _model_gap: r"\sup_{S \simeq S'} d_{\mathrm{TV}}\left(P_{A(S)}, P_{A(S')}\right)",
    _recursive_gap: r"\sup_{S_{0} \simeq S_{0}'} \mathbb{E}\, d_{\mathrm{TV}}"
                    r"\left(P_{\theta_{i}}, P_{\theta_{i}'}\right)",
    # unconditional: no "| past"; the expectation includes the draw of the kept subset
    _learn_gap: r"\mathbb{E}\, d_{\mathrm{TV}}\left(P_{\theta_{j}}, \tilde{D}_{j}\right)",
})


@dataclass(frozen=True)
class Definition:
    """One definition: its code (``D1``...), name, statement and controlled parameter."""

    code: str
    name: str
    text: str
    relation: sp.Basic
    parameter: sp.Expr

    def latex(self) -> str:
        from stl.theory.latex import to_latex

        return to_latex(self.relation, notation=dict(QUANTITY_LATEX))


DEFINITIONS: tuple[Definition, ...] = (
    Definition("D1", "uniform stability",
               "A is beta_n-uniformly stable if replacing one of the n training points "
               "changes the loss at every point z by at most beta_n.",
               sp.LessThan(_loss_gap, S.beta_n, evaluate=False), S.beta_n),
    Definition("D2", "TV-stability",
               "A is tau_n-TV-stable if replacing one training point moves the learned "
               "distribution by at most tau_n in total variation.",
               sp.LessThan(_model_gap, S.tau_n, evaluate=False), S.tau_n),
    Definition("D3", "recursive stability",
               "Started from two data sets that differ in one point and run under the "
               "recursive maximal coupling, the loop's generation-i models are on "
               "average within gamma_n^i in total variation.",
               sp.LessThan(_recursive_gap, S.g_seq(S.i), evaluate=False), S.g_seq(S.i)),
    Definition("D4", "learnability",
               "At every generation j the model fitted to the training set is on average "
               "within d_TV(n) of the mixture it was trained on (D_0 at generation 0); the "
               "average is over everything random, the kept real subset included "
               "(unconditional on purpose: given the kept subset the distance cannot vanish "
               "at rate n^(-1/2)).",
               sp.LessThan(_learn_gap, S.d_tv, evaluate=False), S.d_tv),
)

BY_CODE = MappingProxyType({d.code: d for d in DEFINITIONS})

_E_TV_FIT = Notation(r"\mathbb{E}\, d_{\mathrm{TV}}(P_{\theta_{j}}, \tilde{D}_{j})",
                     "E d_TV(P_θⱼ, D̃ⱼ)")

#: Each hypothesis a result may rest on, by name, with its content.
HYPOTHESES: MappingProxyType = MappingProxyType({
    "loss": Prose.of("the loss takes values in ", sp.Interval(0, S.M)),
    "D1": Prose.of(LEARNER, " is ", S.beta_n, "-uniformly stable (D1): replacing one of the ",
                   S.n, " training points changes the loss at every point by at most ",
                   S.beta_n),
    "D2": Prose.of(LEARNER, " is ", S.tau_n, "-TV-stable (D2): replacing one training point "
                   "moves the learned distribution by at most ", S.tau_n,
                   " in total variation"),
    "D3": Prose.of("the loop is recursively stable (D3): run from neighbouring initial "
                   "data sets under the recursive maximal coupling, its generation ",
                   S.i - 1, " models are within ", S.gamma, " in expected total variation"),
    "D4": Prose.of(LEARNER, " is ", S.d_tv, "-learnable (D4): at every generation ", S.j,
                   ", ", _E_TV_FIT, " is at most ", S.d_tv, ", the expectation taken over "
                   "everything random, the kept real subset included"),
    "coupling": Prose.of("the two loops started from neighbouring initial data sets are "
                         "run under the recursive maximal coupling (D3), keeping the same "
                         "real index set"),
    "hp": Prose.of("the high-probability uniform-stability bounds hold with an absolute "
                   "constant ", S.c_0, " (Feldman and Vondrak 2019; Bousquet, Klochkov and "
                   "Zhivotovskiy 2020)"),
    "rates": Prose.of("the learner's constants have the rate forms ",
                      sp.Eq(S.beta_n, S.b / S.n, evaluate=False), ", ",
                      sp.Eq(S.tau_n, S.c / S.n, evaluate=False), " and ",
                      sp.Eq(S.d_tv, S.a / sp.sqrt(S.n), evaluate=False)),
    "transformer": Prose.of("synthetic labels after the first ",
                            Notation("k_{0}", "k_0"), " are the parent's "
                            "predictions plus Gaussian noise of standard deviation ",
                            S.sigma_s, ", the prediction is ", S.Lip,
                            "-Lipschitz in the parameters with ",
                            sp.LessThan(S.Lip, S.kappa * (1 + S.Gamma) ** S.L, evaluate=False),
                            ", and one training prompt moves the parameters by at most ",
                            sp.Eq(S.Delta_n, S.c_A / S.n, evaluate=False)),
    "regime": Prose.of("the stability terms are negligible and the number of generations "
                       "goes to infinity, with ",
                       sp.Eq(S.d_tv, S.a / sp.sqrt(S.n), evaluate=False)),
})

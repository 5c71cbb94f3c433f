"""Definitions D1-D4 of THEORY.md as value objects (statement, LaTeX, parameter).

The quantity each definition controls is a display symbol whose typeset form lives in
:data:`QUANTITY_LATEX`; the LaTeX statement is printed by sympy from a relation.

>>> from stl.theory.definitions import DEFINITIONS
>>> [d.code for d in DEFINITIONS]
['D1', 'D2', 'D3', 'D4']
>>> DEFINITIONS[0].parameter
beta_n
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp

from stl.theory import symbols as S

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
    _learn_gap: r"\mathbb{E}\left[d_{\mathrm{TV}}\left(P_{\theta_{j}}, "
                r"\tilde{D}_{j}\right) \mid \mathrm{past}\right]",
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
        names = dict(S.LATEX_NAMES)
        names.update(QUANTITY_LATEX)
        return sp.latex(self.relation, symbol_names=names)


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
               "Given the past, the model fitted at generation j is on average within "
               "d_TV(n) of the mixture it was trained on (D_0 at generation 0).",
               sp.LessThan(_learn_gap, S.d_tv, evaluate=False), S.d_tv),
)

BY_CODE = MappingProxyType({d.code: d for d in DEFINITIONS})

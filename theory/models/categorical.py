"""Constants of the categorical model on ``K`` symbols (MLE frequencies, Brier loss).

Everything is derived: ``τ_n`` from the TV distance of two frequency vectors that differ
in one count, ``β_n`` as the worst change of the Brier loss ``‖q - e_z‖²`` when one
count moves (vertex enumeration of a linear program, done by sympy), ``M`` as the
loss's maximum over the simplex. The model's card (:data:`CARDS`) adds the closed form of
its heterozygosity under ``replace``, the Wright–Fisher decay.

>>> consts = constants()                                     # THEORY.md section 4
>>> consts.beta_n
4/n - 2/n**2
>>> consts.M
2
"""

from __future__ import annotations

import itertools
from functools import cache

import sympy as sp

from stl.theory.models.card import ClosedForm, TheoryCard
from stl.theory.models.constants import ModelConstants
from stl.theory.symbols import i, n, n_cat

#: The bound THEORY.md states for the categorical model; the derived value must not exceed it.
PAPER_BETA = 4 / n + 2 / n ** 2

#: Brier loss restricted to two coordinates (the others cancel in a difference).
_x, _y = sp.symbols("q_u q_v", nonnegative=True)


def brier_loss(q: tuple[sp.Expr, ...], z: int) -> sp.Expr:
    """``‖q - e_z‖²`` for an explicit probability vector ``q``."""
    return sp.Add(*((value - (1 if index == z else 0)) ** 2 for index, value in enumerate(q)))


def tv_one_count_moved() -> sp.Expr:
    """TV between frequency vectors before and after one sample changes category."""
    before = (_x, _y)
    after = (_x + 1 / n, _y - 1 / n)
    return sp.simplify(sp.Rational(1, 2) * sum(sp.Abs(p - q) for p, q in zip(after, before)))


def brier_change(indicator_u: int, indicator_v: int) -> sp.Expr:
    """Loss change when a sample moves from category ``v`` to ``u`` (``z`` indicators)."""
    def loss(qu, qv):
        return (qu - indicator_u) ** 2 + (qv - indicator_v) ** 2

    return sp.expand(loss(_x + 1 / n, _y - 1 / n) - loss(_x, _y))


def _vertices() -> list[tuple[sp.Expr, sp.Expr]]:
    """Vertices of {q_u >= 0, q_v >= 1/n, q_u + q_v <= 1} (q_v counts the moved sample)."""
    return [(sp.Integer(0), 1 / n), (1 - 1 / n, 1 / n), (sp.Integer(0), sp.Integer(1))]


def _dominates(first: sp.Expr, second: sp.Expr) -> bool:
    """``first >= second`` for every ``n >= 2``: n² (first - second) at n = 2 + u has
    only non-negative coefficients as a polynomial in u >= 0."""
    u = sp.Symbol("u", nonnegative=True)
    poly = sp.Poly(sp.expand(sp.cancel((first - second) * n ** 2).subs(n, 2 + u)), u)
    return all(coefficient >= 0 for coefficient in poly.all_coeffs())


@cache
def brier_stability() -> sp.Expr:
    """``β_n``: the largest ``|Δ loss|`` over data, query point and the moved sample.

    The change is affine in ``(q_u, q_v)``, so its absolute value is convex and its
    maximum over the polytope sits at a vertex; the query ``z`` is ``u``, ``v`` or
    another category.
    """
    candidates = []
    for (iu, iv), (xu, yv) in itertools.product(((1, 0), (0, 1), (0, 0)), _vertices()):
        change = brier_change(iu, iv).subs({_x: xu, _y: yv})
        value = sp.expand(change)
        # sign of an affine-in-1/n value is fixed for n >= 2: compare with 0
        if _dominates(value, sp.Integer(0)):
            candidates.append(value)
        elif _dominates(sp.Integer(0), value):
            candidates.append(sp.expand(-value))
        else:  # pragma: no cover - every vertex value has a fixed sign for n >= 2
            raise RuntimeError(f"sign of {value} changes with n")
    best = [c for c in candidates if all(_dominates(c, other) for other in candidates)]
    if not _dominates(PAPER_BETA, best[0]):  # pragma: no cover - THEORY.md's stated bound
        raise RuntimeError("derived beta_n exceeds 4/n + 2/n^2")
    return sp.expand(best[0])


def brier_maximum() -> sp.Expr:
    """``M``: the Brier loss is convex in ``q``, so its maximum is at a vertex ``e_w``."""
    values = [brier_loss(tuple(1 if index == w else 0 for index in range(3)), 0)
              for w in range(3)]
    return sp.Max(*values)


def tv_learnability() -> sp.Expr:
    """``d_TV(n)`` bound: ``E d_TV(q̂, p) <= ½ Σ_y sqrt(p_y(1-p_y)/m)`` (Jensen per
    coordinate) ``<= ½ sqrt((K-1)/m)`` (Cauchy-Schwarz) for ``m`` samples; a training set
    made of ``λn`` and ``(1-λ)n`` samples of two laws gets the factor
    ``max_λ (sqrt(λ) + sqrt(1-λ))`` found below."""
    lam_ = sp.Symbol("lambda_", positive=True)
    mix = sp.sqrt(lam_) + sp.sqrt(1 - lam_)
    (critical,) = sp.solve(sp.diff(mix, lam_), lam_)
    factor = sp.simplify(mix.subs(lam_, critical))
    return sp.sqrt(n_cat - 1) * factor / (2 * sp.sqrt(n))


def constants(k: int | None = None) -> ModelConstants:
    """Constants of the categorical model; ``k`` fixes the number of symbols ``K``."""
    result = ModelConstants(
        model="categorical",
        beta_n=brier_stability(),
        tau_n=tv_one_count_moved(),
        M=brier_maximum(),
        d_tv=tv_learnability(),
        parameters=(n_cat,),
        keywords=(("k", n_cat),),
        notes=(
            ("beta_n", ("exact worst case of the Brier loss change over all data sets, "
                       "queries and moved samples (n >= 2); below 4/n + 2/n^2")),
            ("tau_n", "exact: moving one count changes two frequencies by 1/n"),
            ("M", "exact maximum of the Brier loss over the simplex"),
            ("d_tv", ("bound (Jensen and Cauchy-Schwarz), treating the kept real subset as a "
                     "sample of its law; the sqrt(2) covers a mixed training set")),
        ),
    )
    return result if k is None else result.with_parameters(k=k)


#: Heterozygosity ``1 − Σ_s p_s²`` of the real categorical law (the model's ``real_heterozygosity``).
H_0 = sp.Symbol("H_0", nonnegative=True)
_E_H = sp.Symbol("E_H_i", nonnegative=True)


def wright_fisher_heterozygosity() -> ClosedForm:
    """``E H_i = H_0 (1 − 1/n)^{i+1}``: the heterozygosity of the MLE loop under ``replace``.

    ``H(q) = 1 − Σ_s q_s²`` is the chance that two draws from ``q`` differ. Refitting the
    frequencies to ``n`` draws from ``q`` gives ``q̂ = N/n`` with ``N ~ Multinomial(n, q)``,
    so ``E q̂_s² = q_s² + q_s(1 − q_s)/n`` and ``E[H(q̂) | q] = (1 − 1/n) H(q)``: the haploid
    Wright–Fisher model of population genetics (Ewens 2004, *Mathematical Population
    Genetics*, §3.2). Generation 0 is itself a sample of ``n`` from ``p``, hence ``i + 1``
    factors.

    >>> wright_fisher_heterozygosity().expr.subs({H_0: sp.Rational(1, 2), n: 2, i: 0})
    1/4
    """
    return ClosedForm("wright_fisher_heterozygosity", "heterozygosity", "replace", H_0 * (1 - 1 / n) ** (i + 1),
                      _E_H, {H_0: "H_{0}", _E_H: r"\mathbb{E}\,H_{i}"}, source="Ewens 2004, §3.2")


CARDS = (TheoryCard("categorical", constants=constants, closed_forms=(wright_fisher_heterozygosity(),),
                    symbols={"real_heterozygosity": H_0}),)

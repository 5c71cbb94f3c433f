"""Constants of the gain-c Bernoulli learner ``θ = clip(p + c (f − p), 0, 1)``.

``f`` is the frequency of ones in the training set; the loss is the squared error
``(θ − z)²`` with ``z ∈ {0, 1}``, so ``M = 1``. Derived here:

* ``τ_n = c/n``: one changed point moves ``f`` by ``1/n`` and ``θ`` by at most ``c/n``
  (the clip only shrinks the change); for two Bernoulli laws ``d_TV = |θ − θ'|``;
* ``β_n ≤ 2c/n``: ``(θ − z)² − (θ' − z)² = (θ − θ')(θ + θ' − 2z)`` and ``|θ + θ' − 2z| ≤ 2``;
* with ``τ_n = c/n`` L2's critical proportion is ``λ_c = 1 − 1/c``, so a gain ``c > 1``
  shows both sides of the phase transition.

``d_TV(n)`` is left to the estimator (the clip makes its closed form piecewise).

>>> constants(gain=3).tau_n, constants(gain=3).beta_n
(3/n, 6/n)
"""

from __future__ import annotations

import sympy as sp

from stl.theory.models.card import TheoryCard
from stl.theory.models.constants import ModelConstants
from stl.theory.symbols import c, n

_theta, _theta2, _z = sp.symbols("theta theta_prime z", real=True)


def loss_change() -> sp.Expr:
    """``(θ − z)² − (θ' − z)²`` factored: ``(θ − θ')(θ + θ' − 2z)``."""
    return sp.factor((_theta - _z) ** 2 - (_theta2 - _z) ** 2)


def uniform_stability() -> sp.Expr:
    """``β_n``: ``|θ − θ'| ≤ c/n`` times ``max |θ + θ' − 2z| = 2`` over ``θ, θ' ∈ [0, 1]``, ``z ∈ {0, 1}``."""
    factor = sp.Max(*(abs(t1 + t2 - 2 * zz) for t1 in (0, 1) for t2 in (0, 1) for zz in (0, 1)))
    return sp.simplify(factor * c / n)


def constants(gain: sp.Expr | float | None = None) -> ModelConstants:
    """Constants of the gain learner; ``gain`` fixes ``c`` (the model's ``--param gain``)."""
    result = ModelConstants(
        model="gain-bernoulli",
        beta_n=uniform_stability(),
        tau_n=c / n,
        M=sp.Integer(1),
        d_tv=None,
        parameters=(c,),
        keywords=(("gain", c),),
        notes=(
            ("beta_n", "bound: |theta - theta'| <= c/n times |theta + theta' - 2z| <= 2"),
            ("tau_n", "exact away from the clip: one point moves theta by c/n, and d_TV = |theta - theta'|"),
            ("M", "the squared error of a probability against a 0/1 label"),
            ("d_tv", "unknown in closed form (the clip); estimate it"),
        ),
    )
    if gain is None:
        return result
    value = sp.nsimplify(gain) if not isinstance(gain, sp.Basic) else gain
    return ModelConstants(result.model, result.beta_n.subs(c, value), result.tau_n.subs(c, value), result.M,
                          None, (), result.notes)


CARDS = (TheoryCard("gain-bernoulli", constants=constants),)

"""The flat Adam update of the torch learners: one definition for every network.

The networks of :mod:`stl.numerics.icl` and :mod:`stl.numerics.models._neural` keep all
weights of all replicates in one flat ``(R, P)`` tensor, so one update is a handful of
tensor operations whatever the number of weight tensors. :func:`adam_update` is that
update; its step size and bias corrections may be tensors on the device (the ICL trainer
reads them from a per-step table, so a training loop has no host synchronisation) or
plain numbers. Nothing is imported here: the arguments are the caller's tensors.

>>> import torch
>>> w, g = torch.zeros(1, 2, dtype=torch.float64), torch.tensor([[1.0, -2.0]], dtype=torch.float64)
>>> m1, m2 = torch.zeros_like(w), torch.zeros_like(w)
>>> adam_update(w, g, m1, m2, rate=0.1, c1=1 - BETAS[0], c2=1 - BETAS[1])
>>> [round(x, 6) for x in w[0].tolist()]     # the first step moves each weight by ≈ the rate
[-0.1, 0.1]
"""

from __future__ import annotations

from typing import Any

#: Adam's moment decay rates ``β₁``, ``β₂``.
BETAS = (0.9, 0.999)
#: Adam's ``ε`` (added to the root of the second moment).
EPS = 1e-8


def adam_update(flat: Any, grad: Any, m1: Any, m2: Any, *, rate: Any, c1: Any, c2: Any) -> None:
    """One Adam step, in place: ``m1 ← β₁ m1 + (1 − β₁) g``, ``m2 ← β₂ m2 + (1 − β₂) g²``,
    ``flat ← flat − rate · (m1/c1) / (√(m2/c2) + ε)`` with the bias corrections
    ``c1 = 1 − β₁ᵗ``, ``c2 = 1 − β₂ᵗ`` of step ``t`` (numbers, or tensors broadcasting
    against ``flat``). Call it under ``torch.no_grad()``."""
    m1.mul_(BETAS[0]).add_(grad, alpha=1 - BETAS[0])
    m2.mul_(BETAS[1]).addcmul_(grad, grad, value=1 - BETAS[1])
    flat.sub_(rate * (m1 / c1) / ((m2 / c2).sqrt() + EPS))

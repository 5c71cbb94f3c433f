"""Classical predictors of the query label, the yardsticks for a trained ICL model.

Given the ``m`` labelled context pairs ``(X, y)`` of a prompt (``X`` is ``m × d``) and
its query input ``x_q``, each baseline estimates the task and predicts ``x_qᵀŵ``:

* ``ls``: least squares, ``ŵ = X⁺ y`` (minimum-norm solution when ``m < d``);
* ``ridge``: ``ŵ = (XᵀX + σ²d I)⁻¹ Xᵀy``. Under THEORY.md T2's prior ``w ~ N(0, I/d)``
  and noise ``N(0, σ²)`` the posterior of ``w`` has precision ``d I + XᵀX/σ²`` and mean
  ``(d I + XᵀX/σ²)⁻¹ Xᵀy/σ²``; multiplying through by ``σ²`` gives this ridge with
  penalty ``σ²d``, so ridge is the Bayes-optimal (posterior-mean) predictor. At
  ``σ = 0`` the posterior mean is the minimum-norm interpolant, i.e. ``ls``;
* ``avg``: ``ŵ = (1/m) Σ y_k x_k`` (unbiased since ``E[x xᵀ] = I``; what one linear
  self-attention layer computes before its learned rescaling).

>>> from stl.numerics.rng import ReplicateStreams
>>> from stl.numerics.icl.prompts import sample_prompts
>>> p = sample_prompts(ReplicateStreams(0, 2), "real", 500, dim=3, context=12, noise=0.5,
...                    dtype=torch.float64)
>>> r = baseline_risks(p, noise=0.5)
>>> bool((r["ridge"] <= r["ls"] + 0.05).all())   # Bayes beats LS up to Monte Carlo error
True
"""

from __future__ import annotations

import torch

from stl.numerics.icl.prompts import Prompts

BASELINES = ("ls", "ridge", "avg")


def _context(p: Prompts):
    # All pairs but the last are the context; the last input is the query.
    return p.x[..., :-1, :], p.y[..., :-1], p.x[..., -1, :]


def task_estimate(p: Prompts, method: str, noise: float) -> torch.Tensor:
    """``ŵ`` ``(R, N, d)`` of baseline ``method`` from each prompt's context."""
    X, y, _ = _context(p)
    m, d = X.shape[-2], X.shape[-1]
    if method == "avg":
        return torch.einsum("...kd,...k->...d", X, y) / m
    if method == "ls" or (method == "ridge" and noise == 0):
        return (torch.linalg.pinv(X) @ y.unsqueeze(-1)).squeeze(-1)
    if method == "ridge":
        gram = X.transpose(-1, -2) @ X
        eye = torch.eye(d, dtype=X.dtype, device=X.device)
        rhs = (X.transpose(-1, -2) @ y.unsqueeze(-1))
        return torch.linalg.solve(gram + (noise ** 2) * d * eye, rhs).squeeze(-1)
    raise ValueError(f"unknown baseline {method!r}; known: {BASELINES}")


def baseline_predictions(p: Prompts, noise: float) -> dict[str, torch.Tensor]:
    """Query-label predictions ``(R, N)`` of every baseline."""
    xq = p.x[..., -1, :]
    return {m: (xq * task_estimate(p, m, noise)).sum(-1) for m in BASELINES}


def baseline_risks(p: Prompts, noise: float) -> dict[str, torch.Tensor]:
    """Per-replicate mean squared query error ``(R,)`` of every baseline on prompts ``p``."""
    yq = p.y[..., -1]
    return {m: ((pred - yq) ** 2).mean(-1) for m, pred in baseline_predictions(p, noise).items()}

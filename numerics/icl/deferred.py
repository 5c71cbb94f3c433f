"""Fitted ICL weights that are trained when first used, together with every other pending fit.

The estimators of THEORY.md D2 and D3 fit two chains side by side: ``estimate_tau`` fits
``S`` and its neighbour ``S'``, ``estimate_gamma`` steps chain ``a`` and then chain ``b``
each generation, and only then looks at both (a TV, a coupled sample). Fitting each chain
as soon as it is asked for would train two half-size batches one after the other — on a
GPU, where a training step costs the same for 8 replicates as for 256, that is twice the
time for nothing. So :meth:`stl.numerics.icl.model.ICLModel.fit` does everything a fit
must do *at once* (reads its random streams: initial weights and minibatch order, in the
same order as before; validates; moves the data to the device) and returns
:class:`ICLParams` whose weights do not exist yet. The first time any pending fit's
weights are read, every pending fit of that model with the same shapes is trained in one
batched run (:meth:`FitQueue.resolve`), then each gets its own slice.

This changes no number: each replicate's training depends only on its own data, initial
weights and minibatches (:mod:`stl.numerics.icl.training`), which are fixed when ``fit``
is called. It changes how many trainings run: one per generation for both chains of
``γ̂``, one for both fits of ``τ̂`` and ``β̂``, in every estimator and check without
their knowing (``tests/numerics/icl/test_deferred.py`` counts them). Pending fits that are
with minibatches train together whatever their number of prompts (the smaller datasets
padded with rows no minibatch index reaches), and pending fits that are
equal in everything a fit reads (initial weights, prompts, minibatch order) train once:
two loops started from the same ``S_0`` and seed (``λ = 0`` beside ``λ > 0``), or a learner
fitted beside the loop it starts, share their generation-0 training.

A pending fit nobody reads is never trained: the queue holds its request only through a
weak reference to the :class:`ICLParams` it returned.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable


class ICLParams:
    """Fitted weights of ``R`` replicates: ``tensors`` (name → ``(R, ...)`` tensor).

    Built either from tensors (trained) or from a pending request (trained on first read
    of :attr:`tensors`, see the module docstring).
    """

    __slots__ = ("_tensors", "_request", "__weakref__")

    def __init__(self, tensors: dict | None = None, *, request: FitRequest | None = None):
        if (tensors is None) == (request is None):
            raise ValueError("ICLParams needs either tensors or a pending request")
        self._tensors = tensors
        self._request = request

    @property
    def tensors(self) -> dict:
        if self._tensors is None:
            self._request.queue.resolve()
        return self._tensors

    @property
    def pending(self) -> bool:
        return self._tensors is None

    @property
    def replicates(self) -> int:
        if self._tensors is None:
            return self._request.replicates
        return next(iter(self._tensors.values())).shape[0]

    def _set(self, tensors: dict) -> None:
        self._tensors, self._request = tensors, None


@dataclass
class FitRequest:
    """One pending fit: initial weights, prompts and minibatch order (``None``: full batch),
    each with a leading replicate axis, and the signature fits must share to train together."""

    queue: FitQueue
    init: dict
    prompts: Any
    order: Any
    signature: tuple
    owner: Any = None   # weakref to the ICLParams this request fills

    @property
    def replicates(self) -> int:
        return self.prompts.replicates


class FitQueue:
    """Pending fits of one model; ``train(init, prompts, order)`` trains a stacked batch."""

    def __init__(self, train: Callable[[dict, Any, Any], dict]):
        self._train = train
        self._pending: list[FitRequest] = []
        #: Batched trainings run so far (what the tests count).
        self.trainings = 0

    def submit(self, init: dict, prompts, order, signature: tuple) -> ICLParams:
        request = FitRequest(self, init, prompts, order, signature)
        params = ICLParams(request=request)
        request.owner = weakref.ref(params)
        self._pending.append(request)
        return params

    def resolve(self) -> None:
        """Train every pending fit that is still wanted, one batched run per signature."""
        import torch

        from stl.numerics.icl.prompts import Prompts

        pending, self._pending = self._pending, []
        groups: dict[tuple, list[tuple[FitRequest, ICLParams]]] = {}
        for req in pending:
            owner = req.owner()
            if owner is not None and owner.pending:
                groups.setdefault(req.signature, []).append((req, owner))
        for members in groups.values():
            # A request equal to an earlier one in everything a fit reads (two loops started
            # from the same S_0 and streams, or a learner fitted beside the loop it starts)
            # is trained once: its replicates would repeat the same computation.
            first: list[tuple[FitRequest, list[ICLParams]]] = []
            for req, owner in members:
                twin = next((f for f in first if _same_fit(f[0], req)), None)
                if twin is None:
                    first.append((req, [owner]))
                else:
                    twin[1].append(owner)
            reqs = [r for r, _ in first]
            if len(reqs) == 1:
                init, prompts, order = reqs[0].init, reqs[0].prompts, reqs[0].order
            else:
                init = {k: torch.cat([r.init[k] for r in reqs]) for k in reqs[0].init}
                # Minibatch fits of different n: each dataset padded to the largest with zero
                # rows, which its minibatch indices (all < its own n) never select.
                n = max(r.prompts.count for r in reqs)
                prompts = Prompts(torch.cat([_pad(r.prompts.x, n) for r in reqs]),
                                  torch.cat([_pad(r.prompts.y, n) for r in reqs]))
                order = None if reqs[0].order is None else torch.cat([r.order for r in reqs])
            trained = self._train(init, prompts, order)
            self.trainings += 1
            at = 0
            for req, owners in first:
                size = req.replicates
                for i, owner in enumerate(owners):
                    # Twins get their own copy: a caller may write into its weights.
                    owner._set({k: (v[at:at + size] if i == 0 else v[at:at + size].clone())
                                for k, v in trained.items()})
                at += size


def _pad(t, n: int):
    """``t`` ``(R, count, ...)`` with zero rows appended along the prompt axis up to ``n``."""
    import torch

    if t.shape[1] == n:
        return t
    return torch.cat([t, t.new_zeros(t.shape[0], n - t.shape[1], *t.shape[2:])], dim=1)


def _same_fit(a: FitRequest, b: FitRequest) -> bool:
    """Whether two requests would train to the same weights (same initial weights, prompts
    and minibatch order, compared exactly)."""
    import torch

    if a.replicates != b.replicates or set(a.init) != set(b.init):
        return False
    if (a.order is None) != (b.order is None):
        return False
    pairs = [(a.prompts.x, b.prompts.x), (a.prompts.y, b.prompts.y)] + [(a.init[k], b.init[k]) for k in a.init]
    if a.order is not None:
        pairs.insert(0, (a.order, b.order))     # the cheapest to compare, and the likeliest to differ
    return all(x is y or (x.shape == y.shape and torch.equal(x, y)) for x, y in pairs)

"""The ``charlm`` model: a tiny character-level GRU language model, on text from a Markov source.

The neural counterpart of :mod:`stl.numerics.models.ngram` (the small-LM setting of
Shumailov et al. 2024 at toy scale): the same generated real law
(:mod:`stl.numerics.models._sequences`), learned by a one-layer GRU with ``hidden``
units that reads a start symbol and then the string, and predicts each letter from its
prefix. One network per replicate, all replicates trained as one batched computation
(:mod:`stl.numerics.models._neural`): full-batch Adam on the mean per-letter negative
log-likelihood for ``steps`` steps, cosine-decayed from ``lr``.

Internal randomness: the initial weights come from the replicate's ``"init"`` stream, so
two fits given equal streams start alike (D2/D3 estimates share that randomness); with
``warm_start=1`` a generation starts from its parent's weights instead (the stream is
still read, to stay aligned). Training is full batch: there is no other randomness.

Because the network's law over the ``alphabet ** length`` strings is computed as a full
table (one forward pass over every string), TV, the maximal coupling, the risk and the
KL to ``D_0`` are exact, exactly as for ``ngram``.

Metrics: ``cross_entropy`` (risk on real text, nats per letter), ``kl_to_real``,
``tv_to_real``, ``entropy``, ``gen_gap``. torch is imported when a model is fitted or
sampled, never when the model is only declared.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = CharLMModel({"alphabet": "3", "length": "3", "hidden": "4", "steps": "5"})
>>> st = ReplicateStreams(seed=0, replicates=2)
>>> th = m.fit(m.draw_real(st, 20), streams=st)
>>> th.logp.shape
(2, 27)
"""

from __future__ import annotations

import numpy as np

from stl.numerics.models._sequences import SequenceLawModel, SequenceParams, sequence_specs
from stl.numerics.models.base import ParamSpec, Verification, choice_of, float_in, int_in
from stl.numerics.rng import ReplicateStreams


class CharLMModel(SequenceLawModel):
    """One-layer GRU letter model (batched over replicates); see the module docstring."""

    name = "charlm"
    summary = "tiny character-level GRU language model on strings from a known Markov source (torch)"
    param_specs = sequence_specs() + (
        ParamSpec("hidden", int_in(1, 1024), "8", help="GRU hidden units"),
        ParamSpec("steps", int_in(0, 1_000_000), "100", help="Adam steps per fit (full batch)"),
        ParamSpec("lr", float_in(0.0, low_open=True), "0.03", help="peak Adam learning rate"),
        ParamSpec("warm_start", choice_of("0", "1"), "0", help="1: start from the parent's weights"),
    )
    requires = ("torch",)
    default_n = 200
    default_replicates = 32
    verification = Verification(
        atlas={"full": dict(n=200, lams=(0.0, 0.3, 0.6, 0.95, 0.99), generations=4, replicates=16, tau_replicates=16,
                            neighbours=2, block=16, locate_high=0.9, locate_steps=3)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.params
        self.hidden, self.steps, self.lr = int(p["hidden"]), int(p["steps"]), float(p["lr"])
        self.warm_start = p["warm_start"] == "1"

    def _shapes(self):
        k, H = self.k, self.hidden
        shapes = {"wx": (k + 1, 3 * H), "bx": (3 * H,), "wh": (H, 3 * H), "bh": (3 * H,),
                  "wo": (H, k), "bo": (k,)}
        fan = {"wx": k + 1, "bx": None, "wh": H, "bh": None, "wo": H, "bo": None}
        return shapes, fan

    def _log_probs(self, w: dict, strings):
        """``log P(x)`` of strings ``(R, N, L)`` or ``(N, L)`` (shared by all replicates): ``(R, N)``."""
        import torch

        from stl.numerics.models._neural import torch_dtype

        k, H, L = self.k, self.hidden, self.length
        x = torch.as_tensor(np.asarray(strings), dtype=torch.long)
        inputs = torch.cat([torch.full_like(x[..., :1], k), x[..., :-1]], dim=-1)
        onehot = torch.nn.functional.one_hot(inputs, k + 1).to(torch_dtype())      # (..., N, L, k+1)
        R = w["wx"].shape[0]
        h = None
        total = 0.0
        for t in range(L):
            gx = onehot[..., t, :] @ w["wx"] + w["bx"][:, None, :]                   # (R, N, 3H)
            gh = (w["bh"][:, None, :] if h is None else h @ w["wh"] + w["bh"][:, None, :])
            r = torch.sigmoid(gx[..., :H] + gh[..., :H])
            z = torch.sigmoid(gx[..., H:2 * H] + gh[..., H:2 * H])
            cand = torch.tanh(gx[..., 2 * H:] + r * gh[..., 2 * H:])
            h = (1 - z) * cand if h is None else (1 - z) * cand + z * h
            logits = h @ w["wo"] + w["bo"][:, None, :]
            logp = torch.log_softmax(logits, dim=-1)
            target = x[..., t].expand(R, -1) if x.dim() == 2 else x[..., t]
            total = total + logp.gather(-1, target.unsqueeze(-1)).squeeze(-1)
        return total

    def fit(self, data, *, streams=None, warm=None) -> SequenceParams:
        import torch

        from stl.numerics.models._neural import init_weights, to_numpy, train_adam
        from stl.numerics.threads import torch_threads

        data = np.asarray(data, dtype=np.int64)
        R = data.shape[0]
        if streams is None:
            # Without streams the fit is seeded by 0: still a deterministic function of the data.
            streams = ReplicateStreams(0, R)
        shapes, fan = self._shapes()
        w = init_weights(streams, shapes, fan)               # always drawn: keeps the stream aligned
        if self.warm_start and warm is not None and warm.weights is not None:
            w = {k: v.clone() for k, v in warm.weights.items()}
        L = self.length

        def loss(wt):
            return -self._log_probs(wt, data).mean(dim=1) / L

        with torch_threads():
            w = train_adam(w, loss, steps=self.steps, lr=self.lr)
            with torch.no_grad():
                table = to_numpy(self._log_probs(w, self.strings))
        return SequenceParams(table, w)

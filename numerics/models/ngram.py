"""The ``ngram`` model: an n-gram letter model with add-α smoothing, on text from a Markov source.

The language-model setting of Shumailov et al. (2024) and of Collapse-or-Thrive
(Schaeffer et al. 2025) at toy scale, with a real law that is known exactly
(:mod:`stl.numerics.models._sequences`: a first-order Markov chain over a short alphabet;
nothing is downloaded). The learner counts, for every context of ``order − 1`` letters
(padded with a start symbol at the beginning of a string), how often each letter follows,
and predicts

    θ(s | ctx) = (N(ctx, s) + α) / (N(ctx) + k α).

It is a deterministic function of the counts, which are additive sufficient statistics
(``accumulate`` adds them up). The fitted law of a string is the product of its
conditionals, held as a full table over the ``alphabet ** length`` strings, so TV, the
maximal coupling, the risk (per-letter NLL clipped at ``clip``) and ``kl_to_real`` are
exact. ``order = 2`` (bigrams) can represent ``D_0`` exactly; ``order = 1`` (letter
frequencies) cannot.

Metrics: ``cross_entropy`` (risk on real text, nats per letter), ``kl_to_real``,
``tv_to_real``, ``entropy`` (of the fitted law, per letter), ``gen_gap``.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = NGramModel({"alphabet": "3", "length": "4"})
>>> st = ReplicateStreams(seed=0, replicates=2)
>>> th = m.fit(m.draw_real(st, 50))
>>> th.logp.shape, m.sample(th, st, 7).shape
((2, 81), (2, 7, 4))
"""

from __future__ import annotations

import numpy as np

from stl.numerics.models._batched import row_bincount
from stl.numerics.models._sequences import SequenceLawModel, SequenceParams, sequence_specs
from stl.numerics.models.base import ParamSpec, Verification, float_in, int_in


def context_ids(strings: np.ndarray, alphabet: int, order: int) -> np.ndarray:
    """Context index of every position ``(..., L)``: the previous ``order − 1`` letters in
    base ``alphabet + 1``, a start symbol (``alphabet``) before the string's first letter.

    >>> context_ids(np.array([[0, 1, 1]]), 2, 2).tolist()   # contexts: start, 0, 1
    [[2, 0, 1]]
    """
    strings = np.asarray(strings, dtype=np.int64)
    base = alphabet + 1
    out = np.zeros(strings.shape, dtype=np.int64)
    for back in range(1, order):
        prev = np.full(strings.shape, alphabet, dtype=np.int64)
        prev[..., back:] = strings[..., :-back]
        out = out + prev * base ** (back - 1)
    return out


class NGramModel(SequenceLawModel):
    """Add-α smoothed n-gram letter model; see the module docstring."""

    name = "ngram"
    summary = "n-gram letter model with add-alpha smoothing on strings from a known Markov source"
    param_specs = sequence_specs() + (
        ParamSpec("order", int_in(1, 6), "2", help="n: letters per n-gram (context n - 1)"),
        ParamSpec("alpha", float_in(0.0, low_open=True), "0.5", help="add-alpha smoothing"),
    )
    default_n = 200
    verification = Verification(
        atlas={"quick": dict(n=200, replicates=200, tau_replicates=50, block=200),
               "full": dict(n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), generations=16, replicates=600,
                            tau_replicates=100, block=300)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.order = int(self.params["order"])
        self.alpha = float(self.params["alpha"])
        self.contexts = (self.k + 1) ** (self.order - 1)
        self._ctx_all = context_ids(self.strings, self.k, self.order)

    def _counts(self, data: np.ndarray) -> np.ndarray:
        cells = context_ids(data, self.k, self.order) * self.k + np.asarray(data, dtype=np.int64)
        r = cells.shape[0]
        return row_bincount(cells.reshape(r, -1), self.contexts * self.k)

    def _from_counts(self, counts: np.ndarray) -> SequenceParams:
        n = counts.reshape(counts.shape[0], self.contexts, self.k)
        log_cond = np.log(n + self.alpha) - np.log(n.sum(axis=2, keepdims=True) + self.k * self.alpha)
        return SequenceParams(self.table_from_log_conditionals(log_cond, self._ctx_all), counts)

    def fit(self, data, *, streams=None, warm=None) -> SequenceParams:
        return self._from_counts(self._counts(data))

    def suff_stats(self, data):
        return {"counts": self._counts(data)}

    def fit_stats(self, stats, *, warm=None) -> SequenceParams:
        return self._from_counts(stats["counts"])

"""The ``transformer`` model: a small GPT-style decoder trained on in-context regression prompts.

THEORY.md T2 with depth, width and heads as parameters (:mod:`stl.numerics.icl.transformer`:
pre-LayerNorm blocks, causal linear attention by default, softmax optional). Float32,
Adam with warm-up and cosine decay, per-replicate gradient clipping, every position
scored. The shared ICL machinery is :class:`stl.numerics.icl.model.ICLModel`; torch is
imported when a model is built, never when it is only declared.

Metrics: ``icl_risk``, ``gen_gap`` and the baselines ``icl_risk_ls``, ``icl_risk_ridge``
(Bayes-optimal), ``icl_risk_avg`` on the same real probe prompts.

Recipes (measured on two shared CPU cores, one torch thread per process):

* **Learning** (:data:`LEARNING_RECIPE`, ``n = 4000`` prompts): ``dim 2, context 10,
  noise 0.5``, width 32, 2 layers, 2 heads, linear attention, 2000 Adam steps of 64
  prompts, peak lr 0.003 (5 % warm-up, cosine decay), gradient clip 1, a length
  curriculum over the first quarter of the steps. Two replicates train as one batched
  computation in about 70 s; generation-0 query risk ≈ 0.34–0.37 against ridge (Bayes)
  ≈ 0.30–0.32, i.e. within 1.2x, and below the best one-layer linear attention (0.51)
  and averaging (0.60). With ``noise 0.1`` the same recipe reaches 0.04–0.055 against
  ridge's 0.013: a small absolute excess that is 3–4x on the ratio scale, so the
  1.5x criterion is stated at ``noise 0.5``.
* **Stability** (:data:`STABLE_RECIPE`): full-batch Adam, lr 0.003, 200 steps, weight decay
  0.1, σ_s = 4, width 16. ``c = n τ̂_n`` (likelihood-ratio TV, coupled init, n = 100,
  16 datasets, one swap each) grows with depth: see ``docs/theory/theorem2.md``.
  Minibatch Adam instead lets one swapped prompt reroute the whole trajectory (ĉ ≈ 20–30,
  λ_c ≈ 0.95–0.97).

>>> from stl.numerics.models.registry import model_class
>>> {"layers", "width", "heads", "attention"} <= {s.name for s in model_class("transformer").param_specs}
True
"""

from __future__ import annotations

from stl.numerics.icl import ATTENTIONS
from stl.numerics.icl.model import ICLModel, common_specs
from stl.numerics.models.base import ParamSpec, choice_of, float_in, int_in


#: The CPU recipe that learns in-context regression to within 1.5x of ridge (Bayes) at
#: generation 0 (see the class docstring; ``tests/numerics/icl/test_slow.py``). Train it on
#: :data:`LEARNING_N` prompts.
LEARNING_RECIPE = {"dim": "2", "context": "10", "noise": "0.5", "width": "32", "heads": "2", "layers": "2",
                   "batch": "64", "steps": "2000", "lr": "0.003", "curriculum": "0.25"}
LEARNING_N = 4000

#: A configuration with a moderate architecture constant ``c = n τ_n`` (so ``λ_c`` lies well
#: inside (0, 1)): full-batch Adam (``batch = 0``: no minibatch order for one swapped prompt
#: to reroute), a small step, weight decay, and σ_s large (``τ_n ∝ 1/σ_s``, T2).
STABLE_RECIPE = {"dim": "2", "context": "6", "width": "16", "heads": "2", "batch": "0", "steps": "200",
                 "lr": "0.003", "weight_decay": "0.1", "label_noise": "4"}


class TransformerModel(ICLModel):
    """Small GPT-style decoder (:mod:`stl.numerics.icl.transformer`), float32, Adam, all positions."""

    name = "transformer"
    summary = "small GPT-style decoder (layers, width, heads) trained on in-context regression prompts (T2)"
    default_n = 2000
    default_replicates = 2
    schedule = "cosine"
    grad_clip = 1.0
    param_specs = common_specs("800", "0.003", "32") + (
        ParamSpec("layers", int_in(1, 64), "2", "an integer in [1, 64]", "transformer blocks"),
        ParamSpec("width", int_in(1, 4096), "32", "an integer in [1, 4096]", "model width"),
        ParamSpec("heads", int_in(1, 64), "2", "an integer in [1, 64] dividing width", "attention heads"),
        ParamSpec("attention", choice_of(*ATTENTIONS), "linear", "linear or softmax",
                  "attention form (linear: causal linear attention)"),
        ParamSpec("optimizer", choice_of("adam", "sgd"), "adam", "adam or sgd",
                  "adam, or sgd (plain gradient descent when batch = 0: the stable trainer of tau_n)"),
        ParamSpec("weight_decay", float_in(0.0), "0", "a float >= 0", "decoupled (AdamW) weight decay"),
        ParamSpec("curriculum", float_in(0.0, 1.0), "0", "a float in [0, 1]",
                  "fraction of the steps over which the prompt length grows to context + 1"),
    )
    metric_names = ("icl_risk", "gen_gap", "icl_risk_ls", "icl_risk_ridge", "icl_risk_avg")
    theory_constants = "transformer"

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        from stl.numerics.icl import transformer as tf

        p = self.params
        self.config = tf.TransformerConfig(self.dim, self.length, p["layers"], p["width"], p["heads"],
                                           p["attention"])
        self.predict_fn = tf.predictor(self.config)
        self.weight_decay = float(p["weight_decay"])
        self.curriculum = float(p["curriculum"])

    def init_tensors(self, replicates, streams):
        from stl.numerics.icl import transformer as tf

        return tf.init_params(self.config, streams, device=self.torch_device, dtype=self.dtype)

    def optimizer(self):
        return self.params["optimizer"]

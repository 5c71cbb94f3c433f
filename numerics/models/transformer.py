"""The ``transformer`` model: a small GPT-style decoder trained on in-context regression prompts.

THEORY.md T2 with depth, width and heads as parameters (:mod:`stl.numerics.icl.transformer`:
pre-LayerNorm blocks, causal linear attention by default, softmax optional). Float32,
Adam with warm-up and cosine decay, per-replicate gradient clipping, every position
scored; ``precision`` (``fp32``, ``tf32``, ``bf16``; CUDA) sets the products of training;
``compile=on`` compiles the training loss into fused kernels (:mod:`stl.numerics.icl.fusion`).
The shared ICL machinery is :class:`stl.numerics.icl.model.ICLModel`; torch is imported
when a model is built, never when it is only declared.

Metrics: ``icl_risk``, ``gen_gap`` and the baselines ``icl_risk_ls``, ``icl_risk_ridge``
(Bayes-optimal), ``icl_risk_avg`` on the same real probe prompts.

Recipes (``--param recipe=NAME``; :mod:`stl.numerics.icl.recipes` holds them and their
measurements): ``learn-cpu`` (the default on a CPU), ``learn-cuda`` (the default on CUDA,
at Garg-like sizes), ``stable`` (a moderate ``c = nτ_n`` for the ĉ-by-depth checks) and
``small`` (the defaults before recipes existed). Minibatch Adam lets one swapped prompt
reroute the whole trajectory (ĉ ≈ 20–30, λ_c ≈ 0.95–0.97); the ``stable`` recipe's
full-batch Adam with weight decay and σ_s = 4 keeps ĉ moderate.

>>> from stl.numerics.models.registry import model_class
>>> {"layers", "width", "heads", "attention", "recipe", "precision"} <= {s.name for s in model_class("transformer").param_specs}
True
"""

from __future__ import annotations

from types import MappingProxyType

from stl.numerics.icl import ATTENTIONS, COMPILE, recipes
from stl.numerics.icl.model import ICLModel, common_specs
from stl.numerics.icl.precision import PRECISIONS
from stl.numerics.models.base import Choice, ParamSpec, choice_of, float_in, int_in
from stl.numerics.models.verification import Verification

_LEARN = recipes.resolve("transformer", "learn-cpu", "cpu")
#: The CPU recipe that learns in-context regression to within 1.5x of ridge (Bayes) at
#: generation 0 (``recipe=learn-cpu``; ``tests/numerics/icl/test_slow.py``), as
#: ``--param`` values. Train it on :data:`LEARNING_N` prompts.
LEARNING_RECIPE = dict(_LEARN.params)
LEARNING_N = _LEARN.n

#: A configuration with a moderate architecture constant ``c = n τ_n`` (``recipe=stable``).
STABLE_RECIPE = dict(recipes.resolve("transformer", "stable", "cpu").params)


def _note(key: str, text: str) -> str:
    return f"{text} (set by the recipe)" if key in recipes.TRANSFORMER_KEYS else text


class TransformerModel(ICLModel):
    """Small GPT-style decoder (:mod:`stl.numerics.icl.transformer`), float32, Adam, all positions."""

    name = "transformer"
    summary = "small GPT-style decoder (layers, width, heads) trained on in-context regression prompts (T2)"
    # The CPU recipe's run sizes (--help); an instance carries its own recipe's.
    default_n = LEARNING_N
    default_replicates = _LEARN.replicates
    schedule = "cosine"
    grad_clip = 1.0
    param_specs = common_specs("transformer") + (
        ParamSpec("layers", int_in(1, 64), None, help=_note("layers", "transformer blocks")),
        ParamSpec("width", int_in(1, 4096), None, help=_note("width", "model width")),
        # divisibility is checked when the model is built (it joins two parameters)
        ParamSpec("heads", int_in(1, 64).where("dividing width"), None, help=_note("heads", "attention heads")),
        ParamSpec("attention", choice_of(*ATTENTIONS), "linear", help="attention form (linear: causal linear attention)"),
        ParamSpec("optimizer", choice_of("adam", "sgd"), "adam",
                  help="adam, or sgd (plain gradient descent when batch = 0: the stable trainer of tau_n)"),
        ParamSpec("weight_decay", float_in(0.0), None, help=_note("weight_decay", "decoupled (AdamW) weight decay")),
        ParamSpec("curriculum", float_in(0.0, 1.0), None,
                  help=_note("curriculum", "fraction of the steps over which the prompt length grows to context + 1")),
        ParamSpec("init_scale", float_in(0.0, low_open=True), None,
                  help=_note("init_scale", "factor on GPT-2's initial weight scale 0.02")),
        ParamSpec("precision", Choice(*PRECISIONS, note="(tf32, bf16: CUDA only)"), "fp32",
                  help="products in training: fp32, or the tensor cores' tf32 / bf16 (measurements stay fp32)"),
        ParamSpec("compile", choice_of(*COMPILE), "off",
                  help="on: the training loss and its backward compiled into fused kernels by torch.compile "
                       "(costs seconds once per process and replicate count; pays off in long trainings)"),
    )
    metric_names = ("icl_risk", "gen_gap", "icl_risk_ls", "icl_risk_ridge", "icl_risk_avg")
    verification = Verification(
        atlas={"full": dict(params={"recipe": "small", "dim": "2", "context": "4", "width": "8", "heads": "2",
                                    "layers": "2", "steps": "100", "probes": "200"},
                            n=64, lams=(0.0, 0.5, 0.97, 0.985), generations=4, replicates=8, tau_replicates=8,
                            neighbours=2, block=8, locate_high=0.9, locate_steps=3,
                            gamma_options={"coupling": "maximal-density", "measure": "tv"})})

    pinned_in_checks = MappingProxyType({"recipe": "small"})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        from stl.numerics.icl import transformer as tf

        p = self.params
        self.config = tf.TransformerConfig(self.dim, self.length, p["layers"], p["width"], p["heads"],
                                           p["attention"], float(p["init_scale"]))
        self.predict_fn = tf.predictor(self.config)
        self.weight_decay = float(p["weight_decay"])
        self.curriculum = float(p["curriculum"])
        self.precision = self._k.precision.check_precision(p["precision"], self.device)
        self.compile_step = p["compile"] == "on"

    def cost_weights(self) -> int:
        # a transformer block holds about 12 h² weights (attention and MLP)
        return 12 * self.config.width ** 2 * self.config.layers

    def init_tensors(self, replicates, streams):
        from stl.numerics.icl import transformer as tf

        return tf.init_params(self.config, streams, device=self.torch_device, dtype=self.dtype)

    def optimizer(self):
        return self.params["optimizer"]

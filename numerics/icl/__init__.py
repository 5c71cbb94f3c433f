"""In-context learning in self-consuming loops (THEORY.md T2): prompts, LSA, transformer.

This package is the only place in :mod:`stl.numerics` that imports torch, and it does so
lazily: the ``lsa`` and ``transformer`` models (declared in
:mod:`stl.numerics.models.lsa` and :mod:`stl.numerics.models.transformer`) import the
torch modules here when one is built.

Modules: ``prompts`` (the task and its prompts), ``lsa`` and ``transformer`` (the
networks), ``training`` (the static-shape batched training step), ``capture`` (a step
captured once as a CUDA graph and replayed), ``fusion`` (the step's loss compiled into fused
kernels), ``precision`` (fp32 / tf32 / bf16 products in
training), ``recipes`` (named configurations, ``--param recipe``), ``sizing`` (memory per
replicate and per prompt), ``deferred`` (fits trained together when first read),
``synthetic`` (synthetic prompts and their coupling), ``baselines`` (least squares, ridge,
averaging), ``stability`` (τ̂ and ĉ), ``model`` (what the two models share).

>>> from stl.numerics.models.registry import get_model
>>> get_model("lsa", {"dim": "2", "context": "4"}, device="cpu").name
'lsa'
"""

from __future__ import annotations

#: Attention forms of the transformer (:mod:`stl.numerics.icl.transformer`); here so that
#: the model's declaration can list them without importing torch.
ATTENTIONS = ("linear", "softmax")
#: ``--param compile`` values (:mod:`stl.numerics.icl.fusion`), declared without torch.
COMPILE = ("off", "on")

__all__ = ["ATTENTIONS", "COMPILE"]

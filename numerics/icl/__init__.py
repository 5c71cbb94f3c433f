"""In-context learning in self-consuming loops (THEORY.md T2): prompts, LSA, transformer.

This package is the only place in :mod:`stl.numerics` that imports torch, and the registry
imports it only when ``lsa`` or ``transformer`` is requested; the two factories below
import the torch modules on first call.

>>> from stl.numerics.models.registry import get_model
>>> get_model("lsa", {"dim": "2", "context": "4"}, device="cpu").name
'lsa'
"""

from __future__ import annotations


def lsa_model(params=None, device: str = "auto"):
    """Factory of the ``lsa`` model (see :mod:`stl.numerics.icl.model`)."""
    from stl.numerics.icl.model import lsa_model as build
    return build(params, device=device)


def transformer_model(params=None, device: str = "auto"):
    """Factory of the ``transformer`` model (see :mod:`stl.numerics.icl.model`)."""
    from stl.numerics.icl.model import transformer_model as build
    return build(params, device=device)


__all__ = ["lsa_model", "transformer_model"]

"""Matrix-product precision of the ICL networks' training (``--param precision``).

Three settings, named as DESIGN.md fixes them:

=========  ===================================================================
``fp32``   every product in IEEE float32 (the default; the only one on a CPU)
``tf32``   float32 weights and activations, products on the tensor cores in
           TF32 (10-bit mantissa inputs, float32 accumulation)
``bf16``   autocast: products and their outputs in bfloat16 (8-bit mantissa),
           layer norms, the loss and every weight and optimiser state in float32
=========  ===================================================================

Only *training* uses the chosen precision: the forward and backward passes of
:func:`stl.numerics.icl.training.train`. Everything that measures (the ICL risk, the
baselines, the TV and coupling of two parents) or writes synthetic labels runs in float32
whatever the setting, inside :func:`exact_products`, so a precision changes what the
networks learn and never how it is measured: the effect of a setting is then a paired
difference of measured risks (``benchmarks/gpu.py``), not a mixture of training and
measurement error. TF32 and bfloat16 are properties of the GPU's tensor cores; on a CPU
they are refused (:func:`check_precision`) rather than silently emulated.

>>> check_precision("fp32", "cpu")
'fp32'
>>> check_precision("bf16", "cpu")
Traceback (most recent call last):
...
stl.kernel.errors.InputError: --param precision: got bf16; allowed: fp32 on the CPU (tf32 and bf16 need CUDA)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from stl.numerics.errors import InputError

PRECISIONS = ("fp32", "tf32", "bf16")

# torch.set_float32_matmul_precision's names for the float32 products of each setting
# (bf16 autocasts the products themselves; whatever stays float32 is computed exactly).
_MATMUL = {"fp32": "highest", "tf32": "high", "bf16": "highest"}


def check_precision(precision: str, device: str) -> str:
    """``precision`` when ``device`` supports it; :class:`InputError` otherwise."""
    if precision not in PRECISIONS:
        raise InputError("--param precision", precision, ", ".join(PRECISIONS))
    if precision != "fp32" and device != "cuda":
        raise InputError("--param precision", precision, "fp32 on the CPU (tf32 and bf16 need CUDA)")
    return precision


@contextmanager
def training_precision(precision: str, device) -> Iterator[None]:
    """Products inside the block in ``precision`` (see the module docstring); the process's
    own setting is restored on exit."""
    import torch

    device_type = getattr(device, "type", device)
    check_precision(precision, device_type)
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(_MATMUL[precision])
    try:
        if precision == "bf16":
            # No cast cache: the weights are views of one flat tensor rebuilt each step,
            # and a cache would hold stale copies across CUDA-graph replays.
            with torch.autocast(device_type, dtype=torch.bfloat16, cache_enabled=False):
                yield
        else:
            yield
    finally:
        torch.set_float32_matmul_precision(before)


@contextmanager
def exact_products() -> Iterator[None]:
    """Float32 products inside the block even if the caller enabled TF32 globally (what
    measurements and synthetic labels use)."""
    import torch

    before = torch.get_float32_matmul_precision()
    if before != "highest":
        torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        if before != "highest":
            torch.set_float32_matmul_precision(before)

"""Torch plumbing shared by the ICL models: device choice, dtypes, numpy → tensor.

Everything random is drawn by :class:`stl.numerics.rng.ReplicateStreams` in NumPy and only
then moved to torch, so a seed gives the same numbers on every device up to the
device's floating-point arithmetic (THEORY.md T2 experiments must be reproducible).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from stl.numerics.errors import InputError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an input error.

    >>> resolve_device("cpu").type
    'cpu'
    """
    if isinstance(device, torch.device):
        return device
    if device not in DEVICES:
        raise InputError("--device", device, "auto, cpu, cuda")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise InputError("--device", "cuda", "auto or cpu (no CUDA device is available)")
        # cuBLAS needs a fixed workspace to be deterministic; set it before first use
        # and ask torch for deterministic kernels (same seed -> same numbers on a device).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        # ...without the NaN fill of every torch.empty that deterministic mode adds by
        # default: a debugging aid (no kernel here reads memory it did not write) that
        # costs a memory pass per allocation in a memory-bound training step.
        torch.utils.deterministic.fill_uninitialized_memory = False
    return torch.device(device)


def as_tensor(array: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A NumPy block (from the replicate streams) as a tensor on ``device``."""
    return torch.as_tensor(np.ascontiguousarray(array)).to(device=device, dtype=dtype)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """Detached float64 NumPy copy (the engine's arrays are NumPy)."""
    return t.detach().to("cpu", torch.float64).numpy()

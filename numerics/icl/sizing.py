"""How much memory an ICL network needs, and how many replicates fit on a device at once.

One estimate serves three callers: :class:`stl.numerics.icl.model.ICLModel` splits a fit
into as few batched trainings as the device's free memory allows (all ``R`` replicates
in one when they fit, so ``--replicates 512`` on a GPU is one or a few trainings, not a
queue of small ones); it splits a measurement or a synthetic sample into chunks of
prompts the same way; and the run budget (:mod:`stl.verify.budget`) refuses, before
starting, a run whose single replicate cannot fit.

**Activations** are measured, not modelled: autograd's saved tensors of one forward
pass are counted for one and for two prompts (on the CPU, at ``R = 1``, milliseconds),
and the difference is the bytes a prompt adds (:func:`activation_bytes_per_prompt`).
Whatever the architecture (linear or softmax attention, depth, width), this is what a
training step keeps alive for its backward pass; a factor :data:`BACKWARD_FACTOR` covers
the gradients in flight during the backward pass. A replicate's training then needs its
minibatch's activations, its data (prompts, their tokens and labels: a few copies of
``n × T × (d + 1)`` numbers), its minibatch indices and its weights with gradient and
Adam moments (:func:`training_bytes_per_replicate`).

**Free memory** is the device's: on CUDA, what the driver reports free plus what
torch's caching allocator holds unused; on a CPU, the kernel's ``MemAvailable``. Only a
fraction is planned on (:data:`TRAIN_FRACTION`, :data:`EVAL_FRACTION`): the estimate is
good to a factor of about two, and other work shares the device.

>>> import torch
>>> from stl.numerics.icl.transformer import TransformerConfig, predictor
>>> cfg = TransformerConfig(dim=2, length=4, layers=1, width=8, heads=2)
>>> zeros = {k: torch.zeros(1, *s) for k, s, _ in cfg.shapes()}
>>> activation_bytes_per_prompt(predictor(cfg), zeros, length=4, dim=2) > 0
True
>>> replicates_per_batch(2.5e8, 10**6, 512)
250
"""

from __future__ import annotations

import math

import torch

#: Gradients of activations in flight during backward, on top of the saved activations.
BACKWARD_FACTOR = 1.5
#: Fractions of the free memory one training / one chunked evaluation may plan on.
TRAIN_FRACTION = 0.5
EVAL_FRACTION = 0.25
_FLOAT = 4  # float32


def activation_bytes_per_prompt(predict, params_one: dict, *, length: int, dim: int,
                                dtype: torch.dtype = torch.float32) -> float:
    """Bytes autograd saves for backward per prompt of ``length`` pairs (see the module
    docstring); ``params_one`` are weights of one replicate (``R = 1``), on the CPU."""
    params = {k: v.detach().to("cpu", dtype).clone().requires_grad_(True) for k, v in params_one.items()}
    weights = {p.untyped_storage().data_ptr() for p in params.values()}

    def saved(prompts: int) -> int:
        storages: dict[int, int] = {}

        def pack(t):
            s = t.untyped_storage()
            if s.data_ptr() not in weights:
                storages[s.data_ptr()] = s.nbytes()
            return t

        x = torch.zeros(1, prompts, length, dim, dtype=dtype)
        y = torch.zeros(1, prompts, length, dtype=dtype)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = predict(params, x, y)
        del out
        return sum(storages.values())

    return float(max(saved(2) - saved(1), 1))


def training_bytes_per_replicate(*, activation_per_prompt: float, batch: int, n: int, length: int, dim: int,
                                 n_params: int, steps: int) -> float:
    """Device memory one replicate's training holds at its peak (module docstring)."""
    batch = batch or n
    activations = BACKWARD_FACTOR * activation_per_prompt * batch
    data = 4 * n * length * (dim + 1) * _FLOAT         # prompts, tokens (twice as long), labels
    order = steps * batch * 4 if batch < n else 0       # int32 minibatch indices
    weights = 8 * n_params * _FLOAT                     # weights, gradient, 2 moments, temporaries
    return activations + data + order + weights


def free_bytes(device: torch.device) -> float:
    """Memory free on ``device`` (module docstring); ``inf`` when it cannot be read."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        unused = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return float(free + unused)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return math.inf


def replicates_per_batch(budget_bytes: float, bytes_per_replicate: float, replicates: int) -> int:
    """How many of ``replicates`` train together within ``budget_bytes`` (at least one)."""
    if not math.isfinite(budget_bytes):
        return replicates
    return int(max(1, min(replicates, budget_bytes // max(bytes_per_replicate, 1.0))))


def chunks(total: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(total)`` in pieces of at most ``size``.

    >>> chunks(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    size = max(1, int(size))
    return [(a, min(a + size, total)) for a in range(0, total, size)]

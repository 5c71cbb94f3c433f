"""A small GPT-style decoder for in-context linear regression, batched over replicates.

The prompt ``(x_1, y_1, ..., x_T, y_T)`` becomes ``2T`` interleaved tokens of width
``d + 1``: an input token ``[x_k, 0]`` followed by a label token ``[x_k, y_k]`` (the
interleaved layout of the standard ICL-regression experiments, e.g. Garg et al. 2022,
with the label token also carrying its input, see :func:`tokens`). A linear read-in, learned
positions, ``layers`` pre-norm residual blocks (causal multi-head attention with
``heads`` heads, then a GELU MLP of width ``4·width``), a final layer norm and a linear
read-out give one number per token; the prediction of ``y_k`` is the read-out at the
input token of ``x_k``. Causal masking lets that token see ``x_1, y_1, …, x_k`` only, so
``ŷ_k`` is a function of the prefix, as THEORY.md T2 requires (and as autoregressive
labelling of synthetic prompts needs).

Attention (``attention``): ``"linear"`` (default) is causal *linear* attention, token
``t`` reading ``(1/(t+1)) Σ_{s ≤ t} (q_t·k_s/√d_h) v_s`` (the attention of the
trained-linear-transformer literature, von Oswald et al. 2023, Ahn et al. 2023, inside
the GPT block); ``"softmax"`` is the usual ``softmax(q·k/√d_h)`` attention. On a CPU
budget the linear form learns ICL regression far faster: one head computes the
averaging estimator ``Σ_j (x_qᵀA x_j) y_j`` directly, where softmax attention has to
reach it through the small-logit expansion of ``exp``. Measured on the model's default
run (dim 5, context 10, 2000 prompts, 800 Adam steps, width 32, 2 layers; see
``benchmarks/icl_training.py``): query risk ≈ 0.13–0.27 with linear attention against
≈ 0.58 with softmax attention trained the same way, averaging ≈ 0.62 and least squares
≈ 0.022.

Replicates are batched by giving every weight a leading replicate axis and writing each
layer with batched matrix products (``baddbmm`` on ``(R, ·, ·)`` stacks, the bias added in
the same kernel), so ``R`` models train as one computation (see
:mod:`stl.numerics.icl.training`). Two things keep a training step's kernel count and
work down, without changing a prediction: the per-layer weights are split into views
once per forward pass (so their gradient is one stack per weight, not a zero-filled copy
per layer), and the last layer works at the input tokens only — its label tokens feed
nothing, because the read-out is at the input tokens and attention reads keys and values
from the layer's input (a quarter less work for two layers). Training tokenises a dataset
once (:meth:`Predictor.prepare`) and predicts from minibatches of tokens.

>>> import torch
>>> from stl.numerics.rng import ReplicateStreams
>>> cfg = TransformerConfig(dim=3, length=5, layers=1, width=8, heads=2)
>>> params = init_params(cfg, ReplicateStreams(0, 2))
>>> x, y = torch.randn(2, 4, 5, 3), torch.randn(2, 4, 5)
>>> tuple(predictor(cfg)(params, x, y).shape)
(2, 4, 5)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from stl.numerics.errors import InputError
from stl.numerics.icl._torch import as_tensor
from stl.numerics.rng import ReplicateStreams

from stl.numerics.icl import ATTENTIONS  # noqa: E402 - declared where no torch is needed


@dataclass(frozen=True)
class TransformerConfig:
    """Architecture: input ``dim``, prompt ``length`` (pairs), ``layers``, ``width``, ``heads``,
    ``attention``, and ``init_scale``, the factor on GPT-2's initial weight scale (below)."""

    dim: int
    length: int
    layers: int = 2
    width: int = 32
    heads: int = 2
    attention: str = "linear"
    init_scale: float = 1.0

    def __post_init__(self):
        for name in ("dim", "length", "layers", "width", "heads"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise InputError(name, value, "an integer >= 1")
        if self.attention not in ATTENTIONS:
            raise InputError("attention", self.attention, ", ".join(ATTENTIONS))
        if self.width % self.heads:
            raise InputError("heads", self.heads, f"a divisor of width={self.width}")
        if not (math.isfinite(self.init_scale) and self.init_scale > 0):
            raise InputError("init_scale", self.init_scale, "a finite float > 0")

    def shapes(self) -> list[tuple[str, tuple[int, ...], float]]:
        """``(name, shape without the replicate axis, init std)``; std 0 → zeros, −1 → ones."""
        d1, w, L, T2 = self.dim + 1, self.width, self.layers, 2 * self.length
        # GPT-2 initialisation: N(0, 0.02²) weights, residual projections scaled by
        # 1/√(2L) so the residual stream's variance does not grow with depth; every random
        # weight's scale times init_scale. 0.02 suits GPT-2's width (768, 1/√768 ≈ 0.036);
        # at width 32 it is a ninth of 1/√32, and the product of small weights along the
        # attention path is a saddle that some seeds leave late or never (a plateau at the
        # risk of predicting 0; docs/theory/theorem2.md, "Recipes").
        std = 0.02 * self.init_scale
        res = std / math.sqrt(2 * L)
        return [
            ("w_in", (d1, w), std), ("b_in", (w,), 0.0), ("pos", (T2, w), std),
            ("ln1_g", (L, w), -1.0), ("ln1_b", (L, w), 0.0),
            ("w_qkv", (L, w, 3 * w), std), ("b_qkv", (L, 3 * w), 0.0),
            ("w_o", (L, w, w), res), ("b_o", (L, w), 0.0),
            ("ln2_g", (L, w), -1.0), ("ln2_b", (L, w), 0.0),
            ("w_1", (L, w, 4 * w), std), ("b_1", (L, 4 * w), 0.0),
            ("w_2", (L, 4 * w, w), res), ("b_2", (L, w), 0.0),
            ("lnf_g", (w,), -1.0), ("lnf_b", (w,), 0.0),
            ("w_out", (w, 1), std), ("b_out", (1,), 0.0),
        ]

    def n_params(self) -> int:
        return sum(math.prod(s) for _, s, _ in self.shapes())


def init_params(cfg: TransformerConfig, streams: ReplicateStreams, *, purpose: str = "init",
                device="cpu", dtype=torch.float32) -> dict[str, torch.Tensor]:
    """Stacked initial weights ``(R, ...)``, all drawn as one block from ``streams[purpose]``."""
    R = streams.replicates
    z = as_tensor(streams.normal(purpose, (cfg.n_params(),)), torch.device(device), dtype)
    params, at = {}, 0
    for name, shape, std in cfg.shapes():
        size = math.prod(shape)
        if std > 0:
            params[name] = (z[:, at:at + size] * std).reshape(R, *shape)
        else:
            fill = 1.0 if std < 0 else 0.0
            params[name] = torch.full((R, *shape), fill, device=device, dtype=dtype)
        at += size  # every tensor consumes its block, so shapes never shift other tensors
    return params


def _linear(h: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # h (R, ..., i), w (R, i, o), b (R, o): one batched product with the bias added in the
    # same kernel (baddbmm), over the replicate axis.
    R, i = h.shape[0], h.shape[-1]
    out = torch.baddbmm(b.unsqueeze(1), h.reshape(R, -1, i), w)
    return out.view(*h.shape[:-1], w.shape[-1])


def _norm(h: torch.Tensor, g: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # F.layer_norm takes one gain for every replicate; the per-replicate gain and shift
    # are applied after it in one fused multiply-add.
    shape = (h.shape[0],) + (1,) * (h.ndim - 2) + (-1,)
    return torch.addcmul(b.view(shape), F.layer_norm(h, h.shape[-1:]), g.view(shape))


def _scale(tokens_: int, head_dim: int, device, dtype, start, step) -> torch.Tensor:
    t = torch.arange(tokens_, device=device, dtype=torch.float64)
    w = torch.tril(torch.ones(tokens_, tokens_, device=device, dtype=torch.float64))
    return (w / ((t + 1).unsqueeze(-1) * math.sqrt(head_dim)))[start::step].to(dtype)


_cached_scale = functools.lru_cache(maxsize=64)(_scale)


def causal_scale(tokens_: int, head_dim: int, device, dtype, rows: slice = slice(None)) -> torch.Tensor:
    """``(tokens, tokens)`` weights of causal linear attention, ``1{s ≤ t} / ((t + 1)√d_h)``
    (rows ``rows`` of it): the mask and the normalisation as one constant factor.

    Cached (a constant, never written to) except while a CUDA graph is being captured
    (a tensor made then holds its values only once the graph is replayed) and while
    ``torch.compile`` traces it (the compiled graph builds and folds it itself).
    """
    args = (tokens_, head_dim, torch.device(device), dtype, rows.start, rows.step)
    # Under torch.compile the constant is built inside the traced graph (which folds it).
    if torch.compiler.is_compiling() or (
            torch.device(device).type == "cuda" and torch.cuda.is_current_stream_capturing()):
        return _scale(*args)
    return _cached_scale(*args)


def causal_linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *,
                            query_rows: slice = slice(None)) -> torch.Tensor:
    """``out_t = (1/(t+1)) Σ_{s ≤ t} (q_t·k_s/√d_h) v_s`` over the token axis (``-2``).

    ``query_rows`` says which token positions ``q`` holds (all of them by default; the last
    layer asks for the input tokens only, ``slice(0, None, 2)``).
    """
    T, dh = k.shape[-2], q.shape[-1]
    scale = causal_scale(T, dh, q.device, q.dtype, query_rows)
    return ((q @ k.transpose(-1, -2)) * scale) @ v


def tokens(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Interleave ``(R, N, T, d)`` inputs and ``(R, N, T)`` labels into ``(R, N, 2T, d + 1)``."""
    R, N, T, d = x.shape
    # The label token repeats its input (the (x, y)-token embedding of the trained
    # linear-transformer literature): one attention layer can then pair y_j with x_j.
    # With a zero x-slot a first layer must learn to copy x_j forward, which costs a
    # long loss plateau that a CPU budget cannot afford. Causality is unchanged: the
    # input token of x_k comes before the label token of (x_k, y_k).
    inp = torch.cat([x, x.new_zeros(R, N, T, 1)], dim=-1)
    lab = torch.cat([x, y.unsqueeze(-1)], dim=-1)
    return torch.stack([inp, lab], dim=3).reshape(R, N, 2 * T, d + 1)


#: Weights with a leading layer axis ``(R, L, ...)``: split into per-layer views once per
#: forward pass (``unbind``), whose gradient is one stack per name rather than a
#: zero-filled copy per layer.
_PER_LAYER = ("ln1_g", "ln1_b", "w_qkv", "b_qkv", "w_o", "b_o", "ln2_g", "ln2_b", "w_1", "b_1", "w_2", "b_2")


class Predictor:
    """The predict function ``(params, x, y) → (R, N, T)`` of one architecture.

    Training calls it in two parts: :meth:`prepare` turns a whole dataset into tokens once,
    and :meth:`from_prepared` predicts from a minibatch of those tokens, so no step
    rebuilds them (:mod:`stl.numerics.icl.training`).
    """

    def __init__(self, cfg: TransformerConfig):
        self.cfg = cfg

    def __call__(self, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        T = x.shape[2]
        if T > self.cfg.length:
            raise InputError("prompt length", T, f"at most {self.cfg.length} pairs (the trained length)")
        return self.from_prepared(params, tokens(x, y))

    def prepare(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor]:
        return (tokens(x, y),)

    def from_prepared(self, params: dict[str, torch.Tensor], tok: torch.Tensor) -> torch.Tensor:
        cfg, H = self.cfg, self.cfg.heads
        R, N, T2, _ = tok.shape
        per_layer = {k: params[k].unbind(1) for k in _PER_LAYER}
        h = _linear(tok, params["w_in"], params["b_in"]) + params["pos"][:, None, :T2, :]
        W = h.shape[-1]
        dh = W // H
        for l in range(cfg.layers):
            def p(name):
                return per_layer[name][l]

            last = l == cfg.layers - 1
            a = _norm(h, p("ln1_g"), p("ln1_b"))
            qkv = _linear(a, p("w_qkv"), p("b_qkv")).view(R, N, T2, 3, H, dh)
            q, k, v = qkv.permute(3, 0, 1, 4, 2, 5).unbind(0)        # each (R, N, H, 2T, d_h)
            # The last layer's label tokens feed nothing (the read-out is at the input
            # tokens, and attention reads keys and values from the layer's input), so it
            # computes queries, attention and MLP at the input tokens only: the same
            # predictions for a quarter less work in a two-layer model.
            rows = slice(0, None, 2) if last else slice(None)
            if last:
                h, q = h[:, :, 0::2], q[..., 0::2, :]
            att = self._attend(q, k, v, rows)
            att = att.transpose(2, 3).reshape(R, N, h.shape[2], W)
            h = h + _linear(att, p("w_o"), p("b_o"))
            a = _norm(h, p("ln2_g"), p("ln2_b"))
            h = h + _linear(F.gelu(_linear(a, p("w_1"), p("b_1"))), p("w_2"), p("b_2"))
        h = _norm(h, params["lnf_g"], params["lnf_b"])
        return _linear(h, params["w_out"], params["b_out"]).squeeze(-1)

    def _attend(self, q, k, v, rows: slice):
        if self.cfg.attention == "linear":
            return causal_linear_attention(q, k, v, query_rows=rows)
        if rows == slice(None):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        T2 = k.shape[-2]
        allowed = torch.ones(T2, T2, dtype=torch.bool, device=q.device).tril()[rows]
        return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)


def predictor(cfg: TransformerConfig) -> Predictor:
    """The predict function ``(params, x, y) → (R, N, T)`` of architecture ``cfg``."""
    return Predictor(cfg)

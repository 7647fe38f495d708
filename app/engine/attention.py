"""Attention: scaled dot-product attention, multi-head attention, sinusoidal and rotary positions.

Attention is a composite, and the composition is the lesson: scores = Q Kᵀ · scale, plus a
constant mask (0 where a query may look, -inf where it may not), softmax over the keys, then a
weighted sum of the values. Its gradients are those of matmul, mul, add and softmax; a masked
score gets exactly zero gradient because softmax's output there is exactly zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.arith import linear
from app.engine.nn import Linear, Module
from app.engine.recurrent import stack_steps
from app.engine.reduce import softmax
from app.engine.tensor import Tensor


def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=None if like is None else like.dtype)


def _mask_to_bias(mask: Any, dtype: Any, true_means: str) -> np.ndarray:
    """A boolean mask as an additive bias (0 / -inf); a float mask is already one.

    true_means="attend" is scaled_dot_product_attention's convention, "ignore" is
    MultiheadAttention's (attn_mask, key_padding_mask): the two are opposite, as in torch.
    """
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.dtype == np.bool_:
        blocked = ~array if true_means == "attend" else array
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    return array.astype(dtype, copy=False)


def _causal_bias(length: int, source: int, dtype: Any) -> np.ndarray:
    # Query t may look at keys 0..t: the lower triangle (torch's tril(diagonal=0) of ones(L, S)).
    allowed = np.tril(np.ones((length, source), dtype=bool))
    return np.where(allowed, 0.0, -np.inf).astype(dtype)


def _attend(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    bias: np.ndarray | None,
    scale: float,
    dropout_p: float,
    generator: np.random.Generator | None,
) -> tuple[Tensor, Tensor]:
    """(softmax(Q Kᵀ · scale + bias) V, the attention weights), with dropout on the weights."""
    scores = (query @ key.swapaxes(-1, -2)) * scale
    dead = None
    if bias is not None:
        # A query whose every key is masked has nothing to attend to. torch >= 2.5 (the
        # _safe_softmax of SDPA's math path) returns zeros for such a row instead of the NaN a
        # plain softmax of all -inf gives; an unmasked row is softmaxed and then zeroed here.
        dead = np.isneginf(bias).all(axis=-1, keepdims=True)
        if dead.any():
            bias = np.where(dead, 0.0, bias).astype(bias.dtype)
        else:
            dead = None
        scores = scores + bias
    weights = softmax(scores, axis=-1)
    if dead is not None:
        weights = weights * (~dead).astype(weights.dtype)
    if dropout_p > 0.0:
        rng = generator if generator is not None else np.random.default_rng()
        # Inverted dropout: kept weights are scaled by 1/(1-p) so the expectation is unchanged.
        keep = (rng.random(weights.shape) >= dropout_p).astype(weights.dtype) / (1 - dropout_p)
        weights = weights * keep
    return weights @ value, weights


def _check_qkv(query: Tensor, key: Tensor, value: Tensor) -> None:
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(
            f"query, key and value must be at least 2-D (..., L, E), got {query.shape}, "
            f"{key.shape} and {value.shape}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must share the embedding size E, got {query.shape} and {key.shape}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key and value must share the source length S, got {key.shape} and {value.shape}"
        )


def _check_dropout(dropout_p: float) -> None:
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). attn_mask
    broadcasts to (..., L, S): boolean True means "takes part in attention", a float mask is
    added to the scores. is_causal masks keys after each query (tril), and excludes attn_mask.
    scale defaults to 1/sqrt(E). dropout_p drops attention weights (seeded by `generator`, an
    addition to torch's signature). A query row with every key masked gives zeros, as torch
    >= 2.5 does (earlier versions gave NaN). The mask is a constant: no gradient flows into it.
    """
    query = _as_tensor(query)
    key, value = _as_tensor(key, query), _as_tensor(value, query)
    _check_qkv(query, key, value)
    _check_dropout(dropout_p)
    length, source = query.shape[-2], key.shape[-2]
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("attn_mask must be None when is_causal=True (torch refuses both)")
        bias = _causal_bias(length, source, query.dtype)
    elif attn_mask is not None:
        bias = _mask_to_bias(attn_mask, query.dtype, true_means="attend")
        try:
            np.broadcast_shapes(bias.shape, (*query.shape[:-2], length, source))
        except ValueError:
            raise ValueError(
                f"attn_mask shape {bias.shape} does not broadcast to the scores' shape "
                f"{(*query.shape[:-2], length, source)}"
            ) from None
    factor = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
    return _attend(query, key, value, bias, factor, dropout_p, generator)[0]


class MultiheadAttention(Module):
    """torch.nn.MultiheadAttention: project to num_heads heads, attend in each, concatenate,
    project back.

    Parameters as torch lays them out: in_proj_weight (3E, E) (rows: W_q, W_k, W_v),
    in_proj_bias (3E,), out_proj.weight (E, E), out_proj.bias (E,); initialised as torch does
    (xavier_uniform_ on in_proj_weight, U(-1/sqrt(E), 1/sqrt(E)) on out_proj.weight, zero
    biases). batch_first defaults to True here (torch's default is False).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = True,
        *,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be a positive multiple of num_heads ({num_heads})"
            )
        _check_dropout(dropout)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.generator = rng  # seeds the dropout masks
        # xavier_uniform_ on a (3E, E) matrix: bound sqrt(6 / (fan_in + fan_out)).
        bound = np.sqrt(6.0 / (embed_dim + 3 * embed_dim))
        weight = rng.uniform(-bound, bound, (3 * embed_dim, embed_dim)).astype(dtype)
        self.in_proj_weight = Tensor(weight, requires_grad=True, name="in_proj_weight")
        self.in_proj_bias = (
            Tensor(np.zeros(3 * embed_dim, dtype=dtype), requires_grad=True, name="in_proj_bias")
            if bias
            else None
        )
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, seed=rng, dtype=dtype)
        # nn.Linear's default init (kaiming_uniform_ with a=sqrt(5)) is U(-1/sqrt(in), 1/sqrt(in)).
        limit = 1.0 / np.sqrt(embed_dim)
        self.out_proj.weight.data[...] = rng.uniform(-limit, limit, (embed_dim, embed_dim))

    def _heads(self, x: Tensor) -> Tensor:
        """(N, L, E) -> (N, heads, L, head_dim): each head sees its own slice of the features."""
        n, length, _ = x.shape
        return x.reshape((n, length, self.num_heads, self.head_dim)).transpose((0, 2, 1, 3))

    def _project(self, query: Tensor, key: Tensor, value: Tensor, packed: bool) -> tuple:
        w, b, e = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if packed:
            # Self-attention: one (3E x E) product, then split into q, k, v (torch does the same).
            n, length, _ = query.shape
            qkv = linear(query, w, b).reshape((n, length, 3, self.num_heads, self.head_dim))
            qkv = qkv.transpose((2, 0, 3, 1, 4))
            return qkv[0], qkv[1], qkv[2]
        parts = []
        for i, x in enumerate((query, key, value)):
            rows = slice(i * e, (i + 1) * e)
            parts.append(self._heads(linear(x, w[rows], None if b is None else b[rows])))
        return tuple(parts)

    def _bias(
        self, n: int, length: int, source: int, attn_mask: Any, key_padding_mask: Any, dtype: Any
    ) -> np.ndarray | None:
        bias = None
        if attn_mask is not None:
            bias = _mask_to_bias(attn_mask, dtype, true_means="ignore")
            if bias.shape == (n * self.num_heads, length, source):
                bias = bias.reshape((n, self.num_heads, length, source))
            elif bias.shape != (length, source):
                raise ValueError(
                    f"attn_mask shape {bias.shape} must be (L, S) = {(length, source)} or "
                    f"(N*num_heads, L, S) = {(n * self.num_heads, length, source)}"
                )
        if key_padding_mask is not None:
            padding = _mask_to_bias(key_padding_mask, dtype, true_means="ignore")
            if padding.shape != (n, source):
                raise ValueError(
                    f"key_padding_mask shape {padding.shape} must be (N, S) = {(n, source)}"
                )
            padding = padding.reshape((n, 1, 1, source))  # the same keys hidden from every query
            bias = padding if bias is None else bias + padding
        return bias

    def forward(  # type: ignore[override]
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attn_output, attn_weights): output shaped like query; weights (N, L, S), averaged
        over heads (or (N, heads, L, S) with average_attn_weights=False), None if not needed.

        Boolean masks follow torch's MultiheadAttention: True means "may NOT attend" (the
        opposite of scaled_dot_product_attention). is_causal=True without attn_mask builds the
        causal mask (torch requires attn_mask too and treats is_causal as a hint about it).
        Fully masked rows give zero output and zero weights. torch 2.13 gives the same zeros
        with need_weights=False (its fast path is scaled_dot_product_attention) but NaN output
        and NaN weights with need_weights=True, its default.
        """
        packed = query is key and key is value
        query = _as_tensor(query, self.in_proj_weight)
        key = query if packed else _as_tensor(key, self.in_proj_weight)
        value = query if packed else _as_tensor(value, self.in_proj_weight)
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (x.reshape((1, *x.shape)) for x in (query, key, value))
        elif not self.batch_first:
            query, key, value = (x.transpose((1, 0, 2)) for x in (query, key, value))
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"MultiheadAttention: {name} must be (N, L, {self.embed_dim}) (or (L, N, E) "
                    f"without batch_first, or (L, E) unbatched), got {x.shape}"
                )
        if key.shape != value.shape or key.shape[0] != query.shape[0]:
            raise ValueError(f"key {key.shape} and value {value.shape} must match query's batch")
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        bias = self._bias(n, length, source, attn_mask, key_padding_mask, query.dtype)
        if is_causal and attn_mask is None:
            causal = _causal_bias(length, source, query.dtype)
            bias = causal if bias is None else bias + causal
        q, k, v = self._project(query, key, value, packed)
        dropout = self.dropout if self.training else 0.0
        heads, weights = _attend(
            q, k, v, bias, 1.0 / np.sqrt(self.head_dim), dropout, self.generator
        )
        # (N, heads, L, head_dim) -> (N, L, E): the heads' outputs side by side, then W_o.
        merged = heads.transpose((0, 2, 1, 3)).reshape((n, length, self.embed_dim))
        output = self.out_proj(merged)
        if unbatched:
            output = output.reshape(output.shape[1:])
        elif not self.batch_first:
            output = output.transpose((1, 0, 2))
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return output, weights.reshape(weights.shape[1:]) if unbatched else weights

    def __call__(self, query: Any, key: Any, value: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.forward(query, key, value, **kwargs)


def sinusoidal_position_encoding(length: int, dim: int, dtype: Any = np.float64) -> np.ndarray:
    """Vaswani et al.'s table (length, dim): PE[p, 2i] = sin(p / 10000^(2i/dim)),
    PE[p, 2i+1] = cos(p / 10000^(2i/dim)). A constant, added to the embeddings."""
    if length < 1 or dim < 1:
        raise ValueError(f"length and dim must be >= 1, got {length} and {dim}")
    positions = np.arange(length)[:, None]
    # One frequency per (sin, cos) pair; geometric from 1 down to 1/10000.
    frequencies = 10000.0 ** (-np.arange(0, dim, 2) / dim)
    angles = positions * frequencies
    table = np.empty((length, dim))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : dim // 2])
    return table.astype(dtype)


def apply_rotary(x: Any, positions: Any, base: float = 10000.0) -> Tensor:
    """Rotary position embedding (RoPE, Su et al.) of x (..., L, D) at integer `positions` (L,).

    Pairing convention: half-split (GPT-NeoX, Hugging Face LLaMA's rotate_half): feature j is
    paired with feature j + D/2, and that pair is rotated by the angle p · base^(-2j/D). (The
    RoFormer paper and Meta's LLaMA pair adjacent features 2j, 2j+1: the same rotations on a
    permuted feature order.) Rotating q at position m and k at position n makes q·k depend on
    m - n only.
    """
    x = _as_tensor(x)
    d = x.shape[-1] if x.ndim else 0
    if x.ndim < 2 or d % 2:
        raise ValueError(f"apply_rotary: x must be (..., L, D) with D even, got shape {x.shape}")
    positions = np.asarray(positions, dtype=np.float64)
    if positions.shape != (x.shape[-2],):
        raise ValueError(
            f"apply_rotary: positions must have shape (L,) = ({x.shape[-2]},), got "
            f"{positions.shape}"
        )
    half = d // 2
    angles = positions[:, None] * base ** (-np.arange(half) / half)  # (L, D/2), constants
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    # Each pair (x1_j, x2_j) turned by its angle: a 2-D rotation, linear in x.
    rotated = stack_steps([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-2)
    return rotated.reshape(x.shape)

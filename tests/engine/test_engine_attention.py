"""scaled_dot_product_attention, MultiheadAttention, sinusoidal and rotary position encodings."""

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Tensor, check_jvp_vjp, grad, gradcheck, hvp
from app.engine.attention import (
    MultiheadAttention,
    apply_rotary,
    scaled_dot_product_attention,
    sinusoidal_position_encoding,
)

FAST = settings(max_examples=20, deadline=None)


def value(t: Any) -> np.ndarray:
    """The array of an optional Tensor or gradient, asserting it is there."""
    assert t is not None
    return t.data if isinstance(t, Tensor) else t


def ref_softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ref_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, allowed: Any = None) -> np.ndarray:
    """Loops over every query: weights over the allowed keys only, zeros if none is allowed."""
    out = np.zeros((*q.shape[:-1], v.shape[-1]))
    for idx in np.ndindex(*q.shape[:-1]):
        lead, t = idx[:-1], idx[-1]
        scores = k[lead] @ q[idx] / np.sqrt(q.shape[-1])
        ok = (
            np.ones(k.shape[-2], bool)
            if allowed is None
            else np.broadcast_to(allowed, (*q.shape[:-1], k.shape[-2]))[(*lead, t)]
        )
        if ok.any():
            w = np.exp(scores[ok] - scores[ok].max())
            out[idx] = (w / w.sum()) @ v[lead][ok]
    return out


def rows_with_one_entry(rng: np.random.Generator, length: int, source: int) -> np.ndarray:
    """A boolean mask (True = attend) whose every row keeps a single key."""
    mask = np.zeros((length, source), bool)
    mask[np.arange(length), rng.integers(0, source, length)] = True
    return mask


# --- scaled_dot_product_attention ---------------------------------------------------------------
def test_sdpa_known_value() -> None:
    # One query, two keys: scores (0, 2) / sqrt(2)... chosen so the weights are 1/(1+e), e/(1+e).
    q = np.array([[np.sqrt(2.0), 0.0]])
    k = np.array([[0.0, 0.0], [1.0, 0.0]])
    v = np.array([[1.0], [0.0]])
    out = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out.data, [[1 / (1 + np.e)]], rtol=1e-14)
    out = scaled_dot_product_attention(q, k, v, scale=0.0)  # uniform weights
    np.testing.assert_allclose(out.data, [[0.5]], rtol=1e-14)


def test_sdpa_matches_a_per_query_loop_with_masks() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (
        rng.standard_normal((2, 3, 4, 5)),
        rng.standard_normal((2, 3, 6, 5)),
        rng.standard_normal((2, 3, 6, 2)),
    )
    np.testing.assert_allclose(
        scaled_dot_product_attention(q, k, v).data, ref_attention(q, k, v), rtol=1e-12
    )
    allowed = rng.random((2, 1, 4, 6)) < 0.5
    allowed[..., 0] = True
    out = scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    np.testing.assert_allclose(out.data, ref_attention(q, k, v, allowed), rtol=1e-12)
    # A float mask of 0 / -inf is the same mask; other float values are added to the scores.
    bias = np.where(allowed, 0.0, -np.inf)
    np.testing.assert_allclose(
        scaled_dot_product_attention(q, k, v, attn_mask=bias).data, out.data, rtol=1e-14
    )
    ramp = rng.standard_normal((4, 6))
    expected = ref_softmax(q @ k.swapaxes(-1, -2) / np.sqrt(5) + ramp) @ v
    np.testing.assert_allclose(
        scaled_dot_product_attention(q, k, v, ramp).data, expected, rtol=1e-12
    )


def test_is_causal_is_the_lower_triangle() -> None:
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    tril = np.tril(np.ones((4, 4), bool))
    causal = scaled_dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(causal.data, ref_attention(q, k, v, tril), rtol=1e-12)
    np.testing.assert_allclose(causal.data[:, 0], v[:, 0], rtol=1e-14)  # step 0 sees only itself


@pytest.mark.parametrize("t", [0, 2, 4])
def test_causal_output_does_not_depend_on_later_inputs(t: int) -> None:
    rng = np.random.default_rng(2)
    q, k, v = (Tensor(rng.standard_normal((2, 2, 5, 3)), requires_grad=True) for _ in range(3))
    out = scaled_dot_product_attention(q, k, v, is_causal=True)
    (out[..., t, :] ** 2).sum().backward()
    for x in (q, k, v):
        assert x.grad is not None
        np.testing.assert_array_equal(x.grad[..., t + 1 :, :], 0.0)  # exactly zero
    np.testing.assert_array_equal(value(q.grad)[..., :t, :], 0.0)  # other queries are not involved
    assert np.all(value(v.grad)[..., : t + 1, :] != 0)
    # Keys before t matter through the softmax (at t = 0 a single weight of 1 has no slope).
    assert t == 0 or np.all(value(k.grad)[..., : t + 1, :] != 0)


def test_fully_masked_row_gives_zeros_as_torch_2_5() -> None:
    rng = np.random.default_rng(3)
    q, k, v = (Tensor(rng.standard_normal((3, 2)), requires_grad=True) for _ in range(3))
    allowed = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out = scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    np.testing.assert_array_equal(out.data[1], 0.0)
    np.testing.assert_allclose(
        out.data[[0, 2]], ref_attention(q.data, k.data, v.data, allowed)[[0, 2]], rtol=1e-12
    )
    out.sum().backward()
    assert all(np.all(np.isfinite(x.grad)) for x in (q, k, v))  # type: ignore[arg-type]
    np.testing.assert_array_equal(q.grad[1], 0.0)  # type: ignore[index]


@FAST
@given(
    lead=st.sampled_from([(), (1,), (2,), (2, 1)]),
    length=st.integers(1, 3),
    source=st.integers(1, 3),
    e=st.integers(1, 3),
    ev=st.integers(1, 2),
    mask=st.sampled_from(["none", "one_per_row", "float", "causal", "dead_row"]),
    seed=st.integers(0, 1000),
)
def test_sdpa_gradients(
    lead: tuple, length: int, source: int, e: int, ev: int, mask: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((*lead, length, e))
    k = rng.standard_normal((*lead, source, e))
    v = rng.standard_normal((*lead, source, ev))
    kwargs: dict[str, Any] = {}
    if mask == "one_per_row":
        kwargs["attn_mask"] = rows_with_one_entry(rng, length, source)
    elif mask == "float":
        kwargs["attn_mask"] = rng.standard_normal((length, source))
    elif mask == "causal":
        kwargs["is_causal"] = True
    elif mask == "dead_row":
        allowed = rng.random((length, source)) < 0.6
        allowed[0] = False
        kwargs["attn_mask"] = allowed

    def f(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return scaled_dot_product_attention(q, k, v, **kwargs)

    report = gradcheck(f, [q, k, v])
    assert report.passed, str(report)
    assert check_jvp_vjp(f, [q, k, v]).passed


def test_sdpa_second_order_matches_finite_differences() -> None:
    rng = np.random.default_rng(4)
    k, v = Tensor(rng.standard_normal((2, 4, 3))), Tensor(rng.standard_normal((2, 4, 3)))
    allowed = rows_with_one_entry(rng, 3, 4) | (rng.random((3, 4)) < 0.5)

    def loss(q: Tensor) -> Tensor:
        out = scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return (out * out).sum()

    q, d = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))
    eps = 1e-5
    numeric = (grad(loss)(q + eps * d) - grad(loss)(q - eps * d)) / (2 * eps)
    np.testing.assert_allclose(hvp(loss, q, d), numeric, rtol=1e-6, atol=1e-8)


def test_sdpa_dropout_is_seeded_inverted_and_reused_in_backward() -> None:
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 6, 4)) for _ in range(3))

    def f(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        gen = np.random.default_rng(11)
        return scaled_dot_product_attention(q, k, v, dropout_p=0.5, generator=gen)

    a, b = f(*(Tensor(x) for x in (q, k, v))), f(*(Tensor(x) for x in (q, k, v)))
    np.testing.assert_array_equal(a.data, b.data)
    plain = scaled_dot_product_attention(q, k, v).data
    assert not np.allclose(a.data, plain)
    # Finite differences re-run f with the same seed, so this passes only if backward uses
    # the very mask the forward drew.
    assert gradcheck(f, [q, k, v]).passed
    ones = np.ones((1, 2000, 1))
    big = scaled_dot_product_attention(
        ones, ones, ones, dropout_p=0.25, generator=np.random.default_rng(0)
    )
    assert abs(big.data.mean() - 1.0) < 0.02  # inverted scaling keeps the expectation


def test_sdpa_errors_name_the_argument() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="is_causal"):
        scaled_dot_product_attention(x, x, x, attn_mask=np.ones((2, 2), bool), is_causal=True)
    with pytest.raises(ValueError, match="embedding size"):
        scaled_dot_product_attention(x, np.zeros((2, 4)), x)
    with pytest.raises(ValueError, match="source length"):
        scaled_dot_product_attention(x, x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="attn_mask shape"):
        scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(x, x, x, dropout_p=1.0)


# --- MultiheadAttention -------------------------------------------------------------------------
def ref_mha(
    m: MultiheadAttention, q: np.ndarray, k: np.ndarray, v: np.ndarray, blocked: Any = None
) -> tuple:
    """torch's formula, head by head: softmax(q_h k_hᵀ / sqrt(d) - inf·blocked) v_h, concat, W_o."""
    e, h = m.embed_dim, m.num_heads
    d = e // h
    w, b = m.in_proj_weight.data, value(m.in_proj_bias)
    qp, kp, vp = (
        q @ w[:e].T + b[:e],
        k @ w[e : 2 * e].T + b[e : 2 * e],
        v @ w[2 * e :].T + b[2 * e :],
    )
    heads, weights = [], []
    for i in range(h):
        cols = slice(i * d, (i + 1) * d)
        scores = qp[..., cols] @ kp[..., cols].swapaxes(-1, -2) / np.sqrt(d)
        if blocked is not None:
            scores = np.where(blocked, -np.inf, scores)
        p = ref_softmax(scores)
        heads.append(p @ vp[..., cols])
        weights.append(p)
    out = np.concatenate(heads, axis=-1) @ m.out_proj.weight.data.T + value(m.out_proj.bias)
    return out, np.mean(weights, axis=0)


def test_mha_layout_and_init_follow_torch() -> None:
    m = MultiheadAttention(64, 4, seed=1)
    assert m.in_proj_weight.shape == (192, 64) and value(m.in_proj_bias).shape == (192,)
    assert m.out_proj.weight.shape == (64, 64) and value(m.out_proj.bias).shape == (64,)
    assert np.abs(m.in_proj_weight.data).max() <= np.sqrt(6 / 256)
    assert np.abs(m.in_proj_weight.data).max() > 0.95 * np.sqrt(6 / 256)
    assert np.abs(m.out_proj.weight.data).max() <= 1 / 8
    np.testing.assert_array_equal(value(m.in_proj_bias), 0.0)
    np.testing.assert_array_equal(value(m.out_proj.bias), 0.0)
    assert len(m.parameters()) == 4 and len(MultiheadAttention(8, 2, bias=False).parameters()) == 2
    with pytest.raises(ValueError, match="multiple of num_heads"):
        MultiheadAttention(10, 3)


def test_mha_matches_a_head_by_head_reference() -> None:
    rng = np.random.default_rng(6)
    m = MultiheadAttention(8, 2, seed=2)
    value(m.in_proj_bias)[:] = rng.standard_normal(24)  # non-zero biases, so they are checked
    value(m.out_proj.bias)[:] = rng.standard_normal(8)
    x = rng.standard_normal((3, 5, 8))
    memory = rng.standard_normal((3, 4, 8))
    out, weights = m(x, x, x)  # self-attention: the packed projection
    ref_out, ref_w = ref_mha(m, x, x, x)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12)
    np.testing.assert_allclose(weights.data, ref_w, rtol=1e-12)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-14)
    out, weights = m(x, memory, memory)  # cross-attention: the split projection
    np.testing.assert_allclose(out.data, ref_mha(m, x, memory, memory)[0], rtol=1e-12)
    assert weights.shape == (3, 5, 4)
    # Bool masks in MHA mean "may NOT attend", key_padding_mask hides keys from every query.
    blocked = rng.random((5, 4)) < 0.4
    blocked[:, 0] = False
    padding = np.zeros((3, 4), bool)
    padding[1, 3] = True
    out, weights = m(x, memory, memory, key_padding_mask=padding, attn_mask=blocked)
    both = blocked | padding[:, None, :]
    ref_out, ref_w = ref_mha(m, x, memory, memory, both)
    np.testing.assert_allclose(out.data, ref_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights.data, ref_w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(weights.data[both], 0.0)


def test_mha_batch_first_unbatched_per_head_and_causal() -> None:
    rng = np.random.default_rng(7)
    m = MultiheadAttention(6, 3, seed=3)
    x = rng.standard_normal((2, 4, 6))
    out, w = m(x, x, x, average_attn_weights=False)
    assert w.shape == (2, 3, 4, 4)
    seq_first = MultiheadAttention(6, 3, batch_first=False, seed=3)
    xt = x.transpose(1, 0, 2).copy()
    out_t, w_t = seq_first(xt, xt, xt)
    np.testing.assert_allclose(out_t.data, out.data.transpose(1, 0, 2), rtol=1e-12)
    np.testing.assert_allclose(w_t.data, w.data.mean(axis=1), rtol=1e-12)
    out_u, w_u = m(x[0].copy(), x[0].copy(), x[0].copy())
    np.testing.assert_allclose(out_u.data, out.data[0], rtol=1e-12)
    assert w_u.shape == (4, 4)
    causal, cw = m(x, x, x, is_causal=True)
    blocked = ~np.tril(np.ones((4, 4), bool))
    np.testing.assert_allclose(causal.data, m(x, x, x, attn_mask=blocked)[0].data, rtol=1e-14)
    np.testing.assert_array_equal(cw.data[:, blocked], 0.0)
    assert m(x, x, x, need_weights=False)[1] is None


@FAST
@given(
    heads=st.sampled_from([1, 2]),
    length=st.integers(1, 3),
    source=st.integers(1, 3),
    self_attention=st.booleans(),
    mask=st.sampled_from(["none", "one_per_row", "causal", "padding"]),
    seed=st.integers(0, 1000),
)
def test_mha_gradients(
    heads: int, length: int, source: int, self_attention: bool, mask: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    source = length if self_attention or mask == "causal" else source
    m = MultiheadAttention(4, heads, seed=seed)
    kwargs: dict[str, Any] = {}
    if mask == "one_per_row":
        kwargs["attn_mask"] = ~rows_with_one_entry(rng, length, source)  # True = blocked here
    elif mask == "causal":
        kwargs["is_causal"] = True
    elif mask == "padding":
        padding = rng.random((2, source)) < 0.5
        padding[:, 0] = False
        kwargs["key_padding_mask"] = padding

    def f(
        x: Tensor, mem: Tensor, w_in: Tensor, b_in: Tensor, w_out: Tensor, b_out: Tensor
    ) -> Tensor:
        m.in_proj_weight, m.in_proj_bias = w_in, b_in
        m.out_proj.weight, m.out_proj.bias = w_out, b_out
        kv = x if self_attention else mem
        out, weights = m(x, kv, kv, **kwargs)
        return out + weights.sum(axis=-1, keepdims=True) * 0.0 + weights[..., :1]

    inputs = [
        rng.standard_normal((2, length, 4)),
        rng.standard_normal((2, source, 4)),
        m.in_proj_weight.data.copy(),
        rng.standard_normal(12),
        m.out_proj.weight.data.copy(),
        rng.standard_normal(4),
    ]
    report = gradcheck(f, inputs)
    assert report.passed, str(report)
    assert check_jvp_vjp(f, inputs).passed


def test_mha_second_order_matches_finite_differences() -> None:
    rng = np.random.default_rng(8)
    m = MultiheadAttention(4, 2, seed=4)

    def loss(x: Tensor) -> Tensor:
        out, _ = m(x, x, x, is_causal=True)
        return (out * out).sum()

    x, d = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    eps = 1e-5
    numeric = (grad(loss)(x + eps * d) - grad(loss)(x - eps * d)) / (2 * eps)
    np.testing.assert_allclose(hvp(loss, x, d), numeric, rtol=1e-6, atol=1e-8)


def test_mha_dropout_only_in_training() -> None:
    m = MultiheadAttention(4, 2, dropout=0.5, seed=5)
    x = np.random.default_rng(9).standard_normal((1, 6, 4))
    dropped = m(x, x, x)[1].data
    assert np.any(dropped == 0.0)
    m.eval()
    np.testing.assert_allclose(m(x, x, x)[1].data.sum(axis=-1), 1.0, rtol=1e-14)


def test_mha_errors_name_the_argument() -> None:
    m = MultiheadAttention(4, 2)
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="query must be"):
        m(np.zeros((2, 3, 5)), x, x)
    with pytest.raises(ValueError, match="attn_mask shape"):
        m(x, x, x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match="key_padding_mask shape"):
        m(x, x, x, key_padding_mask=np.zeros((3, 3), bool))


# --- position encodings ------------------------------------------------------------------------
def test_sinusoidal_position_encoding_known_values() -> None:
    pe = sinusoidal_position_encoding(4, 6)
    assert pe.shape == (4, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1], atol=1e-15)
    np.testing.assert_allclose(pe[1, :2], [0.8414709848078965, 0.5403023058681398], rtol=1e-15)
    # Pair i = 1 has frequency 10000^(-2/6) = 1/21.544...: position 3 -> angle 0.139247665...
    np.testing.assert_allclose(
        pe[3, 2:4], [np.sin(3 / 10000 ** (1 / 3)), np.cos(3 / 10000 ** (1 / 3))]
    )
    np.testing.assert_allclose(pe[3, 2], 0.13879810108, rtol=1e-9)
    assert sinusoidal_position_encoding(3, 5).shape == (3, 5)  # odd width: the last cos is cut
    with pytest.raises(ValueError, match="dim"):
        sinusoidal_position_encoding(3, 0)


def test_rotary_known_values_and_norm() -> None:
    # D = 2: one pair (x0, x1) turned by angle p (the frequency base^0 = 1).
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    out = apply_rotary(x, [0, 1, np.pi / 2]).data
    np.testing.assert_allclose(
        out, np.array([[1, 0], [0.5403023058681398, 0.8414709848078965], [-2, 0]]), atol=1e-15
    )
    # Half-split pairing: feature j pairs with j + D/2; pair 1 turns at base^(-1/2) = 0.01 rad.
    e1 = np.array([[0.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        apply_rotary(e1, [1]).data, [[0, np.cos(0.01), 0, np.sin(0.01)]], rtol=1e-14
    )
    rng = np.random.default_rng(10)
    y = rng.standard_normal((2, 5, 8))
    rotated = apply_rotary(y, np.arange(5)).data
    np.testing.assert_allclose(
        np.linalg.norm(rotated, axis=-1), np.linalg.norm(y, axis=-1), rtol=1e-13
    )


@FAST
@given(
    m=st.integers(0, 50), n=st.integers(0, 50), shift=st.integers(-30, 30), half=st.integers(1, 4)
)
def test_rotary_dot_product_depends_only_on_the_offset(
    m: int, n: int, shift: int, half: int
) -> None:
    rng = np.random.default_rng(m + 100 * n)
    q, k = rng.standard_normal((1, 2 * half)), rng.standard_normal((1, 2 * half))

    def dot(a: int, b: int) -> float:
        return (apply_rotary(q, [a]).data @ apply_rotary(k, [b]).data.T).item()

    np.testing.assert_allclose(dot(m + shift, n + shift), dot(m, n), rtol=1e-9, atol=1e-12)
    if half == 1:  # and it does depend on the offset (a different angle between q and k)
        assert not np.isclose(dot(m, n), dot(m, n + 1))


@FAST
@given(lead=st.sampled_from([(), (2,), (1, 2)]), length=st.integers(1, 3), half=st.integers(1, 3))
def test_rotary_gradients(lead: tuple, length: int, half: int) -> None:
    x = np.random.default_rng(length * half).standard_normal((*lead, length, 2 * half))
    positions = np.arange(length) * 3 + 1

    def f(x: Tensor) -> Tensor:
        return apply_rotary(x, positions)

    assert gradcheck(f, [x]).passed
    assert check_jvp_vjp(f, [x]).passed


def test_rotary_errors() -> None:
    with pytest.raises(ValueError, match="D even"):
        apply_rotary(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="positions"):
        apply_rotary(np.zeros((2, 4)), [0, 1, 2])

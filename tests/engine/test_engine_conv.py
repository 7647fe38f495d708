"""conv2d, conv1d, conv_transpose2d, unfold/fold and pooling: values against a naive loop and
hand-computed numbers, gradients in reverse, forward and second order, exact multiply-add
counts, and the errors a wrong argument gets."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Module, Tensor, check_jvp_vjp, count, grad, gradcheck, gradients, hvp
from app.engine.conv import (
    Conv1d,
    Conv2d,
    conv1d,
    conv2d,
    conv2d_input,
    conv2d_weight,
    conv_transpose2d,
    fold,
    output_size,
    unfold,
)
from app.engine.pool import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Flatten,
    MaxPool2d,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
)

FAST = settings(max_examples=25, deadline=None)
SEEDS = st.integers(0, 2**32 - 1)


def check_gradients(f: Callable[..., Tensor], inputs: list[np.ndarray]) -> None:
    """gradcheck (reverse against central differences) and check_jvp_vjp (forward against
    reverse) on the same inputs."""
    report = gradcheck(f, inputs)
    assert report.passed, str(report)
    mode = check_jvp_vjp(f, inputs)
    assert mode.passed, mode


def check_hvp(loss: Callable[[Tensor], Tensor], z: np.ndarray, seed: int = 0) -> None:
    """hvp (forward over reverse: the rules run on Tensors carrying tangents) against central
    differences of the gradient along a random direction."""
    v = np.random.default_rng(seed).standard_normal(z.shape)
    step = 1e-5
    g = grad(loss)
    numeric = (g(z + step * v) - g(z - step * v)) / (2 * step)
    exact = hvp(loss, z, v)
    assert np.abs(exact).max() > 1e-2  # an all-zero Hessian would prove nothing
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-6)


def check_double_backward(loss: Callable[..., Tensor], inputs: list[np.ndarray]) -> None:
    """Reverse over reverse: the gradient built with create_graph=True is differentiated again
    (so the rules of the ops the first backward recorded run in reverse too), against central
    differences of the gradient."""
    rng = np.random.default_rng(7)
    vs = [rng.standard_normal(x.shape) for x in inputs]

    def gradient(values: list[np.ndarray]) -> list[np.ndarray]:
        leaves = [Tensor(v, requires_grad=True) for v in values]
        return [g.data for g in gradients(loss(*leaves), leaves)]

    leaves = [Tensor(x, requires_grad=True) for x in inputs]
    first = gradients(loss(*leaves), leaves, create_graph=True)
    directional = (first[0] * vs[0]).sum()
    for g, v in zip(first[1:], vs[1:], strict=True):
        directional = directional + (g * v).sum()
    exact = [g.data for g in gradients(directional, leaves)]
    step = 1e-5
    plus = gradient([x + step * v for x, v in zip(inputs, vs, strict=True)])
    minus = gradient([x - step * v for x, v in zip(inputs, vs, strict=True)])
    # The Hessian is symmetric, so H v (differences of the gradient) is also d<g, v>/dx.
    for e, p, m in zip(exact, plus, minus, strict=True):
        np.testing.assert_allclose(e, (p - m) / (2 * step), rtol=1e-5, atol=1e-6)
    assert max(np.abs(e).max() for e in exact) > 1e-2


# --- a naive reference, in the test only -------------------------------------------------------
Pair = tuple[int, int]


def naive_conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> np.ndarray:
    """The definition, one output element at a time."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    xp = np.zeros((n, c_in, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c_out, ho, wo))
    per_group = c_out // groups
    for i in range(n):
        for o in range(c_out):
            first = (o // per_group) * c_group
            for r in range(ho):
                for s in range(wo):
                    total = 0.0 if b is None else b[o]
                    for c in range(c_group):
                        for p in range(kh):
                            for q in range(kw):
                                total += (
                                    w[o, c, p, q]
                                    * xp[i, first + c, r * sh + p * dh, s * sw + q * dw]
                                )
                    out[i, o, r, s] = total
    return out


@st.composite
def conv_configs(draw: Any, max_side: int = 3) -> dict[str, Any]:
    """A conv2d problem: stride, padding, dilation, groups (incl. depthwise), 1x1 and odd
    kernels, odd sizes, with the input large enough for at least one window."""
    groups = draw(st.integers(1, 3))
    c_group = draw(st.integers(1, 2))
    out_per_group = draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = tuple(
        max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 3))
        for k, p, d in zip(kernel, padding, dilation, strict=True)
    )
    return {
        "n": draw(st.integers(1, 2)),
        "groups": groups,
        "c_in": groups * c_group,
        "c_out": groups * out_per_group,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "size": size,
        "bias": draw(st.booleans()),
        "seed": draw(SEEDS),
    }


def arrays(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["n"], cfg["c_in"], *cfg["size"]))
    w = rng.standard_normal((cfg["c_out"], cfg["c_in"] // cfg["groups"], *cfg["kernel"]))
    b = rng.standard_normal(cfg["c_out"]) if cfg["bias"] else None
    return x, w, b


def conv_of(cfg: dict[str, Any]) -> Callable[..., Tensor]:
    def f(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
        return conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])

    return f


# --- conv2d -----------------------------------------------------------------------------------
@FAST
@given(cfg=conv_configs())
def test_conv2d_matches_the_naive_loop(cfg: dict[str, Any]) -> None:
    x, w, b = arrays(cfg)
    out = conv_of(cfg)(Tensor(x), Tensor(w), None if b is None else Tensor(b))
    expected = naive_conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@FAST
@given(cfg=conv_configs())
def test_conv2d_gradients_reverse_and_forward(cfg: dict[str, Any]) -> None:
    x, w, b = arrays(cfg)
    check_gradients(conv_of(cfg), [x, w] if b is None else [x, w, b])


def test_conv2d_known_values() -> None:
    # A 3x3 image and the 2x2 kernel [[1, 0], [0, -1]]: each output is x[i, j] - x[i+1, j+1].
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    out = conv2d(x, w, np.array([0.5]))
    np.testing.assert_array_equal(out.data, np.full((1, 1, 2, 2), -4.0 + 0.5))
    # padding 1, stride 2: windows at rows/cols -1 and 1 of the padded image.
    # (-1,-1): 0·1 - x[0,0]·1 = 0;  (-1,1): -x[0,2] = -2;  (1,-1): -x[2,0] = -6;
    # (1,1): x[1,1] - x[2,2] = 4 - 8 = -4.
    out = conv2d(x, w, stride=2, padding=1)
    np.testing.assert_array_equal(out.data, [[[[0.0, -2.0], [-6.0, -4.0]]]])


def test_conv2d_gradients_known_values() -> None:
    # loss = sum(conv2d(x, w)) with a 2x2 kernel of ones on a 3x3 input: dL/dx counts how many
    # windows cover each pixel (corners 1, edges 2, centre 4), dL/dw sums the pixels each
    # kernel cell sees (the four 2x2 corner blocks of arange(9)).
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    conv2d(x, w).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    np.testing.assert_array_equal(
        w.grad, [[[[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]]]
    )


def test_depthwise_conv2d_keeps_channels_apart() -> None:
    # groups = C_in: channel c only sees its own filter. Filter c is the 1x1 kernel (c + 1).
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5))
    w = np.arange(1.0, 4.0).reshape(3, 1, 1, 1)
    out = conv2d(x, w, groups=3)
    np.testing.assert_allclose(out.data, x * np.arange(1.0, 4.0).reshape(1, 3, 1, 1))
    check_gradients(
        lambda x, w: conv2d(x, w, stride=2, padding=1, groups=3),
        [x, rng.standard_normal((6, 1, 3, 3))],
    )


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "expected"),
    [
        (28, 3, 1, 1, 1, 28),  # "same" padding
        (28, 3, 1, 0, 1, 26),
        (7, 3, 2, 0, 1, 3),  # floor((7 - 2 - 1) / 2) + 1
        (8, 3, 2, 0, 1, 3),  # floor(5 / 2) + 1: the last row is dropped
        (10, 3, 3, 1, 2, 3),  # floor((10 + 2 - 4 - 1) / 3) + 1 = floor(7/3) + 1
        (1, 1, 5, 0, 1, 1),
    ],
)
def test_output_size_formula(
    size: int, kernel: int, stride: int, padding: int, dilation: int, expected: int
) -> None:
    pair = (size, size)
    assert output_size(pair, (kernel,) * 2, (stride,) * 2, (padding,) * 2, (dilation,) * 2) == (
        expected,
        expected,
    )
    x = np.zeros((1, 1, size, size))
    out = conv2d(x, np.zeros((2, 1, kernel, kernel)), None, stride, padding, dilation)
    assert out.shape == (1, 2, expected, expected)


def test_unbatched_input_and_float32() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5)).astype(np.float32)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    out = conv2d(x, w, padding=1)
    assert out.shape == (3, 5, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, conv2d(x[None], w, padding=1).data[0])
    out.sum().backward()
    assert w.grad is not None and w.grad.dtype == np.float32


# --- second order: the rules also run on Tensors -----------------------------------------------
def _split(z: Tensor, shapes: list[tuple[int, ...]]) -> list[Tensor]:
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(z[start : start + size].reshape(shape))
        start += size
    return parts


def test_conv2d_hvp_in_input_and_weight_together() -> None:
    # loss(x, W) = Σ c·y² + Σ tanh(y), y = conv2d(x, W): the Hessian has the curvature of the
    # loss AND conv's own cross term (d dX / dW is a transposed conv of g), so the tensor-mode
    # rule must build dX and dW as differentiable ops of both x and W.
    shapes = [(2, 4, 6, 5), (4, 2, 3, 2), (4,)]
    c = np.random.default_rng(3).standard_normal((2, 4, 3, 5))

    def loss(z: Tensor) -> Tensor:
        x, w, b = _split(z, shapes)
        y = conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
        return (y * y * c).sum() + y.tanh().sum()

    z = np.random.default_rng(4).standard_normal(sum(int(np.prod(s)) for s in shapes)) * 0.5
    check_hvp(loss, z)


def test_conv2d_double_backward() -> None:
    rng = np.random.default_rng(5)
    c = rng.standard_normal((2, 4, 3, 3))

    def loss(x: Tensor, w: Tensor) -> Tensor:
        y = conv2d(x, w, stride=2, padding=1, groups=2)
        return (y * y * c).sum() + (y * c).tanh().sum()

    check_double_backward(
        loss, [rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((4, 1, 3, 3))]
    )


def test_conv_transpose2d_double_backward_and_hvp() -> None:
    rng = np.random.default_rng(6)
    c = rng.standard_normal((2, 4, 8, 5))

    def f(y: Tensor, w: Tensor) -> Tensor:
        return conv_transpose2d(
            y, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2
        )

    def loss(y: Tensor, w: Tensor) -> Tensor:
        out = f(y, w)
        return (out * out * c).sum() + out.tanh().sum()

    inputs = [rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((4, 2, 3, 3)) * 0.5]
    check_double_backward(loss, inputs)
    shapes = [x.shape for x in inputs]
    check_hvp(lambda z: loss(*_split(z, shapes)), np.concatenate([x.ravel() for x in inputs]))


def test_conv2d_weight_and_input_ops_have_their_own_rules() -> None:
    # torch.nn.grad's helpers are the ops conv2d's backward records; both are bilinear, and
    # their own gradients are conv2d and conv_transpose2d.
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 4, 5, 6)), rng.standard_normal((6, 2, 3, 2))
    g = rng.standard_normal((2, 6, 3, 6))
    args: dict[str, Any] = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    check_gradients(lambda x, g: conv2d_weight(x, w.shape, g, **args), [x, g])
    check_gradients(lambda w, g: conv2d_input(x.shape, w, g, **args), [w, g])
    # and they are conv2d's gradients
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    conv2d(xt, wt, **args).backward(g)
    assert xt.grad is not None and wt.grad is not None
    np.testing.assert_allclose(conv2d_weight(x, w.shape, g, **args).data, wt.grad, rtol=1e-12)
    np.testing.assert_allclose(conv2d_input(x.shape, w, g, **args).data, xt.grad, rtol=1e-12)


# --- counters: exact multiply-adds -------------------------------------------------------------
@pytest.mark.parametrize(
    ("x_grad", "w_grad", "bias"),
    [(True, False, False), (False, True, False), (True, True, False), (True, True, True)],
)
def test_conv2d_counts_exact_multiply_adds(x_grad: bool, w_grad: bool, bias: bool) -> None:
    n, c_in, c_out, groups, kh, kw = 2, 6, 4, 2, 3, 2
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((n, c_in, 9, 8)), requires_grad=x_grad)
    w = Tensor(rng.standard_normal((c_out, c_in // groups, kh, kw)), requires_grad=w_grad)
    b = Tensor(rng.standard_normal(c_out), requires_grad=True) if bias else None
    with count() as c:
        y = conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=groups)
        y.sum().backward()
    h_out, w_out = (9 + 2 - 2 - 1) // 2 + 1, (8 - 2 - 1) // 1 + 1  # 5, 6
    assert y.shape == (n, c_out, h_out, w_out)
    macs = n * c_out * h_out * w_out * (c_in // groups) * kh * kw
    adds = n * c_out * h_out * w_out  # the bias: one add per output element, and db sums g
    assert c.flops["forward"]["conv2d"] == macs + (adds if bias else 0)
    # In backward dX and dW each cost exactly the forward's multiply-adds, and only if wanted.
    expected = macs * (x_grad + w_grad) + (adds if bias else 0)
    assert c.flops["backward"]["conv2d"] == expected
    # counters run the rules on Tensors: the gradients they give are the fast path's
    if x_grad:
        xt = Tensor(x.data, requires_grad=True)
        conv2d(
            xt, w.data, None if b is None else b.data, (2, 1), (1, 0), (1, 2), groups
        ).sum().backward()
        assert x.grad is not None and xt.grad is not None
        np.testing.assert_allclose(x.grad, xt.grad, rtol=1e-12)


def test_first_layer_skips_dx() -> None:
    # Only the weight wants a gradient (the input is data): backward runs no transposed conv.
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8))
    layer = Conv2d(1, 3, 3)
    with count() as c:
        layer(x).sum().backward()
    assert "conv_transpose2d" not in c.flops["backward"]
    assert c.flops["backward"]["conv2d"] == 4 * 3 * 6 * 6 * 9 + 4 * 3 * 6 * 6  # dW + db


# --- conv_transpose2d and conv1d ---------------------------------------------------------------
@FAST
@given(cfg=conv_configs())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(cfg: dict[str, Any]) -> None:
    x, w, _ = arrays(cfg)
    s, p, d, groups = cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    y = conv2d(x, w, None, s, p, d, groups)
    u = np.random.default_rng(cfg["seed"] + 1).standard_normal(y.shape)
    # The sizes a strided conv maps to the same output differ by output_padding < stride.
    extra = tuple(
        (n + 2 * pp - dd * (k - 1) - 1) % ss
        for n, k, ss, pp, dd in zip(cfg["size"], cfg["kernel"], s, p, d, strict=True)
    )
    back = conv_transpose2d(u, w, None, s, p, extra, groups, d)
    assert back.shape == x.shape
    lhs, rhs = np.vdot(y.data, u), np.vdot(x, back.data)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@FAST
@given(cfg=conv_configs(), data=st.data())
def test_conv_transpose2d_gradients(cfg: dict[str, Any], data: st.DataObject) -> None:
    rng = np.random.default_rng(cfg["seed"])
    s, p, d, groups = cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    extra = tuple(data.draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d, strict=True))
    y = rng.standard_normal((cfg["n"], cfg["c_in"], 3, 2))
    w = rng.standard_normal((cfg["c_in"], cfg["c_out"] // groups, *cfg["kernel"]))
    b = rng.standard_normal(cfg["c_out"])
    size = [
        (n - 1) * si - 2 * pi + di * (k - 1) + e + 1
        for n, si, pi, di, k, e in zip((3, 2), s, p, d, cfg["kernel"], extra, strict=True)
    ]
    if min(size) < 1:
        with pytest.raises(ValueError, match="empty"):
            conv_transpose2d(y, w, b, s, p, extra, groups, d)
        return
    out = conv_transpose2d(y, w, b, s, p, extra, groups, d)
    assert out.shape == (cfg["n"], cfg["c_out"], *size)
    check_gradients(lambda y, w, b: conv_transpose2d(y, w, b, s, p, extra, groups, d), [y, w, b])


def test_conv_transpose2d_known_values() -> None:
    # Stride 2 with a 2x2 kernel of ones: each input pixel becomes a 2x2 block of itself.
    y = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = conv_transpose2d(y, np.ones((1, 1, 2, 2)), stride=2)
    np.testing.assert_array_equal(out.data[0, 0], np.kron([[1, 2], [3, 4]], np.ones((2, 2))))
    # stride 1: the patches overlap and add up (a 2x2 "full" correlation)
    out = conv_transpose2d(y, np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(out.data[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])


def test_conv1d_matches_conv2d_on_a_row_and_has_gradients() -> None:
    rng = np.random.default_rng(2)
    x, w, b = (
        rng.standard_normal((2, 4, 11)),
        rng.standard_normal((6, 2, 3)),
        rng.standard_normal(6),
    )
    out = conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2)
    expected = naive_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    check_gradients(lambda x, w, b: conv1d(x, w, b, 2, 1, 2, 2), [x, w, b])
    # known values: the difference filter [-1, 1] on 0, 1, 4, 9
    diff = conv1d(np.array([[[0.0, 1.0, 4.0, 9.0]]]), np.array([[[-1.0, 1.0]]]))
    np.testing.assert_array_equal(diff.data, [[[1.0, 3.0, 5.0]]])


# --- unfold / fold -----------------------------------------------------------------------------
def test_unfold_and_fold_are_adjoint_and_fold_counts_windows() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6))
    args = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = unfold(x, **args)
    # H_out = (7 + 2 - 2·1 - 1) + 1 = 7, W_out = (6 + 2 - 3) // 2 + 1 = 3
    assert cols.shape == (2, 3 * 6, 7 * 3)
    u = rng.standard_normal(cols.shape)
    np.testing.assert_allclose(np.vdot(cols.data, u), np.vdot(x, fold(u, (7, 6), **args).data))
    check_gradients(lambda x: unfold(x, **args), [x])
    check_gradients(lambda u: fold(u, (7, 6), **args), [u])
    # 2x2 windows with stride 1 on 3x3: fold(unfold(ones)) counts the windows over each pixel
    ones = unfold(np.ones((1, 1, 3, 3)), 2)
    np.testing.assert_array_equal(fold(ones, 3, 2).data[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# --- max pooling -------------------------------------------------------------------------------
def test_max_pool_routes_the_gradient_to_the_argmax() -> None:
    x = Tensor(
        np.array(
            [
                [
                    [
                        [1.0, 5.0, 2.0, 0.0],
                        [3.0, 4.0, 8.0, 1.0],
                        [0.0, 0.0, 6.0, 7.0],
                        [9.0, 2.0, 7.0, 3.0],
                    ]
                ]
            ]
        ),
        requires_grad=True,
    )
    out = max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[5.0, 8.0], [9.0, 7.0]]]])
    out.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(
        x.grad, [[[[0, 10, 0, 0], [0, 0, 20, 0], [0, 0, 0, 40], [30, 0, 0, 0]]]]
    )


def test_max_pool_ties_go_to_the_first_in_row_major_order() -> None:
    # torch's CPU kernel keeps the first strictly greater value in a row-by-row scan.
    x = Tensor(
        np.array(
            [
                [
                    [
                        [2.0, 2.0, 0.0, 3.0],
                        [2.0, 2.0, 3.0, 0.0],
                        [1.0, 0.0, 5.0, 5.0],
                        [1.0, 0.0, 5.0, 5.0],
                    ]
                ]
            ]
        ),
        requires_grad=True,
    )
    out, indices = max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(
        x.grad, [[[[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]]]
    )
    # indices are flat positions h·W + w in the input plane, as torch returns them
    np.testing.assert_array_equal(indices.data, [[[[0, 3], [8, 10]]]])
    assert indices.dtype == np.int64


def test_max_pool_overlapping_windows_add_up_and_padding_is_minus_infinity() -> None:
    # 3x3 windows, stride 1, padding 1 on an all-negative 3x3 image: zero padding would win
    # every window; -inf padding never does. The centre -1 is the max of all nine windows.
    x = Tensor(
        -np.array([[[[5.0, 4.0, 6.0], [3.0, 1.0, 7.0], [9.0, 2.0, 8.0]]]]), requires_grad=True
    )
    out = max_pool2d(x, 3, stride=1, padding=1)
    np.testing.assert_array_equal(out.data, np.full((1, 1, 3, 3), -1.0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]])


def test_max_pool_window_of_minus_infinity_picks_its_first_real_cell() -> None:
    x = np.full((1, 1, 3, 3), -np.inf)
    _, indices = max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    # window at rows/cols -1..1: its first real cell is (0, 0); at -1..1 / 1..3: (0, 1); ...
    np.testing.assert_array_equal(indices.data, [[[[0, 1], [3, 4]]]])
    # A dilated window can lie wholly in the padding: -inf out, no gradient back (as torch).
    t = Tensor(np.array([[[[1.0, 2.0, 3.0]]]]), requires_grad=True)
    out = max_pool2d(t, 2, stride=1, padding=1, dilation=2)
    np.testing.assert_array_equal(out.data, np.full((1, 1, 1, 3), -np.inf))
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(t.grad, np.zeros((1, 1, 1, 3)))


def distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.05 apart, so no tie is within eps of flipping an argmax."""
    return rng.permutation(np.arange(np.prod(shape)) * 0.05 - 1.0).reshape(shape)


@FAST
@given(
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    pad=st.booleans(),
    extra=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    seed=SEEDS,
)
def test_max_pool_gradients(
    kernel: Pair, stride: Pair | None, dilation: Pair, pad: bool, extra: Pair, seed: int
) -> None:
    padding = tuple(k // 2 for k in kernel) if pad else (0, 0)
    # At least one dilated kernel span, so no window lies wholly in the padding (that one
    # outputs -inf, as in torch, and central differences of -inf are nan).
    size = tuple(d * (k - 1) + 1 + e for k, d, e in zip(kernel, dilation, extra, strict=True))
    x = distinct(np.random.default_rng(seed), (2, 2, *size))
    check_gradients(lambda x: max_pool2d(x, kernel, stride, padding, dilation), [x])


def test_max_pool_hvp() -> None:
    # Piecewise linear, so the Hessian of Σ c·pool(x)² is the routing's Rᵀ diag(2c) R: the
    # tensor-mode rule (fold as a recorded op) must carry it.
    x = distinct(np.random.default_rng(9), (2, 2, 5, 6))
    c = np.random.default_rng(10).standard_normal((2, 2, 3, 3))
    check_hvp(lambda x: (max_pool2d(x, 3, 2, 1) ** 2 * c).sum(), x)


# --- average pooling ---------------------------------------------------------------------------
def test_avg_pool_known_values() -> None:
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = avg_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[2.5, 4.5], [10.5, 12.5]]]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 4, 4), 0.25))
    # 3x3, stride 2, padding 1 on arange(9): the corner window covers 0, 1, 3, 4 (sum 8) and
    # five padding zeros; counting the padding divides by 9, not counting it by 4.
    y = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(avg_pool2d(y, 3, 2, 1).data[0, 0, 0, 0], 8 / 9)
    corners = avg_pool2d(y, 3, 2, 1, count_include_pad=False).data[0, 0]
    # windows over {0, 1, 3, 4}, {1, 2, 4, 5}, {3, 4, 6, 7}, {4, 5, 7, 8}: four real cells each
    np.testing.assert_allclose(corners, [[8 / 4, 12 / 4], [20 / 4, 24 / 4]])
    np.testing.assert_allclose(avg_pool2d(y, 3, 2, 1, divisor_override=2).data[0, 0, 0, 0], 4.0)


@FAST
@given(
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    pad=st.booleans(),
    include=st.booleans(),
    extra=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    seed=SEEDS,
)
def test_avg_pool_gradients(
    kernel: Pair, stride: Pair | None, pad: bool, include: bool, extra: Pair, seed: int
) -> None:
    padding = tuple(k // 2 for k in kernel) if pad else (0, 0)
    size = tuple(max(1, k - 2 * p) + e for k, p, e in zip(kernel, padding, extra, strict=True))
    x = np.random.default_rng(seed).standard_normal((2, 2, *size))
    check_gradients(lambda x: avg_pool2d(x, kernel, stride, padding, False, include), [x])


def test_avg_pool_hvp() -> None:
    x = np.random.default_rng(11).standard_normal((2, 2, 5, 5))
    c = np.random.default_rng(12).standard_normal((2, 2, 3, 3))
    check_hvp(lambda x: (avg_pool2d(x, 3, 2, 1, count_include_pad=False).tanh() * c).sum(), x)


def test_adaptive_avg_pool_known_values_and_gradients() -> None:
    x = np.arange(2 * 3 * 5 * 4.0).reshape(2, 3, 5, 4)
    pooled = adaptive_avg_pool2d(x, 1)
    assert pooled.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(pooled.data[..., 0, 0], x.mean(axis=(2, 3)))
    # 5 rows into 3: rows [0, 2), [1, 4), [3, 5) (floor start, ceil end); 4 columns into 2.
    one = np.arange(20.0).reshape(1, 1, 5, 4)
    rows = [one[0, 0, 0:2], one[0, 0, 1:4], one[0, 0, 3:5]]
    expected = [[r[:, :2].mean(), r[:, 2:].mean()] for r in rows]
    np.testing.assert_allclose(adaptive_avg_pool2d(one, (3, 2)).data[0, 0], expected)
    assert adaptive_avg_pool2d(one, (None, 3)).shape == (1, 1, 5, 3)
    rng = np.random.default_rng(13)
    check_gradients(lambda x: adaptive_avg_pool2d(x, (3, 2)), [rng.standard_normal((2, 2, 5, 4))])
    check_gradients(lambda x: adaptive_avg_pool2d(x, 1), [rng.standard_normal((2, 2, 3, 4))])


# --- modules -----------------------------------------------------------------------------------
def test_conv2d_module_initialises_as_torch() -> None:
    # kaiming_uniform_(a=√5) is U(−1/√fan_in, 1/√fan_in), fan_in = C_in/groups·kH·kW = 4·9.
    layer = Conv2d(8, 16, 3, groups=2, seed=1)
    assert isinstance(layer, Module)
    bound = 1 / 6
    assert layer.weight.shape == (16, 4, 3, 3) and layer.bias is not None
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.97 * bound  # spread over the whole interval
    assert abs(layer.weight.data.std() - bound / np.sqrt(3)) < 0.01  # a uniform's std is b/√3
    assert [p.name for p in layer.parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(Conv2d(8, 16, 3, groups=2, seed=1).weight.data, layer.weight.data)
    assert len(Conv2d(2, 2, 1, bias=False).parameters()) == 1


class SmallCNN(Module):
    """Every module of conv.py in one net: (N, 1, 6, 6) -> (N, 9)."""

    def __init__(self, seed: int) -> None:
        self.conv = Conv2d(1, 4, 3, padding=1, seed=seed)
        self.pool, self.avg, self.adapt = MaxPool2d(2), AvgPool2d(1), AdaptiveAvgPool2d((3, 3))
        self.flat = Flatten()
        self.head = Conv1d(4, 1, 1, seed=seed + 1)  # a 1x1 conv: 4 channels -> 1

    def forward(self, x: Tensor) -> Tensor:
        h = self.flat(self.adapt(self.avg(self.pool(self.conv(x).relu()))))  # (N, 36)
        return self.head(h.reshape((x.shape[0], 4, 9))).reshape((x.shape[0], 9))


def test_a_small_cnn_trains() -> None:
    x = np.random.default_rng(0).standard_normal((16, 1, 6, 6))
    target = SmallCNN(seed=10)(x).data  # a teacher the student can match exactly
    model = SmallCNN(seed=2)
    assert len(model.parameters()) == 4

    def loss() -> Tensor:
        diff = model(x) - target
        return (diff * diff).mean()

    first = loss().item()
    for _ in range(40):
        value = loss()
        value.backward()
        for p in model.parameters():
            assert p.grad is not None
            p.data -= 0.5 * p.grad
            p.grad = None
    assert loss().item() < 0.3 * first


def test_flatten() -> None:
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert Flatten()(x).shape == (2, 60)
    assert Flatten(0, 1)(x).shape == (6, 4, 5)
    assert Flatten(-2)(x).shape == (2, 3, 20)
    with pytest.raises(ValueError, match="start_dim"):
        Flatten(3, 1)(x)


# --- errors name the argument ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conv2d(np.zeros((1, 3, 2, 2)), np.zeros((4, 3, 3, 3))), "output would be empty"),
        (lambda: conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3))), "C_in=3"),
        (lambda: conv2d(np.zeros((1, 4, 5, 5)), np.zeros((3, 2, 3, 3)), groups=2), "C_out=3"),
        (lambda: conv2d(np.zeros((1, 4, 5, 5)), np.zeros((4, 4, 3, 3)), groups=0), "groups"),
        (lambda: conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(3)), "bias"),
        (lambda: conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), stride=0), "stride"),
        (lambda: conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), padding=-1), "padding"),
        (
            lambda: conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), dilation=(1, 2, 3)),
            "dilation",
        ),
        (lambda: conv2d(np.zeros((5, 5)), np.zeros((2, 1, 3, 3))), "input"),
        (lambda: conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 3, 3))), "weight"),
        (lambda: conv1d(np.zeros((1, 1, 2)), np.zeros((1, 1, 3))), "output would be empty"),
        (lambda: conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((3, 1, 3, 3))), "C_in=2"),
        (
            lambda: conv_transpose2d(
                np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), stride=2, output_padding=2
            ),
            "output_padding",
        ),
        (
            lambda: conv_transpose2d(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), padding=1),
            "output would be empty",
        ),
        (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2), "padding"),
        (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 5), "output would be empty"),
        (lambda: max_pool2d(np.zeros((1, 1, 4, 4)), 2, ceil_mode=True), "ceil_mode"),
        (lambda: avg_pool2d(np.zeros((1, 1, 4, 4)), 0), "kernel_size"),
        (lambda: adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), 0), "output_size"),
        (lambda: fold(np.zeros((1, 4, 5)), (3, 3), 2), "L=5"),
        (lambda: fold(np.zeros((1, 5, 4)), (3, 3), 2), "divisible"),
        (
            lambda: conv2d_weight(np.zeros((1, 1, 5, 5)), (2, 1, 3, 3), np.zeros((1, 2, 4, 4))),
            "grad_output",
        ),
        (lambda: Conv2d(3, 4, 3, groups=2), "in_channels=3"),
    ],
)
def test_errors_name_the_argument(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()

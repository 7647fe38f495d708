"""The tensor ops of issue 12 item 1: each passes gradcheck (reverse), agrees with forward mode,
and gives the right Hessian-vector products (its rule in tensor mode), over random shapes."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine import Tensor, check_jvp_vjp, grad, gradcheck, hessian, hvp, jvp
from app.engine.pointwise import abs as abs_
from app.engine.pointwise import clamp, clip, minimum, sqrt
from app.engine.reduce import cumsum, logsumexp, std, var
from app.engine.shape import (
    cat,
    chunk,
    concat,
    expand,
    flip,
    masked_fill,
    pad,
    split,
    squeeze,
    stack,
    tril,
    triu,
    unsqueeze,
    where,
)

FAST = settings(max_examples=20, deadline=None)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def values(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0) -> Any:
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


def away_from_zero(shape: tuple[int, ...]) -> Any:
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(values(shape, 0.1, 2.0), signs).map(lambda p: p[0] * p[1])


def grid(shape: tuple[int, ...], step: float = 0.25) -> Any:
    """Values on a grid: equal (an exact tie) or far apart, never within eps of a kink."""
    points = [round(-2 + step * i, 10) for i in range(int(4 / step) + 1)]
    return hnp.arrays(np.float64, shape, elements=st.sampled_from(points))


def assert_rules(f: Callable[..., Tensor], xs: list[np.ndarray]) -> None:
    """Reverse mode against central differences, and forward mode against reverse mode."""
    report = gradcheck(f, xs)
    assert report.passed, str(report)
    mode = check_jvp_vjp(f, xs)
    assert mode.passed, mode


def assert_hvp(f: Callable[[Tensor], Tensor], x: np.ndarray, seed: int = 0) -> None:
    """hvp (forward over reverse, so the rule runs on Tensors) against central differences of
    the gradient (which runs the rule on raw arrays)."""
    v = np.random.default_rng(seed).standard_normal(x.shape)
    eps = 1e-5
    g = grad(f)
    numeric = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(f, x, v), numeric, rtol=1e-5, atol=1e-7)


def squashed(op: Callable[[Tensor], Tensor], seed: int = 1) -> Callable[[Tensor], Tensor]:
    """sum(w * tanh(op(x))): a scalar whose Hessian goes through op's rule in tensor mode, so a
    rule that dropped out of the graph (even a linear one) would give a wrong hvp."""

    def f(x: Tensor) -> Tensor:
        y = op(x)
        w = np.random.default_rng(seed).standard_normal(y.shape)
        return (y.tanh() * w).sum()

    return f


@st.composite
def shape_and_dim(draw: Any, extra: int = 0) -> tuple[tuple[int, ...], int]:
    """A shape and a dim in [-ndim - extra, ndim + extra), negative dims included."""
    shape = draw(SHAPES)
    n = len(shape) + extra
    return shape, draw(st.integers(-n, n - 1))


# --- pointwise ----------------------------------------------------------------------------------
@FAST
@given(shape=SHAPES, data=st.data())
def test_sqrt_rules_and_hvp(shape: tuple[int, ...], data: st.DataObject) -> None:
    x = data.draw(values(shape, 0.2, 3.0))
    assert_rules(sqrt, [x])
    assert_hvp(lambda t: t.sqrt().sum(), x)


def test_sqrt_hessian_is_minus_a_quarter_x_to_the_minus_three_halves() -> None:
    np.testing.assert_allclose(
        hessian(lambda t: t.sqrt().sum(), np.array([1.0, 4.0])), np.diag([-0.25, -1 / 32])
    )


@FAST
@given(shape=SHAPES, data=st.data())
def test_abs_rules_and_hvp_away_from_zero(shape: tuple[int, ...], data: st.DataObject) -> None:
    x = data.draw(away_from_zero(shape))
    assert_rules(lambda t: t.abs(), [x])
    assert_hvp(squashed(abs_), x)
    # |x|^3 / 3 has Hessian diag(2 |x|): abs's rule carries the tangent through sign(x).
    np.testing.assert_allclose(
        hvp(lambda t: (t.abs() ** 3).sum() / 3, x, np.ones_like(x)), 2 * np.abs(x), rtol=1e-12
    )


def test_abs_gradient_is_sign_and_zero_at_zero() -> None:
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


@FAST
@given(shape=SHAPES, data=st.data(), which=st.sampled_from(["both", "min", "max"]))
def test_clamp_rules_away_from_the_bounds(
    shape: tuple[int, ...], data: st.DataObject, which: str
) -> None:
    # The bounds sit between grid points, so no value is within eps of one.
    x = data.draw(grid(shape))
    low = data.draw(st.sampled_from([-1.125, -0.375, 0.125]))
    high = low + data.draw(st.sampled_from([0.5, 1.0, 2.0]))
    bounds = {"both": (low, high), "min": (low, None), "max": (None, high)}[which]
    assert_rules(lambda t: clamp(t, *bounds), [x])
    assert_hvp(squashed(lambda t: clamp(t, *bounds)), x)


def test_clamp_at_the_bounds_exactly_keeps_the_gradient_as_torch() -> None:
    # torch's clamp_backward: grad where min <= x <= max, bounds included.
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    out = x.clamp(-1.0, 1.0)
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, 0.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    # Forward mode uses the same convention, and so do one-sided clamps and the alias clip.
    _, tangent = jvp(lambda t: t.clip(min=-1.0), x.data, np.ones(5))
    np.testing.assert_array_equal(tangent, [0.0, 1.0, 1.0, 1.0, 1.0])
    _, tangent = jvp(lambda t: clip(t, max=1.0), x.data, np.ones(5))
    np.testing.assert_array_equal(tangent, [1.0, 1.0, 1.0, 1.0, 0.0])
    assert check_jvp_vjp(lambda t: t.clamp(-1.0, 1.0), [x.data]).passed


def test_clamp_with_min_above_max_gives_max_and_no_gradient() -> None:
    x = Tensor([0.0, 5.0], requires_grad=True)
    out = x.clamp(2.0, 1.0)
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_clamp_needs_a_bound_and_constant_bounds() -> None:
    with pytest.raises(ValueError, match="at least one of min and max"):
        clamp(Tensor([1.0]))
    with pytest.raises(ValueError, match="requires grad"):
        clamp(Tensor([1.0]), min=Tensor(0.0, requires_grad=True))
    with pytest.raises(ValueError, match="does not broadcast"):
        clamp(Tensor([1.0, 2.0]), max=np.zeros(3))


PAIRS = [((), (4,)), ((4,), (4,)), ((3, 4), (4,)), ((1, 4), (3, 1)), ((3, 4), ())]


@pytest.mark.parametrize(("shape_a", "shape_b"), PAIRS)
@FAST
@given(data=st.data())
def test_minimum_rules_every_broadcast_pairing_with_ties(
    shape_a: tuple[int, ...], shape_b: tuple[int, ...], data: st.DataObject
) -> None:
    # On a grid ties happen; central differences then measure exactly the half share.
    a, b = data.draw(grid(shape_a)), data.draw(grid(shape_b))
    assert_rules(minimum, [a, b])


def test_minimum_ties_split_the_gradient_like_maximum() -> None:
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    out = a.minimum(b)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 0.5, 1.0])
    assert_hvp(squashed(lambda t: minimum(t, 0.3)), np.array([-1.0, 0.5, 2.0]))


# --- reductions ---------------------------------------------------------------------------------
@st.composite
def reduce_case(draw: Any) -> tuple[tuple[int, ...], Any, bool]:
    shape = draw(SHAPES)
    n = len(shape)
    dim = draw(
        st.one_of(
            st.none(),
            st.integers(-n, n - 1),
            st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True).map(tuple),
        )
    )
    return shape, dim, draw(st.booleans())


def _count(shape: tuple[int, ...], dim: Any) -> int:
    if dim is None:
        return int(np.prod(shape))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return int(np.prod([shape[d] for d in dims]))


@FAST
@given(case=reduce_case(), correction=st.sampled_from([0, 1, 2]), data=st.data())
def test_var_and_std_rules_and_hvp(
    case: tuple[tuple[int, ...], Any, bool], correction: int, data: st.DataObject
) -> None:
    shape, dim, keepdim = case
    if _count(shape, dim) - correction <= 0:
        correction = 0
    x = data.draw(values(shape))
    # Spread the values so no reduced group is (nearly) constant, where std is not smooth, but
    # keep them small: central differences of a variance of values up to 64 carry rounding
    # noise (eps·|var|/h) past gradcheck's atol of 1e-7.
    x = 0.1 * x + 0.5 * (np.arange(x.size) - x.size / 2).reshape(shape)

    def v(t: Tensor) -> Tensor:
        return var(t, dim, correction=correction, keepdim=keepdim)

    def s(t: Tensor) -> Tensor:
        return t.std(dim, correction=correction, keepdim=keepdim)

    assert_rules(v, [x])
    assert_hvp(lambda t: v(t).sum(), x)
    if _count(shape, dim) > 1:
        assert_rules(s, [x])
        assert_hvp(lambda t: s(t).sum(), x)


def test_var_and_std_known_values() -> None:
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    # mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5
    np.testing.assert_allclose(x.var().data, 5 / 3)
    np.testing.assert_allclose(x.var(correction=0).data, 5 / 4)
    np.testing.assert_allclose(std(x, correction=0).data, np.sqrt(5 / 4))
    x.var().backward()  # 2 (x - mean) / 3
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, [-1.0, -1 / 3, 1 / 3, 1.0])
    m = Tensor([[1.0, 3.0], [2.0, 2.0]])
    np.testing.assert_allclose(m.var(dim=1, keepdim=True).data, [[2.0], [0.0]])
    np.testing.assert_allclose(m.var(dim=-2).data, [0.5, 0.5])
    # The Hessian of the population variance of n values: (2 / n) (I - 1/n).
    np.testing.assert_allclose(
        hessian(lambda t: t.var(correction=0), np.array([0.0, 1.0, 5.0])),
        (2 / 3) * (np.eye(3) - 1 / 3),
    )


def test_var_with_no_degrees_of_freedom_is_nan_as_torch() -> None:
    assert np.isnan(var(Tensor([3.0])).item())
    assert np.isinf(var(Tensor([1.0, 2.0]), correction=2).item())


@FAST
@given(case=reduce_case(), data=st.data())
def test_logsumexp_rules_and_hvp(
    case: tuple[tuple[int, ...], Any, bool], data: st.DataObject
) -> None:
    shape, dim, keepdim = case
    dim = 0 if dim is None else dim
    x = data.draw(values(shape, -3.0, 3.0))
    assert_rules(lambda t: t.logsumexp(dim, keepdim), [x])
    assert_hvp(lambda t: logsumexp(t, dim).sum(), x)


def test_logsumexp_known_values_and_stability() -> None:
    x = Tensor([[1000.0, 1000.0], [0.0, np.log(3.0)]], requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_allclose(out.data, [1000 + np.log(2.0), np.log(4.0)])
    out.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, [[0.5, 0.5], [0.25, 0.75]])
    # A row of -inf: the sum is 0 and its log -inf, not nan (torch replaces an infinite max).
    assert logsumexp(Tensor([-np.inf, -np.inf]), 0).item() == -np.inf
    # Hessian of logsumexp: diag(p) - p p^T with p = softmax.
    p = np.array([0.25, 0.75])
    np.testing.assert_allclose(
        hessian(lambda t: logsumexp(t, 0), np.log(p)), np.diag(p) - np.outer(p, p)
    )


@FAST
@given(case=shape_and_dim(), data=st.data())
def test_cumsum_rules(case: tuple[tuple[int, ...], int], data: st.DataObject) -> None:
    shape, dim = case
    x = data.draw(values(shape))
    assert_rules(lambda t: cumsum(t, dim), [x])
    assert_hvp(squashed(lambda t: t.cumsum(dim)), x)


def test_cumsum_known_values() -> None:
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    out = x.cumsum(-1)
    np.testing.assert_array_equal(out.data, [[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]])
    out.backward(np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]))
    # x[j] reaches out[i] for every i >= j.
    np.testing.assert_array_equal(x.grad, [[3.0, 2.0, 1.0], [1.0, 0.0, 0.0]])


def test_torch_names_on_the_old_reductions() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).data, [[3.0], [12.0]])
    np.testing.assert_array_equal(x.mean(dim=0).data, [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(x.max(dim=-1).data, [2.0, 5.0])
    np.testing.assert_array_equal(x.sum(axis=0, keepdims=True).data, [[3.0, 5.0, 7.0]])
    with pytest.raises(ValueError, match="only one"):
        x.sum(axis=0, dim=1)


def test_reduction_dims_are_checked() -> None:
    with pytest.raises(ValueError, match="dim=2 is out of range"):
        var(Tensor(np.ones((2, 2))), 2)
    with pytest.raises(ValueError, match="dim=-3 is out of range"):
        logsumexp(Tensor(np.ones((2, 2))), -3)
    with pytest.raises(ValueError, match="one int"):
        cumsum(Tensor(np.ones((2, 2))), (0, 1))  # type: ignore[arg-type]


# --- joining and cutting ------------------------------------------------------------------------
@FAST
@given(case=shape_and_dim(), sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3))
def test_cat_rules(case: tuple[tuple[int, ...], int], sizes: list[int]) -> None:
    shape, dim = case
    rng = np.random.default_rng(len(sizes))
    axis = dim % len(shape)
    parts = [
        rng.standard_normal(tuple(n if i == axis else s for i, s in enumerate(shape)))
        for n in sizes
    ]
    assert_rules(lambda *ts: cat(list(ts), dim), parts)
    assert_hvp(squashed(lambda t: concat([t, t * t], dim)), parts[0])


@FAST
@given(case=shape_and_dim(extra=1), count=st.integers(1, 3))
def test_stack_rules(case: tuple[tuple[int, ...], int], count: int) -> None:
    shape, dim = case
    dim = max(min(dim, len(shape)), -len(shape) - 1)
    rng = np.random.default_rng(count)
    parts = [rng.standard_normal(shape) for _ in range(count)]
    assert_rules(lambda *ts: stack(list(ts), dim), parts)
    assert_hvp(squashed(lambda t: stack([t, t * t], dim)), parts[0])


def _weighted_join(pieces: tuple[Tensor, ...], dim: int) -> Tensor:
    # Distinct weights per piece, so a gradient sent to the wrong piece is caught.
    return cat([p * (i + 1) for i, p in enumerate(pieces)], dim)


@FAST
@given(case=shape_and_dim(), data=st.data())
def test_split_and_chunk_rules_with_unequal_pieces(
    case: tuple[tuple[int, ...], int], data: st.DataObject
) -> None:
    shape, dim = case
    size = shape[dim]
    x = data.draw(values(shape))
    step = data.draw(st.integers(1, size + 1))
    cuts = sorted(data.draw(st.lists(st.integers(0, size), max_size=3)))
    sections = np.diff([0, *cuts, size]).tolist()
    chunks = data.draw(st.integers(1, size + 1))
    assert_rules(lambda t: _weighted_join(split(t, step, dim), dim), [x])
    assert_rules(lambda t: _weighted_join(t.split(sections, dim), dim), [x])
    assert_rules(lambda t: _weighted_join(chunk(t, chunks, dim), dim), [x])
    assert_hvp(squashed(lambda t: _weighted_join(t.chunk(chunks, dim), dim)), x)


def test_split_and_chunk_sizes_follow_torch() -> None:
    x = Tensor(np.arange(5.0))
    assert [p.shape[0] for p in x.split(2)] == [2, 2, 1]
    assert [p.shape[0] for p in x.split([1, 0, 4])] == [1, 0, 4]
    assert [p.shape[0] for p in x.chunk(3)] == [2, 2, 1]
    # ceil(6 / 4) = 2, so torch.chunk gives three pieces, not four.
    assert [p.shape[0] for p in Tensor(np.arange(6.0)).chunk(4)] == [2, 2, 2]
    np.testing.assert_array_equal(x.split([2, 3])[1].data, [2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="adding up to 5"):
        x.split([2, 2])
    with pytest.raises(ValueError, match="positive int"):
        x.split(0)
    with pytest.raises(ValueError, match="chunks must be a positive int"):
        x.chunk(0)


def test_cat_and_stack_errors_and_known_gradient() -> None:
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((2, 1)), requires_grad=True)
    out = cat([a, b], dim=-1)
    assert out.shape == (2, 4)
    out.backward(np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(a.grad, [[0.0, 1.0, 2.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(b.grad, [[3.0], [7.0]])
    with pytest.raises(ValueError, match=r"tensors\[1\] has shape \(2, 1\)"):
        cat([a, b], dim=0)
    with pytest.raises(ValueError, match=r"tensors\[1\] has shape"):
        stack([a, b])
    with pytest.raises(ValueError, match="dim=3 is out of range"):
        stack([a, a], dim=3)
    with pytest.raises(ValueError, match="non-empty"):
        cat([])
    # Constants join in the dtype of the tensor they meet.
    assert cat([Tensor(np.ones(2, dtype=np.float32)), [1, 2]]).dtype == np.float32


# --- views ------------------------------------------------------------------------------------
@st.composite
def expand_case(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = draw(SHAPES)
    shape = tuple(1 if draw(st.booleans()) else n for n in shape)
    sizes = tuple(
        draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1])) for n in shape
    )
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return shape, lead + sizes


@FAST
@given(case=expand_case(), data=st.data())
def test_expand_rules(case: tuple[tuple[int, ...], tuple[int, ...]], data: st.DataObject) -> None:
    shape, sizes = case
    x = data.draw(values(shape))
    assert_rules(lambda t: t.expand(*sizes), [x])
    assert_rules(lambda t: expand(t, sizes), [x])
    assert_hvp(squashed(lambda t: t.expand(sizes)), x)


def test_expand_known_values_and_errors() -> None:
    x = Tensor([[1.0], [2.0]], requires_grad=True)
    out = x.expand(3, -1, 4)
    assert out.shape == (3, 2, 4)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[12.0], [12.0]])
    with pytest.raises(ValueError, match="only expands when it is 1"):
        x.expand(3, 4)
    with pytest.raises(ValueError, match="new leading dim"):
        x.expand(-1, 2, 1)
    with pytest.raises(ValueError, match="fewer dims"):
        x.expand(4)


@FAST
@given(case=shape_and_dim(extra=1), data=st.data())
def test_unsqueeze_and_squeeze_rules(
    case: tuple[tuple[int, ...], int], data: st.DataObject
) -> None:
    shape, dim = case
    dim = max(min(dim, len(shape)), -len(shape) - 1)
    x = data.draw(values(shape))
    assert_rules(lambda t: unsqueeze(t, dim) * 2, [x])
    assert unsqueeze(Tensor(x), dim).shape == np.expand_dims(x, dim).shape
    assert_rules(lambda t: squeeze(t) * 2, [x])
    assert_hvp(squashed(lambda t: t.unsqueeze(dim).squeeze(dim)), x)


def test_squeeze_follows_torch() -> None:
    x = Tensor(np.zeros((1, 3, 1, 2)))
    assert x.squeeze().shape == (3, 2)
    assert x.squeeze(-2).shape == (1, 3, 2)
    assert x.squeeze(1).shape == (1, 3, 1, 2)  # a dim that is not 1 is left alone
    assert x.squeeze((0, 2)).shape == (3, 2)
    assert x.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert Tensor(1.0).unsqueeze(0).shape == (1,)
    with pytest.raises(ValueError, match="dim=5 is out of range"):
        x.unsqueeze(5)
    with pytest.raises(ValueError, match="dim=4 is out of range"):
        x.squeeze(4)


@FAST
@given(shape=SHAPES, data=st.data())
def test_flip_rules(shape: tuple[int, ...], data: st.DataObject) -> None:
    n = len(shape)
    x = data.draw(values(shape))
    dims = tuple(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    dims = tuple(d - n if data.draw(st.booleans()) else d for d in dims)  # some negative
    assert_rules(lambda t: flip(t, dims), [x])
    np.testing.assert_array_equal(flip(Tensor(x), dims).data, np.flip(x, dims))
    assert_hvp(squashed(lambda t: t.flip(dims)), x)


def test_flip_known_values() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_array_equal(x.flip(0, 1).data, [[4.0, 3.0], [2.0, 1.0]])
    x.flip(-1).backward(np.array([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="same dim twice"):
        x.flip(0, -2)


# --- pad ------------------------------------------------------------------------------------------
@st.composite
def pad_case(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = draw(SHAPES)
    counts: list[int] = []
    for n in reversed(shape[len(shape) - draw(st.integers(1, len(shape))) :]):
        lo = draw(st.integers(-1 if n > 1 else 0, 2))
        hi = draw(st.integers(-1 if n + lo > 1 else 0, 2))
        counts += [lo, hi]
    return shape, tuple(counts)


@FAST
@given(case=pad_case(), value=st.floats(-3, 3), data=st.data())
def test_pad_rules_on_several_dims(
    case: tuple[tuple[int, ...], tuple[int, ...]], value: float, data: st.DataObject
) -> None:
    shape, counts = case
    x = data.draw(values(shape))
    assert_rules(lambda t: pad(t, counts, value), [x])
    assert_hvp(squashed(lambda t: pad(t, counts, value)), x)


def test_pad_known_values_last_dim_first() -> None:
    np.testing.assert_array_equal(pad(Tensor([1.0, 2.0]), (1, 2), 9.0).data, [9, 1, 2, 9, 9])
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    # (left, right) for the last dim, then (top, bottom) for the one before it.
    out = pad(x, (0, 1, 1, 0))
    np.testing.assert_array_equal(out.data, [[0, 0, 0], [1, 2, 0], [3, 4, 0]])
    # A negative count crops.
    np.testing.assert_array_equal(pad(x, (-1, 0)).data, [[2.0], [4.0]])
    out.backward(np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(x.grad, [[3.0, 4.0], [6.0, 7.0]])
    with pytest.raises(ValueError, match="even number of counts"):
        pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="at most 2 per dim"):
        pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="negative size"):
        pad(x, (-2, -1))


# --- masks --------------------------------------------------------------------------------------
@FAST
@given(
    shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4),
    diagonal=st.integers(-3, 3),
    data=st.data(),
)
def test_tril_and_triu_rules(shape: tuple[int, ...], diagonal: int, data: st.DataObject) -> None:
    x = data.draw(values(shape))
    assert_rules(lambda t: tril(t, diagonal), [x])
    assert_rules(lambda t: triu(t, diagonal), [x])
    np.testing.assert_array_equal(tril(Tensor(x), diagonal).data, np.tril(x, diagonal))
    np.testing.assert_array_equal(Tensor(x).triu(diagonal).data, np.triu(x, diagonal))
    assert_hvp(squashed(lambda t: t.tril(diagonal) + t.triu(diagonal + 1) * 2), x)


def test_tril_known_gradient() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.tril().sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [1, 1, 0]])
    with pytest.raises(ValueError, match="at least 2 dims"):
        tril(Tensor([1.0, 2.0]))


@st.composite
def masked_case(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(SHAPES)
    mask_shape = tuple(1 if draw(st.booleans()) else n for n in shape)
    mask_shape = mask_shape[draw(st.integers(0, len(shape) - 1)) :]
    mask = draw(hnp.arrays(bool, mask_shape))
    if draw(st.booleans()):
        mask = mask.copy()
        mask[...] = True  # hide everything the mask covers: whole rows at once
    return draw(values(shape)), mask


@FAST
@given(case=masked_case(), value=st.floats(-3, 3))
def test_masked_fill_rules_mask_broadcast(
    case: tuple[np.ndarray, np.ndarray], value: float
) -> None:
    x, mask = case
    assert_rules(lambda t: masked_fill(t, mask, value), [x])
    assert_rules(lambda t, v: t.masked_fill(mask, v), [x, np.array(value)])
    assert_hvp(squashed(lambda t: t.masked_fill(mask, value)), x)


def test_masked_fill_hides_whole_rows_and_sends_them_no_gradient() -> None:
    scores = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    hide = np.array([[True], [False]])  # the whole first row
    out = scores.masked_fill(hide, -np.inf)
    np.testing.assert_array_equal(out.data, [[-np.inf] * 3, [3.0, 4.0, 5.0]])
    out.backward(np.full((2, 3), 2.0))
    np.testing.assert_array_equal(scores.grad, [[0, 0, 0], [2, 2, 2]])
    value = Tensor(0.5, requires_grad=True)
    scores.masked_fill(np.array([True, False, True]), value).sum().backward()
    assert value.grad == 4.0  # two filled positions per row, two rows
    with pytest.raises(ValueError, match="does not broadcast"):
        scores.masked_fill(np.ones(2, dtype=bool), 0.0)


WHERE_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 1), (4,), ()),
    ((4,), (3, 1), (3, 4)),
    ((), (2,), (2,)),
]


@pytest.mark.parametrize(("cond_shape", "x_shape", "y_shape"), WHERE_SHAPES)
@FAST
@given(data=st.data())
def test_where_rules_broadcasting_and_hvp(
    cond_shape: tuple[int, ...],
    x_shape: tuple[int, ...],
    y_shape: tuple[int, ...],
    data: st.DataObject,
) -> None:
    condition = data.draw(hnp.arrays(bool, cond_shape))
    x, y = data.draw(values(x_shape)), data.draw(values(y_shape))
    assert_rules(lambda a, b: where(condition, a, b), [x, y])
    # Second order through where: d^2/dx^2 of sum(where(c, x^3, y^2)).
    if x_shape == y_shape == cond_shape:
        v = np.ones(x_shape)
        np.testing.assert_allclose(
            hvp(lambda a: where(condition, a**3, a**2).sum(), x, v),
            np.where(condition, 6 * x, 2.0),
            rtol=1e-12,
        )
    assert_hvp(squashed(lambda a: where(condition, a, a * a)), x)


def test_where_known_values() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor(10.0, requires_grad=True)
    cond = Tensor([1.0, 0.0, 1.0])  # a float Tensor condition counts nonzero as True
    out = where(cond, x, y)
    np.testing.assert_array_equal(out.data, [1.0, 10.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])
    assert y.grad == 1.0
    np.testing.assert_array_equal(where(np.array([True, False]), 0.0, x[:2]).data, [0.0, 2.0])
    with pytest.raises(ValueError, match="do not broadcast"):
        where(np.ones(2, dtype=bool), x, y)


# --- dtypes and attention-style composition ---------------------------------------------------
def test_float32_stays_float32() -> None:
    x = Tensor(np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    outs = [
        x.sqrt(),
        x.abs(),
        x.clamp(0, 1),
        x.minimum(0.5),
        x.var(1),
        x.std(),
        x.logsumexp(0),
        x.cumsum(1),
        cat([x, x]),
        stack([x, x]),
        x.expand(2, 2, 3),
        x.flip(0),
        pad(x, (1, 1)),
        x.tril(),
        x.masked_fill(np.eye(2, 3, dtype=bool), 0.0),
        where(np.eye(2, 3, dtype=bool), x, 0.0),
    ]
    assert {o.dtype for o in outs} == {np.dtype(np.float32)}
    sum(o.sum() for o in outs).backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_causal_attention_from_the_new_ops_has_the_right_gradient() -> None:
    """Attention as a composite (matmul, scale, masked_fill with triu, softmax, matmul)."""
    from app.engine import softmax

    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    future = np.triu(np.ones((4, 4), dtype=bool), 1)

    def attend(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        scores = (q @ k.swapaxes(-1, -2)) / np.sqrt(3.0)
        return softmax(scores.masked_fill(future, -np.inf), axis=-1) @ v

    assert_rules(attend, [q, k, v])

"""Activations: values and kink gradients as PyTorch gives them, gradcheck, forward vs reverse mode,
and second derivatives (the tensor-mode rules) against finite differences of the gradient."""

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine import Tensor, check_jvp_vjp, grad, gradcheck, hvp
from app.engine.activations import (
    ELU,
    GELU,
    SwiGLU,
    elu,
    erf,
    gelu,
    hardtanh,
    leaky_relu,
    silu,
    softplus,
)

FAST = settings(max_examples=25, deadline=None)

SMOOTH: dict[str, Callable[[Tensor], Tensor]] = {
    "erf": erf,
    "gelu": gelu,
    "gelu_tanh": lambda x: gelu(x, approximate="tanh"),
    "silu": silu,
    "softplus": softplus,
    "softplus_beta": lambda x: softplus(x, beta=3.0, threshold=4.0),
    "elu": lambda x: elu(x, alpha=1.5),
}
KINKED: dict[str, Callable[[Tensor], Tensor]] = {
    "leaky_relu": lambda x: leaky_relu(x, 0.1),
    "hardtanh": lambda x: hardtanh(x, -0.5, 0.7),
}


def away_from(points: tuple[float, ...], shape: tuple[int, ...]) -> st.SearchStrategy:
    """Values at least 0.05 from every kink (finite differences straddle no kink)."""
    floats = st.floats(-2.5, 2.5).filter(lambda v: all(abs(v - p) > 0.05 for p in points))
    return hnp.arrays(np.float64, shape, elements=floats)


KINKS = {"leaky_relu": (0.0,), "hardtanh": (-0.5, 0.7), "elu": (0.0,), "softplus_beta": (4 / 3,)}


@pytest.mark.parametrize("name", sorted({**SMOOTH, **KINKED}))
@FAST
@given(data=st.data(), shape=st.sampled_from([(), (5,), (2, 3)]))
def test_gradcheck_and_forward_mode_agree(name: str, data: st.DataObject, shape: tuple) -> None:
    f = {**SMOOTH, **KINKED}[name]
    x = data.draw(away_from(KINKS.get(name, ()), shape))
    assert gradcheck(lambda t: f(t), [x]).passed
    assert check_jvp_vjp(lambda t: f(t), [x]).passed


@pytest.mark.parametrize("name", sorted(SMOOTH))
@FAST
@given(data=st.data())
def test_hvp_matches_finite_differences_of_the_gradient(name: str, data: st.DataObject) -> None:
    f = SMOOTH[name]
    x = data.draw(away_from(KINKS.get(name, ()), (4,)))
    v = np.random.default_rng(0).standard_normal(4)
    loss = lambda t: (f(t) * np.arange(1.0, 5.0)).sum()  # noqa: E731 (a weighted sum)
    g = grad(loss)
    h = 1e-5
    expected = (g(x + h * v) - g(x - h * v)) / (2 * h)
    np.testing.assert_allclose(hvp(loss, x, v), expected, rtol=1e-5, atol=1e-6)


def test_known_values() -> None:
    # References: math.erf, and the same functions in PyTorch 2.13 (float64).
    assert erf(Tensor(0.5)).item() == pytest.approx(math.erf(0.5), abs=1e-16)
    assert gelu(Tensor(1.0)).item() == pytest.approx(0.841344746068543, abs=1e-14)
    assert gelu(Tensor(1.0), "tanh").item() == pytest.approx(0.8411919906082768, abs=1e-14)
    assert softplus(Tensor(0.0)).item() == pytest.approx(math.log(2), abs=1e-15)
    assert silu(Tensor(2.0)).item() == pytest.approx(2 / (1 + math.exp(-2)), abs=1e-15)
    assert elu(Tensor(-1.0), 2.0).item() == pytest.approx(2 * (math.exp(-1) - 1), abs=1e-15)
    np.testing.assert_array_equal(leaky_relu(Tensor([-2.0, 3.0]), 0.1).data, [-0.2, 3.0])
    np.testing.assert_array_equal(hardtanh(Tensor([-3.0, 0.2, 3.0])).data, [-1.0, 0.2, 1.0])
    # GELU's non-monotone dip: its minimum is about -0.17, near x = -0.75.
    xs = np.linspace(-3, 0, 3001)
    values = gelu(Tensor(xs)).data
    assert values.min() == pytest.approx(-0.17, abs=0.005)
    assert xs[values.argmin()] == pytest.approx(-0.75, abs=0.01)


def _grad_at(f: Callable[[Tensor], Tensor], value: float) -> float:
    x = Tensor(np.array([value]), requires_grad=True)
    f(x).sum().backward()
    assert x.grad is not None
    return float(x.grad[0])


def test_gradients_at_the_kinks_are_pytorchs() -> None:
    # torch 2.13: leaky_relu'(0) = slope, elu'(0) = alpha, hardtanh' = 0 at both bounds,
    # softplus'(0) = 0.5, and softplus(beta=2) at x=10 (beta·x = threshold) is still smooth.
    assert _grad_at(lambda x: leaky_relu(x, 0.1), 0.0) == 0.1
    assert _grad_at(lambda x: elu(x, 2.0), 0.0) == 2.0
    assert _grad_at(hardtanh, 1.0) == 0.0
    assert _grad_at(hardtanh, -1.0) == 0.0
    assert _grad_at(hardtanh, 0.999) == 1.0
    assert _grad_at(softplus, 0.0) == 0.5
    assert _grad_at(lambda x: softplus(x, 2.0, 20.0), 10.0) == pytest.approx(0.9999999979388464)
    assert _grad_at(lambda x: softplus(x, 2.0, 20.0), 10.1) == 1.0


def test_large_inputs_neither_overflow_nor_give_nan() -> None:
    x = Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    out = softplus(x) + elu(x) + silu(x) + gelu(x)
    assert np.isfinite(out.data).all()
    out.sum().backward()
    assert x.grad is not None and np.isfinite(x.grad).all()
    np.testing.assert_allclose(softplus(Tensor([1000.0, -1000.0])).data, [1000.0, 0.0])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="approximate"):
        gelu(Tensor(1.0), approximate="fast")
    with pytest.raises(ValueError, match="beta"):
        softplus(Tensor(1.0), beta=0.0)
    with pytest.raises(ValueError, match="min_val"):
        hardtanh(Tensor(1.0), 1.0, -1.0)
    with pytest.raises(ValueError, match="in_features"):
        SwiGLU(0, 4)


def test_swiglu_is_the_gated_formula_and_passes_gradcheck() -> None:
    layer = SwiGLU(3, 5, bias=True, seed=1)
    x = np.random.default_rng(2).standard_normal((4, 3))

    def reference(x: np.ndarray) -> np.ndarray:
        a = x @ layer.w1.data.T + layer.b1.data  # type: ignore[union-attr]
        b = x @ layer.w3.data.T + layer.b3.data  # type: ignore[union-attr]
        return (a / (1 + np.exp(-a)) * b) @ layer.w2.data.T + layer.b2.data  # type: ignore[union-attr]

    np.testing.assert_allclose(layer(x).data, reference(x), rtol=1e-12)
    assert len(layer.parameters()) == 6
    assert gradcheck(lambda t: layer(t), [x]).passed
    w1 = layer.w1

    def in_w1(w: Tensor) -> Tensor:
        layer.w1 = w
        return layer(x)

    assert gradcheck(in_w1, [w1.data.copy()]).passed
    layer.w1 = w1


def test_modules_wrap_the_functions() -> None:
    x = Tensor(np.array([-1.0, 0.5]))
    np.testing.assert_array_equal(GELU("tanh")(x).data, gelu(x, "tanh").data)
    np.testing.assert_array_equal(ELU(0.5)(x).data, elu(x, 0.5).data)

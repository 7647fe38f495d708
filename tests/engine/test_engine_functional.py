"""grad, vjp, jvp, jacobian, hvp and hessian against each other and against finite differences."""

import numpy as np
import pytest

from app.engine import (
    Tensor,
    check_jvp_vjp,
    cross_entropy,
    grad,
    gradients,
    hessian,
    hvp,
    jacobian,
    jvp,
    linear,
    log_softmax,
    maximum,
    mse_loss,
    softmax,
    vjp,
)

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 4))


def f(x: Tensor) -> Tensor:
    """A nonlinear map from R^4 to R^3."""
    return (Tensor(W) @ x).tanh() * x.sum() + log_softmax(x)[:3]


def loss(x: Tensor) -> Tensor:
    return (f(x) ** 2).sum() + x.sigmoid().sum()


X = RNG.standard_normal(4)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_counts_its_passes(mode: str) -> None:
    result = jacobian(f, X, mode=mode)
    assert result.matrix.shape == (3, 4)
    assert result.passes == (3 if mode == "rev" else 4)


def test_forward_and_reverse_jacobians_agree() -> None:
    np.testing.assert_allclose(
        jacobian(f, X, "fwd").matrix, jacobian(f, X, "rev").matrix, rtol=1e-12, atol=1e-14
    )


def test_jvp_is_jacobian_times_v() -> None:
    v = RNG.standard_normal(4)
    y, jv = jvp(f, (X,), (v,))
    np.testing.assert_allclose(y, f(Tensor(X)).data)
    np.testing.assert_allclose(jv, jacobian(f, X).matrix @ v, rtol=1e-12, atol=1e-14)


def test_vjp_is_u_times_jacobian() -> None:
    u = RNG.standard_normal(3)
    _, vjp_fn = vjp(f, X)
    np.testing.assert_allclose(vjp_fn(u)[0], u @ jacobian(f, X).matrix, rtol=1e-12, atol=1e-14)


def test_grad_matches_finite_differences() -> None:
    g = grad(loss)(X)
    eps = 1e-6
    numeric = [
        (loss(Tensor(X + eps * e)).item() - loss(Tensor(X - eps * e)).item()) / (2 * eps)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(g, numeric, rtol=1e-7, atol=1e-9)


def test_hvp_matches_finite_difference_of_grad() -> None:
    v = RNG.standard_normal(4)
    eps = 1e-5
    numeric = (grad(loss)(X + eps * v) - grad(loss)(X - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(loss, X, v), numeric, rtol=1e-5, atol=1e-7)


def test_hvp_is_exact_on_a_quadratic() -> None:
    a = RNG.standard_normal((4, 4))
    v = RNG.standard_normal(4)

    def quadratic(x: Tensor) -> Tensor:
        return 0.5 * (x @ (Tensor(a) @ x)) + x.sum()

    np.testing.assert_allclose(hvp(quadratic, X, v), 0.5 * (a + a.T) @ v, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(hessian(quadratic, X), 0.5 * (a + a.T), rtol=1e-13, atol=1e-14)


def test_hessian_is_symmetric_and_matches_hvp() -> None:
    h = hessian(loss, X)
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(h, h.T, atol=1e-12)
    np.testing.assert_allclose(h @ v, hvp(loss, X, v), rtol=1e-12, atol=1e-13)


def test_newton_step_solves_a_quadratic_in_one_step() -> None:
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])

    def q(x: Tensor) -> Tensor:
        return 0.5 * (x @ (Tensor(a) @ x)) - (Tensor(b) * x).sum()

    x0 = np.array([5.0, 5.0])
    x1 = x0 - np.linalg.solve(hessian(q, x0), grad(q)(x0))
    np.testing.assert_allclose(x1, np.linalg.solve(a, b), rtol=1e-12)


def test_jvp_on_a_linear_function_has_constant_tangent() -> None:
    _, tangent = jvp(lambda x: x * 3.0, np.ones(2), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(tangent, [3.0, 6.0])


def everything(x: Tensor) -> Tensor:
    """One function through every op, so forward-over-reverse exercises every rule twice."""
    m = x.reshape(3, 4)
    h = linear(m, Tensor(W), Tensor(np.ones(3))).sigmoid() * 2 - 1
    k = (m.T @ h).tanh()[np.array([0, 0, 2])]
    s = softmax(k, axis=0) / (1 + (m * m).sum(axis=1, keepdims=True).T[:, :3])
    r = maximum(m, 0.1).max(axis=0) ** 1.5 + m.exp().mean(axis=0).log()
    return (
        s.sum()
        + r.sum()
        + cross_entropy(h, np.array([0, 1, 2]))
        + mse_loss(k, np.zeros((3, 3)))
        - m.relu().mean()
    )


X12 = RNG.standard_normal(12)


def test_hvp_through_every_op_matches_finite_difference_of_grad() -> None:
    v = RNG.standard_normal(12)
    eps = 1e-5
    numeric = (grad(everything)(X12 + eps * v) - grad(everything)(X12 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(everything, X12, v), numeric, rtol=1e-5, atol=1e-7)


def test_forward_mode_through_every_op_matches_reverse_mode() -> None:
    assert check_jvp_vjp(everything, [X12]).passed
    np.testing.assert_allclose(
        jacobian(lambda x: everything(x).reshape(1), X12, "fwd").matrix,
        jacobian(lambda x: everything(x).reshape(1), X12, "rev").matrix,
        rtol=1e-11,
        atol=1e-13,
    )


def test_create_graph_gives_a_differentiable_gradient() -> None:
    x = Tensor(X, requires_grad=True)
    (g,) = gradients(loss(x), x, create_graph=True)
    assert g.requires_grad
    (hv,) = gradients((g * Tensor(np.ones(4))).sum(), x)
    np.testing.assert_allclose(hv.data, hvp(loss, X, np.ones(4)), rtol=1e-10)

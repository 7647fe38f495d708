"""Card 10: the gradient of mean cross-entropy after softmax w.r.t. the logits is (P − Y)/B."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference, shape_text
from app.demos.registry import register
from app.engine import Tensor, cross_entropy, jacobian, softmax


class SoftmaxCrossEntropyParams(DemoParams):
    batch: int = Field(default=3, ge=1, le=8, description="Rows of Z (examples in the batch).")
    classes: int = Field(default=4, ge=2, le=8, description="Classes K (columns of Z).")


def probabilities(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax in NumPy, shifted by the row max so exp never overflows."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def long_route(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂Z through ∂L/∂P and the engine's softmax Jacobian per row; also the first Jacobian."""
    batch = z.shape[0]
    p = probabilities(z)
    grad_p = -y / (p * batch)  # ∂/∂P of -(1/B) Σ y log p
    rows, first = [], np.zeros((0, 0))
    for i in range(batch):
        jac = jacobian(lambda v: softmax(v), z[i]).matrix  # K×K, entry (a, b) = ∂p_a/∂z_b
        first = jac if i == 0 else first
        rows.append(jac.T @ grad_p[i])
    return np.array(rows), first


@register(
    "softmax_cross_entropy",
    "Softmax with cross-entropy: ∂L/∂z = p − y",
    SoftmaxCrossEntropyParams,
    rules=("log_softmax.vjp", "softmax.vjp", "mean.vjp"),
)
def softmax_cross_entropy(params: SoftmaxCrossEntropyParams) -> Demo:
    """Run the demo: softmax with cross-entropy: ∂L/∂z = p − y."""
    rng = params.rng()
    B, K = params.batch, params.classes
    # Logits rounded to one decimal keep the display readable; float64 keeps the checks tight.
    z_data = np.round(rng.normal(0.0, 1.5, size=(B, K)), 1)
    labels = rng.integers(0, K, size=B)
    y = np.eye(K)[labels]
    p = probabilities(z_data)

    z = Tensor(z_data, requires_grad=True, name="Z")
    loss = cross_entropy(z, labels)
    loss.backward()
    assert z.grad is not None
    formula = (p - y) / B
    through_jacobian, jac = long_route(z_data, y)
    p0 = p[0]

    steps = [
        Step("Z (logits)", z_data, r"Z \in \mathbb{R}^{B\times K}", shape_text(z_data.shape)),
        Step("labels", labels.astype(np.float64), note="class index per row"),
        Step("Y (one-hot)", y, r"Y \in \{0,1\}^{B\times K}"),
        Step("P = softmax(Z), row-wise", p, r"P_{ik} = e^{Z_{ik}} / \textstyle\sum_j e^{Z_{ij}}"),
        Step(
            "L (mean cross-entropy)", loss.item(), r"L = -\tfrac1B \sum_i \sum_k Y_{ik}\log P_{ik}"
        ),
        Step(
            "engine's ∂L/∂Z",
            z.grad,
            r"\frac{\partial L}{\partial Z} = \frac{P - Y}{B}",
            f"{shape_text(z.grad.shape)} like Z: p − y per example, over B for the mean",
        ),
        Step(
            "softmax Jacobian of row 1",
            jac,
            r"\frac{\partial p}{\partial z} = \operatorname{diag}(p) - p p^\top",
            f"{K}×{K}, built by the engine one VJP per row",
        ),
        Step(
            "∂L/∂Z by the long route",
            through_jacobian,
            r"\frac{\partial L}{\partial z_i} = J_i^\top \Big(-\frac{y_i}{B\, p_i}\Big)",
            "∂L/∂P pushed back through each row's softmax Jacobian",
        ),
    ]
    checks = [
        Check.at_most(
            "engine's ∂L/∂Z equals (P − Y)/B", max_abs_difference(z.grad, formula), 1e-12
        ),
        Check.at_most(
            "engine's softmax Jacobian equals diag(p) − p pᵀ",
            max_abs_difference(jac, np.diag(p0) - np.outer(p0, p0)),
            1e-12,
        ),
        Check.at_most(
            "the long route through the softmax Jacobian gives (P − Y)/B too",
            max_abs_difference(through_jacobian, formula),
            1e-12,
        ),
    ]
    checks += finite_difference_checks(lambda v: cross_entropy(v, labels), [z_data], ["∂L/∂Z"])
    row = formula[0] * B
    return Demo(
        name="softmax_cross_entropy",
        title="Softmax with cross-entropy: ∂L/∂z = p − y",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"For the first example (label {labels[0]}), p − y = "
            f"[{', '.join(f'{v:.3f}' for v in row)}]; the engine's gradient is this divided by "
            f"B = {B}, and the long route through the softmax Jacobian agrees to "
            f"{max_abs_difference(through_jacobian, formula):.1e}."
        ),
    )

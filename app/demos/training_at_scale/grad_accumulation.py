"""Card 4: gradient accumulation equals one large batch, unless the loss's normaliser or a
batch statistic differs between the micro-batches and the whole batch.

Token-level cross-entropy over padded sequences: the full batch's loss is the mean over all T
real tokens. Summing each micro-batch's token losses and dividing by T (the global count)
accumulates to exactly the full gradient; averaging each micro-batch's own mean and dividing by
k weights a token by 1/(k·T_i) instead of 1/T, which is wrong whenever the T_i differ. A model
with BatchNorm differs too: each micro-batch is normalised with its own statistics.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import EXACT, grad_of, relative_error, softmax_rows
from app.engine import BatchNorm1d, Tensor, cross_entropy, linear

PAD = -100  # cross_entropy's default ignore_index


class GradAccumulationParams(DemoParams):
    micro_batches: int = Field(default=3, ge=2, le=4, description="Micro-batches k.")
    tokens: int = Field(default=6, ge=4, le=8, description="Token slots per micro-batch.")
    classes: int = Field(default=4, ge=2, le=6, description="Vocabulary (classes) C.")
    features: int = Field(default=3, ge=2, le=6, description="Features per token.")


def reference_grad(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """dL/dW of the mean cross-entropy over the real tokens: (P − onehot)ᵀX / T."""
    keep = y != PAD
    p = softmax_rows(x[keep] @ w.T)
    p[np.arange(keep.sum()), y[keep]] -= 1
    return p.T @ x[keep] / keep.sum()


@register(
    "grad_accumulation",
    "Gradient accumulation and where it breaks",
    GradAccumulationParams,
    rules=("autograd.accumulate", "linear.vjp", "log_softmax.vjp"),
)
def grad_accumulation(params: GradAccumulationParams) -> Demo:
    """Run the demo: one big batch against k accumulated micro-batches, three ways."""
    rng = params.rng()
    k, slots, c, f = params.micro_batches, params.tokens, params.classes, params.features
    x = rng.standard_normal((k, slots, f))
    y = rng.integers(0, c, (k, slots))
    # Micro-batch i keeps slots − i real tokens (shorter sequences get more padding).
    real = np.array([slots - i for i in range(k)])
    for i in range(k):
        y[i, real[i] :] = PAD
    w_data = rng.standard_normal((c, f))
    total = int(real.sum())

    w = Tensor(w_data, requires_grad=True)
    cross_entropy(linear(Tensor(x.reshape(-1, f)), w), y.reshape(-1)).backward()
    full = grad_of(w).copy()

    def accumulate(normaliser: str) -> np.ndarray:
        w.grad = None
        for i in range(k):
            logits = linear(Tensor(x[i]), w)
            if normaliser == "global":
                loss = cross_entropy(logits, y[i], reduction="sum") * (1.0 / total)
            else:  # each micro-batch's own mean, divided by k
                loss = cross_entropy(logits, y[i]) * (1.0 / k)
            loss.backward()  # adds into w.grad
        return grad_of(w).copy()

    right, naive = accumulate("global"), accumulate("local")
    equal_y = y.copy()
    equal_y[:, : slots - k + 1] = np.maximum(equal_y[:, : slots - k + 1], 0)
    equal_y[:, slots - k + 1 :] = PAD  # the same number of real tokens in every micro-batch
    y_saved, y[...] = y.copy(), equal_y
    w.grad = None
    cross_entropy(linear(Tensor(x.reshape(-1, f)), w), y.reshape(-1)).backward()
    full_equal = grad_of(w).copy()
    naive_equal = accumulate("local")
    y[...] = y_saved

    def bn_grad(chunks: int) -> np.ndarray:
        v = Tensor(w_data, requires_grad=True)
        for part in np.array_split(x.reshape(-1, f), chunks):
            h = BatchNorm1d(c)(linear(Tensor(part), v))
            (h * h).sum().backward()
        return grad_of(v)

    bn_full, bn_micro = bn_grad(1), bn_grad(k)
    checks = [
        Check.at_most(
            "the full batch's dW equals (P − onehot)ᵀX / T over the real tokens (relative)",
            relative_error(full, reference_grad(x.reshape(-1, f), y.reshape(-1), w_data)),
            EXACT,
        ),
        Check.at_most(
            "accumulating Σ token losses / T_total over micro-batches equals it (relative)",
            relative_error(right, full),
            EXACT,
        ),
        Check.at_least(
            "averaging each micro-batch's own mean / k does not (relative difference)",
            relative_error(naive, full),
            1e-3,
        ),
        Check.at_most(
            "…but it does when every micro-batch has the same token count (relative)",
            relative_error(naive_equal, full_equal),
            EXACT,
        ),
        Check.at_least(
            "with BatchNorm, micro-batch statistics change the gradient (relative difference)",
            relative_error(bn_micro, bn_full),
            1e-3,
        ),
    ]
    steps = [
        Step("real tokens per micro-batch T_i", real),
        Step("real tokens in the batch T", total),
        Step("dW, one batch", full),
        Step("dW, accumulated with Σ/T", right, r"\sum_i \tfrac{1}{T}\sum_{t} \nabla \ell_t"),
        Step(
            "dW, accumulated with mean/k", naive, r"\sum_i \tfrac{1}{k\,T_i}\sum_{t} \nabla \ell_t"
        ),
    ]
    chart = Chart(
        "Weight of one token in the accumulated gradient, relative to 1/T",
        "micro-batch",
        "weight × T",
        [Series("mean / k", list(range(k)), (total / (k * real)).tolist())],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="grad_accumulation",
        title="Gradient accumulation and where it breaks",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"{k} micro-batches with {', '.join(map(str, real))} real tokens: dividing each "
            f"token's loss by the global count {total} accumulates to the full-batch gradient "
            "exactly; averaging each micro-batch's mean is off by "
            f"{relative_error(naive, full):.1%}, and BatchNorm by "
            f"{relative_error(bn_micro, bn_full):.1%}."
        ),
    )

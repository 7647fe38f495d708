"""ignore_index for padding: padded positions get exactly zero gradient, and 'mean' divides by
the number of real tokens, so the loss equals cross-entropy over the real tokens alone. A batch
with every target ignored gives torch's 0/0: a NaN loss, and a gradient of exactly zero."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L

PAD = -100  # PyTorch's default ignore_index


class IgnoreIndexParams(DemoParams):
    sequences: int = Field(default=2, ge=1, le=4, description="Sequences in the batch.")
    length: int = Field(default=6, ge=3, le=10, description="Padded length of each sequence.")
    classes: int = Field(default=5, ge=2, le=8, description="Vocabulary size K.")


@register(
    "ignore_index_padding",
    "ignore_index: padding that costs nothing",
    IgnoreIndexParams,
    rules=("log_softmax.vjp", "getitem.vjp", "losses.ignore_index"),
)
@quiet_floats
def ignore_index_padding(params: IgnoreIndexParams) -> Demo:
    """Run the demo: a padded batch of token targets through cross_entropy(ignore_index)."""
    rng = params.rng()
    S, T, K = params.sequences, params.length, params.classes
    lengths = rng.integers(1, T, size=S)  # at least one real token and one pad per sequence
    targets = rng.integers(0, K, size=(S, T))
    targets[np.arange(T)[None, :] >= lengths[:, None]] = PAD
    flat = targets.reshape(-1)
    real = flat != PAD
    z_data = np.round(rng.normal(0.0, 1.5, (S * T, K)), 2)

    z = Tensor(z_data, requires_grad=True)
    loss = L.cross_entropy(z, flat, ignore_index=PAD)
    loss.backward()
    assert z.grad is not None
    zr = Tensor(z_data[real], requires_grad=True)
    loss_real = L.cross_entropy(zr, flat[real])
    loss_real.backward()
    assert zr.grad is not None
    n_real = int(real.sum())
    p = softmax_rows(z_data[real])
    y = np.eye(K)[flat[real]]
    per_token = L.cross_entropy(Tensor(z_data), flat, ignore_index=PAD, reduction="none").data
    safe = np.where(real, flat, 0)
    per_token_reference = np.where(
        real, -np.log(softmax_rows(z_data)[np.arange(flat.size), safe]), 0
    )
    diluted = float(per_token.sum() / flat.size)  # the slip: masked sum over every position

    # Every target ignored (a batch of padding only): torch 2.13 returns NaN with a zero gradient.
    z_empty = Tensor(z_data[: min(3, flat.size)], requires_grad=True)
    loss_empty = L.cross_entropy(z_empty, np.full(z_empty.shape[0], PAD), ignore_index=PAD)
    loss_empty.backward()
    g_empty = z_empty.grad if z_empty.grad is not None else np.full(z_empty.shape, np.nan)
    empty_bad = int(np.count_nonzero(g_empty) + np.count_nonzero(np.isnan(g_empty)))
    checks = [
        Check.equal(
            "padded positions get exactly zero gradient (nonzero entries)",
            int(np.count_nonzero(z.grad[~real])),
            0,
        ),
        Check.at_most(
            "the loss equals cross-entropy over the real tokens alone",
            abs(float(loss.item()) - float(loss_real.item())),
            1e-12,
        ),
        Check.at_most(
            "real tokens get (P − Y)/N_real, N_real the count of real tokens",
            max_abs_difference(z.grad[real], (p - y) / n_real),
            1e-12,
        ),
        Check.at_most(
            "reduction='none' gives −log p_{i,y_i} at real tokens and exactly 0 at padding "
            "(NumPy reference; the slip of averaging these over all N positions is shown below)",
            max_abs_difference(per_token, per_token_reference),
            1e-12,
        ),
        Check.equal(
            "every target ignored: the loss is NaN (0/0), as torch's (1 when NaN)",
            float(np.isnan(float(loss_empty.item()))),
            1,
        ),
        Check.equal(
            "every target ignored: the gradient is exactly zero, no NaN "
            "(nonzero or NaN entries of ∂L/∂Z)",
            empty_bad,
            0,
        ),
        gradient_check(
            "analytic ∂L/∂Z equals central differences",
            lambda v: L.cross_entropy(v, flat, ignore_index=PAD),
            [z_data],
            ["∂L/∂Z"],
        ),
    ]
    steps = [
        Step(
            "targets (−100 = padding)",
            targets.astype(np.float64),
            note=f"{S}×{T}, flattened to {S * T}",
        ),
        Step("logits Z", z_data, r"Z \in \mathbb{R}^{(S\cdot T)\times K}"),
        Step("per-token loss (0 at padding)", per_token),
        Step(
            "loss (mean over real tokens)",
            float(loss.item()),
            r"\tfrac{1}{N_\text{real}}\sum_{i\,\text{real}} -\log p_{i,y_i}",
        ),
        Step("∂L/∂Z", z.grad, note="padded rows are zero"),
        Step("the slip: masked sum / all positions", diluted),
        Step(
            "every target ignored: loss", f"{float(loss_empty.item()):g}", note="0/0, as torch 2.13"
        ),
        Step("every target ignored: ∂L/∂Z", g_empty, note="exactly zero: the step changes nothing"),
    ]
    return Demo(
        name="ignore_index_padding",
        title="ignore_index: padding that costs nothing",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"{n_real} real tokens of {flat.size}: the loss {float(loss.item()):.4f} is their "
            "mean, padding rows get zero gradient; dividing by all "
            f"{flat.size} would give {diluted:.4f}. With every target ignored the loss is NaN "
            "but the gradient exactly zero."
        ),
    )

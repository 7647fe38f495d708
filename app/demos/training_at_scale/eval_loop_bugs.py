"""Card 15: an evaluation loop with two bugs: no model.eval(), and total_loss += loss.

In training mode dropout draws a new mask each call and batch norm uses the batch's own
statistics, so the same input scores differently from run to run and depends on its batch.
model.eval() makes dropout the identity and batch norm use its running statistics. Summing the
loss tensors keeps every batch's graph alive through total_loss: its saved activations grow with
the number of batches, where loss.item() (or torch.no_grad()) keeps none.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import relative_error
from app.engine import BatchNorm1d, Dropout, Linear, Module, Tensor, count, mse_loss
from app.engine.autograd import topological_order

MOMENTUM = 0.1
EPS = 1e-5


class Net(Module):
    """Linear → BatchNorm1d → ReLU → Dropout → Linear."""

    def __init__(self, d: int, p: float, seed: int) -> None:
        self.fc1 = Linear(d, 8, seed=seed)
        self.bn = BatchNorm1d(8, momentum=MOMENTUM, eps=EPS)
        self.drop = Dropout(p, seed=seed)
        self.fc2 = Linear(8, 1, seed=seed + 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.drop(self.bn(self.fc1(x)).relu()))


class EvalLoopBugsParams(DemoParams):
    batches: int = Field(default=4, ge=2, le=8, description="Evaluation batches.")
    batch: int = Field(default=8, ge=4, le=16, description="Examples per batch.")
    p: float = Field(default=0.5, ge=0.1, le=0.9, description="Dropout probability.")


@register(
    "eval_loop_bugs",
    "Evaluation bugs: train mode left on, and total_loss += loss",
    EvalLoopBugsParams,
    rules=("dropout.eval_identity", "batch_norm.running_stats"),
)
def eval_loop_bugs(params: EvalLoopBugsParams) -> Demo:
    """Run the demo: evaluate in train and eval mode, and accumulate the loss two ways."""
    rng = params.rng()
    d, k, b = 3, params.batches, params.batch
    net = Net(d, params.p, int(rng.integers(2**30)))
    train_x = [rng.standard_normal((b, d)) * 2 + 1 for _ in range(3)]
    for xb in train_x:  # three training-mode forwards update the running statistics
        net(Tensor(xb))
    xs = [rng.standard_normal((b, d)) for _ in range(k)]
    ys = [rng.standard_normal((b, 1)) for _ in range(k)]
    first, second = net(Tensor(xs[0])).data, net(Tensor(xs[0])).data  # still in train mode
    alone = net(Tensor(xs[0][:2])).data
    running_mean, running_var = np.zeros(8), np.ones(8)
    for xb in [*train_x, xs[0], xs[0], xs[0][:2]]:  # every train-mode forward, by hand
        z = xb @ net.fc1.weight.data.T + net.fc1.bias.data  # type: ignore[union-attr]
        running_mean = (1 - MOMENTUM) * running_mean + MOMENTUM * z.mean(axis=0)
        running_var = (1 - MOMENTUM) * running_var + MOMENTUM * z.var(axis=0, ddof=1)
    net.eval()
    e1, e2 = net(Tensor(xs[0])).data, net(Tensor(xs[0])).data
    e_alone = net(Tensor(xs[0][:2])).data
    z0 = xs[0] @ net.fc1.weight.data.T + net.fc1.bias.data  # type: ignore[union-attr]
    normed = (z0 - running_mean) / np.sqrt(running_var + EPS)
    reference = np.maximum(normed, 0) @ net.fc2.weight.data.T + net.fc2.bias.data  # type: ignore[union-attr]

    def reachable_bytes(total: object) -> int:
        return (
            0
            if not isinstance(total, Tensor)
            else sum(t.saved_bytes for t in topological_order(total))
        )

    leak: list[float] = []
    fixed: list[float] = []
    with count():
        total: object = 0.0
        for xb, yb in zip(xs, ys, strict=True):
            total = mse_loss(net(Tensor(xb)), yb) + total  # the bug: a tensor with history
            leak.append(reachable_bytes(total))
        clean = 0.0
        for xb, yb in zip(xs, ys, strict=True):
            clean += mse_loss(net(Tensor(xb)), yb).item()  # the fix: a Python float
            fixed.append(reachable_bytes(clean))
    per_batch = leak[0]
    checks = [
        Check.at_least(
            "train mode: the same batch scored twice differs (max |Δ|)",
            float(np.max(np.abs(first - second))),
            1e-6,
        ),
        Check.at_least(
            "…and an example's score depends on its batch (max |Δ|)",
            float(np.max(np.abs(first[:2] - alone))),
            1e-6,
        ),
        Check.at_most(
            "eval mode: dropout off, running statistics used: equals the forward by hand",
            relative_error(e1, reference),
            1e-12,
        ),
        Check.at_most(
            "…the same every time and whatever the batch (max |Δ|)",
            float(max(np.max(np.abs(e1 - e2)), np.max(np.abs(e1[:2] - e_alone)))),
            1e-12,
        ),
        Check.equal(
            f"total_loss += loss: graph bytes kept grow with the batches (after {k} ÷ after 1)",
            leak[-1] / per_batch if per_batch else 0.0,
            k,
        ),
        Check.equal("total += loss.item(): nothing kept (bytes)", float(fixed[-1]), 0.0),
    ]
    steps = [
        Step("train-mode scores, run 1", first[:, 0]),
        Step("train-mode scores, run 2", second[:, 0]),
        Step("eval-mode scores", e1[:, 0]),
        Step("running mean (by hand)", running_mean),
        Step("bytes kept by total_loss after each batch", np.array(leak)),
        Step("bytes kept with .item()", np.array(fixed)),
    ]
    chart = Chart(
        "Saved-activation bytes reachable from the running total",
        "batches evaluated",
        "bytes",
        [
            Series("total_loss += loss", list(range(1, k + 1)), leak),
            Series("total_loss += loss.item()", list(range(1, k + 1)), fixed),
        ],
        y_from_zero=True,
    )
    return Demo(
        name="eval_loop_bugs",
        title="Evaluation bugs: train mode left on, and total_loss += loss",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            "Left in train mode, dropout and batch statistics make the same batch score "
            f"differently (by up to {np.max(np.abs(first - second)):.3g}); eval() makes it "
            f"deterministic. Adding loss tensors keeps {leak[-1]} bytes of activations alive "
            f"after {k} batches ({per_batch} per batch); adding loss.item() keeps none."
        ),
    )

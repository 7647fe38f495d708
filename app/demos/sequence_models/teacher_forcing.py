"""Card 7: teacher forcing and exposure bias.

An autoregressive model ŷ_t = f(ŷ_{t−1}, u_t) is trained with teacher forcing: step t is fed the
ground truth y_{t−1}, so each step's error is one step's error and no gradient flows from a
step's loss into earlier predictions. At inference it is fed its own outputs, which it never saw
in training: a small per-step error then compounds. Here the model's bias is off by ε·v and the
dynamics W (eigenvalues of modulus about 0.8 to 0.95) keep every past error, so the free-running
error after T steps is about Σ_k W^k ε v, several times the teacher-forced error.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import EXACT, grad_of, orthogonal, relative_error
from app.engine import RNNCell, Tensor

DRIVE = 2  # size of the known input u_t


class TeacherForcingParams(DemoParams):
    steps: int = Field(default=15, ge=5, le=30, description="Sequence length T.")
    epsilon: float = Field(
        default=0.05, ge=0.01, le=0.1, description="Size of the model's bias error."
    )
    dim: int = Field(default=4, ge=2, le=6, description="Size of y.")


def _cell(w: np.ndarray, u: np.ndarray, bias_error: np.ndarray) -> RNNCell:
    cell = RNNCell(DRIVE, len(w), seed=0)
    cell.weight_hh = Tensor(w, requires_grad=True)
    cell.weight_ih = Tensor(u, requires_grad=True)
    cell.bias_ih = Tensor(np.zeros(len(w)), requires_grad=True)
    cell.bias_hh = Tensor(bias_error, requires_grad=True)
    return cell


@register(
    "teacher_forcing",
    "Teacher forcing versus free running: exposure bias",
    TeacherForcingParams,
    rules=("rnn_cell.forward",),
)
def teacher_forcing(params: TeacherForcingParams) -> Demo:
    """Run the demo: the same imperfect model fed the truth and fed its own outputs."""
    rng = params.rng()
    d, length, eps = params.dim, params.steps, params.epsilon
    q = orthogonal(rng, d)
    w = q @ np.diag(rng.uniform(0.8, 0.95, d)) @ q.T
    skew = rng.standard_normal((d, d))
    w = w + 0.05 * (skew - skew.T) / np.linalg.norm(skew - skew.T, 2)  # a slow rotation too
    u_w = 0.5 * rng.standard_normal((d, DRIVE))
    drive = 0.02 * rng.standard_normal((length, 1, DRIVE))
    v = rng.standard_normal((d,))
    v /= np.linalg.norm(v)
    # The data: NumPy, the true dynamics y_t = tanh(W y_{t−1} + U u_t).
    y = [0.3 * rng.standard_normal((1, d))]
    for u_t in drive:
        y.append(np.tanh(y[-1] @ w.T + u_t @ u_w.T))
    truth = _cell(w, u_w, np.zeros(d))
    model = _cell(w, u_w, eps * v)
    exact = [truth(Tensor(u_t), Tensor(y_prev)).data for u_t, y_prev in zip(drive, y, strict=False)]
    forced = [model(Tensor(u_t), Tensor(y_prev)) for u_t, y_prev in zip(drive, y, strict=False)]
    free, state = [], Tensor(y[0])
    for u_t in drive:
        state = model(Tensor(u_t), state)
        state.retain_grad()
        free.append(state)
    err_forced = [float(np.linalg.norm(p.data - t)) for p, t in zip(forced, y[1:], strict=True)]
    err_free = [float(np.linalg.norm(p.data - t)) for p, t in zip(free, y[1:], strict=True)]
    # Whose loss reaches the first prediction? L_T = ½‖ŷ_T − y_T‖².
    for preds in (forced, free):
        preds[0].retain_grad()
        ((preds[-1] - Tensor(y[-1])) ** 2).sum().backward()
    forced_reach = float(np.linalg.norm(grad_of(forced[0])))
    free_reach = float(np.linalg.norm(grad_of(free[0])))
    mean_forced = float(np.mean(err_forced)) or 1e-300  # 0 only when the model is exact
    checks = [
        Check.at_most(
            "with the true weights, the engine's teacher-forced steps reproduce the data "
            "(relative error)",
            relative_error(np.concatenate(exact), np.concatenate(y[1:])),
            EXACT,
        ),
        Check.at_most(
            "teacher forced, each step's error is at most one step's bias error ε (worst step / ε)",
            max(err_forced) / eps,
            1 + 1e-9,
        ),
        Check.at_least(
            "free running, the error at step T is at least twice the teacher-forced mean (ratio)",
            err_free[-1] / mean_forced,
            2.0,
        ),
        Check.equal(
            "teacher forced, the last step's loss sends no gradient to the first prediction "
            "(‖∂L_T/∂ŷ_1‖)",
            forced_reach,
            0.0,
        ),
        Check.at_least("free running, it does (‖∂L_T/∂ŷ_1‖)", free_reach, 1e-12),
    ]
    t_axis: list[float | int] = list(range(1, length + 1))
    chart = Chart(
        "Prediction error per step",
        "step t",
        "‖ŷ_t − y_t‖",
        [
            Series("teacher forced (fed y_{t−1})", t_axis, err_forced),
            Series("free running (fed ŷ_{t−1})", t_axis, err_free),
        ],
        y_from_zero=True,
    )
    steps = [
        Step("|eigenvalues of W|", np.sort(np.abs(np.linalg.eigvals(w)))),
        Step("‖ŷ_t − y_t‖, teacher forced", np.array(err_forced), r"\hat y_t = f(y_{t-1}, u_t)"),
        Step("‖ŷ_t − y_t‖, free running", np.array(err_free), r"\hat y_t = f(\hat y_{t-1}, u_t)"),
        Step("‖∂L_T/∂ŷ_1‖ (teacher forced, free running)", np.array([forced_reach, free_reach])),
    ]
    return Demo(
        name="teacher_forcing",
        title="Teacher forcing versus free running: exposure bias",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Fed the truth, the model is off by {mean_forced:.3g} per step; fed its own outputs, "
            f"it is off by {err_free[-1]:.3g} after {length} steps "
            f"({err_free[-1] / mean_forced:.1f}×)."
        ),
    )

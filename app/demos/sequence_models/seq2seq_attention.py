"""Card 9: sequence-to-sequence with attention.

The encoder's states h_1..h_S stay available; at each decoder step the state s scores them,
e_j = ⟨s, h_j⟩ (Luong's dot score), α = softmax(e), and reads the context c = Σ_j α_j h_j. The
gradient of ⟨g, c⟩ reaches every encoder state in one step:
∂/∂h_j = α_j g + α_j (⟨g, h_j⟩ − ⟨g, c⟩) s, instead of through S − j recurrent steps.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    grad_of,
    relative_error,
    rnn_reference,
    rnn_weights,
)
from app.engine import RNN, Tensor, softmax

INPUTS = 3


class AttentionParams(DemoParams):
    source: int = Field(default=6, ge=3, le=12, description="Source length S.")
    hidden: int = Field(default=4, ge=2, le=8, description="State size H.")


@register(
    "seq2seq_attention",
    "Seq2seq with attention: a direct path to every encoder state",
    AttentionParams,
    rules=("rnn_cell.forward", "softmax.vjp", "matmul.vjp"),
)
def seq2seq_attention(params: AttentionParams) -> Demo:
    """Run the demo: dot-product attention of one decoder state over an RNN encoder's states."""
    rng = params.rng()
    length, hid = params.source, params.hidden
    encoder = RNN(INPUTS, hid, seed=int(rng.integers(2**31)))
    x = rng.standard_normal((length, 1, INPUTS))
    states, _ = encoder(Tensor(x))
    enc = Tensor(states.data[:, 0], requires_grad=True)  # (S, H): the states attention reads
    s_data = 2 * rng.standard_normal(hid)
    s = Tensor(s_data, requires_grad=True)
    alpha = softmax(enc @ s, axis=0)  # (S,)
    context = alpha @ enc  # (H,)
    g = rng.standard_normal(hid)
    context.backward(gradient=g)
    h = rnn_reference(x, np.zeros((1, hid)), *rnn_weights(encoder))[:, 0]
    e = h @ s_data
    a = np.exp(e - e.max())
    a /= a.sum()
    c = a @ h
    d_h = a[:, None] * g + (a * (h @ g - c @ g))[:, None] * s_data
    d_s = (a * (h @ g - c @ g)) @ h
    checks = [
        Check.at_most(
            "the context equals Σ_j softmax(⟨s, h_j⟩)_j h_j over the encoder's states "
            "(relative error)",
            relative_error(context.data, c),
            EXACT,
        ),
        Check.at_most("the weights α sum to 1 (|Σα − 1|)", abs(float(alpha.data.sum()) - 1), 1e-12),
        Check.at_most(
            "∂⟨g, c⟩/∂h_j = α_j g + α_j(⟨g, h_j⟩ − ⟨g, c⟩) s for every j (relative error)",
            relative_error(grad_of(enc), d_h),
            EXACT,
        ),
        Check.at_most(
            "∂⟨g, c⟩/∂s = Σ_j α_j(⟨g, h_j⟩ − ⟨g, c⟩) h_j (relative error)",
            relative_error(grad_of(s), d_s),
            EXACT,
        ),
        Check.equal(
            "every encoder state gets a gradient directly, one step away (states reached)",
            float(np.count_nonzero(np.linalg.norm(grad_of(enc), axis=1))),
            length,
        ),
    ]
    j_axis: list[float | int] = list(range(1, length + 1))
    chart = Chart(
        "Attention weights over the source",
        "source step j",
        "α_j",
        [Series("α", j_axis, list(alpha.data))],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step("encoder states h_j (S × H)", h, r"H_{\text{enc}} \in \mathbb{R}^{S\times H}"),
        Step("scores e_j = ⟨s, h_j⟩", e),
        Step("α = softmax(e)", alpha.data, r"\alpha_j = \frac{e^{e_j}}{\sum_k e^{e_k}}"),
        Step("context c", context.data, r"c = \sum_j \alpha_j h_j"),
        Step("‖∂⟨g, c⟩/∂h_j‖", np.linalg.norm(grad_of(enc), axis=1)),
    ]
    return Demo(
        name="seq2seq_attention",
        title="Seq2seq with attention: a direct path to every encoder state",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"The decoder state put weight {alpha.data.max():.2f} on source step "
            f"{int(np.argmax(alpha.data)) + 1} of {length}, and the gradient reached all {length} "
            "encoder states in one step, by the formula α_j g + α_j(⟨g, h_j⟩ − ⟨g, c⟩) s."
        ),
    )

"""Card 14: weight tying between the input embedding and the output layer.

A language model with a tied table E (V × d) embeds tokens with E[idx] and scores the vocabulary
with logits = h Eᵀ. E is used twice, so its gradient is the sum of both uses: the lookup's
sparse one_hot(idx)ᵀ ∂L/∂e and the output layer's dense Gᵀ h, G = ∂L/∂logits. Tying saves
V·d parameters; it does not average or alternate the two gradients.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.sequence_models.common import EXACT, directional_check, grad_of, relative_error
from app.engine import Tensor, cross_entropy, embedding, linear


class TyingParams(DemoParams):
    vocab: int = Field(default=12, ge=5, le=40, description="Vocabulary size V.")
    dim: int = Field(default=4, ge=2, le=8, description="Embedding size d.")
    tokens: int = Field(default=8, ge=3, le=20, description="Positions in the batch.")


def _model(ids: np.ndarray, e_in: Tensor, w: Tensor, e_out: Tensor, targets: np.ndarray) -> tuple:
    """Embed, one tanh layer, scores against the output table; mean cross-entropy."""
    emb = embedding(ids, e_in)
    h = linear(emb, w).tanh()
    logits = linear(h, e_out)  # h Eᵀ: the table as the output layer's weight (V × d)
    return cross_entropy(logits, targets), emb, h, logits


@register(
    "weight_tying",
    "Tied input and output embeddings: the two gradients add",
    TyingParams,
    rules=("autograd.fan_out", "embedding.vjp", "linear.vjp"),
)
def weight_tying(params: TyingParams) -> Demo:
    """Run the demo: the tied table's gradient against the two untied copies' gradients."""
    rng = params.rng()
    vocab, d, n = params.vocab, params.dim, params.tokens
    table = rng.standard_normal((vocab, d))
    w_data = rng.standard_normal((d, d)) / np.sqrt(d)
    ids = rng.integers(0, vocab, n)
    ids[1] = ids[0]  # one token used twice
    targets = rng.integers(0, vocab, n)
    tied = Tensor(table, requires_grad=True)
    w = Tensor(w_data)
    loss, emb, h, logits = _model(ids, tied, w, tied, targets)
    emb.retain_grad()
    logits.retain_grad()
    loss.backward()
    e_in, e_out = Tensor(table.copy(), requires_grad=True), Tensor(table.copy(), requires_grad=True)
    _model(ids, e_in, w, e_out, targets)[0].backward()
    d_in, d_out, d_tied = grad_of(e_in), grad_of(e_out), grad_of(tied)
    # NumPy: the two uses' gradients from the engine's ∂L/∂e and ∂L/∂logits.
    p = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g_logits = (p - np.eye(vocab)[targets]) / n
    lookup = np.zeros((vocab, d))
    np.add.at(lookup, ids, grad_of(emb))
    checks = [
        Check.at_most(
            "tied ∂L/∂E equals the sum of the untied copies' gradients (relative error)",
            relative_error(d_tied, d_in + d_out),
            EXACT,
        ),
        Check.at_most(
            "the output layer's part is Gᵀ h with G = (softmax − one_hot)/n (relative error)",
            relative_error(d_out, g_logits.T @ h.data),
            EXACT,
        ),
        Check.at_most(
            "the lookup's part is one_hot(idx)ᵀ ∂L/∂e (relative error)",
            relative_error(d_in, lookup),
            EXACT,
        ),
        Check.equal(
            "the output part is dense: every one of the V rows has a gradient",
            float(np.count_nonzero(np.abs(d_out).sum(axis=1))),
            vocab,
        ),
        Check.equal(
            "the lookup part is sparse: only the rows of the tokens used",
            float(np.count_nonzero(np.abs(d_in).sum(axis=1))),
            len(set(ids.tolist())),
        ),
        directional_check(
            "tied ∂L/∂E matches central differences of the tied loss",
            lambda e: _model(ids, e, w, e, targets)[0],
            [table],
            [d_tied],
            rng,
        ),
    ]
    steps = [
        Step("ids", ids.astype(float)),
        Step(
            "‖∂L/∂E_v‖, lookup part",
            np.linalg.norm(d_in, axis=1),
            r"\text{one\_hot}(\text{idx})^\top \frac{\partial L}{\partial e}",
        ),
        Step("‖∂L/∂E_v‖, output part", np.linalg.norm(d_out, axis=1), r"G^\top h"),
        Step("‖∂L/∂E_v‖, tied (engine)", np.linalg.norm(d_tied, axis=1), r"\text{sum of both}"),
        Step("parameters saved by tying", vocab * d, r"V\,d"),
    ]
    return Demo(
        name="weight_tying",
        title="Tied input and output embeddings: the two gradients add",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"The tied table's gradient is the lookup's (rows of {len(set(ids.tolist()))} tokens) "
            f"plus the output layer's (all {vocab} rows); tying saves {vocab * d} parameters."
        ),
    )

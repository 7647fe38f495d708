"""Card 11: an embedding's gradient is sparse.

A lookup E[idx] (E of V × d) is the product one_hot(idx) E, so ∂L/∂E = one_hot(idx)ᵀ G: row v
gets the sum of the upstream rows g_p over every position p with idx_p = v, a token used twice
gets both, and rows no position used get exactly zero. The padding_idx row gets no gradient at
all. That is why torch.nn.Embedding offers sparse=True: only the used rows need storing.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import EXACT, grad_of, relative_error
from app.engine import Embedding

PAD = 0


class EmbeddingParams(DemoParams):
    vocab: int = Field(default=10, ge=6, le=50, description="Vocabulary size V.")
    dim: int = Field(default=4, ge=2, le=8, description="Embedding size d.")
    tokens: int = Field(default=12, ge=4, le=30, description="Positions in the batch.")


def draw_tokens(rng: np.random.Generator, vocab: int, count: int) -> np.ndarray:
    """Token ids with at least one padding position and one real token used twice."""
    ids = rng.integers(1, vocab, count)
    ids[-1] = PAD
    ids[1] = ids[0]
    return rng.permutation(ids)


@register(
    "embedding_gradient",
    "An embedding's gradient: sparse rows, repeats added, padding skipped",
    EmbeddingParams,
    rules=("embedding.vjp", "embedding.padding_idx"),
)
def embedding_gradient(params: EmbeddingParams) -> Demo:
    """Run the demo: the engine's ∂L/∂E for one batch of ids against one_hot(idx)ᵀ G."""
    rng = params.rng()
    vocab, d = params.vocab, params.dim
    table = Embedding(vocab, d, padding_idx=PAD, seed=int(rng.integers(2**31)))
    ids = draw_tokens(rng, vocab, params.tokens)
    out = table(ids)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    grad = grad_of(table.weight)
    one_hot = np.eye(vocab)[ids]
    one_hot[:, PAD] = 0.0  # padding positions contribute nothing
    expected = one_hot.T @ g
    used = set(int(v) for v in ids) - {PAD}
    nonzero = np.flatnonzero(np.abs(grad).sum(axis=1))
    counts = np.bincount(ids, minlength=vocab)
    repeated = int(np.argmax(np.where(np.arange(vocab) == PAD, 0, counts)))
    checks = [
        Check.at_most(
            "∂L/∂E = one_hot(idx)ᵀ G, padding positions left out (relative error)",
            relative_error(grad, expected),
            EXACT,
        ),
        Check.at_most(
            f"token {repeated}, used {counts[repeated]} times, gets the sum of its rows of G "
            "(relative error)",
            relative_error(grad[repeated], g[ids == repeated].sum(axis=0)),
            EXACT,
        ),
        Check.equal(
            "exactly the rows of the tokens used have a gradient (rows with one)",
            len(nonzero),
            len(used),
        ),
        Check.equal(
            f"the padding row {PAD} gets no gradient (max |∂L/∂E_pad|)",
            float(np.max(np.abs(grad[PAD]))),
            0.0,
        ),
        Check.equal(
            "the padding positions read the padding row's value, zeros (max |out_pad|)",
            float(np.max(np.abs(out.data[ids == PAD]))),
            0.0,
        ),
    ]
    rows: list[float | int] = list(range(vocab))
    chart = Chart(
        "Gradient per row of the embedding table",
        "token id v",
        "‖∂L/∂E_v‖",
        [Series("engine", rows, list(np.linalg.norm(grad, axis=1)))],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step("ids", ids.astype(float), note=f"{PAD} is padding_idx"),
        Step("times each id is used", counts.astype(float)),
        Step(
            "‖∂L/∂E_v‖ per row (engine)",
            np.linalg.norm(grad, axis=1),
            r"\frac{\partial L}{\partial E} = \text{one\_hot}(\text{idx})^\top G",
        ),
        Step("share of rows with a gradient", len(used) / vocab),
    ]
    return Demo(
        name="embedding_gradient",
        title="An embedding's gradient: sparse rows, repeats added, padding skipped",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"{params.tokens} positions touched {len(used)} of {vocab} rows; the other "
            f"{vocab - len(used)} rows (padding included) have an exactly zero gradient, and token "
            f"{repeated} got the sum of its {counts[repeated]} uses."
        ),
    )

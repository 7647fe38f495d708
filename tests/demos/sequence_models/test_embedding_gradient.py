"""embedding_gradient: sparse rows, repeats added, padding skipped; checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.sequence_models.embedding_gradient import PAD, draw_tokens
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("embedding_gradient")


def test_every_draw_pads_and_repeats() -> None:
    for seed in range(30):
        ids = draw_tokens(np.random.default_rng(seed), 10, 4)
        counts = np.bincount(ids, minlength=10)
        assert counts[PAD] >= 1 and counts[1:].max() >= 2


def test_overwriting_repeats_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch,
        "embedding_gradient",
        "embedding.vjp:a row looked up twice keeps one gradient (overwrite, not add)",
    )
    assert fails(demo, "∂L/∂E = one_hot(idx)ᵀ G", "token ")


def test_a_padding_row_with_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch,
        "embedding_gradient",
        "embedding.padding_idx:the padding row gets a gradient like any other",
    )
    assert fails(demo, "the padding row", "exactly the rows")

"""Card 7: rotary position embeddings make q·k depend on the offset m − n only.

apply_rotary turns each feature pair by an angle proportional to the position. Rotations keep
norms, and R(mθ)ᵀR(nθ) = R((n − m)θ), so the score of a query at m and a key at n is a function
of n − m: the score matrix is constant along its diagonals, and shifting every position by c
changes nothing. Adding an absolute sinusoidal encoding instead gives no such property.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, relative_error
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import attention as engine_attention
from app.engine import sinusoidal_position_encoding

BASE = 10000.0


class RopeParams(DemoParams):
    length: int = Field(default=8, ge=4, le=16, description="Positions L.")
    dim: int = Field(default=8, ge=4, le=16, multiple_of=2, description="Head size D (even).")
    shift: int = Field(default=37, ge=1, le=500, description="Offset c added to every position.")


def reference_rotary(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Half-split RoPE by its definition: pair (j, j + D/2) turned by p·base^(−2j/D)."""
    d = x.shape[-1]
    half = d // 2
    theta = positions[:, None] * BASE ** (-2.0 * np.arange(half) / d)
    x1, x2 = x[..., :half], x[..., half:]
    cos, sin = np.cos(theta), np.sin(theta)
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def rotate(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The engine's RoPE (looked up on the module, where the mutation suite can reach it)."""
    return engine_attention.apply_rotary(x, positions, base=BASE).data


def diagonal_spread(scores: np.ndarray) -> float:
    """How far the score matrix is from constant along each diagonal (relative)."""
    worst = 0.0
    n = scores.shape[0]
    for offset in range(-n + 1, n):
        diagonal = np.diagonal(scores, offset)
        worst = max(worst, float(np.ptp(diagonal)))
    return worst / (float(np.max(np.abs(scores))) or 1.0)


@register(
    "rope_relative",
    "RoPE: scores that depend on the offset only",
    RopeParams,
    rules=("rotary.rotation",),
)
def rope_relative(params: RopeParams) -> Demo:
    """Run the demo: rotate one query and one key to every position and compare scores."""
    rng = params.rng()
    length, d, c = params.length, params.dim, params.shift
    positions = np.arange(length, dtype=np.float64)
    q, k = rng.standard_normal(d), rng.standard_normal(d)
    q_at = rotate(np.tile(q, (length, 1)), positions)  # the same query at positions 0..L-1
    k_at = rotate(np.tile(k, (length, 1)), positions)
    scores = q_at @ k_at.T  # scores[m, n] = R_m q · R_n k
    shifted = (
        rotate(np.tile(q, (length, 1)), positions + c)
        @ rotate(np.tile(k, (length, 1)), positions + c).T
    )
    x = rng.standard_normal((length, d))
    pe = sinusoidal_position_encoding(length, d)
    absolute = (q + pe) @ (k + pe).T
    checks = [
        Check.at_most(
            "the engine's RoPE equals the pairwise rotation by p·base^(−2j/D) (relative error)",
            relative_error(rotate(x, positions), reference_rotary(x, positions)),
            EXACT,
        ),
        Check.at_most(
            "rotation keeps each vector's norm (relative error)",
            relative_error(
                np.linalg.norm(rotate(x, positions), axis=-1), np.linalg.norm(x, axis=-1)
            ),
            EXACT,
        ),
        Check.at_most(
            "R_m q · R_n k is constant along each diagonal m − n (relative spread)",
            diagonal_spread(scores),
            1e-12,
        ),
        Check.at_most(
            f"shifting every position by {c} leaves every score unchanged (relative error)",
            relative_error(shifted, scores),
            1e-11,
        ),
        Check.at_least(
            "absolute sinusoidal encodings added instead: scores vary along the diagonals",
            diagonal_spread(absolute),
            1e-2,
        ),
    ]
    steps = [
        Step("q", q),
        Step("k", k),
        Step("scores R_m q · R_n k", scores, r"S_{mn} = f(n - m)"),
        Step(f"scores with every position + {c}", shifted),
        Step("scores (q + PE_m)·(k + PE_n)", absolute, note="not constant along diagonals"),
        Step("rotation angles of pair j at position 1", BASE ** (-2.0 * np.arange(d // 2) / d)),
    ]
    return Demo(
        name="rope_relative",
        title="RoPE: scores that depend on the offset only",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Rotating one query and one key to each of {length} positions gave a score matrix "
            f"that is constant along its diagonals, and shifting all positions by {c} changed no "
            "score: with RoPE attention sees only the offset m − n. Adding absolute encodings "
            "gave scores that depend on where the pair sits."
        ),
    )

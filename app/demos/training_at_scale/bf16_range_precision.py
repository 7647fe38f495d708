"""Card 3: bfloat16 has float32's range and about 3 significant digits; float16 the reverse.

bfloat16 = 1 sign, 8 exponent, 7 mantissa bits: unit roundoff 2⁻⁸, largest value ≈ 3.39e38.
float16 = 1, 5, 10: unit roundoff 2⁻¹¹, largest 65504, smallest subnormal 2⁻²⁴. The demo rounds
values with the engine's bfloat16 (nearest, ties to even) and NumPy's float16.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor
from app.engine import dtypes as dt


class Bf16RangePrecisionParams(DemoParams):
    samples: int = Field(default=256, ge=64, le=1024, description="Random values rounded.")
    updates: int = Field(default=64, ge=8, le=256, description="Small updates added to 1.0.")


def bf16(values: np.ndarray | float) -> np.ndarray:
    """The engine's bfloat16 of each value (through to_dtype, as a model would cast)."""
    return dt.to_dtype(Tensor(np.asarray(values, dtype=np.float32)), dt.BFLOAT16).data


def epsilon(cast: object) -> float:
    """The gap from 1 to the next value: 2⁻ᵏ for the largest k with cast(1 + 2⁻ᵏ) > 1."""
    k = 1
    while float(cast(1.0 + 2.0 ** -(k + 1))) > 1.0:  # type: ignore[operator]
        k += 1
    return 2.0**-k


@register(
    "bf16_range_precision",
    "bfloat16 vs float16: range against precision",
    Bf16RangePrecisionParams,
    rules=("dtypes.bfloat16_round",),
)
def bf16_range_precision(params: Bf16RangePrecisionParams) -> Demo:
    """Run the demo: round values to bfloat16 and float16, measure precision and range."""
    rng = params.rng()
    values = rng.uniform(1.0, 2.0, params.samples) * 2.0 ** rng.integers(-20, 20, params.samples)
    values = values.astype(np.float32)
    rounded = bf16(values).astype(np.float64)
    rel = np.abs(rounded - values) / np.abs(values)
    eps_bf16 = epsilon(lambda v: bf16(v).item())
    eps_fp16 = epsilon(np.float16)
    ties = bf16(np.array([1 + 2**-8, 1 + 3 * 2**-8], dtype=np.float32)).astype(np.float64)
    with np.errstate(over="ignore"):
        big16 = float(np.float16(np.float32(3e38)))
    big_bf = float(bf16(3e38).item())
    small_bf = float(bf16(1e-30).item())
    weight = np.float32(1.0)
    step = np.float32(2.0**-10)  # an update below half of bfloat16's gap at 1
    for _ in range(params.updates):
        weight = np.float32(bf16(np.asarray(weight + step)).item())
    master = np.float32(1.0) + np.float32(params.updates) * step
    checks = [
        Check.equal(
            "bfloat16: the gap from 1 to the next value is 2⁻⁷ (7 mantissa bits)", eps_bf16, 2.0**-7
        ),
        Check.equal("float16: the gap is 2⁻¹⁰ (10 mantissa bits)", eps_fp16, 2.0**-10),
        Check.at_most(
            "round to nearest: every bfloat16 relative error ≤ 2⁻⁸ (half the gap)",
            float(rel.max()),
            2.0**-8,
        ),
        Check.at_most(
            "ties to even: 1 + 2⁻⁸ → 1 and 1 + 3·2⁻⁸ → 1 + 2⁻⁶ (largest miss)",
            float(np.max(np.abs(ties - np.array([1.0, 1 + 2**-6])))),
            0.0,
        ),
        Check.between(
            "range: 3e38 stays finite in bfloat16 (its value / 3e38)",
            big_bf / 3e38,
            1 - 2**-8,
            1 + 2**-8,
        ),
        Check.equal("…and overflows float16 (max 65504) to inf", float(np.isinf(big16)), 1.0),
        Check.between(
            "1e-30 survives in bfloat16 (its value / 1e-30)", small_bf / 1e-30, 1 - 2**-8, 1 + 2**-8
        ),
        Check.equal("…and flushes to 0 in float16", float(np.float16(1e-30)), 0.0),
        Check.equal(
            f"{params.updates} updates of 2⁻¹⁰ to a bfloat16 weight of 1.0 are all lost",
            float(weight),
            1.0,
        ),
    ]
    steps = [
        Step("values (first 4)", values[:4]),
        Step("bfloat16 of them", rounded[:4]),
        Step("largest relative rounding error", float(rel.max()), r"\le 2^{-8}"),
        Step("bfloat16 gap at 1", eps_bf16, r"2^{-7}"),
        Step("float16 gap at 1", eps_fp16, r"2^{-10}"),
        Step("bfloat16(3e38)", big_bf),
        Step("float16(3e38)", big16),
        Step("weight after updates, bfloat16", float(weight)),
        Step("weight after updates, float32 master", float(master)),
    ]
    chart = Chart(
        "Relative rounding error of bfloat16 (sorted)",
        "value rank",
        "relative error",
        [Series("bfloat16", list(range(rel.size)), np.sort(rel).tolist())],
        y_from_zero=True,
    )
    return Demo(
        name="bf16_range_precision",
        title="bfloat16 vs float16: range against precision",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"bfloat16 rounds with relative error up to {rel.max():.2e} (≤ 2⁻⁸) but keeps 3e38 "
            "and 1e-30 that float16 turns into inf and 0. With a gap of 2⁻⁷ at 1, "
            f"{params.updates} updates of 2⁻¹⁰ leave a bfloat16 weight at 1.0, while a float32 "
            f"master reaches {master:g}."
        ),
    )

"""The cnn deck's exercise kinds: each registers on import.

conv_output_shape: the output side of two stacked convolutions (padding, stride, dilation).
conv1d_gradients: dW, dX and db of a tiny 1-D convolution, by hand.
maxpool_routing: where a 2×2 max pool sends its gradient, ties included.
receptive_field_size: the receptive field after each of three layers.
transposed_conv_1d: the output length and values of a stride-2 transposed convolution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, conv1d, conv2d, conv_transpose2d, max_pool2d
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register
from app.exercises.text import number

# --- conv_output_shape -----------------------------------------------------------------------

LAYER_KEYS = ("k", "s", "p", "d")


def _layers(v: Mapping[str, Any]) -> tuple[int, list[tuple[int, int, int, int]]]:
    h = int(v["H"])
    layers = [tuple(int(v[f"{key}{i}"]) for key in LAYER_KEYS) for i in (1, 2)]
    return h, layers  # type: ignore[return-value]


def _sizes(v: Mapping[str, Any], side: Any) -> dict[str, float]:
    """h1, h2 under a per-layer size rule side(h, k, s, p, d)."""
    h, layers = _layers(v)
    out = {}
    for i, (k, s, p, d) in enumerate(layers, start=1):
        h = side(h, k, s, p, d)
        out[f"h{i}"] = float(h)
    return out


SHAPE_MISTAKES = (
    Mistake(
        "dilation_ignored",
        "used the kernel size k as the window's span instead of d(k − 1) + 1",
        lambda v: _sizes(v, lambda h, k, s, p, d: (h + 2 * p - k) // s + 1),
    ),
    Mistake(
        "padding_once",
        "added the padding once (H + p) instead of on both sides (H + 2p)",
        lambda v: _sizes(v, lambda h, k, s, p, d: (h + p - d * (k - 1) - 1) // s + 1),
    ),
    Mistake(
        "ceil_not_floor",
        "rounded up: a partial window at the edge does not count in PyTorch",
        lambda v: _sizes(v, lambda h, k, s, p, d: -(-(h + 2 * p - d * (k - 1) - 1) // s) + 1),
    ),
    Mistake(
        "plus_one_forgotten",
        "counted the strides between windows, not the windows: the + 1 forgotten",
        lambda v: _sizes(v, lambda h, k, s, p, d: (h + 2 * p - d * (k - 1) - 1) // s),
    ),
)


@register(
    "conv_output_shape",
    "Output size of two stacked convolutions",
    "H_out of two conv layers with padding, stride and dilation, PyTorch's floor formula.",
    SHAPE_MISTAKES,
)
def conv_output_shape(rng: np.random.Generator, seed: int) -> Exercise:
    """An H×H input through two conv layers, each with its own k, s, p, d."""
    while True:  # both windows must fit: the dilated span at most the padded input
        h = int(rng.integers(12, 33))
        # Layer 1 strided, padded and dilated, so each classic slip shows in H_1 already.
        layers = [
            (
                int(rng.choice([3, 5])),
                2,
                int(rng.integers(1, 3)),
                int(rng.integers(2, 4)),
            ),
            (
                int(rng.choice([2, 3, 5])),
                int(rng.integers(1, 3)),
                int(rng.integers(0, 3)),
                int(rng.integers(1, 3)),
            ),
        ]
        side = h
        for k, s, p, d in layers:
            side = (
                (side + 2 * p - d * (k - 1) - 1) // s + 1 if side + 2 * p >= d * (k - 1) + 1 else 0
            )
        if side >= 2:
            break
    x = np.zeros((1, 1, h, h))
    sides, steps = [], []
    for i, (k, s, p, d) in enumerate(layers, start=1):
        x = conv2d(Tensor(x), Tensor(np.zeros((1, 1, k, k))), stride=s, padding=p, dilation=d).data
        sides.append(float(x.shape[-1]))
        steps.append(
            Step(
                f"layer {i}: k = {k}, s = {s}, p = {p}, d = {d}",
                sides[-1],
                r"\left\lfloor \frac{H + 2p - d(k-1) - 1}{s} \right\rfloor + 1",
            )
        )
    rows = "; ".join(
        f"layer {i}: $k = {k}$, $s = {s}$, $p = {p}$, $d = {d}$"
        for i, (k, s, p, d) in enumerate(layers, start=1)
    )
    prompt = (
        f"A {h}×{h} input goes through two `nn.Conv2d` layers in turn ({rows}; $p$ is zero "
        "padding on each side, $d$ the dilation). Give the output side $H_1$ after layer 1 and "
        "$H_2$ after layer 2, as PyTorch computes them."
    )
    given = [Given("H", "H", np.asarray(float(h)))]
    for i, layer in enumerate(layers, start=1):
        given += [
            Given(f"{key}{i}", f"{key}_{i}", np.asarray(float(value)))
            for key, value in zip(LAYER_KEYS, layer, strict=True)
        ]
    return Exercise(
        kind="conv_output_shape",
        seed=seed,
        title="Output size of two stacked convolutions",
        prompt=prompt,
        given=tuple(given),
        fields=(AnswerField("h1", "H_1", ()), AnswerField("h2", "H_2", ())),
        solution={"h1": np.asarray(sides[0]), "h2": np.asarray(sides[1])},
        steps=tuple(steps),
    )


# --- conv1d_gradients ------------------------------------------------------------------------


def _xwg(v: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.asarray(v["x"], float), np.asarray(v["w"], float), np.asarray(v["g"], float))


def _dx_unflipped(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """dx[t] = Σ_i g[i]·w[k − 1 − (t − i)]: the kernel used unrotated in the full convolution."""
    x, w, g = _xwg(v)
    dx = np.zeros_like(x)
    k = len(w)
    for i, gi in enumerate(g):
        dx[i : i + k] += gi * w[::-1]
    return {"dx": dx}


CONV1D_MISTAKES = (
    Mistake("dx_kernel_not_flipped", "spread g back with the kernel unrotated", _dx_unflipped),
    Mistake(
        "dw_one_position",
        "took dW from the first output position only (weight sharing forgotten)",
        lambda v: {"dw": _xwg(v)[2][0] * _xwg(v)[0][: len(_xwg(v)[1])]},
    ),
    Mistake(
        "dw_mean_positions",
        "averaged dW over the output positions instead of summing",
        lambda v: {"dw": np.correlate(_xwg(v)[0], _xwg(v)[2], mode="valid") / len(_xwg(v)[2])},
    ),
    Mistake(
        "dw_kernel_order",
        "wrote dW back to front (a convolution with g instead of a correlation)",
        lambda v: {"dw": np.correlate(_xwg(v)[0], _xwg(v)[2], mode="valid")[::-1]},
    ),
    Mistake(
        "db_mean",
        "took db as the mean of g, not its sum",
        lambda v: {"db": float(_xwg(v)[2].mean())},
    ),
)


@register(
    "conv1d_gradients",
    "Backward through a 1-D convolution",
    "dW, dX and db of a length-5 input and a 3-tap kernel (stride 1, no padding).",
    CONV1D_MISTAKES,
)
def conv1d_gradients(rng: np.random.Generator, seed: int) -> Exercise:
    """y = conv1d(x, w) + b (cross-correlation, as PyTorch): x of 5, w of 3, y and g of 3."""
    x = rng.integers(-3, 4, 5).astype(np.float64)
    w = rng.choice([-2.0, -1.0, 1.0, 2.0], 3)
    g = rng.choice([-2.0, -1.0, 1.0, 2.0], 3)
    xt = Tensor(x.reshape(1, 1, 5), requires_grad=True)
    wt = Tensor(w.reshape(1, 1, 3), requires_grad=True)
    bt = Tensor(np.zeros(1), requires_grad=True)
    y = conv1d(xt, wt, bt)
    y.backward(gradient=g.reshape(1, 1, 3))
    assert xt.grad is not None and wt.grad is not None and bt.grad is not None
    dx, dw, db = xt.grad.reshape(5), wt.grad.reshape(3), float(bt.grad[0])

    def vec(a: np.ndarray) -> str:
        return "(" + ", ".join(number(v) for v in a) + ")"

    prompt = (
        f"A 1-D convolution layer (PyTorch's `conv1d`: a cross-correlation, stride 1, no padding) "
        f"computes $y_i = b + \\sum_{{a=0}}^{{2}} w_a x_{{i+a}}$ with $x = {vec(x)}$ and "
        f"$w = {vec(w)}$, so $y$ has 3 entries. The upstream gradient is "
        f"$g = \\partial L/\\partial y = {vec(g)}$. Give $\\partial L/\\partial w$ (3 numbers), "
        "$\\partial L/\\partial x$ (5 numbers) and $\\partial L/\\partial b$."
    )
    steps = (
        Step("y", y.data.reshape(3), r"y_i = b + \sum_a w_a x_{i+a}"),
        Step("dW: correlate x with g", dw, r"\frac{\partial L}{\partial w_a} = \sum_i g_i x_{i+a}"),
        Step(
            "dX: full convolution of g with w",
            dx,
            r"\frac{\partial L}{\partial x_t} = \sum_i g_i w_{t-i}",
        ),
        Step("db", db, r"\frac{\partial L}{\partial b} = \sum_i g_i"),
    )
    return Exercise(
        kind="conv1d_gradients",
        seed=seed,
        title="Backward through a 1-D convolution",
        prompt=prompt,
        given=(Given("x", "x", x), Given("w", "w", w), Given("g", "g", g)),
        fields=(
            AnswerField("dw", r"\partial L/\partial w", (3,)),
            AnswerField("dx", r"\partial L/\partial x", (5,)),
            AnswerField("db", r"\partial L/\partial b", ()),
        ),
        solution={"dw": dw, "dx": dx, "db": np.asarray(db)},
        steps=steps,
    )


# --- maxpool_routing -------------------------------------------------------------------------


def _windows(x: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    return [(i, j, x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]) for i in range(2) for j in range(2)]


def _route(v: Mapping[str, Any], pick: str) -> dict[str, np.ndarray]:
    x, g = np.asarray(v["X"], float), np.asarray(v["G"], float)
    dx = np.zeros_like(x)
    for i, j, window in _windows(x):
        block = dx[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        hits = window == window.max()
        if pick == "spread":
            block += g[i, j] / 4
        elif pick == "every":
            block += g[i, j] * hits
        else:  # the last maximum in row-major order
            p, q = divmod(int(np.flatnonzero(hits.reshape(-1))[-1]), 2)
            block[p, q] += g[i, j]
    return {"dX": dx}


POOL_MISTAKES = (
    Mistake(
        "spread_evenly",
        "spread each gradient evenly, g/4 per cell (average pooling)",
        lambda v: _route(v, "spread"),
    ),
    Mistake(
        "every_tie", "gave the whole gradient to every tied maximum", lambda v: _route(v, "every")
    ),
    Mistake(
        "last_tie",
        "broke ties towards the last maximum instead of the first",
        lambda v: _route(v, "last"),
    ),
)


@register(
    "maxpool_routing",
    "Max-pool backward",
    "Where a 2×2, stride-2 max pool sends its gradient on a 4×4 input, ties included.",
    POOL_MISTAKES,
)
def maxpool_routing(rng: np.random.Generator, seed: int) -> Exercise:
    """A 4×4 input with tied maxima in some windows, and a 2×2 upstream gradient."""
    x = rng.integers(0, 6, (4, 4)).astype(np.float64)
    # Plant a tie in one window: two cells equal to the window's maximum.
    i, j = (int(v) for v in rng.integers(0, 2, 2))
    cells = rng.choice(4, 2, replace=False)
    block = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
    top = float(block.max())
    for c in cells:
        block[divmod(int(c), 2)] = top
    g = rng.integers(1, 6, (2, 2)).astype(np.float64)
    xt = Tensor(x.reshape(1, 1, 4, 4), requires_grad=True)
    y = max_pool2d(xt, 2)
    y.backward(gradient=g.reshape(1, 1, 2, 2))
    assert xt.grad is not None
    dx = xt.grad.reshape(4, 4)
    rows = r" \\ ".join(" & ".join(number(a) for a in row) for row in x)
    grows = r" \\ ".join(" & ".join(number(a) for a in row) for row in g)
    prompt = (
        "A `max_pool2d` with a 2×2 window and stride 2 (PyTorch, CPU) sees "
        f"$X = \\begin{{pmatrix}} {rows} \\end{{pmatrix}}$ and receives "
        f"$G = \\partial L/\\partial Y = \\begin{{pmatrix}} {grows} \\end{{pmatrix}}$. "
        "Give $\\partial L/\\partial X$ (4×4). Where a window's maximum is tied, PyTorch's CPU "
        "kernel keeps the first one in row-major order."
    )
    steps = (
        Step("Y = max_pool2d(X)", y.data.reshape(2, 2)),
        Step("∂L/∂X", dx, note="each G entry at its window's first maximum, zeros elsewhere"),
    )
    return Exercise(
        kind="maxpool_routing",
        seed=seed,
        title="Max-pool backward",
        prompt=prompt,
        given=(Given("X", "X", x), Given("G", "G", g)),
        fields=(AnswerField("dX", r"\partial L/\partial X", (4, 4)),),
        solution={"dX": dx},
        steps=steps,
    )


# --- receptive_field_size --------------------------------------------------------------------


def _stack(v: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    return [(int(v[f"k{i}"]), int(v[f"s{i}"]), int(v[f"d{i}"])) for i in (1, 2, 3)]


def _fields(v: Mapping[str, Any], grow: Any, names: tuple[str, ...]) -> dict[str, float]:
    r, jump, out = 1, 1, {}
    for i, (k, s, d) in enumerate(_stack(v), start=1):
        r, jump = grow(r, jump, k, s, d)
        out[f"r{i}"] = float(r)
    return {name: out[name] for name in names}


RF_MISTAKES = (
    Mistake(
        "strides_ignored",
        "added (k − 1)·d per layer without multiplying by the earlier strides",
        lambda v: _fields(v, lambda r, j, k, s, d: (r + (k - 1) * d, 1), ("r2", "r3")),
    ),
    Mistake(
        "dilation_ignored",
        "treated the dilated layer as undilated",
        lambda v: _fields(v, lambda r, j, k, s, d: (r + (k - 1) * j, j * s), ("r3",)),
    ),
    Mistake(
        "own_stride_included",
        "multiplied a layer's reach by its own stride as well as the earlier ones",
        lambda v: _fields(
            v, lambda r, j, k, s, d: (r + (k - 1) * d * j * s, j * s), ("r1", "r2", "r3")
        ),
    ),
    Mistake(
        "kernels_summed",
        "added the kernel sizes: r = Σ k",
        lambda v: _fields(v, lambda r, j, k, s, d: (r + k - (1 if r == 1 else 0), j), ("r2", "r3")),
    ),
)


def _extent(layers: list[tuple[int, int, int]], upto: int, side: int) -> int:
    """The rows of the input that reach output pixel (0, 0) after `upto` layers (engine)."""
    x = Tensor(np.ones((1, 1, side, side)), requires_grad=True)
    h = x
    for k, s, d in layers[:upto]:
        h = conv2d(h, Tensor(np.ones((1, 1, k, k))), stride=s, dilation=d)
    seed = np.zeros(h.shape)
    seed[0, 0, 0, 0] = 1.0
    h.backward(gradient=seed)
    assert x.grad is not None
    rows = np.nonzero(x.grad[0, 0].sum(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


@register(
    "receptive_field_size",
    "Receptive field of a small stack",
    "The receptive field after each of three conv layers with strides and a dilation.",
    RF_MISTAKES,
)
def receptive_field_size(rng: np.random.Generator, seed: int) -> Exercise:
    """Two strided layers (the first with stride 2), then a dilated stride-1 layer."""
    k1, k2, k3 = (int(rng.choice([2, 3, 5])) for _ in range(3))
    layers = [(k1, 2, 1), (k2, int(rng.choice([1, 2])), 1), (k3, 1, int(rng.choice([2, 3])))]
    side = 1 + sum(
        (k - 1) * d * math.prod(s for _, s, _ in layers[:i]) for i, (k, _, d) in enumerate(layers)
    )
    fields = [float(_extent(layers, n, side + 4)) for n in (1, 2, 3)]
    desc = "; ".join(
        f"layer {i}: ${k}\\times{k}$, stride {s}, dilation {d}"
        for i, (k, s, d) in enumerate(layers, 1)
    )
    prompt = (
        f"Three conv layers are stacked ({desc}). How many input pixels along one side can "
        "influence one output pixel after layer 1, after layer 2 and after layer 3 (the "
        "receptive fields $r_1, r_2, r_3$)? Padding does not change them."
    )
    steps = tuple(
        Step(
            f"r after layer {i}",
            value,
            r"r_l = r_{l-1} + (k_l - 1)\,d_l \prod_{i<l} s_i",
        )
        for i, value in enumerate(fields, start=1)
    )
    given = []
    for i, (k, s, d) in enumerate(layers, start=1):
        given += [
            Given(f"k{i}", f"k_{i}", np.asarray(float(k))),
            Given(f"s{i}", f"s_{i}", np.asarray(float(s))),
            Given(f"d{i}", f"d_{i}", np.asarray(float(d))),
        ]
    return Exercise(
        kind="receptive_field_size",
        seed=seed,
        title="Receptive field of a small stack",
        prompt=prompt,
        given=tuple(given),
        fields=tuple(AnswerField(f"r{i}", f"r_{i}", ()) for i in (1, 2, 3)),
        solution={f"r{i}": np.asarray(v) for i, v in enumerate(fields, start=1)},
        steps=steps,
    )


# --- transposed_conv_1d ----------------------------------------------------------------------


def _scatter(v: Mapping[str, Any], kernel: np.ndarray, add: bool) -> np.ndarray:
    """Each input value times the kernel, written into its window 2 apart (added or not)."""
    x = np.asarray(v["x"], float)
    out = np.zeros((len(x) - 1) * 2 + len(kernel))
    for i, xi in enumerate(x):
        window = slice(2 * i, 2 * i + len(kernel))
        out[window] = out[window] + xi * kernel if add else xi * kernel
    return out


TRANSPOSED_MISTAKES = (
    Mistake(
        "overlaps_overwritten",
        "wrote each window over the previous one instead of adding where they overlap",
        lambda v: {"y": _scatter(v, np.asarray(v["w"], float), add=False)},
    ),
    Mistake(
        "kernel_flipped",
        "scattered the kernel back to front",
        lambda v: {"y": _scatter(v, np.asarray(v["w"], float)[::-1], add=True)},
    ),
    Mistake(
        "length_h_times_s",
        "took the output length as H·s instead of (H − 1)·s + k",
        lambda v: {"length": float(len(np.asarray(v["x"])) * 2)},
    ),
)


@register(
    "transposed_conv_1d",
    "A 1-D transposed convolution by hand",
    "Upsample three values with a 3-tap kernel at stride 2: output length and values.",
    TRANSPOSED_MISTAKES,
)
def transposed_conv_1d(rng: np.random.Generator, seed: int) -> Exercise:
    """x of 3, w of 3, stride 2, no padding: y has (3 − 1)·2 + 3 = 7 entries."""
    x = rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], 3)
    w = rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], 3)
    y = conv_transpose2d(
        Tensor(x.reshape(1, 1, 1, 3)), Tensor(w.reshape(1, 1, 1, 3)), stride=(1, 2)
    ).data.reshape(-1)

    def vec(a: np.ndarray) -> str:
        return "(" + ", ".join(number(v) for v in a) + ")"

    prompt = (
        f"A 1-D transposed convolution (PyTorch's `conv_transpose1d`, stride 2, no padding, no "
        f"bias) takes $x = {vec(x)}$ and the kernel $w = {vec(w)}$. Give the output length and "
        "the output $y$: each input value adds $x_i w$ into the output starting at position "
        "$2i$."
    )
    steps = (
        Step("length", float(len(y)), r"(H - 1)s + k"),
        Step("y", y, r"y_t = \sum_i x_i\, w_{t - 2i}"),
    )
    return Exercise(
        kind="transposed_conv_1d",
        seed=seed,
        title="A 1-D transposed convolution by hand",
        prompt=prompt,
        given=(Given("x", "x", x), Given("w", "w", w)),
        fields=(AnswerField("length", r"H_\text{out}", ()), AnswerField("y", "y", (7,))),
        solution={"length": np.asarray(float(len(y))), "y": y},
        steps=steps,
    )

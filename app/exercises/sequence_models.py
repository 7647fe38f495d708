"""Exercise kinds of the sequence-models deck: each registers on import.

rnn_param_count: parameters of PyTorch's RNN, GRU and LSTM cells for given I and H.
bptt_scalar: dL/dw and dL/du of a three-step scalar linear RNN, by hand.
lstm_cell_gradient: one LSTM cell update c' = f ⊙ c + i ⊙ g and its gradients.
tbptt_reach: which input steps a loss reaches under truncated BPTT.
embedding_grad_rows: the gradient of an embedding table, repeats and padding included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import RNN, Embedding, GRUCell, LSTMCell, RNNCell, Tensor
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register
from app.exercises.text import number


def _vec(values: np.ndarray) -> str:
    return "(" + ", ".join(number(v) for v in np.asarray(values).ravel()) + ")"


def _matrix(values: np.ndarray) -> str:
    rows = r" \\ ".join(" & ".join(number(v) for v in row) for row in values)
    return f"\\begin{{pmatrix}} {rows} \\end{{pmatrix}}"


# --- rnn_param_count -------------------------------------------------------------------------


def _sizes(v: Mapping[str, Any]) -> tuple[int, int]:
    return int(v["I"]), int(v["H"])


def _counts(v: Mapping[str, Any], per_gate: Any) -> dict[str, float]:
    i, h = _sizes(v)
    block = float(per_gate(i, h))
    return {"rnn": block, "gru": 3 * block, "lstm": 4 * block}


COUNT_MISTAKES = (
    Mistake(
        "one_bias",
        "counted one bias vector per gate block; PyTorch has two, b_ih and b_hh",
        lambda v: _counts(v, lambda i, h: h * i + h * h + h),
    ),
    Mistake(
        "no_recurrent",
        "left out the hidden-to-hidden weights W_hh (H × H per gate block)",
        lambda v: _counts(v, lambda i, h: h * i + 2 * h),
    ),
    Mistake(
        "gru_four_gates",
        "gave the GRU four gate blocks, like the LSTM; it has three (r, z, n)",
        lambda v: {"gru": 4.0 * (_counts(v, lambda i, h: h * i + h * h + 2 * h)["rnn"])},
    ),
    Mistake(
        "lstm_three_gates",
        "left the LSTM's cell candidate g out: it has four blocks (i, f, g, o)",
        lambda v: {"lstm": 3.0 * (_counts(v, lambda i, h: h * i + h * h + 2 * h)["rnn"])},
    ),
)


@register(
    "rnn_param_count",
    "Parameters of RNN, GRU and LSTM cells",
    "Count PyTorch's parameters of RNNCell, GRUCell and LSTMCell for given input and hidden sizes.",
    COUNT_MISTAKES,
)
def rnn_param_count(rng: np.random.Generator, seed: int) -> Exercise:
    """Small I and H (so every count stays a hand-sized number); the engine's cells counted."""
    i, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    counts = {
        name: float(sum(p.size for p in cls(i, h).parameters()))
        for name, cls in (("rnn", RNNCell), ("gru", GRUCell), ("lstm", LSTMCell))
    }
    prompt = (
        f"In PyTorch, how many parameters do `nn.RNNCell({i}, {h})`, `nn.GRUCell({i}, {h})` and "
        f"`nn.LSTMCell({i}, {h})` have (input size $I = {i}$, hidden size $H = {h}$, "
        "`bias=True`)?"
    )
    block = h * i + h * h + 2 * h
    steps = (
        Step(
            "one gate block: W_ih, W_hh, b_ih, b_hh",
            float(block),
            r"H\,I + H^2 + 2H",
        ),
        Step("RNN: 1 block", counts["rnn"]),
        Step("GRU: 3 blocks (r, z, n)", counts["gru"]),
        Step("LSTM: 4 blocks (i, f, g, o)", counts["lstm"]),
    )
    return Exercise(
        kind="rnn_param_count",
        seed=seed,
        title="Parameters of RNN, GRU and LSTM cells",
        prompt=prompt,
        given=(Given("I", "I", np.asarray(float(i))), Given("H", "H", np.asarray(float(h)))),
        fields=(
            AnswerField("rnn", r"\#\text{RNN}", ()),
            AnswerField("gru", r"\#\text{GRU}", ()),
            AnswerField("lstm", r"\#\text{LSTM}", ()),
        ),
        solution={name: np.asarray(value) for name, value in counts.items()},
        steps=steps,
    )


# --- bptt_scalar -----------------------------------------------------------------------------


def _states(v: Mapping[str, Any]) -> tuple[float, float, np.ndarray, list[float]]:
    w, u = float(v["w"]), float(v["u"])
    x = np.asarray(v["x"], float)
    h = [0.0]
    for x_t in x:
        h.append(w * h[-1] + u * x_t)
    return w, u, x, h


def _bptt_slip(v: Mapping[str, Any], kind: str) -> dict[str, float]:
    w, _u, x, h = _states(v)
    if kind == "last_step_only":
        return {"dw": h[2], "du": float(x[2])}
    if kind == "no_carry":  # every δ_t taken as 1
        return {"dw": h[0] + h[1] + h[2], "du": float(x.sum())}
    # h_t instead of h_{t−1} in dL/dw
    return {"dw": w**2 * h[1] + w * h[2] + h[3]}


BPTT_MISTAKES = (
    Mistake(
        "last_step_only",
        "kept only the last step's term; w and u are used at every step",
        lambda v: _bptt_slip(v, "last_step_only"),
    ),
    Mistake(
        "no_carry",
        "forgot the factor w^(3−t) that carries δ back to step t",
        lambda v: _bptt_slip(v, "no_carry"),
    ),
    Mistake(
        "h_t_not_h_prev",
        "multiplied δ_t by h_t instead of h_{t−1} in dL/dw",
        lambda v: _bptt_slip(v, "h_t_not_h_prev"),
    ),
)


@register(
    "bptt_scalar",
    "Backprop through time by hand",
    "dL/dw and dL/du of a scalar linear RNN over three steps (h_0 = 0, L = h_3).",
    BPTT_MISTAKES,
)
def bptt_scalar(rng: np.random.Generator, seed: int) -> Exercise:
    """h_t = w h_{t−1} + u x_t for t = 1, 2, 3; the engine differentiates L = h_3."""
    w_value = float(rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]))
    u_value = float(rng.choice([-2.0, -1.0, 1.0, 2.0]))
    x = rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], 3)
    w = Tensor(np.asarray(w_value), requires_grad=True)
    u = Tensor(np.asarray(u_value), requires_grad=True)
    h = Tensor(np.asarray(0.0))
    states = []
    for x_t in x:
        h = w * h + u * float(x_t)
        states.append(float(h.item()))
    h.backward()
    assert w.grad is not None and u.grad is not None
    dw, du = float(w.grad), float(u.grad)
    prompt = (
        "A scalar linear RNN computes $h_t = w\\,h_{t-1} + u\\,x_t$ for $t = 1, 2, 3$ from "
        f"$h_0 = 0$, with $w = {number(w_value)}$, $u = {number(u_value)}$ and "
        f"$x = {_vec(x)}$. The loss is $L = h_3$. Give $\\partial L/\\partial w$ and "
        "$\\partial L/\\partial u$ (backprop through time: both weights are used at every step)."
    )
    steps = (
        Step("h_1, h_2, h_3", np.array(states), r"h_t = w h_{t-1} + u x_t"),
        Step(
            "δ_t = ∂L/∂h_t for t = 1, 2, 3",
            np.array([w_value**2, w_value, 1.0]),
            r"\delta_t = w^{3-t}",
        ),
        Step("∂L/∂w", dw, r"\sum_t \delta_t\, h_{t-1}"),
        Step("∂L/∂u", du, r"\sum_t \delta_t\, x_t"),
    )
    return Exercise(
        kind="bptt_scalar",
        seed=seed,
        title="Backprop through time by hand",
        prompt=prompt,
        given=(
            Given("w", "w", np.asarray(w_value)),
            Given("u", "u", np.asarray(u_value)),
            Given("x", "x", x),
        ),
        fields=(
            AnswerField("dw", r"\partial L/\partial w", ()),
            AnswerField("du", r"\partial L/\partial u", ()),
        ),
        solution={"dw": np.asarray(dw), "du": np.asarray(du)},
        steps=steps,
    )


# --- lstm_cell_gradient ----------------------------------------------------------------------


def _cell(v: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v[name], float) for name in ("c", "f", "i", "g", "d"))


CELL_MISTAKES = (
    Mistake(
        "forget_as_input",
        "sent the gradient to c through the input gate, δ ⊙ i, instead of δ ⊙ f",
        lambda v: {"dc": _cell(v)[4] * _cell(v)[2]},
    ),
    Mistake(
        "no_forget_factor",
        "assumed the cell path passes the gradient unchanged, ∂L/∂c = δ",
        lambda v: {"dc": _cell(v)[4].copy()},
    ),
    Mistake(
        "df_is_f",
        "used f instead of c in ∂L/∂f = δ ⊙ c",
        lambda v: {"df": _cell(v)[4] * _cell(v)[1]},
    ),
    Mistake(
        "di_is_i",
        "used i instead of g in ∂L/∂i = δ ⊙ g",
        lambda v: {"di": _cell(v)[4] * _cell(v)[2]},
    ),
)


@register(
    "lstm_cell_gradient",
    "An LSTM cell update and its gradients",
    "c' = f ⊙ c + i ⊙ g for three units, and the gradients to c, f and i.",
    CELL_MISTAKES,
)
def lstm_cell_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """Gate values drawn directly (so no sigmoid has to be evaluated by hand)."""
    c_prev = rng.choice([-2.0, -1.0, 1.0, 2.0], 3)
    f_val = rng.choice([0.2, 0.5, 0.8], 3)
    i_val = rng.choice([0.2, 0.5, 0.8], 3)
    g_val = rng.choice([-1.0, -0.5, 0.5, 1.0], 3)
    d = rng.choice([-2.0, -1.0, 1.0, 2.0], 3)
    c, f, i, g = (Tensor(a, requires_grad=True) for a in (c_prev, f_val, i_val, g_val))
    c_next = f * c + i * g
    c_next.backward(gradient=d)
    assert c.grad is not None and f.grad is not None and i.grad is not None
    prompt = (
        "One LSTM step updates its cell as $c' = f \\odot c + i \\odot g$ (three units). "
        f"With $c = {_vec(c_prev)}$, forget gate $f = {_vec(f_val)}$, input gate "
        f"$i = {_vec(i_val)}$, candidate $g = {_vec(g_val)}$ and upstream gradient "
        f"$\\delta = \\partial L/\\partial c' = {_vec(d)}$, give $c'$, $\\partial L/\\partial c$, "
        "$\\partial L/\\partial f$ and $\\partial L/\\partial i$ (3 numbers each)."
    )
    steps = (
        Step("c'", c_next.data, r"c' = f\odot c + i\odot g"),
        Step("∂L/∂c", c.grad, r"\delta\odot f"),
        Step("∂L/∂f", f.grad, r"\delta\odot c"),
        Step("∂L/∂i", i.grad, r"\delta\odot g"),
    )
    return Exercise(
        kind="lstm_cell_gradient",
        seed=seed,
        title="An LSTM cell update and its gradients",
        prompt=prompt,
        given=(
            Given("c", "c", c_prev),
            Given("f", "f", f_val),
            Given("i", "i", i_val),
            Given("g", "g", g_val),
            Given("d", r"\delta", d),
        ),
        fields=(
            AnswerField("c_next", "c'", (3,)),
            AnswerField("dc", r"\partial L/\partial c", (3,)),
            AnswerField("df", r"\partial L/\partial f", (3,)),
            AnswerField("di", r"\partial L/\partial i", (3,)),
        ),
        solution={"c_next": c_next.data, "dc": c.grad, "df": f.grad, "di": i.grad},
        steps=steps,
    )


# --- tbptt_reach -----------------------------------------------------------------------------


def _reach(v: Mapping[str, Any], first: int) -> dict[str, float]:
    return {"first": float(first), "count": float(int(v["t"]) - first + 1)}


TBPTT_MISTAKES = (
    Mistake(
        "sliding_window",
        "took the k steps ending at t; the windows are fixed: 0…k−1, k…2k−1, …",
        lambda v: _reach(v, int(v["t"]) - int(v["k"]) + 1),
    ),
    Mistake(
        "full_bptt",
        "let the gradient reach step 0: detach() cuts the graph at every window start",
        lambda v: _reach(v, 0),
    ),
    Mistake(
        "count_is_k",
        "counted k steps whatever the loss's position in its window",
        lambda v: {"count": float(v["k"])},
    ),
)


@register(
    "tbptt_reach",
    "How far back truncated BPTT reaches",
    "The first input step and the number of steps a loss at step t sends gradient to.",
    TBPTT_MISTAKES,
)
def tbptt_reach(rng: np.random.Generator, seed: int) -> Exercise:
    """T, k and t drawn; the engine's RNN with tbptt_steps=k says which inputs get a gradient."""
    k = int(rng.integers(2, 7))
    length = int(rng.integers(3 * k, 4 * k + 3))
    t = int(rng.integers(k, length))
    rnn = RNN(1, 2, seed=seed % 1000, tbptt_steps=k)
    x = Tensor(np.random.default_rng(seed).standard_normal((length, 1, 1)), requires_grad=True)
    out, _ = rnn(x)
    probe = np.zeros(out.shape)
    probe[t] = 1.0
    out.backward(gradient=probe)
    assert x.grad is not None
    reached = np.flatnonzero(np.abs(x.grad.reshape(length)) > 0)
    first, count = float(reached.min()), float(len(reached))
    prompt = (
        f"An RNN runs over $T = {length}$ steps, numbered $0, \\ldots, {length - 1}$, with "
        f"truncated BPTT of window $k = {k}$: the state is carried on but detached "
        f"(`h = h.detach()`) after every {k} steps, i.e. before steps {k}, {2 * k}, … . "
        f"A loss is computed from the output at step $t = {t}$ only. Give the first input step "
        "whose $x_s$ receives a gradient from it, and how many input steps receive one."
    )
    steps = (
        Step("window starts", np.arange(0, length, k).astype(float)),
        Step("first step reached", first, r"\lfloor t/k \rfloor\, k"),
        Step("steps reached", count, r"t - \lfloor t/k \rfloor k + 1"),
    )
    return Exercise(
        kind="tbptt_reach",
        seed=seed,
        title="How far back truncated BPTT reaches",
        prompt=prompt,
        given=(
            Given("T", "T", np.asarray(float(length))),
            Given("k", "k", np.asarray(float(k))),
            Given("t", "t", np.asarray(float(t))),
        ),
        fields=(AnswerField("first", "s_{\\min}", ()), AnswerField("count", "n", ())),
        solution={"first": np.asarray(first), "count": np.asarray(count)},
        steps=steps,
    )


# --- embedding_grad_rows ---------------------------------------------------------------------

VOCAB, DIM, PAD = 5, 2, 0


def _rows(v: Mapping[str, Any], kind: str) -> dict[str, np.ndarray]:
    ids = np.asarray(v["ids"], float).astype(int)
    g = np.asarray(v["G"], float)
    out = np.zeros((VOCAB, DIM))
    for row in range(VOCAB):
        hits = g[ids == row]
        if not len(hits) or (row == PAD and kind != "padding"):
            continue
        if kind == "overwrite":
            out[row] = hits[-1]
        elif kind == "mean":
            out[row] = hits.mean(axis=0)
        else:
            out[row] = hits.sum(axis=0)
    return {"dE": out}


EMBEDDING_MISTAKES = (
    Mistake(
        "overwrite_repeats",
        "wrote each position's gradient into its row (the last one wins) instead of adding",
        lambda v: _rows(v, "overwrite"),
    ),
    Mistake(
        "padding_gets_grad",
        "gave the padding row the sum of its positions' gradients like any other row",
        lambda v: _rows(v, "padding"),
    ),
    Mistake(
        "mean_repeats",
        "averaged a repeated token's gradients instead of summing them",
        lambda v: _rows(v, "mean"),
    ),
)


@register(
    "embedding_grad_rows",
    "The gradient of an embedding table",
    "∂L/∂E of a 5-row embedding (padding_idx = 0) for six looked-up positions.",
    EMBEDDING_MISTAKES,
)
def embedding_grad_rows(rng: np.random.Generator, seed: int) -> Exercise:
    """Six ids with a repeated token and a padding position; G small integers."""
    ids = rng.integers(1, VOCAB, 6)
    ids[1] = ids[0]
    ids[2] = ids[0]
    ids[5] = PAD
    ids = rng.permutation(ids)
    g = rng.integers(-3, 4, (6, DIM)).astype(np.float64)
    table = Embedding(VOCAB, DIM, padding_idx=PAD, seed=seed % 1000)
    table(ids).backward(gradient=g)
    assert table.weight.grad is not None
    d_e = table.weight.grad.copy()
    prompt = (
        f"`nn.Embedding({VOCAB}, {DIM}, padding_idx={PAD})` looks up the ids "
        f"$({', '.join(str(int(i)) for i in ids)})$, one row of the output per id. The upstream "
        f"gradient (one row per position) is $G = {_matrix(g)}$. Give "
        f"$\\partial L/\\partial E$, the {VOCAB}×{DIM} gradient of the table."
    )
    steps = (
        Step("times each row is used", np.bincount(ids, minlength=VOCAB).astype(float)),
        Step(
            "∂L/∂E",
            d_e,
            r"\frac{\partial L}{\partial E_v} = \sum_{p:\,\text{idx}_p = v} G_p,\ "
            r"\text{row } 0 \text{ (padding) none}",
        ),
    )
    return Exercise(
        kind="embedding_grad_rows",
        seed=seed,
        title="The gradient of an embedding table",
        prompt=prompt,
        given=(Given("ids", r"\text{idx}", ids.astype(np.float64)), Given("G", "G", g)),
        fields=(AnswerField("dE", r"\partial L/\partial E", (VOCAB, DIM)),),
        solution={"dE": d_e},
        steps=steps,
    )

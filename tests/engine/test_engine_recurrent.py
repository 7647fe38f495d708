"""Embedding, the RNN / LSTM / GRU cells and the unrolled RNN / LSTM, with truncated BPTT."""

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.engine import Tensor, check_jvp_vjp, grad, gradcheck, hvp
from app.engine.recurrent import (
    LSTM,
    RNN,
    Embedding,
    GRUCell,
    LSTMCell,
    RNNCell,
    embedding,
    gru_cell,
    lstm_cell,
    rnn_cell,
    stack_steps,
)

FAST = settings(max_examples=20, deadline=None)


def value(t: Any) -> np.ndarray:
    """The array of an optional Tensor or gradient, asserting it is there."""
    assert t is not None
    return t.data if isinstance(t, Tensor) else t


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def cell_weights(rng: np.random.Generator, gates: int, n_in: int, n_hidden: int) -> list:
    rows = gates * n_hidden
    return [
        rng.standard_normal((rows, n_in)),
        rng.standard_normal((rows, n_hidden)),
        rng.standard_normal(rows),
        rng.standard_normal(rows),
    ]


# --- stack_steps -------------------------------------------------------------------------------
@FAST
@given(
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
    count=st.integers(1, 3),
    data=st.data(),
)
def test_stack_steps_gradients(shape: tuple, count: int, data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(shape) for _ in range(count)]

    def f(*ts: Tensor) -> Tensor:
        return stack_steps(list(ts), axis=axis) * 2

    assert gradcheck(f, xs).passed
    assert check_jvp_vjp(f, xs).passed
    np.testing.assert_array_equal(
        stack_steps([Tensor(x) for x in xs], axis).data, np.stack(xs, axis)
    )


def test_stack_steps_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="tensors\\[1\\]"):
        stack_steps([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="dim=3"):
        stack_steps([Tensor(np.ones(2))], axis=3)


# --- embedding ---------------------------------------------------------------------------------
def test_embedding_repeated_index_accumulates() -> None:
    weight = Tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    out = embedding(np.array([[1, 1], [3, 1]]), weight)
    np.testing.assert_array_equal(out.data, [[[2, 3], [2, 3]], [[6, 7], [2, 3]]])
    (out * np.array([1.0, 10.0])).sum().backward()
    # Row 1 was read three times, row 3 once, rows 0 and 2 never.
    np.testing.assert_array_equal(weight.grad, [[0, 0], [3, 30], [0, 0], [1, 10]])


def test_embedding_padding_row_keeps_value_and_gets_no_gradient() -> None:
    weight = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    index = np.array([0, 2, 2, 1])
    out = embedding(index, weight, padding_idx=2)
    np.testing.assert_array_equal(out.data, weight.data[index])  # forward unchanged
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad, [[1, 1], [1, 1], [0, 0]])
    weight.grad = None
    embedding(index, weight, padding_idx=-1).sum().backward()  # -1 is row 2, as in torch
    np.testing.assert_array_equal(value(weight.grad)[2], [0, 0])


@FAST
@given(n=st.integers(1, 4), dim=st.integers(1, 3), shape=st.sampled_from([(1,), (3,), (2, 3)]))
def test_embedding_gradcheck(n: int, dim: int, shape: tuple) -> None:
    rng = np.random.default_rng(n * 10 + dim)
    index = rng.integers(0, n, shape)
    w = rng.standard_normal((n, dim))
    assert gradcheck(lambda w: embedding(index, w), [w]).passed
    assert check_jvp_vjp(lambda w: embedding(index, w, padding_idx=0), [w]).passed


def test_embedding_module_init_and_errors() -> None:
    table = Embedding(2000, 50, padding_idx=3, seed=1)
    assert table.weight.shape == (2000, 50)
    np.testing.assert_array_equal(table.weight.data[3], 0.0)
    assert abs(table.weight.data.mean()) < 0.01 and abs(table.weight.data.std() - 1) < 0.01
    np.testing.assert_array_equal(
        Embedding(2000, 50, seed=1).weight.data[:3], table.weight.data[:3]
    )
    assert table(np.array([3, 4])).shape == (2, 50)
    with pytest.raises(ValueError, match="indices must lie in"):
        table(np.array([2000]))
    with pytest.raises(ValueError, match="integer"):
        table(np.array([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        Embedding(4, 2, padding_idx=4)


# --- cells against torch's documented formulas, written gate by gate in NumPy -------------------
def ref_rnn(
    x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, nonlinearity: str = "tanh"
) -> Any:
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)


def ref_lstm(x: Any, h: Any, c: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> Any:
    w_ii, w_if, w_ig, w_io = np.split(w_ih, 4)
    w_hi, w_hf, w_hg, w_ho = np.split(w_hh, 4)
    b_ii, b_if, b_ig, b_io = np.split(b_ih, 4)
    b_hi, b_hf, b_hg, b_ho = np.split(b_hh, 4)
    i = sigmoid(x @ w_ii.T + b_ii + h @ w_hi.T + b_hi)
    f = sigmoid(x @ w_if.T + b_if + h @ w_hf.T + b_hf)
    g = np.tanh(x @ w_ig.T + b_ig + h @ w_hg.T + b_hg)
    o = sigmoid(x @ w_io.T + b_io + h @ w_ho.T + b_ho)
    c_next = f * c + i * g
    return o * np.tanh(c_next), c_next


def ref_gru(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> Any:
    w_ir, w_iz, w_in = np.split(w_ih, 3)
    w_hr, w_hz, w_hn = np.split(w_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    r = sigmoid(x @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
    z = sigmoid(x @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
    n = np.tanh(x @ w_in.T + b_in + r * (h @ w_hn.T + b_hn))
    return (1 - z) * n + z * h


@pytest.mark.parametrize("batch", [None, 1, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_numpy_reference(batch: int | None, bias: bool) -> None:
    rng = np.random.default_rng(0)
    lead = () if batch is None else (batch,)
    x, h, c = (rng.standard_normal((*lead, n)) for n in (3, 4, 4))
    zeros = np.zeros(16)
    for nonlinearity in ("tanh", "relu"):
        cell = RNNCell(3, 4, bias=bias, nonlinearity=nonlinearity, seed=1)
        b_ih, b_hh = (value(cell.bias_ih), value(cell.bias_hh)) if bias else (zeros[:4], zeros[:4])
        w_ih, w_hh = cell.weight_ih.data, cell.weight_hh.data
        expected = ref_rnn(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        np.testing.assert_allclose(cell(x, h).data, expected, rtol=1e-12)
    lstm = LSTMCell(3, 4, bias=bias, seed=2)
    assert lstm.weight_ih.shape == (16, 3) and lstm.weight_hh.shape == (16, 4)
    b = (value(lstm.bias_ih), value(lstm.bias_hh)) if bias else (zeros, zeros)
    h1, c1 = lstm(x, (h, c))
    eh, ec = ref_lstm(x, h, c, lstm.weight_ih.data, lstm.weight_hh.data, *b)
    np.testing.assert_allclose(h1.data, eh, rtol=1e-12)
    np.testing.assert_allclose(c1.data, ec, rtol=1e-12)
    gru = GRUCell(3, 4, bias=bias, seed=3)
    assert gru.weight_ih.shape == (12, 3)
    b = (value(gru.bias_ih), value(gru.bias_hh)) if bias else (zeros[:12], zeros[:12])
    expected = ref_gru(x, h, gru.weight_ih.data, gru.weight_hh.data, *b)
    np.testing.assert_allclose(gru(x, h).data, expected, rtol=1e-12)


def test_cells_known_values() -> None:
    one = np.ones((1, 1))
    # RNN: tanh(0.5*2 + 0.1 + (-1)*0.3 + 0.2) = tanh(1.0)
    x, h0, w_ih, w_hh, b_ih, b_hh = (
        Tensor(v) for v in (2 * one, 0.3 * one, 0.5 * one, -one, [0.1], [0.2])
    )
    h = rnn_cell(x, h0, w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_allclose(h.data, [[0.7615941559557649]], rtol=1e-15)
    # GRU with zero weights: r = z = 0.5; n = tanh(b_in + r * b_hn) = tanh(1 + 0.5*2) = tanh(2);
    # h' = 0.5 tanh(2) + 0.5 * 4. Applying r outside b_hn would give tanh(3) instead.
    w0, w1 = Tensor(np.zeros((3, 1))), Tensor(np.zeros((3, 1)))
    h = gru_cell(Tensor(one), Tensor(4 * one), w0, w1, Tensor([0.0, 0, 1]), Tensor([0.0, 0, 2]))
    np.testing.assert_allclose(h.data, [[0.5 * 0.9640275800758169 + 2.0]], rtol=1e-15)
    # LSTM with zero weights, gate biases i=0, f=ln 3, g=atanh(0.5), o=0 (order i, f, g, o):
    # i = 1/2, f = 3/4, g = 1/2, o = 1/2; c' = 3/4 * 2 + 1/2 * 1/2 = 1.75, h' = tanh(1.75)/2.
    b = Tensor([0.0, np.log(3.0), np.arctanh(0.5), 0.0])
    z4 = Tensor(np.zeros((4, 1)))
    h, c = lstm_cell(Tensor(one), (Tensor(one), Tensor(2 * one)), z4, z4, b, Tensor(np.zeros(4)))
    np.testing.assert_allclose(c.data, [[1.75]], rtol=1e-15)
    np.testing.assert_allclose(h.data, [[0.5 * 0.9413755384972874]], rtol=1e-15)


def test_cell_init_is_torch_uniform_and_seeded() -> None:
    cell = LSTMCell(30, 100, seed=4)
    bound = 1 / np.sqrt(100)
    for p in cell.parameters():
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound  # uniform over the whole range
    np.testing.assert_array_equal(LSTMCell(30, 100, seed=4).weight_hh.data, cell.weight_hh.data)
    assert len(RNNCell(2, 3, bias=False).parameters()) == 2


CELLS: dict[str, tuple[Any, int]] = {
    "rnn_tanh": (lambda x, h, *w: rnn_cell(x, h, *w), 1),
    "rnn_relu": (lambda x, h, wi, wh, bi, bh: rnn_cell(x, h, wi, wh, bi, bh, "relu"), 1),
    "lstm": (lambda x, h, *w: lstm_cell(x, (h, h * 0.5), *w)[0] + lstm_cell(x, (h, h), *w)[1], 4),
    "gru": (lambda x, h, *w: gru_cell(x, h, *w), 3),
}


@pytest.mark.parametrize("name", list(CELLS))
@FAST
@given(
    batch=st.sampled_from([None, 1, 2]),
    n_in=st.integers(1, 3),
    n_hidden=st.integers(1, 3),
    seed=st.integers(0, 100),
)
def test_cell_gradients(name: str, batch: int | None, n_in: int, n_hidden: int, seed: int) -> None:
    fn, gates = CELLS[name]
    rng = np.random.default_rng(seed)
    lead = () if batch is None else (batch,)
    inputs = [
        rng.standard_normal((*lead, n_in)),
        rng.standard_normal((*lead, n_hidden)),
        *cell_weights(rng, gates, n_in, n_hidden),
    ]
    if name == "rnn_relu":
        # Keep pre-activations away from relu's kink, where finite differences are meaningless.
        x, h, w_ih, w_hh, b_ih, b_hh = inputs
        assume(np.min(np.abs(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)) > 1e-3)
    report = gradcheck(fn, inputs)
    assert report.passed, str(report)
    assert check_jvp_vjp(fn, inputs).passed


def test_lstm_cell_second_order_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    w = cell_weights(rng, 4, 3, 2)
    h, c = Tensor(rng.standard_normal((2, 2))), Tensor(rng.standard_normal((2, 2)))

    def loss(x: Tensor) -> Tensor:
        h1, c1 = lstm_cell(x, (h, c), *(Tensor(a) for a in w))
        return (h1 * h1).sum() + (c1 * h1).sum()

    x, v = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    eps = 1e-5
    numeric = (grad(loss)(x + eps * v) - grad(loss)(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(loss, x, v), numeric, rtol=1e-6, atol=1e-8)


def test_gru_cell_second_order_matches_finite_differences() -> None:
    rng = np.random.default_rng(6)
    w = [Tensor(a) for a in cell_weights(rng, 3, 2, 3)]
    x = Tensor(rng.standard_normal((2, 2)))

    def loss(h: Tensor) -> Tensor:
        out = gru_cell(x, h, *w)
        return (out * out * h).sum()

    h, v = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    eps = 1e-5
    numeric = (grad(loss)(h + eps * v) - grad(loss)(h - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(loss, h, v), numeric, rtol=1e-6, atol=1e-8)


def test_lstm_with_open_forget_and_closed_input_gate_carries_the_cell_state() -> None:
    rng = np.random.default_rng(7)
    hidden = 3
    model = LSTM(2, hidden, seed=7)
    # Bias rows are i, f, g, o: input gate shut (sigmoid(-40) ~ 4e-18), forget gate open.
    value(model.bias_ih_l0)[:hidden] = -40.0
    value(model.bias_ih_l0)[hidden : 2 * hidden] = 40.0
    c0 = Tensor(rng.standard_normal((1, 4, hidden)), requires_grad=True)
    x = rng.standard_normal((25, 4, 2))
    _, (_, c_n) = model(x, (np.zeros((1, 4, hidden)), c0))
    np.testing.assert_allclose(c_n.data, c0.data, rtol=1e-12, atol=1e-15)
    c_n.sum().backward()
    # The cell state's gradient passes 25 steps back unchanged: the "constant error carousel".
    np.testing.assert_allclose(value(c0.grad), np.ones_like(c0.data), rtol=1e-12)


# --- unrolled RNN / LSTM -----------------------------------------------------------------------
def test_rnn_and_lstm_unroll_their_cells() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 2, 3))
    rnn = RNN(3, 4, seed=1)
    h0 = rng.standard_normal((1, 2, 4))
    output, h_n = rnn(x, h0)
    assert output.shape == (5, 2, 4) and h_n.shape == (1, 2, 4)
    w_ih, w_hh = rnn.weight_ih_l0.data, rnn.weight_hh_l0.data
    b_ih, b_hh = value(rnn.bias_ih_l0), value(rnn.bias_hh_l0)
    h = h0[0]
    for t in range(5):
        h = ref_rnn(x[t], h, w_ih, w_hh, b_ih, b_hh)
        np.testing.assert_allclose(output.data[t], h, rtol=1e-12)
    np.testing.assert_allclose(h_n.data[0], h, rtol=1e-12)

    lstm = LSTM(3, 4, batch_first=True, seed=2)
    xb = x.transpose(1, 0, 2)  # (N, L, I)
    output, (h_n, c_n) = lstm(xb)
    assert output.shape == (2, 5, 4) and c_n.shape == (1, 2, 4)
    w = [value(p) for p in (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)]
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(5):
        h, c = ref_lstm(xb[:, t], h, c, *w)
        np.testing.assert_allclose(output.data[:, t], h, rtol=1e-12)
    np.testing.assert_allclose(c_n.data[0], c, rtol=1e-12)
    # Unbatched (L, I) input: batch_first does not apply; h_n is (1, H).
    out_u, (h_u, _) = lstm(xb[0].copy())
    np.testing.assert_allclose(out_u.data, output.data[0], rtol=1e-12)
    assert h_u.shape == (1, 4)


@FAST
@given(
    length=st.integers(1, 4),
    batch=st.integers(1, 2),
    batch_first=st.booleans(),
    kind=st.sampled_from(["rnn", "lstm"]),
)
def test_unrolled_gradients(length: int, batch: int, batch_first: bool, kind: str) -> None:
    rng = np.random.default_rng(length * 7 + batch)
    shape = (batch, length, 2) if batch_first else (length, batch, 2)
    model = (RNN if kind == "rnn" else LSTM)(2, 3, batch_first=batch_first, seed=3)
    params = model.parameters()

    def f(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
        model.weight_ih_l0, model.weight_hh_l0 = w_ih, w_hh
        model.bias_ih_l0, model.bias_hh_l0 = b_ih, b_hh
        output, state = model(x)
        h_n = state if kind == "rnn" else state[1]
        return output.sum(axis=-1) + h_n.sum()

    inputs = [rng.standard_normal(shape)] + [p.data.copy() for p in params]
    assert gradcheck(f, inputs).passed
    assert check_jvp_vjp(f, inputs).passed


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_truncated_bptt_stops_the_gradient_after_k_steps(kind: str) -> None:
    rng = np.random.default_rng(9)
    k, length = 3, 7
    x_data = rng.standard_normal((length, 2, 2))

    def gradient_of_step(t: int, tbptt: int | None) -> tuple[np.ndarray, np.ndarray]:
        model = (RNN if kind == "rnn" else LSTM)(2, 3, tbptt_steps=tbptt, seed=4)
        x = Tensor(x_data, requires_grad=True)
        output, _ = model(x)
        (output[t] ** 2).sum().backward()
        assert x.grad is not None
        return output.data, x.grad

    full_out, full = gradient_of_step(k, None)
    cut_out, cut = gradient_of_step(k, k)
    np.testing.assert_array_equal(cut_out, full_out)  # detaching changes no value
    assert np.all(full[0] != 0)  # without truncation step k reaches back to step 0
    np.testing.assert_array_equal(cut[:k], 0.0)  # with it, steps 0..k-1 get exactly nothing
    np.testing.assert_allclose(cut[k], full[k], rtol=1e-12)  # the current step is untouched
    _, inside = gradient_of_step(k - 1, k)  # the last step of the first window still reaches 0
    assert np.all(inside[0] != 0)
    _, later = gradient_of_step(length - 1, k)  # step 6 lives in the window 6..6
    np.testing.assert_array_equal(later[: length - 1], 0.0)


def test_truncated_bptt_forward_and_reverse_mode_agree() -> None:
    model = LSTM(2, 2, tbptt_steps=2, seed=5)
    x = np.random.default_rng(10).standard_normal((5, 1, 2))
    assert check_jvp_vjp(lambda x: model(x)[0], [x]).passed


def test_recurrent_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="input_size=3"):
        RNN(3, 4)(np.zeros((2, 1, 5)))
    with pytest.raises(ValueError, match="h_0"):
        LSTM(3, 4)(np.zeros((2, 1, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 1, 4))))
    with pytest.raises(ValueError, match="num_layers"):
        LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="tbptt_steps"):
        RNN(3, 4, tbptt_steps=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hx"):
        GRUCell(3, 4)(np.zeros((2, 3)), np.zeros((3, 4)))

"""Sequence layers: embedding lookup, the RNN / LSTM / GRU cells, and RNN / LSTM unrolled in time.

Every layer here is a short composite of existing ops (linear, getitem, sigmoid, tanh, *, +),
so its gradient rules come from theirs and the code reads as the formulas in torch.nn's
documentation. `stack_steps` (shape.stack under another name) collects per-step outputs into a
sequence. Backpropagation through time is nothing more than backward through the unrolled
graph; truncated BPTT (`tbptt_steps=k`) detaches the carried state every k steps, so no gradient
flows further back than that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.engine.arith import linear
from app.engine.nn import Module
from app.engine.shape import stack
from app.engine.tensor import Tensor

State = tuple[Tensor, ...]


# --- a primitive the unrolled loops need (shape.stack is being written; this is the minimum) --
def stack_steps(steps: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join per-step outputs along a new time axis: shape.stack (torch.stack) under the name
    the unrolled layers read best with."""
    return stack(list(steps), dim=axis)


# --- embedding -----------------------------------------------------------------------------------
def _index_array(input: Any, num_embeddings: int) -> np.ndarray:
    index = np.asarray(input.data if isinstance(input, Tensor) else input)
    if index.dtype.kind not in "iu":
        raise ValueError(f"embedding: input must hold integer indices, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= num_embeddings):
        raise ValueError(
            f"embedding: input indices must lie in [0, {num_embeddings}), got values from "
            f"{index.min()} to {index.max()}"
        )
    return index


def _padding_row(padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx must be within [-{num_embeddings}, {num_embeddings}), got {padding_idx}"
        )
    return padding_idx % num_embeddings  # torch counts a negative padding_idx from the end


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of weight (num_embeddings, embedding_dim) picked by integer input, any shape
    (torch.nn.functional.embedding); output shape input.shape + (embedding_dim,).

    A lookup is integer indexing, whose adjoint is np.add.at: a row used twice gets the sum of
    both gradients. The row at padding_idx is returned as it is but gets no gradient.
    """
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, dim), got {weight.shape}")
    index = _index_array(input, weight.shape[0])
    rows = weight[index]
    pad = _padding_row(padding_idx, weight.shape[0])
    if pad is None:
        return rows
    # The padding row enters as a constant: its value is kept, the keep mask stops its gradient.
    keep = (index != pad)[..., None].astype(weight.dtype)
    return rows * keep + weight.data[pad] * (1 - keep)


class Embedding(Module):
    """A table of num_embeddings vectors, initialised N(0, 1) as torch.nn.Embedding; the
    padding_idx row starts at zero and is never updated by gradients."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        self.padding_idx = _padding_row(padding_idx, num_embeddings)
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0.0
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Tensor(weight, requires_grad=True, name="weight")

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def __call__(self, input: Any) -> Tensor:
        return self.forward(input)


# --- the cells, as functions of their weights (torch.nn.RNNCell / LSTMCell / GRUCell formulas) ---
def rnn_cell(
    input: Tensor,
    hx: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); relu instead of tanh if nonlinearity='relu'."""
    pre = linear(input, weight_ih, bias_ih) + linear(hx, weight_hh, bias_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_cell(
    input: Tensor,
    hx: tuple[Tensor, Tensor],
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step; returns (h', c'). The 4H gate rows are PyTorch's order i, f, g, o:

    i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh,
    c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').
    """
    h, c = hx
    n = h.shape[-1]
    gates = linear(input, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
    i = gates[..., 0:n].sigmoid()
    f = gates[..., n : 2 * n].sigmoid()
    g = gates[..., 2 * n : 3 * n].tanh()
    o = gates[..., 3 * n : 4 * n].sigmoid()
    # The cell state is updated additively: with f = 1 and i = 0 it passes through unchanged,
    # and so does its gradient, which is why LSTMs remember over long spans.
    c_next = f * c + i * g
    return o * c_next.tanh(), c_next


def gru_cell(
    input: Tensor,
    hx: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step; the 3H gate rows are PyTorch's order r, z, n:

    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h.
    """
    n = hx.shape[-1]
    gi = linear(input, weight_ih, bias_ih)
    gh = linear(hx, weight_hh, bias_hh)
    r = (gi[..., 0:n] + gh[..., 0:n]).sigmoid()
    z = (gi[..., n : 2 * n] + gh[..., n : 2 * n]).sigmoid()
    # The reset gate scales the hidden part *after* its bias b_hn, as torch (and cuDNN) do.
    candidate = (gi[..., 2 * n : 3 * n] + r * gh[..., 2 * n : 3 * n]).tanh()
    return (1 - z) * candidate + z * hx


# --- modules -----------------------------------------------------------------------------------
def _gate_params(
    module: Module,
    suffix: str,
    gates: int,
    sizes: tuple[int, int],
    bias: bool,
    seed: int | np.random.Generator,
    dtype: Any,
) -> None:
    """weight_ih, weight_hh (and bias_ih, bias_hh, else None) with `suffix`, for `gates` gates of
    sizes = (input_size, hidden_size), drawn in that order from torch's default RNN init:
    every weight and bias U(-1/sqrt(H), 1/sqrt(H))."""
    input_size, hidden_size = sizes
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    rows = gates * hidden_size
    shapes: dict[str, tuple[int, ...]] = {
        "weight_ih": (rows, input_size),
        "weight_hh": (rows, hidden_size),
    }
    if bias:
        shapes |= {"bias_ih": (rows,), "bias_hh": (rows,)}
    for base in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        name = base + suffix
        value = None
        if base in shapes:
            data = rng.uniform(-bound, bound, shapes[base]).astype(dtype)
            value = Tensor(data, requires_grad=True, name=name)
        setattr(module, name, value)


def _check_sizes(owner: str, input_size: int, hidden_size: int) -> None:
    if input_size < 1 or hidden_size < 1:
        raise ValueError(
            f"{owner}: input_size and hidden_size must be >= 1, got {input_size} and {hidden_size}"
        )


def _as_input(x: Any, like: Tensor, size: int, owner: str) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x, dtype=like.dtype)
    if x.ndim == 0 or x.shape[-1] != size:
        raise ValueError(f"{owner}: input shape {x.shape} must end in input_size={size}")
    return x


def _as_state(hx: Any, shape: tuple[int, ...], like: Tensor, name: str, owner: str) -> Tensor:
    if hx is None:
        return Tensor(np.zeros(shape, dtype=like.dtype))  # torch's default: a zero state
    hx = hx if isinstance(hx, Tensor) else Tensor(hx, dtype=like.dtype)
    if hx.shape != shape:
        raise ValueError(f"{owner}: {name} has shape {hx.shape}, expected {shape}")
    return hx


class _Cell(Module):
    """Shared parameters of the three cells: weight_ih (G·H, I), weight_hh (G·H, H), biases."""

    gates = 1
    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None
    bias_hh: Tensor | None

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        _gate_params(self, "", self.gates, (input_size, hidden_size), bias, seed, dtype)

    def _weights(self) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _input_and_state_shape(self, input: Any) -> tuple[Tensor, tuple[int, ...]]:
        x = _as_input(input, self.weight_ih, self.input_size, type(self).__name__)
        if x.ndim > 2:
            raise ValueError(f"{type(self).__name__}: input must be (N, I) or (I,), got {x.shape}")
        return x, (*x.shape[:-1], self.hidden_size)

    def forward(self, input: Any, hx: Any = None) -> Any:
        raise NotImplementedError

    def __call__(self, input: Any, hx: Any = None) -> Any:
        return self.forward(input, hx)


class RNNCell(_Cell):
    """torch.nn.RNNCell: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); weight_ih is (H, I)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, seed=seed, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, shape = self._input_and_state_shape(input)
        h = _as_state(hx, shape, self.weight_ih, "hx", "RNNCell")
        return rnn_cell(x, h, *self._weights(), nonlinearity=self.nonlinearity)


class LSTMCell(_Cell):
    """torch.nn.LSTMCell: weight_ih is (4H, I) with gate rows i, f, g, o; forward(x, (h, c))
    returns (h', c')."""

    gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        x, shape = self._input_and_state_shape(input)
        h, c = (None, None) if hx is None else hx
        h = _as_state(h, shape, self.weight_ih, "h_0", "LSTMCell")
        c = _as_state(c, shape, self.weight_ih, "c_0", "LSTMCell")
        return lstm_cell(x, (h, c), *self._weights())


class GRUCell(_Cell):
    """torch.nn.GRUCell: weight_ih is (3H, I) with gate rows r, z, n."""

    gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, shape = self._input_and_state_shape(input)
        h = _as_state(hx, shape, self.weight_ih, "hx", "GRUCell")
        return gru_cell(x, h, *self._weights())


def unroll(
    step: Callable[[Tensor, State], State],
    input: Tensor,
    state: State,
    *,
    time_axis: int = 0,
    tbptt_steps: int | None = None,
) -> tuple[Tensor, State]:
    """Run `step(x_t, state) -> state` over the time axis of input; returns (the stacked first
    state component at every step, the final state).

    With tbptt_steps=k the carried state is detached after every k steps: values are unchanged,
    but the gradient of an output at step t reaches back only to the start of its k-step window.
    """
    if tbptt_steps is not None and tbptt_steps < 1:
        raise ValueError(f"tbptt_steps must be a positive integer or None, got {tbptt_steps}")
    length = input.shape[time_axis]
    if length == 0:
        raise ValueError(f"input has no time steps (shape {input.shape})")
    lead = (slice(None),) * time_axis
    outputs = []
    for t in range(length):
        # Each slice's adjoint writes into a zero array of the whole input (O(L²) in backward);
        # fine at lesson sizes, and shape.split will remove it.
        state = step(input[(*lead, t)], state)
        outputs.append(state[0])
        if tbptt_steps and (t + 1) % tbptt_steps == 0 and t + 1 < length:
            state = tuple(s.detach() for s in state)
    return stack_steps(outputs, axis=time_axis), state


class _Recurrent(Module):
    """A single-layer RNN / LSTM over a sequence, with torch's parameter names (…_l0)."""

    gates = 1
    weight_ih_l0: Tensor
    weight_hh_l0: Tensor
    bias_ih_l0: Tensor | None
    bias_hh_l0: Tensor | None

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        tbptt_steps: int | None,
        seed: int | np.random.Generator,
        dtype: Any,
    ) -> None:
        owner = type(self).__name__
        _check_sizes(owner, input_size, hidden_size)
        if num_layers != 1:
            raise ValueError(f"{owner}: only num_layers=1 is implemented, got {num_layers}")
        if tbptt_steps is not None and tbptt_steps < 1:
            raise ValueError(f"{owner}: tbptt_steps must be >= 1 or None, got {tbptt_steps}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.tbptt_steps = bias, batch_first, tbptt_steps
        _gate_params(self, "_l0", self.gates, (input_size, hidden_size), bias, seed, dtype)

    def _weights(self) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        return self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0

    def _prepare(self, input: Any) -> tuple[Tensor, int, tuple[int, ...]]:
        """The input, its time axis, and the shape of h_0 / c_0 torch expects."""
        owner = type(self).__name__
        x = _as_input(input, self.weight_ih_l0, self.input_size, owner)
        if x.ndim == 2:  # unbatched (L, I): batch_first does not apply, as in torch
            return x, 0, (1, self.hidden_size)
        if x.ndim != 3:
            raise ValueError(
                f"{owner}: input must be (L, N, I), (N, L, I) or (L, I), got {x.shape}"
            )
        batch = x.shape[0] if self.batch_first else x.shape[1]
        return x, 1 if self.batch_first else 0, (1, batch, self.hidden_size)

    def forward(self, input: Any, hx: Any = None) -> Any:
        raise NotImplementedError

    def __call__(self, input: Any, hx: Any = None) -> Any:
        return self.forward(input, hx)


class RNN(_Recurrent):
    """torch.nn.RNN with one layer; forward(input, h_0) returns (output, h_n).

    output is (L, N, H) ((N, L, H) with batch_first), h_n is (1, N, H). tbptt_steps=k (not in
    torch) detaches the carried state every k steps: truncated backpropagation through time.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        *,
        tbptt_steps: int | None = None,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, tbptt_steps, seed, dtype
        )

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        x, time_axis, state_shape = self._prepare(input)
        h0 = _as_state(hx, state_shape, self.weight_ih_l0, "h_0", "RNN")[0]
        weights = self._weights()

        def step(x_t: Tensor, state: State) -> State:
            return (rnn_cell(x_t, state[0], *weights, nonlinearity=self.nonlinearity),)

        output, (h,) = unroll(step, x, (h0,), time_axis=time_axis, tbptt_steps=self.tbptt_steps)
        return output, h.reshape(state_shape)


class LSTM(_Recurrent):
    """torch.nn.LSTM with one layer; forward(input, (h_0, c_0)) returns (output, (h_n, c_n)).

    weight_ih_l0 is (4H, I) with gate rows i, f, g, o. tbptt_steps=k (not in torch) detaches
    h and c every k steps: truncated backpropagation through time.
    """

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        *,
        tbptt_steps: int | None = None,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, tbptt_steps, seed, dtype
        )

    def forward(  # type: ignore[override]
        self, input: Any, hx: Any = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, time_axis, state_shape = self._prepare(input)
        h0, c0 = (None, None) if hx is None else hx
        h0 = _as_state(h0, state_shape, self.weight_ih_l0, "h_0", "LSTM")[0]
        c0 = _as_state(c0, state_shape, self.weight_ih_l0, "c_0", "LSTM")[0]
        weights = self._weights()

        def step(x_t: Tensor, state: State) -> State:
            return lstm_cell(x_t, (state[0], state[1]), *weights)

        output, (h, c) = unroll(
            step, x, (h0, c0), time_axis=time_axis, tbptt_steps=self.tbptt_steps
        )
        return output, (h.reshape(state_shape), c.reshape(state_shape))

"""Helpers the sequence-models deck's demos share: independent NumPy references of the recurrent
cells (written from torch.nn's formulas, not from the engine's code), errors, gradient checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.demos.evidence import directional_check as directional_check  # shared, re-exported
from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.engine import Tensor

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy loop


def grad_of(t: Tensor | None) -> np.ndarray:
    """t.grad after backward; zeros when backward gave it none, and an empty array for a missing
    parameter (a check then fails, loudly, instead of the demo raising)."""
    if t is None:
        return np.zeros(0)
    return np.zeros_like(t.data) if t.grad is None else t.grad


def sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))


def rnn_reference(
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """Every h_t of h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) over x of (L, ..., I);
    returns (L, ..., H)."""
    h, out = h0, []
    for x_t in x:
        h = np.tanh(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        out.append(h)
    return np.stack(out)


def lstm_reference(
    x_t: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step with torch's row order i, f, g, o; returns (h', c', the gates)."""
    n = h.shape[-1]
    z = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    gates = {
        "i": sigmoid(z[..., :n]),
        "f": sigmoid(z[..., n : 2 * n]),
        "g": np.tanh(z[..., 2 * n : 3 * n]),
        "o": sigmoid(z[..., 3 * n :]),
    }
    c_next = gates["f"] * c + gates["i"] * gates["g"]
    return gates["o"] * np.tanh(c_next), c_next, gates


def gru_reference(
    x_t: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    reset_after_bias: bool = True,
) -> np.ndarray:
    """One GRU step with torch's row order r, z, n: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
    reset_after_bias=False is Cho et al.'s original form (Keras's reset_after=False): the reset
    gate scales h before the product, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)."""
    n = h.shape[-1]
    gi = x_t @ w_ih.T + b_ih
    hh = h @ w_hh.T
    r = sigmoid(gi[..., :n] + hh[..., :n] + b_hh[:n])
    z = sigmoid(gi[..., n : 2 * n] + hh[..., n : 2 * n] + b_hh[n : 2 * n])
    if reset_after_bias:
        hidden = r * (hh[..., 2 * n :] + b_hh[2 * n :])
    else:
        hidden = (r * h) @ w_hh[2 * n :].T + b_hh[2 * n :]
    candidate = np.tanh(gi[..., 2 * n :] + hidden)
    return (1 - z) * candidate + z * h


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal n×n matrix (QR of a Gaussian, signs fixed): every singular value 1."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def longest_path(output: Tensor, source: Tensor, ops: frozenset[str]) -> int:
    """The most `ops` nodes on any path from `source` to `output` in the engine's graph (−1 when
    output does not depend on source): how many of those steps must run one after another."""
    memo: dict[int, int] = {}
    stack: list[tuple[Tensor, bool]] = [(output, False)]
    while stack:  # iterative post-order: the graphs are as deep as the sequence
        node, expanded = stack.pop()
        key = id(node)
        if key in memo:
            continue
        if node is source:
            memo[key] = 0
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in memo)
            continue
        best = max((memo[id(p)] for p in node.parents), default=-1)
        memo[key] = best + (node.op in ops) if best >= 0 else -1
    return memo[id(output)]


def rnn_bptt(
    x: np.ndarray,
    h0: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    g: np.ndarray,
    window: int | None = None,
) -> dict[str, np.ndarray]:
    """Backprop through time by hand for L = Σ_t ⟨g_t, h_t⟩ over an unrolled tanh RNN, x of
    (L, ..., I): δ_t = (g_t + δ_{t+1} W_hh) ⊙ (1 − h_t²); dW_hh = Σ_t δ_tᵀ h_{t−1},
    dW_ih = Σ_t δ_tᵀ x_t, db = Σ_t δ_t, dx_t = δ_t W_ih, dh_0 = δ_1 W_hh. With window=k the
    carried δ is dropped at every window start t = k, 2k, … (truncated BPTT)."""
    w_ih, w_hh, b_ih, b_hh = weights
    h = rnn_reference(x, h0, w_ih, w_hh, b_ih, b_hh)
    prev = np.concatenate([h0[None], h[:-1]])
    carry = np.zeros_like(h0)
    deltas = np.zeros_like(h)
    for t in range(len(x) - 1, -1, -1):
        deltas[t] = (g[t] + carry) * (1 - h[t] ** 2)
        carry = deltas[t] @ w_hh
        if window is not None and t % window == 0:
            carry = np.zeros_like(carry)
    flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731
    d, p, xs = flat(deltas), flat(prev), flat(x)
    return {
        "h": h,
        "delta": deltas,
        "dW_hh": d.T @ p,
        "dW_ih": d.T @ xs,
        "db": d.sum(axis=0),
        "dx": deltas @ w_ih,
        "dh0": deltas[0] @ w_hh,
    }


def rnn_weights(module: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(W_ih, W_hh, b_ih, b_hh) of an engine RNN (…_l0) as arrays."""
    return cell_weights(module, "_l0")


def cell_weights(
    cell: object, suffix: str = ""
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(W_ih, W_hh, b_ih, b_hh) of an engine cell or layer as arrays; a missing bias reads as
    zeros (so a demo meets a broken parameter layout with a failed check, not an error)."""
    w_ih = getattr(cell, "weight_ih" + suffix).data
    w_hh = getattr(cell, "weight_hh" + suffix).data
    biases = [getattr(cell, name + suffix, None) for name in ("bias_ih", "bias_hh")]
    zeros = np.zeros(w_ih.shape[0])
    b_ih, b_hh = (zeros if b is None else b.data for b in biases)
    return w_ih, w_hh, b_ih, b_hh

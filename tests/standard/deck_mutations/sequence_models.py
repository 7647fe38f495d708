"""Deliberate engine bugs for the rules the sequence-models deck's demos rest on.

The recurrent layers look their cells (rnn_cell, lstm_cell, gru_cell), the time loop (unroll),
the parameter factory (_gate_params) and the lookup (embedding) up as globals of
app.engine.recurrent when they run, so patching those names changes every layer built or run
afterwards. An embedding's gradient is getitem's rule with an integer-array index
(shape._getitem_vjp): its bugs touch only that kind of index, never the time slices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import recurrent, shape
from app.engine.arith import linear
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import (
    SKEW,
    TOUCHED,
    Mutation,
    mark_if_changed,
    replace,
)

Make = Callable[[Callable[..., Any]], Callable[..., Any]]


def _marked(make: Make) -> Make:
    """A replacement that records whether the wrong result differs from the right one."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        wrong = make(original)

        def patched(*args: Any, **kwargs: Any) -> Any:
            return mark_if_changed(original(*args, **kwargs), wrong(*args, **kwargs))

        return patched

    return wrap


# --- the RNN cell ------------------------------------------------------------------------------
def _rnn_no_b_hh(original: Callable[..., Any]) -> Callable[..., Any]:
    def cell(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None, **kw: Any):
        return original(x, h, w_ih, w_hh, b_ih, None, **kw)

    return cell


def _rnn_w_hh_untransposed(original: Callable[..., Any]) -> Callable[..., Any]:
    def cell(x: Any, h: Any, w_ih: Any, w_hh: Any, *rest: Any, **kw: Any) -> Any:
        return original(x, h, w_ih, w_hh.T, *rest, **kw)

    return cell


def _skewed(original: Callable[..., Any]) -> Callable[..., Any]:
    def cell(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        return tuple(o * SKEW for o in out) if isinstance(out, tuple) else out * SKEW

    return cell


# --- the LSTM cell -----------------------------------------------------------------------------
def _lstm_parts(x: Tensor, hx: tuple, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any) -> tuple:
    h, c = hx
    n = h.shape[-1]
    z = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    gates = [z[..., k * n : (k + 1) * n] for k in range(4)]
    return c, gates


def _lstm_if_swapped(original: Callable[..., Any]) -> Callable[..., Any]:
    """The rows read as f, i, g, o: the input and forget gates trade places."""

    def cell(x: Tensor, hx: tuple, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None):
        c, (a_f, a_i, a_g, a_o) = _lstm_parts(x, hx, w_ih, w_hh, b_ih, b_hh)
        c_next = a_f.sigmoid() * c + a_i.sigmoid() * a_g.tanh()
        return a_o.sigmoid() * c_next.tanh(), c_next

    return cell


def _lstm_no_forget(original: Callable[..., Any]) -> Callable[..., Any]:
    """c' = c + i ⊙ g: the forget gate computed and never used."""

    def cell(x: Tensor, hx: tuple, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None):
        c, (a_i, _a_f, a_g, a_o) = _lstm_parts(x, hx, w_ih, w_hh, b_ih, b_hh)
        c_next = c + a_i.sigmoid() * a_g.tanh()
        return a_o.sigmoid() * c_next.tanh(), c_next

    return cell


def _lstm_no_output_tanh(original: Callable[..., Any]) -> Callable[..., Any]:
    """h' = o ⊙ c': the tanh on the cell forgotten."""

    def cell(x: Tensor, hx: tuple, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None):
        c, (a_i, a_f, a_g, a_o) = _lstm_parts(x, hx, w_ih, w_hh, b_ih, b_hh)
        c_next = a_f.sigmoid() * c + a_i.sigmoid() * a_g.tanh()
        return a_o.sigmoid() * c_next, c_next

    return cell


# --- the GRU cell ------------------------------------------------------------------------------
def _gru(variant: str) -> Make:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def cell(
            x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any = None, b_hh: Any = None
        ) -> Tensor:
            n = h.shape[-1]
            gi = linear(x, w_ih, b_ih)
            hh = linear(h, w_hh)
            bias = b_hh if b_hh is not None else Tensor(np.zeros(3 * n))
            r = (gi[..., :n] + hh[..., :n] + bias[:n]).sigmoid()
            z = (gi[..., n : 2 * n] + hh[..., n : 2 * n] + bias[n : 2 * n]).sigmoid()
            if variant == "reset_before_bias":
                hidden = r * hh[..., 2 * n :] + bias[2 * n :]
            else:
                hidden = r * (hh[..., 2 * n :] + bias[2 * n :])
            candidate = (gi[..., 2 * n :] + hidden).tanh()
            if variant == "z_swapped":
                return z * candidate + (1 - z) * h
            return (1 - z) * candidate + z * h

        return cell

    return make


# --- the parameters --------------------------------------------------------------------------
def _params_bug(kind: str) -> Make:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def gate_params(module: Any, suffix: str, gates: int, sizes: Any, bias: bool, *rest: Any):
            original(module, suffix, gates, sizes, bias, *rest)
            if not bias:
                return
            TOUCHED[0] = True
            if kind == "one_bias":
                setattr(module, "bias_hh" + suffix, None)
            else:  # one vector used twice
                setattr(module, "bias_hh" + suffix, getattr(module, "bias_ih" + suffix))

        return gate_params

    return make


# --- truncated BPTT ----------------------------------------------------------------------------
def _tbptt_bug(kind: str) -> Make:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def unroll(step: Any, input: Tensor, state: Any, *, time_axis: int = 0, tbptt_steps=None):
            k = tbptt_steps
            if k is not None and input.shape[time_axis] > k:
                TOUCHED[0] = True
                k = None if kind == "never" else k + 1
            return original(step, input, state, time_axis=time_axis, tbptt_steps=k)

        return unroll

    return make


# --- embedding ---------------------------------------------------------------------------------
def _advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _lookup_bug(kind: str) -> Make:
    def make(original: Callable[..., tuple]) -> Callable[..., tuple]:
        def vjp(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
            right = original(g, xs, out, ctx, need)
            if isinstance(g, Tensor) or not _advanced(ctx):
                return right
            if kind == "overwrite":
                wrong = np.zeros(xs[0].shape, dtype=g.dtype)
                wrong[ctx] = g  # a row read twice keeps one read's gradient
            else:
                wrong = right[0] * SKEW
            return mark_if_changed(right, (wrong,))

        return vjp

    return make


def _padding_ignored(original: Callable[..., Any]) -> Callable[..., Any]:
    def embedding(input: Any, weight: Tensor, padding_idx: Any = None) -> Tensor:
        index = np.asarray(input.data if isinstance(input, Tensor) else input)
        if padding_idx is not None and np.any(index == padding_idx % weight.shape[0]):
            TOUCHED[0] = True
        return original(input, weight, None)

    return embedding


MUTATIONS: list[Mutation] = [
    Mutation(
        "rnn_cell.forward", "b_hh left out", replace(recurrent, "rnn_cell", _marked(_rnn_no_b_hh))
    ),
    Mutation(
        "rnn_cell.forward",
        "h W_hh instead of h W_hhᵀ",
        replace(recurrent, "rnn_cell", _marked(_rnn_w_hh_untransposed)),
    ),
    Mutation(
        "rnn_cell.forward", "output off by 1e-4", replace(recurrent, "rnn_cell", _marked(_skewed))
    ),
    Mutation(
        "lstm_cell.forward",
        "gate rows read as f, i, g, o",
        replace(recurrent, "lstm_cell", _marked(_lstm_if_swapped)),
    ),
    Mutation(
        "lstm_cell.forward",
        "forget gate ignored: c' = c + i ⊙ g",
        replace(recurrent, "lstm_cell", _marked(_lstm_no_forget)),
    ),
    Mutation(
        "lstm_cell.forward",
        "h' = o ⊙ c' (tanh forgotten)",
        replace(recurrent, "lstm_cell", _marked(_lstm_no_output_tanh)),
    ),
    Mutation(
        "lstm_cell.forward", "output off by 1e-4", replace(recurrent, "lstm_cell", _marked(_skewed))
    ),
    Mutation(
        "gru_cell.forward",
        "reset gate applied before b_hn",
        replace(recurrent, "gru_cell", _marked(_gru("reset_before_bias"))),
    ),
    Mutation(
        "gru_cell.forward",
        "z and 1 − z swapped",
        replace(recurrent, "gru_cell", _marked(_gru("z_swapped"))),
    ),
    Mutation(
        "gru_cell.forward", "output off by 1e-4", replace(recurrent, "gru_cell", _marked(_skewed))
    ),
    Mutation(
        "recurrent.parameters",
        "one bias vector: b_hh left out",
        replace(recurrent, "_gate_params", _params_bug("one_bias")),
    ),
    Mutation(
        "recurrent.parameters",
        "b_hh the same tensor as b_ih",
        replace(recurrent, "_gate_params", _params_bug("shared_bias")),
    ),
    Mutation(
        "unroll.tbptt", "state never detached", replace(recurrent, "unroll", _tbptt_bug("never"))
    ),
    Mutation(
        "unroll.tbptt",
        "detached one step late (windows of k + 1)",
        replace(recurrent, "unroll", _tbptt_bug("late")),
    ),
    Mutation(
        "embedding.vjp",
        "a row looked up twice keeps one gradient (overwrite, not add)",
        replace(shape, "_getitem_vjp", _lookup_bug("overwrite")),
    ),
    Mutation(
        "embedding.vjp",
        "row gradients off by 1e-4",
        replace(shape, "_getitem_vjp", _lookup_bug("skew")),
    ),
    Mutation(
        "embedding.padding_idx",
        "the padding row gets a gradient like any other",
        replace(recurrent, "embedding", _padding_ignored),
    ),
]

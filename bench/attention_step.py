"""Benchmark one SGD step of a small Transformer block: engine vs hand-written NumPy (vs PyTorch).

The block (batch 8, sequence 32, width 64, 4 heads): y = h + W2 relu(W1 h + b1) + b2 with
h = x + MultiheadAttention(x, x, x), then an MSE loss and a plain SGD update. No LayerNorm:
the engine's layer_norm is being written separately, and leaving it out of both candidates keeps
them computing the same math. Run with `python -m bench.attention_step` (`--quick` for a smoke
run). Candidates are interleaved round by round in this one process; each time is the best of
the rounds (the least disturbed by the other jobs on a shared machine).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from app.engine import Tensor, linear, mse_loss
from app.engine.attention import MultiheadAttention
from bench.steps import Step, optional_torch, print_table, torch_sgd

LR = 1e-3
BATCH, LENGTH, WIDTH, HEADS, HIDDEN = 8, 32, 64, 4, 256


torch = optional_torch()


def make_data(dtype: Any) -> dict[str, np.ndarray]:
    """Inputs and the initial weights every candidate starts from (PyTorch's layouts)."""
    rng = np.random.default_rng(0)
    e, f = WIDTH, HIDDEN

    def uniform(bound: float, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(-bound, bound, shape).astype(dtype)

    return {
        "x": rng.standard_normal((BATCH, LENGTH, e)).astype(dtype),
        "target": rng.standard_normal((BATCH, LENGTH, e)).astype(dtype),
        "w_in": uniform(np.sqrt(6 / (4 * e)), (3 * e, e)),
        "b_in": uniform(0.1, (3 * e,)),
        "w_out": uniform(1 / np.sqrt(e), (e, e)),
        "b_out": uniform(0.1, (e,)),
        "w1": uniform(1 / np.sqrt(e), (f, e)),
        "b1": uniform(1 / np.sqrt(e), (f,)),
        "w2": uniform(1 / np.sqrt(f), (e, f)),
        "b2": uniform(1 / np.sqrt(f), (e,)),
    }


PARAMS = ("w_in", "b_in", "w_out", "b_out", "w1", "b1", "w2", "b2")


def engine_step(data: dict[str, np.ndarray]) -> tuple[Step, list[Tensor]]:
    mha = MultiheadAttention(WIDTH, HEADS, dtype=data["x"].dtype)
    mha.in_proj_weight.data[...] = data["w_in"]
    mha.in_proj_bias.data[...] = data["b_in"]  # type: ignore[union-attr]
    mha.out_proj.weight.data[...] = data["w_out"]
    mha.out_proj.bias.data[...] = data["b_out"]  # type: ignore[union-attr]
    w1, b1, w2, b2 = (Tensor(data[k].copy(), requires_grad=True) for k in ("w1", "b1", "w2", "b2"))
    assert mha.in_proj_bias is not None and mha.out_proj.bias is not None
    params = [mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias]
    params += [w1, b1, w2, b2]
    x, target = Tensor(data["x"]), Tensor(data["target"])

    def step() -> float:
        attended, _ = mha(x, x, x, need_weights=False)
        h = x + attended
        y = h + linear(linear(h, w1, b1).relu(), w2, b2)
        loss = mse_loss(y, target)
        loss.backward()
        for p in params:
            assert p.grad is not None
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step, params


def numpy_step(data: dict[str, np.ndarray]) -> tuple[Step, list[np.ndarray]]:
    """The same forward and backward, derived by hand."""
    params = [data[k].copy() for k in PARAMS]
    w_in, b_in, w_out, b_out, w1, b1, w2, b2 = params
    x, target = data["x"], data["target"]
    n, length, e = x.shape
    d = e // HEADS
    scale = float(1 / np.sqrt(d))  # a Python float: a NumPy float64 would promote float32
    x2 = x.reshape(-1, e)

    def step() -> float:
        # forward
        qkv = x @ w_in.T + b_in
        q, k, v = qkv.reshape(n, length, 3, HEADS, d).transpose(2, 0, 3, 1, 4)
        scores = (q @ k.swapaxes(-1, -2)) * scale
        scores -= scores.max(axis=-1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=-1, keepdims=True)
        heads = p @ v
        merged = heads.transpose(0, 2, 1, 3).reshape(n * length, e)
        h = x2 + merged @ w_out.T + b_out
        z = h @ w1.T + b1
        r = np.maximum(z, 0)
        diff = h + r @ w2.T + b2 - target.reshape(-1, e)
        loss = np.vdot(diff, diff) / diff.size
        # backward
        dy = diff * (2 / diff.size)
        dw2, db2 = dy.T @ r, dy.sum(axis=0)
        dz = (dy @ w2) * (z > 0)
        dw1, db1 = dz.T @ h, dz.sum(axis=0)
        dh = dy + dz @ w1
        dw_out, db_out = dh.T @ merged, dh.sum(axis=0)
        dheads = (dh @ w_out).reshape(n, length, HEADS, d).transpose(0, 2, 1, 3)
        dp = dheads @ v.swapaxes(-1, -2)
        dv = p.swapaxes(-1, -2) @ dheads
        dscores = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) * scale
        dq, dk = dscores @ k, dscores.swapaxes(-1, -2) @ q
        dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(-1, 3 * e)
        dw_in, db_in = dqkv.T @ x2, dqkv.sum(axis=0)
        for param, g in zip(
            params, (dw_in, db_in, dw_out, db_out, dw1, db1, dw2, db2), strict=True
        ):
            param -= LR * g
        return float(loss)

    return step, params


def torch_step(data: dict[str, np.ndarray]) -> Step:
    assert torch is not None
    functional = torch.nn.functional
    params = [torch.tensor(data[k], requires_grad=True) for k in PARAMS]
    w_in, b_in, w_out, b_out, w1, b1, w2, b2 = params
    x, target = torch.from_numpy(data["x"]), torch.from_numpy(data["target"])
    n, length, e = x.shape

    def step() -> float:
        q, k, v = (
            functional.linear(x, w_in, b_in)
            .reshape(n, length, 3, HEADS, e // HEADS)
            .permute(2, 0, 3, 1, 4)
        )
        heads = functional.scaled_dot_product_attention(q, k, v)
        h = x + functional.linear(heads.transpose(1, 2).reshape(n, length, e), w_out, b_out)
        y = h + functional.linear(functional.linear(h, w1, b1).relu(), w2, b2)
        loss = functional.mse_loss(y, target)
        loss.backward()
        torch_sgd(params, LR)
        return loss.item()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke test")
    report(parser.parse_args().quick)


def report(quick: bool) -> None:
    """Print this benchmark's table (bench.engine prints it after its own)."""
    rounds, repeat = (5, 5) if quick else (40, 10)
    print_table(
        "transformer block",
        make_data,
        engine_step,
        numpy_step,
        torch_step if torch else None,
        rounds,
        repeat,
    )
    print(
        f"\nbatch {BATCH}, sequence {LENGTH}, width {WIDTH}, {HEADS} heads, MLP {HIDDEN}; no norm"
    )
    if torch is None:
        print("PyTorch is not importable: its column is n/a.")


if __name__ == "__main__":
    main()

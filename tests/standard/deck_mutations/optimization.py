"""Deliberate engine bugs for the rules the optimization deck's demos rest on.

The optimizers' rules live in each class's `_update`; a bug is a full re-implementation of the
documented update with one slip, swapped in for `_update`. The patched method first runs the
real update on copies, so it can tell whether the slip changed anything (TOUCHED) before it
applies the wrong one. Clipping bugs swap the module functions; scheduler bugs wrap get_lr.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.engine import lr_scheduler, optim
from app.engine.optim import SGD, Adagrad, Adam, Optimizer, RMSprop
from tests.standard.mutation_kit import SKEW, TOUCHED, Mutation, class_method, differs, swap

Update = Callable[..., None]


def _states_differ(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if set(a) != set(b):
        return True
    return any(differs(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] != b[k] for k in a)


def _update_bug(cls: type, wrong: Update) -> Callable[[pytest.MonkeyPatch], None]:
    """Swap cls._update for `wrong(self, p, grad, state, group)`, noting when it differs."""

    def make(original: Update) -> Update:
        def mutated(self: Any, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
            before, saved = p.data.copy(), copy.deepcopy(state)
            original(self, p, grad, state, group)
            right, right_state = p.data.copy(), copy.deepcopy(state)
            p.data[...] = before
            state.clear()
            state.update(saved)
            wrong(self, p, grad, state, group)
            if differs(right, p.data) or _states_differ(right_state, state):
                TOUCHED[0] = True

        return mutated

    return class_method(cls, "_update", make)


# --- SGD -------------------------------------------------------------------------------------
def _sgd(
    *,
    lr_scale: float = 1.0,
    ascent: bool = False,
    decay_sign: float = 1.0,
    mu_scale: float = 1.0,
    ema: bool = False,
    nesterov_ignored: bool = False,
    lookahead_scale: float = 1.0,
) -> Update:
    def update(self: Any, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        lr = group["lr"] * lr_scale
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + decay_sign * group["weight_decay"] * p.data
        mu = group["momentum"] * mu_scale
        if group["momentum"]:
            scaled = g
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(scaled, copy=True)
            else:
                damp = mu if ema else group["dampening"]
                buf *= mu
                buf += (1 - damp) * scaled
            if group["nesterov"] and not nesterov_ignored:
                g = g + lookahead_scale * mu * buf
            else:
                g = buf
        p.data -= (-lr if ascent else lr) * g

    return update


# --- Adam ------------------------------------------------------------------------------------
def _adam(
    *,
    beta1_scale: float = 1.0,
    beta2_scale: float = 1.0,
    m_undamped: bool = False,
    correct_m: bool = True,
    correct_v: bool = True,
    correction_skew: float = 1.0,
    eps_inside: bool = False,
    decay_mode: str = "right",
    decay_scale: float = 1.0,
) -> Update:
    def update(self: Any, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        b1, b2 = b1 * beta1_scale, b2 * beta2_scale
        decay = group["weight_decay"] * decay_scale
        decoupled = group["decoupled_weight_decay"]
        if decay_mode == "swapped":
            decoupled = not decoupled
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        if decay and decoupled:
            p.data *= 1 - (decay if decay_mode == "no_lr" else lr * decay)
        elif decay:
            g = g + decay * p.data
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1.0 if m_undamped else 1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        m_hat = m / ((1 - b1**t) * correction_skew) if correct_m else m
        v_hat = v / (1 - b2**t) if correct_v else v
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        p.data -= lr * m_hat / denom

    return update


# --- RMSprop and Adagrad ---------------------------------------------------------------------
def _rmsprop(
    *,
    swapped: bool = False,
    eps_inside: bool = False,
    corrected: bool = False,
    alpha_scale: float = 1.0,
) -> Update:
    def update(self: Any, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        alpha, eps = group["alpha"] * alpha_scale, group["eps"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        keep, new = (1 - alpha, alpha) if swapped else (alpha, 1 - alpha)
        v *= keep
        v += new * g * g
        v_tilde = v / (1 - alpha ** state["step"]) if corrected else v
        if group["centered"]:
            g_ave = state["grad_avg"]
            g_ave *= alpha
            g_ave += (1 - alpha) * g
            v_tilde = v_tilde - g_ave * g_ave
        step = g / (np.sqrt(v_tilde + eps) if eps_inside else np.sqrt(v_tilde) + eps)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += step
            step = buf
        p.data -= group["lr"] * step

    return update


def _adagrad(
    *,
    ema: bool = False,
    lr_decay_ignored: bool = False,
    start_ignored: bool = False,
    sum_scale: float = 1.0,
) -> Update:
    def update(self: Any, p: Any, grad: np.ndarray, state: dict, group: dict) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            start = 0.0 if start_ignored else group["initial_accumulator_value"]
            state["sum"] = np.full_like(p.data, start)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        decay = 0.0 if lr_decay_ignored else group["lr_decay"]
        clr = group["lr"] / (1 + (state["step"] - 1) * decay)
        if ema:
            state["sum"] *= 0.99
            state["sum"] += 0.01 * g * g
        else:
            state["sum"] += g * g
        p.data -= clr * g / (np.sqrt(state["sum"] * sum_scale) + group["eps"])

    return update


# --- None gradients --------------------------------------------------------------------------
def _step_treating_none_as_zero(self: Optimizer, closure: Any = None) -> Any:
    """step() that gives a parameter with .grad None a zero gradient instead of skipping it."""
    loss = closure() if closure is not None else None
    for group in self.param_groups:
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                TOUCHED[0] = True
                grad = np.zeros_like(p.data)
            self._update(p, grad, self.state.setdefault(p, {}), group)
    return loss


# --- clipping --------------------------------------------------------------------------------
def _grads(parameters: Any) -> list[np.ndarray]:
    params = [parameters] if hasattr(parameters, "data") else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _clip_norm_bug(kind: str) -> Callable[..., float]:
    def clip(
        parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
    ) -> float:
        params = [parameters] if hasattr(parameters, "data") else list(parameters)
        before = [g.copy() for g in _grads(params)]
        total = float(np.sqrt(sum(float(np.sum(g * g)) for g in before)))
        grads = _grads(params)
        if kind == "per_tensor":
            for g in grads:
                norm = float(np.linalg.norm(g))
                g *= min(1.0, max_norm / (norm + 1e-6))
        elif kind == "always":
            for g in grads:
                g *= max_norm / (total + 1e-6)
        elif kind == "skew":
            for g in grads:
                g *= min(1.0, max_norm * SKEW / (total + 1e-6))
        copies = [g.copy() for g in before]
        for g in copies:
            g *= min(1.0, max_norm / (total + 1e-6))
        if any(differs(a, b) for a, b in zip(copies, grads, strict=True)):
            TOUCHED[0] = True
        return total

    return clip


def _clip_value_bug(kind: str) -> Callable[..., None]:
    def clip(parameters: Any, clip_value: float) -> None:
        for g in _grads(parameters):
            right = np.clip(g, -clip_value, clip_value)
            if kind == "norm":
                norm = float(np.linalg.norm(g))
                g *= min(1.0, clip_value / (norm + 1e-6))
            elif kind == "positive_only":
                np.clip(g, 0.0, clip_value, out=g)
            else:
                np.clip(g, -clip_value * SKEW, clip_value * SKEW, out=g)
            if differs(right, g):
                TOUCHED[0] = True

    return clip


# --- schedulers ------------------------------------------------------------------------------
def _lr_bug(wrong: Callable[[Any, list[float]], list[float]]) -> Callable[[Any], Any]:
    def make(original: Callable[[Any], list[float]]) -> Callable[[Any], list[float]]:
        def get_lr(self: Any) -> list[float]:
            right = original(self)
            bad = wrong(self, right)
            if any(r != b for r, b in zip(right, bad, strict=True)):
                TOUCHED[0] = True
            return bad

        return get_lr

    return make


def _step_early(self: Any, right: list[float]) -> list[float]:
    """StepLR decaying at epochs step_size − 1, 2·step_size − 1, …"""
    k = self.last_epoch + 1
    return [b * self.gamma ** (k // self.step_size) for b in self.base_lrs]


def _cosine_off_by_one(self: Any, right: list[float]) -> list[float]:
    """The cosine over T_max + 1 epochs."""
    cos = math.cos(math.pi * self.last_epoch / (self.T_max + 1))
    return [self.eta_min + (b - self.eta_min) * (1 + cos) / 2 for b in self.base_lrs]


def _cosine_full_period(self: Any, right: list[float]) -> list[float]:
    """cos(2π·epoch/T_max): the schedule comes back up to base_lr at T_max."""
    cos = math.cos(2 * math.pi * self.last_epoch / self.T_max)
    return [self.eta_min + (b - self.eta_min) * (1 + cos) / 2 for b in self.base_lrs]


def _linear_starts_at_base(self: Any, right: list[float]) -> list[float]:
    """Warmup forgotten on the first step: epoch 0 at the full lr."""
    return list(self.base_lrs) if self.last_epoch == 0 else right


def _lambda_off_by_one(self: Any, right: list[float]) -> list[float]:
    return [
        b * fn(self.last_epoch + 1) for b, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)
    ]


def _skewed(self: Any, right: list[float]) -> list[float]:
    return [lr * SKEW if self.last_epoch > 0 else lr for lr in right]


MUTATIONS: list[Mutation] = [
    Mutation("optim.sgd_step", "lr off by 1e-4", _update_bug(SGD, _sgd(lr_scale=SKEW))),
    Mutation("optim.sgd_step", "ascent: θ ← θ + γg", _update_bug(SGD, _sgd(ascent=True))),
    Mutation(
        "optim.sgd_step",
        "weight decay with the wrong sign",
        _update_bug(SGD, _sgd(decay_sign=-1.0)),
    ),
    Mutation("optim.sgd_momentum", "μ off by 1e-4", _update_bug(SGD, _sgd(mu_scale=SKEW))),
    Mutation(
        "optim.sgd_momentum", "EMA momentum b ← μb + (1 − μ)g", _update_bug(SGD, _sgd(ema=True))
    ),
    Mutation(
        "optim.sgd_nesterov",
        "nesterov ignored: heavy ball",
        _update_bug(SGD, _sgd(nesterov_ignored=True)),
    ),
    Mutation(
        "optim.sgd_nesterov",
        "look-ahead μb off by 1e-4",
        _update_bug(SGD, _sgd(lookahead_scale=SKEW)),
    ),
    Mutation("optim.adam_moments", "β₁ off by 1e-4", _update_bug(Adam, _adam(beta1_scale=SKEW))),
    Mutation("optim.adam_moments", "β₂ off by 1e-4", _update_bug(Adam, _adam(beta2_scale=SKEW))),
    Mutation(
        "optim.adam_moments", "m ← β₁m + g (no 1 − β₁)", _update_bug(Adam, _adam(m_undamped=True))
    ),
    Mutation(
        "optim.adam_bias_correction",
        "no bias correction",
        _update_bug(Adam, _adam(correct_m=False, correct_v=False)),
    ),
    Mutation(
        "optim.adam_bias_correction", "only m corrected", _update_bug(Adam, _adam(correct_v=False))
    ),
    Mutation(
        "optim.adam_bias_correction",
        "1 − β₁ᵗ off by 1e-4",
        _update_bug(Adam, _adam(correction_skew=SKEW)),
    ),
    Mutation(
        "optim.adam_bias_correction",
        "ε inside the square root",
        _update_bug(Adam, _adam(eps_inside=True)),
    ),
    Mutation(
        "optim.adam_weight_decay",
        "L2 and decoupled decay swapped",
        _update_bug(Adam, _adam(decay_mode="swapped")),
    ),
    Mutation(
        "optim.adam_weight_decay",
        "decoupled decay without the lr: θ(1 − λ)",
        _update_bug(Adam, _adam(decay_mode="no_lr")),
    ),
    Mutation(
        "optim.adam_weight_decay", "λ off by 1e-4", _update_bug(Adam, _adam(decay_scale=SKEW))
    ),
    Mutation("optim.rmsprop", "α and 1 − α swapped", _update_bug(RMSprop, _rmsprop(swapped=True))),
    Mutation(
        "optim.rmsprop", "ε inside the square root", _update_bug(RMSprop, _rmsprop(eps_inside=True))
    ),
    Mutation(
        "optim.rmsprop",
        "bias-corrected v (Adam's habit)",
        _update_bug(RMSprop, _rmsprop(corrected=True)),
    ),
    Mutation(
        "optim.rmsprop", "α off by 1e-4", _update_bug(RMSprop, _rmsprop(alpha_scale=1 - 1e-4))
    ),
    Mutation(
        "optim.adagrad",
        "a moving average instead of the sum",
        _update_bug(Adagrad, _adagrad(ema=True)),
    ),
    Mutation(
        "optim.adagrad", "lr_decay ignored", _update_bug(Adagrad, _adagrad(lr_decay_ignored=True))
    ),
    Mutation(
        "optim.adagrad",
        "initial_accumulator_value ignored",
        _update_bug(Adagrad, _adagrad(start_ignored=True)),
    ),
    Mutation(
        "optim.adagrad", "accumulator off by 1e-4", _update_bug(Adagrad, _adagrad(sum_scale=SKEW))
    ),
    Mutation(
        "optim.skip_none_grad",
        "a None .grad stepped as zeros",
        class_method(Optimizer, "step", lambda original: _step_treating_none_as_zero),
    ),
    Mutation(
        "optim.clip_grad_norm",
        "each tensor clipped on its own",
        swap(optim, "clip_grad_norm_", _clip_norm_bug("per_tensor")),
    ),
    Mutation(
        "optim.clip_grad_norm",
        "always rescaled to max_norm, small ones too",
        swap(optim, "clip_grad_norm_", _clip_norm_bug("always")),
    ),
    Mutation(
        "optim.clip_grad_norm",
        "max_norm off by 1e-4",
        swap(optim, "clip_grad_norm_", _clip_norm_bug("skew")),
    ),
    Mutation(
        "optim.clip_grad_value",
        "each tensor's norm clipped to c",
        swap(optim, "clip_grad_value_", _clip_value_bug("norm")),
    ),
    Mutation(
        "optim.clip_grad_value",
        "clamped into [0, c]",
        swap(optim, "clip_grad_value_", _clip_value_bug("positive_only")),
    ),
    Mutation(
        "optim.clip_grad_value",
        "c off by 1e-4",
        swap(optim, "clip_grad_value_", _clip_value_bug("skew")),
    ),
    Mutation(
        "lr_scheduler.step",
        "decays one epoch early",
        class_method(lr_scheduler.StepLR, "get_lr", _lr_bug(_step_early)),
    ),
    Mutation(
        "lr_scheduler.step",
        "lr off by 1e-4",
        class_method(lr_scheduler.StepLR, "get_lr", _lr_bug(_skewed)),
    ),
    Mutation(
        "lr_scheduler.cosine",
        "cosine over T_max + 1",
        class_method(lr_scheduler.CosineAnnealingLR, "get_lr", _lr_bug(_cosine_off_by_one)),
    ),
    Mutation(
        "lr_scheduler.cosine",
        "a full period cos(2πt/T_max)",
        class_method(lr_scheduler.CosineAnnealingLR, "get_lr", _lr_bug(_cosine_full_period)),
    ),
    Mutation(
        "lr_scheduler.cosine",
        "lr off by 1e-4",
        class_method(lr_scheduler.CosineAnnealingLR, "get_lr", _lr_bug(_skewed)),
    ),
    Mutation(
        "lr_scheduler.linear",
        "warmup starts at the full lr",
        class_method(lr_scheduler.LinearLR, "get_lr", _lr_bug(_linear_starts_at_base)),
    ),
    Mutation(
        "lr_scheduler.linear",
        "lr off by 1e-4",
        class_method(lr_scheduler.LinearLR, "get_lr", _lr_bug(_skewed)),
    ),
    Mutation(
        "lr_scheduler.lambda",
        "lr_lambda(epoch + 1)",
        class_method(lr_scheduler.LambdaLR, "get_lr", _lr_bug(_lambda_off_by_one)),
    ),
    Mutation(
        "lr_scheduler.lambda",
        "lr off by 1e-4",
        class_method(lr_scheduler.LambdaLR, "get_lr", _lr_bug(_skewed)),
    ),
]

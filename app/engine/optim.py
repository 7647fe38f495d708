"""Optimizers as torch.optim has them: SGD, Adam, AdamW, RMSprop, Adagrad, and gradient clipping.

Each `step()` follows the pseudo-code on the class's page of the torch.optim documentation
(quoted in the class docstring, symbols as there: γ lr, λ weight decay, μ momentum). Updates run
in place on `p.data` with NumPy, outside any graph; a parameter whose `.grad` is None is skipped
entirely (no decay, no state change), one whose `.grad` was zeroed still takes its decay and
momentum. Python-float hyperparameters keep float32 parameters float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from app.engine.tensor import Tensor, enable_grad

Params = Iterable[Tensor] | Iterable[dict[str, Any]]


def _at_least(name: str, value: float, low: float = 0.0) -> None:
    if not value >= low:  # written so that NaN fails too
        raise ValueError(f"{name} must be >= {low}, got {value!r}")


class Optimizer:
    """Base class: parameter groups (dicts with 'params' and the hyperparameters) and state.

    `param_groups[i]['lr']` is read at every step, so a scheduler (lr_scheduler.py) changes the
    learning rate by writing it. `state[p]` holds the per-parameter buffers a subclass keeps
    (momentum, moments, step counts), created on the parameter's first step as in PyTorch.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts, got a single Tensor "
                "(wrap it in a list)"
            )
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError("params must not be empty: the optimizer got no parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; hyperparameters it leaves out take the defaults."""
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"params must contain Tensors, got {type(p).__name__}")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(group)

    @property
    def params(self) -> list[Tensor]:
        """Every parameter of every group, in order."""
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None by default (PyTorch >= 2.0), or zeros in
        place with set_to_none=False (the next step then still applies decay and momentum)."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter with a .grad; returns closure() if one is given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state.setdefault(p, {}), group)
        return loss

    def _update(
        self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """.grad = None for each parameter, or (set_to_none=False) its .grad filled with 0.0: the one
    definition of forgetting a gradient, for optimizers and Module.zero_grad alike."""
    for p in params:
        if set_to_none:
            p.grad = None
        elif p.grad is not None:
            p.grad.fill(0.0)


class SGD(Optimizer):
    r"""torch.optim.SGD, the pseudo-code of its documentation (PyTorch >= 1.10):

        g ← ∇f(θ);  if λ ≠ 0: g ← g + λθ
        if μ ≠ 0:  b ← g on the first step, else b ← μ b + (1 − τ) g
                   g ← g + μ b if nesterov else b
        θ ← θ + γ g if maximize else θ − γ g

    This is PyTorch's variant, v = μv + g; p −= lr·v (the learning rate outside the buffer),
    not Sutskever et al.'s v = μv + lr·g; the two agree for a constant lr. The momentum buffer
    starts as the first gradient itself, so dampening does not touch the first step.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _at_least("lr", lr)
        _at_least("momentum", momentum)
        _at_least("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        # One scratch array per parameter, reused every step: allocating a fresh lr * grad
        # for big float64 layers costs as much as the update itself.
        self._scratch: dict[Tensor, np.ndarray] = {}

    def _update(
        self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        scratch = self._scratch.get(p)
        if scratch is None or scratch.shape != p.data.shape or scratch.dtype != p.data.dtype:
            scratch = self._scratch[p] = np.empty_like(p.data)
        np.multiply(g, group["lr"], out=scratch, casting="same_kind")
        p.data -= scratch


class Adam(Optimizer):
    r"""torch.optim.Adam, the pseudo-code of its documentation (L2 penalty in the gradient):

        g ← ∇f(θ) (−∇f(θ) if maximize);  if λ ≠ 0: g ← g + λθ
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
        m̂ ← m / (1 − β₁ᵗ);      v̂ ← v / (1 − β₂ᵗ)
        θ ← θ − γ m̂ / (√v̂ + ε)

    With amsgrad, v̂ uses v_max ← max(v_max, v), the maximum of the raw second moments, before
    the bias correction: what the code does and the documentation states since PyTorch 2.6
    (pytorch/pytorch#142323; earlier pages took the maximum of the corrected v̂). On the first
    step m̂ = g and v̂ = g², so every coordinate moves by γ·g/(|g| + ε) ≈ γ·sign(g), whatever
    the gradient's scale.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _at_least("lr", lr)
        _at_least("eps", eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"betas[{i}] must be in [0, 1), got {beta!r}")
        _at_least("weight_decay", weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(
        self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), eps, decay = (group[k] for k in ("lr", "betas", "eps", "weight_decay"))
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        if decay and group["decoupled_weight_decay"]:
            p.data *= 1 - lr * decay  # AdamW: θ ← θ − γλθ, outside the moments
        elif decay:
            g = g + decay * p.data  # Adam: the L2 penalty's gradient joins g and its moments
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # √(v/(1−β₂ᵗ)) written as √v/√(1−β₂ᵗ) and m̂ folded into the step size, as PyTorch
        # does: the same numbers with one array fewer.
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
        p.data -= (lr / (1 - beta1**t)) * m / denom


class AdamW(Adam):
    r"""torch.optim.AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), per its
    documentation's pseudo-code:

        θ ← θ − γλθ                      (before the Adam step, on the parameter itself)
        m, v, m̂, v̂ as in Adam from the raw gradient g (no λθ in it)
        θ ← θ − γ m̂ / (√v̂ + ε)

    In Adam the L2 term λθ is divided by √v̂ like the gradient, so a parameter with a large
    second moment is barely decayed; here every parameter shrinks by the same factor 1 − γλ.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    r"""torch.optim.RMSprop, the pseudo-code of its documentation:

        g ← ∇f(θ);  if λ ≠ 0: g ← g + λθ
        v ← α v + (1 − α) g²;   ṽ ← v
        if centered: g_ave ← α g_ave + (1 − α) g;  ṽ ← ṽ − g_ave²
        if μ > 0: b ← μ b + g / (√ṽ + ε);  θ ← θ − γ b
        else:     θ ← θ − γ g / (√ṽ + ε)

    ε is added after the square root (TensorFlow adds it inside). Centered divides by an
    estimate of the gradient's standard deviation instead of its root mean square.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _at_least("lr", lr)
        _at_least("eps", eps)
        _at_least("momentum", momentum)
        _at_least("weight_decay", weight_decay)
        _at_least("alpha", alpha)
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (g * g)
        v_tilde = v
        if group["centered"]:
            g_ave = state["grad_avg"]
            g_ave *= alpha
            g_ave += (1 - alpha) * g
            v_tilde = v - g_ave * g_ave
        step = g / (np.sqrt(v_tilde) + eps)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += step
            step = buf
        p.data -= group["lr"] * step


class Adagrad(Optimizer):
    r"""torch.optim.Adagrad, the pseudo-code of its documentation:

        γ̃ ← γ / (1 + (t − 1) η)          (η: lr_decay)
        g ← ∇f(θ);  if λ ≠ 0: g ← g + λθ
        state_sum ← state_sum + g²        (state_sum starts at initial_accumulator_value)
        θ ← θ − γ̃ g / (√state_sum + ε)

    The sum never forgets, so with a constant gradient the step is γ/√t: Adagrad's effective
    learning rate only falls (RMSprop's moving average is the fix).
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _at_least("lr", lr)
        _at_least("lr_decay", lr_decay)
        _at_least("weight_decay", weight_decay)
        _at_least("initial_accumulator_value", initial_accumulator_value)
        _at_least("eps", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        p.data -= clr * g / (np.sqrt(state["sum"]) + group["eps"])


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """torch.nn.utils.clip_grad_norm_: rescale all gradients together so that their joint
    norm (of the gradients concatenated into one vector) is at most max_norm.

    Every .grad is multiplied in place by min(1, max_norm / (total + 1e-6)); the 1e-6 keeps a
    zero gradient finite. Returns the total norm before clipping. norm_type may be inf.
    """
    grads = _with_grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        # The norm of the per-tensor norms is the norm of the concatenation, without copying.
        norms = [np.linalg.norm(g.ravel(), ord=norm_type) for g in grads]
        total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}: non-finite, "
            "so they cannot be clipped (error_if_nonfinite=True)"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """torch.nn.utils.clip_grad_value_: clamp every gradient entry into [-clip_value,
    clip_value] in place (each entry on its own, so the direction can change)."""
    _at_least("clip_value", clip_value)
    for g in _with_grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)

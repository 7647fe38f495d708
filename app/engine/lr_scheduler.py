"""Learning-rate schedules as torch.optim.lr_scheduler has them: StepLR, CosineAnnealingLR,
LinearLR (warmup) and LambdaLR.

A scheduler writes `optimizer.param_groups[i]['lr']`; call `scheduler.step()` once per epoch
(or per iteration), after `optimizer.step()`. As in PyTorch, constructing a scheduler already
applies its epoch-0 value (LinearLR starts at start_factor·lr at once), `last_epoch` counts the
steps taken, and `base_lrs` are each group's 'initial_lr', the lr before any scheduler touched it.

StepLR, LinearLR and CosineAnnealingLR compute PyTorch's *chainable* (recursive) form: each
step multiplies the current lr by the ratio of the schedule's consecutive values. Alone, that
gives exactly the closed form (`_get_closed_form_lr`, in each docstring); two schedulers
stepped together on one optimizer then compose multiplicatively, as in PyTorch (e.g. LinearLR
warmup times a cosine decay). LambdaLR is not chainable: it sets base_lr·lr_lambda(epoch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from app.engine.optim import Optimizer


class LRScheduler:
    """Base class: keeps last_epoch and base_lrs, and writes get_lr() into the groups on step()."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                # setdefault: a second scheduler on the same optimizer keeps the true base lr.
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param_groups[{i}] has no 'initial_lr', needed to resume a schedule at "
                    f"last_epoch={last_epoch}"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()  # the epoch-0 value (PyTorch's _initial_step)

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch `last_epoch` (already incremented)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group as the last step() set it."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the optimizer."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


def _positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs: lr = base_lr · gamma^⌊epoch/step_size⌋."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive_int("step_size", step_size)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr by a factor going linearly from start_factor (epoch 0) to end_factor
    (epoch total_iters, and after): lr = base_lr · (s + (e − s) · min(epoch, T) / T).

    The usual warmup: LinearLR(opt, start_factor=0.1, total_iters=5) ramps 0.1·lr → lr.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        _positive_int("total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        s, e, t = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return [lr * s for lr in self._current()]
        if self.last_epoch > t:
            return self._current()
        # factor(k)/factor(k−1), with factor(k) = s + (e − s)·k/T, multiplied through by T.
        ratio = 1.0 + (e - s) / (t * s + (self.last_epoch - 1) * (e - s))
        return [lr * ratio for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        s, e, t = self.start_factor, self.end_factor, self.total_iters
        factor = s + (e - s) * min(t, self.last_epoch) / t
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts) from base_lr down to eta_min over T_max epochs:

        lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2

    computed recursively as PyTorch does, lr ← eta_min + (lr − eta_min)·(1 + cos(πt/T))/(1 +
    cos(π(t−1)/T)), which equals the closed form when this scheduler alone sets the lr. Past
    T_max the cosine keeps going, so the lr climbs back towards base_lr (period 2·T_max).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive_int("T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, big_t, low = self.last_epoch, self.T_max, self.eta_min
        if t == 0:
            return self._current()
        if self._step_count == 1:  # resumed at last_epoch > 0: nothing to recurse from
            return self._get_closed_form_lr()
        if (t - 1 - big_t) % (2 * big_t) == 0:
            # The previous epoch sat at the bottom, where the ratio below would divide by 0.
            return [
                lr + (base - low) * (1 - math.cos(math.pi / big_t)) / 2
                for lr, base in zip(self._current(), self.base_lrs, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / big_t)) / (1 + math.cos(math.pi * (t - 1) / big_t))
        return [low + (lr - low) * ratio for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        cos = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * (1 + cos) / 2 for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = base_lr · lr_lambda(epoch), with one function for all groups or one per group.

    Any schedule in one line, e.g. linear warmup into cosine decay:
    LambdaLR(opt, lambda k: (k + 1) / w if k < w else 0.5 * (1 + cos(π (k − w) / (T − w)))).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != groups:
                raise ValueError(
                    f"lr_lambda must be one function or one per parameter group ({groups}), "
                    f"got {len(self.lr_lambdas)}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base * fn(self.last_epoch)
            for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)
        ]

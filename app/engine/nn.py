"""Layers and a training loop small enough to read in one sitting (the optimizers: optim.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from app.engine.arith import linear
from app.engine.losses import cross_entropy, mse_loss

# SGD lives in optim.py with the other optimizers; re-exported here, where it used to be.
from app.engine.optim import SGD as SGD
from app.engine.optim import zero_grads as zero_grads
from app.engine.tensor import Tensor

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": Tensor.relu,
    "tanh": Tensor.tanh,
    "sigmoid": Tensor.sigmoid,
    "identity": lambda x: x,
}


class Module:
    """Base class: finds parameters in attributes (tensors, modules, lists of modules).

    `training` switches layers whose forward differs between training and evaluation
    (dropout, batch norm); train() and eval() set it on the module and every child, as in
    PyTorch.
    """

    training = True

    def train(self, mode: bool = True) -> Module:
        """Put this module and its children in training mode (eval mode with mode=False)."""
        self.training = mode
        for value in self._children():
            if isinstance(value, Module):
                value.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout passes inputs through, batch norm uses running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; backward then skips their gradients."""
        for value in self._children():
            if isinstance(value, Tensor) and value.is_leaf and value.data.dtype.kind == "f":
                value.requires_grad = requires_grad
            elif isinstance(value, Module):
                value.requires_grad_(requires_grad)
        return self

    def parameters(self) -> list[Tensor]:
        """Every tensor with requires_grad in this module and its children, each once."""
        seen: dict[int, Tensor] = {}
        for value in self._children():
            if isinstance(value, Tensor) and value.requires_grad:
                seen.setdefault(id(value), value)
            elif isinstance(value, Module):
                for p in value.parameters():
                    seen.setdefault(id(p), p)
        return list(seen.values())

    def _children(self) -> Iterator[Any]:
        for value in vars(self).values():
            if isinstance(value, list | tuple):
                yield from value
            else:
                yield value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: .grad = None by default (PyTorch >= 2.0), or
        zeros in place with set_to_none=False (an optimizer then still steps that parameter)."""
        zero_grads(self.parameters(), set_to_none)

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, x: Any) -> Tensor:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x))


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out, in) as in PyTorch; He (relu) or Xavier (tanh/sigmoid)."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        bias: bool = True,
        init: str = "he",
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if init == "he":
            std = np.sqrt(2.0 / n_in)  # keeps the variance of relu activations constant
        elif init == "xavier":
            std = np.sqrt(2.0 / (n_in + n_out))  # balances forward and backward variance
        else:
            raise ValueError(f"init must be 'he' or 'xavier', got {init!r}")
        weight = rng.standard_normal((n_out, n_in)) * std
        self.weight = Tensor(weight.astype(dtype), requires_grad=True, name="weight")
        self.bias = (
            Tensor(np.zeros(n_out, dtype=dtype), requires_grad=True, name="bias") if bias else None
        )

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)


class MLP(Module):
    """Linear layers of `sizes` with `activation` between them (none after the last)."""

    def __init__(
        self,
        sizes: list[int],
        activation: str = "relu",
        *,
        seed: int = 0,
        dtype: Any = np.float64,
        residual: bool = False,
    ) -> None:
        rng = np.random.default_rng(seed)
        init = "he" if activation == "relu" else "xavier"
        self.layers = [
            Linear(n_in, n_out, init=init, seed=rng, dtype=dtype)
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        self.activation = ACTIVATIONS[activation]
        self.residual = residual

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            h = layer(x) if last else self.activation(layer(x))
            # A residual connection adds the input back where the shapes allow it.
            x = x + h if self.residual and not last and h.shape == x.shape else h
        return x


def train(
    model: Module,
    data: tuple[Any, Any],
    steps: int,
    *,
    lr: float = 0.1,
    momentum: float = 0.0,
    loss: str = "mse",
) -> list[float]:
    """Full-batch training for `steps` steps; returns the loss before each update."""
    x = Tensor(data[0])
    y = data[1]
    loss_fn = mse_loss if loss == "mse" else cross_entropy
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    curve = []
    for _ in range(steps):
        optimizer.zero_grad()
        value = loss_fn(model(x), y)
        value.backward()
        optimizer.step()
        curve.append(value.item())
    return curve

"""The Tensor: an ndarray plus the bookkeeping reverse and forward mode need.

Every op (see arith.py, pointwise.py, reduce.py, shape.py) computes its forward value with NumPy
and calls `make`, which records a graph node when gradients are wanted: the op's name, its
parents, the gradient rule (`vjp`) and whatever the rule needs (`ctx`). `Tensor.backward` hands
the graph to autograd.py, which walks it in reverse topological order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np

from app.engine.state import STATE

# A gradient rule runs on raw ndarrays (the fast path) or on Tensors (when the backward pass must
# itself be differentiable, counted or carry tangents); the rules are written to work on both.
Value: TypeAlias = Any
VjpRule: TypeAlias = Callable[[Value, tuple[Value, ...], Value, Any, tuple[bool, ...]], tuple]
JvpRule: TypeAlias = Callable[
    [tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray, Any], Any
]


def is_grad_enabled() -> bool:
    """Whether new ops record a graph."""
    return STATE.grad_enabled


def set_grad_mode(mode: bool) -> bool:
    """Turn graph recording on or off; returns the previous setting (no context manager)."""
    previous, STATE.grad_enabled = STATE.grad_enabled, mode
    return previous


@contextmanager
def set_grad_enabled(mode: bool) -> Iterator[None]:
    """Turn graph recording on or off inside the block."""
    previous, STATE.grad_enabled = STATE.grad_enabled, mode
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def no_grad() -> Any:
    """Context manager: ops inside record no graph (like torch.no_grad)."""
    return set_grad_enabled(False)


def enable_grad() -> Any:
    """Context manager: ops inside record a graph even within no_grad."""
    return set_grad_enabled(True)


@contextmanager
def forward_ad() -> Iterator[None]:
    """Mark a region where tensors may carry tangents (used by jvp)."""
    STATE.forward_ad_level += 1
    try:
        yield
    finally:
        STATE.forward_ad_level -= 1


def forward_ad_active() -> bool:
    """Whether some tensor may carry a tangent right now."""
    return STATE.forward_ad_level > 0


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert to an ndarray, float64 unless data is already floating point or dtype is given."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


class Tensor:
    """An ndarray that remembers how it was computed, so gradients can flow back through it."""

    __slots__ = (
        "_ctx",
        "_freed",
        "_has_saved",
        "_hooks",
        "_jvp",
        "_op",
        "_parents",
        "_retains_grad",
        "_saved",
        "_vjp",
        "data",
        "grad",
        "name",
        "requires_grad",
        "tangent",
    )
    # Make numpy defer to Tensor's reflected operators: ndarray * Tensor -> Tensor.__rmul__.
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        self.data: np.ndarray = as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self.name = name
        self.tangent: np.ndarray | None = None
        self._op = "leaf"
        self._parents: tuple[Tensor, ...] = ()
        self._vjp: VjpRule | None = None
        self._jvp: JvpRule | None = None
        self._ctx: Any = None
        self._freed = False
        self._retains_grad = False
        self._saved: tuple[np.ndarray, ...] = ()
        self._has_saved = False
        self._hooks: dict[int, Callable[[Tensor], Any]] | None = None

    # --- properties PyTorch users expect -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def op(self) -> str:
        """Name of the op that produced this tensor ("leaf" for tensors made by the user)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from (empty for leaves)."""
        return self._parents

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op; only leaves get .grad by default."""
        return self._vjp is None

    @property
    def saved_bytes(self) -> int:
        """Bytes this node keeps for backward (known while counters are on)."""
        return sum(a.nbytes for a in self._saved)

    def retain_grad(self) -> Tensor:
        """Ask backward to store .grad on this non-leaf tensor too."""
        self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking of this leaf on or off in place (torch.Tensor.requires_grad_).

        A frozen parameter (False) is a constant to every op after it: no node records it as
        needing a gradient, so backward skips its work (a linear layer's dW = G^T X is never
        computed). Returns self.
        """
        if not requires_grad and not self.is_leaf:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach() to get "
                "a tensor cut from the graph"
            )
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating point tensors can require gradients, this one is {self.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def register_hook(self, hook: Callable[[Tensor], Any]) -> RemovableHandle:
        """Call hook(grad) when backward has the complete gradient of this tensor (all of its
        uses added up), as torch.Tensor.register_hook does.

        If the hook returns a value other than None, that value replaces the gradient: it flows
        on to the tensor's parents or, for a leaf, is what accumulates into .grad. Hooks run in
        the order they were registered. Returns a handle whose remove() unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise ValueError(f"register_hook: hook must be callable, got {hook!r}")
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradient: None by default (as PyTorch >= 2.0), or with
        set_to_none=False an array of zeros, filled in place."""
        if set_to_none:
            self.grad = None
        elif self.grad is not None:
            self.grad.fill(0.0)

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (gradient= needed if not scalar)."""
        from app.engine.autograd import backward

        backward(self, gradient, retain_graph=retain_graph)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        flag = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._op}" if self._vjp is not None else ""
        return f"Tensor({self.data!r}{flag}{op}{label})"

    def __len__(self) -> int:
        return len(self.data)

    # --- operators: thin wrappers over the op modules -------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _arith.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _arith.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _arith.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _arith.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _arith.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _arith.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _arith.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _arith.div(other, self)

    def __neg__(self) -> Tensor:
        return _arith.neg(self)

    def __pow__(self, other: Any) -> Tensor:
        return _arith.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _arith.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _arith.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _arith.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return _shape.getitem(self, index)

    def sum(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Sum over axis (all axes by default); dim/keepdim are accepted as in torch."""
        return _reduce.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Mean over axis (all axes by default); dim/keepdim are accepted as in torch."""
        return _reduce.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(
        self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Maximum over axis; tied maxima share the gradient equally."""
        return _reduce.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
        """Variance over dim, dividing by N - correction (torch.var)."""
        return _reduce.var(self, dim, correction=correction, keepdim=keepdim)

    def std(self, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
        """Standard deviation over dim, dividing by N - correction (torch.std)."""
        return _reduce.std(self, dim, correction=correction, keepdim=keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over dim, without overflow."""
        return _reduce.logsumexp(self, dim, keepdim)

    def cumsum(self, dim: int) -> Tensor:
        """Running sum along dim."""
        return _reduce.cumsum(self, dim)

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape."""
        return _shape.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them by default)."""
        return _shape.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes."""
        order = list(range(self.ndim))
        order[a], order[b] = order[b], order[a]
        return _shape.transpose(self, tuple(order))

    @property
    def T(self) -> Tensor:
        return _shape.transpose(self, None)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at dim."""
        return _shape.unsqueeze(self, dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop size-1 dims (all, or those in dim)."""
        return _shape.squeeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        """A broadcast view with the given sizes (-1 keeps a size)."""
        return _shape.expand(self, *sizes)

    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of elements along dims."""
        return _shape.flip(self, dims[0] if len(dims) == 1 else dims)

    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Cut into pieces of split_size (an int or a list of sizes) along dim."""
        return _shape.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Cut into `chunks` pieces of equal size (the last may be smaller) along dim."""
        return _shape.chunk(self, chunks, dim)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """A copy with value wherever mask (broadcast) is True."""
        return _shape.masked_fill(self, mask, value)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims, the rest 0."""
        return _shape.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims, the rest 0."""
        return _shape.triu(self, diagonal)

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return _pointwise.exp(self)

    def log(self) -> Tensor:
        """Elementwise natural log."""
        return _pointwise.log(self)

    def tanh(self) -> Tensor:
        """Elementwise tanh."""
        return _pointwise.tanh(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid."""
        return _pointwise.sigmoid(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0)."""
        return _pointwise.relu(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return _pointwise.sqrt(self)

    def abs(self) -> Tensor:
        """Elementwise |x| (gradient sign(x), 0 at 0)."""
        return _pointwise.abs(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit to [min, max] elementwise (gradient 1 inside, bounds included)."""
        return _pointwise.clamp(self, min, max)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """Alias of clamp."""
        return _pointwise.clamp(self, min, max)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min with other; ties share the gradient."""
        return _pointwise.minimum(self, other)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max with other; ties share the gradient."""
        return _pointwise.maximum(self, other)


class RemovableHandle:
    """What register_hook returns: remove() unregisters the hook (also usable as a `with`)."""

    __slots__ = ("_hooks", "id")
    _ids = itertools.count(1)  # next() on a count is atomic, so threads get distinct ids

    def __init__(self, hooks: dict[int, Callable[[Tensor], Any]], hook: Callable) -> None:
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        """Unregister the hook; removing twice is harmless."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def make(
    op: str,
    data: np.ndarray,
    parents: tuple[Tensor, ...],
    vjp: VjpRule,
    jvp: JvpRule,
    ctx: Any = None,
    flops: int = 0,
    saved: tuple[np.ndarray, ...] = (),
) -> Tensor:
    """Wrap an op's result; record a graph node if any parent requires grad."""
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    if STATE.rounding is not None and out.data.dtype.kind == "f":
        out.data = STATE.rounding(out.data)  # emulated low precision (dtypes.bfloat16)
    out.grad = None
    out.name = None
    out.tangent = None
    out._freed = False
    out._retains_grad = False
    out._saved = ()
    out._hooks = None
    # Whether the rule reads saved values; one that does not can run in a second backward.
    out._has_saved = bool(saved)
    out._op = op
    counter = STATE.counters
    if counter is not None:
        counter.count_op(op, flops)
    wants_grad = False
    if STATE.grad_enabled:
        for p in parents:  # a plain loop: any() over a generator costs more for 1-2 parents
            if p.requires_grad:
                wants_grad = True
                break
    if wants_grad:
        out.requires_grad = True
        out._parents = parents
        out._vjp = vjp
        out._jvp = jvp
        out._ctx = ctx
        if counter is not None:
            counter.save(saved)
            out._saved = saved
    else:
        out.requires_grad = False
        out._parents = ()
        out._vjp = None
        out._jvp = None
        out._ctx = None
    if STATE.forward_ad_level and any(p.tangent is not None for p in parents):
        tangents = tuple(np.zeros_like(p.data) if p.tangent is None else p.tangent for p in parents)
        inputs = tuple(p.data for p in parents)
        tangent = jvp(tangents, inputs, out.data, ctx)
        out.tangent = np.broadcast_to(tangent, out.data.shape).astype(out.data.dtype, copy=False)
    return out


def lift(value: Any, like: Tensor | None = None) -> Tensor:
    """Turn a constant into a Tensor, keeping the dtype of the tensor it meets."""
    if isinstance(value, Tensor):
        return value
    if like is not None and (not isinstance(value, np.ndarray) or value.dtype.kind != "f"):
        # Python numbers and masks take the tensor's dtype, so float32 stays float32.
        return Tensor(np.asarray(value, dtype=like.data.dtype))
    return Tensor(value)


# The op modules import Tensor from here, so they are imported after it is defined.
from app.engine import arith as _arith  # noqa: E402
from app.engine import pointwise as _pointwise  # noqa: E402
from app.engine import reduce as _reduce  # noqa: E402
from app.engine import shape as _shape  # noqa: E402

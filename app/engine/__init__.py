"""A small NumPy autodiff engine: reverse and forward mode, gradcheck, checkpointing, counters.

Start reading at tensor.py (the Tensor and how an op records a node), then autograd.py (the
backward walk), then arith.py (each op's forward beside its gradient rules).
"""

# tensor.py must load first: it imports the op modules, which import Tensor back from it.
from app.engine.tensor import Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: I001
from app.engine.arith import add, div, linear, matmul, mul, neg, pow, sub
from app.engine.autograd import backward, backward_order, gradients, topological_order
from app.engine.checkpoint import checkpoint
from app.engine.counters import Counters, count
from app.engine.functional import (
    Jacobian,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from app.engine.gradcheck import (
    GradcheckError,
    GradcheckReport,
    InputCheck,
    ModeCheck,
    check_jvp_vjp,
    gradcheck,
)
from app.engine.losses import cross_entropy, mse_loss
from app.engine.nn import MLP, SGD, Linear, Module, train
from app.engine.pointwise import exp, log, maximum, relu, sigmoid, tanh
from app.engine.reduce import log_softmax, max, mean, softmax, sum
from app.engine.shape import broadcast_to, getitem, reshape, transpose, unbroadcast

__all__ = [
    "MLP",
    "SGD",
    "Counters",
    "GradcheckError",
    "GradcheckReport",
    "InputCheck",
    "Jacobian",
    "Linear",
    "ModeCheck",
    "Module",
    "Tensor",
    "add",
    "backward",
    "backward_order",
    "broadcast_to",
    "check_jvp_vjp",
    "checkpoint",
    "count",
    "cross_entropy",
    "div",
    "enable_grad",
    "exp",
    "getitem",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linear",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "maximum",
    "mean",
    "mse_loss",
    "mul",
    "neg",
    "no_grad",
    "pow",
    "relu",
    "reshape",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sub",
    "sum",
    "tanh",
    "topological_order",
    "train",
    "transpose",
    "unbroadcast",
    "value_and_grad",
    "vjp",
]

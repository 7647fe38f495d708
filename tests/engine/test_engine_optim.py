"""Optimizers, gradient clipping and learning-rate schedules against hand-computed numbers."""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Tensor, mse_loss
from app.engine import nn as engine_nn
from app.engine.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, StepLR
from app.engine.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    clip_grad_norm_,
    clip_grad_value_,
)

FAST = settings(max_examples=30, deadline=None)


def param(*values: float, dtype: Any = np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def run(opt: Optimizer, p: Tensor, grads: list[list[float]]) -> list[np.ndarray]:
    """Step once per gradient (set by hand, independent of p); p.data after each step."""
    after = []
    for g in grads:
        p.grad = np.array(g, dtype=p.data.dtype)
        opt.step()
        after.append(p.data.copy())
    return after


# --- SGD --------------------------------------------------------------------------------------


def test_sgd_is_the_one_nn_exports() -> None:
    from app.engine import SGD as exported

    assert engine_nn.SGD is SGD and exported is SGD


def test_sgd_momentum_starts_from_the_first_gradient_without_dampening() -> None:
    p = param(0.0)
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    after = run(opt, p, [[1.0], [2.0]])
    # Step 1: b = g = 1 (dampening not applied), θ = −0.1.
    # Step 2: b = 0.9·1 + (1 − 0.5)·2 = 1.9, θ = −0.1 − 0.19.
    np.testing.assert_allclose(after, [[-0.1], [-0.29]], rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.9], rtol=1e-12)


def test_sgd_nesterov_matches_a_hand_loop() -> None:
    p = param(0.0)
    after = run(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [[1.0], [2.0], [-1.0]])
    # b₁ = 1,              step = 1 + 0.9·1      = 1.9
    # b₂ = 0.9 + 2 = 2.9,  step = 2 + 0.9·2.9    = 4.61
    # b₃ = 2.61 − 1 = 1.61, step = −1 + 0.9·1.61 = 0.449
    np.testing.assert_allclose(after, [[-0.19], [-0.651], [-0.6959]], rtol=1e-12)


def test_sgd_weight_decay_and_maximize() -> None:
    p = param(2.0)
    run(SGD([p], lr=0.5, weight_decay=0.1), p, [[1.0]])
    np.testing.assert_allclose(p.data, [2.0 - 0.5 * (1.0 + 0.2)])
    q = param(2.0)
    run(SGD([q], lr=0.5, maximize=True), q, [[1.0]])
    np.testing.assert_allclose(q.data, [2.5])


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"nesterov": True}, "nesterov"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
        ({"lr": -0.1}, "lr"),
        ({"momentum": -0.5}, "momentum"),
        ({"weight_decay": -1.0}, "weight_decay"),
    ],
)
def test_sgd_refuses_bad_arguments(kwargs: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        SGD([param(1.0)], **kwargs)


# --- Adam and AdamW ---------------------------------------------------------------------------


@FAST
@given(scale=st.floats(1e-3, 1e4), signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=3))
def test_adam_first_step_moves_every_parameter_by_lr_whatever_the_scale(
    scale: float, signs: list[float]
) -> None:
    g = np.array(signs) * scale * np.linspace(1.0, 3.0, len(signs))
    p = Tensor(np.zeros(len(signs)), requires_grad=True)
    p.grad = g
    Adam([p], lr=0.01).step()
    # m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε): lr·sign(g) to within ε/|g| ≤ 1e-5.
    np.testing.assert_allclose(p.data, -0.01 * np.sign(g), rtol=2e-5)


def test_adam_bias_correction_at_steps_one_and_two() -> None:
    p = param(1.0)
    after = run(Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0), p, [[2.0], [4.0]])
    # Step 1: m = 0.5·2 = 1, v = 0.25·4 = 1; m̂ = 1/0.5 = 2, v̂ = 1/0.25 = 4: θ −= 0.1·2/2.
    # Step 2: m = 0.5 + 2 = 2.5, v = 0.75 + 4 = 4.75; m̂ = 2.5/0.75 = 10/3,
    #         v̂ = 4.75/0.4375 = 76/7: θ −= 0.1·(10/3)/√(76/7).
    np.testing.assert_allclose(after[0], [0.9], rtol=1e-12)
    np.testing.assert_allclose(after[1], [0.9 - 0.1 * (10 / 3) / math.sqrt(76 / 7)], rtol=1e-12)


def test_amsgrad_keeps_the_largest_raw_second_moment() -> None:
    def second_step(amsgrad: bool) -> float:
        p = param(0.0)
        after = run(Adam([p], lr=1.0, betas=(0.5, 0.5), eps=0.0, amsgrad=amsgrad), p, [[4], [0]])
        return float(after[0][0] - after[1][0])

    # Step 1: m = 2, v = 8. Step 2 (g = 0): m = 1, v = 4; m̂ = 1/0.75 = 4/3.
    # Adam: v̂ = 4/0.75 = 16/3. AMSGrad: max(8, 4) = 8, v̂ = 8/0.75 = 32/3 (the maximum of the
    # corrected v̂, max(16, 16/3) = 16, would give 1/3 instead).
    assert second_step(False) == pytest.approx((4 / 3) / math.sqrt(16 / 3), rel=1e-12)
    assert second_step(True) == pytest.approx((4 / 3) / math.sqrt(32 / 3), rel=1e-12)


def test_adamw_decay_is_decoupled_from_the_second_moment() -> None:
    def after_one_step(cls: type[Adam], decay: float) -> np.ndarray:
        p = param(1.0, 1.0)
        return run(cls([p], lr=0.1, weight_decay=decay), p, [[1000.0, 0.0]])[0]

    adam_l2 = after_one_step(Adam, 0.1) - after_one_step(Adam, 0.0)
    adamw = after_one_step(AdamW, 0.1) - after_one_step(AdamW, 0.0)
    # AdamW: every parameter shrinks by lr·wd·θ = 0.01, whatever its gradient.
    np.testing.assert_allclose(adamw, [-0.01, -0.01], rtol=1e-9)
    # Adam + L2: λθ joins g and is divided by √v̂. Where v is large (g = 1000) the decay does
    # (almost) nothing; where g = 0 it is the whole gradient and moves θ by a full lr = 0.1.
    assert abs(adam_l2[0]) < 1e-6
    np.testing.assert_allclose(adam_l2[1], -0.1, rtol=1e-6)


def test_adamw_and_adam_agree_without_weight_decay() -> None:
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((5, 4)).tolist()
    p = param(*rng.standard_normal(4))
    q = Tensor(p.data.copy(), requires_grad=True)
    a = run(Adam([p], lr=0.05, amsgrad=True), p, grads)
    b = run(AdamW([q], lr=0.05, weight_decay=0.0, amsgrad=True), q, grads)
    np.testing.assert_array_equal(a, b)
    assert AdamW([param(1.0)]).defaults["weight_decay"] == 1e-2


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"lr": -1e-3}, "lr"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\]"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\]"),
        ({"eps": -1.0}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_adam_refuses_bad_arguments(kwargs: dict[str, Any], word: str) -> None:
    for cls in (Adam, AdamW):
        with pytest.raises(ValueError, match=word):
            cls([param(1.0)], **kwargs)


# --- RMSprop and Adagrad ----------------------------------------------------------------------


def test_rmsprop_centered_divides_by_the_gradient_standard_deviation() -> None:
    p = param(0.0)
    after = run(RMSprop([p], lr=0.1, alpha=0.5, eps=0.0, centered=True), p, [[2.0], [4.0]])
    # Step 1: v = 0.5·4 = 2, g_ave = 1, ṽ = 2 − 1 = 1: θ −= 0.1·2/1.
    # Step 2: v = 1 + 8 = 9, g_ave = 0.5 + 2 = 2.5, ṽ = 9 − 6.25 = 2.75: θ −= 0.1·4/√2.75.
    np.testing.assert_allclose(after[0], [-0.2], rtol=1e-12)
    np.testing.assert_allclose(after[1], [-0.2 - 0.4 / math.sqrt(2.75)], rtol=1e-12)


def test_rmsprop_with_momentum_buffers_the_normalised_step() -> None:
    p = param(0.0)
    after = run(RMSprop([p], lr=0.1, alpha=0.5, eps=0.0, momentum=0.5), p, [[2.0], [2.0]])
    # Step 1: v = 2, b = 2/√2 = √2. Step 2: v = 1 + 2 = 3, b = 0.5·√2 + 2/√3.
    np.testing.assert_allclose(after[0], [-0.1 * math.sqrt(2)], rtol=1e-12)
    second = 0.5 * math.sqrt(2) + 2 / math.sqrt(3)
    np.testing.assert_allclose(after[1], [-0.1 * (math.sqrt(2) + second)], rtol=1e-12)


def test_adagrad_effective_rate_decays_like_one_over_sqrt_t() -> None:
    p = param(0.0)
    after = run(Adagrad([p], lr=0.1, eps=0.0), p, [[3.0]] * 5)
    steps = -np.diff(np.concatenate([[0.0], np.ravel(after)]))
    # state_sum = t·9, so step t = 0.1·3/√(9t) = 0.1/√t, whatever the gradient's size.
    np.testing.assert_allclose(steps, [0.1, 0.1 / 2**0.5, 0.1 / 3**0.5, 0.05, 0.1 / 5**0.5])


def test_adagrad_lr_decay_and_initial_accumulator() -> None:
    p = param(0.0)
    after = run(Adagrad([p], lr=0.1, lr_decay=0.5, eps=0.0), p, [[1.0], [1.0]])
    # Step 2: γ̃ = 0.1/(1 + 0.5) and state_sum = 2.
    np.testing.assert_allclose(after[1] - after[0], [-(0.1 / 1.5) / math.sqrt(2)], rtol=1e-12)
    q = param(0.0)
    run(Adagrad([q], lr=0.1, initial_accumulator_value=1.0, eps=0.0), q, [[1.0]])
    np.testing.assert_allclose(q.data, [-0.1 / math.sqrt(2)], rtol=1e-12)


@pytest.mark.parametrize(
    ("cls", "kwargs", "word"),
    [
        (RMSprop, {"alpha": -0.1}, "alpha"),
        (RMSprop, {"momentum": -0.1}, "momentum"),
        (Adagrad, {"lr_decay": -0.1}, "lr_decay"),
        (Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        (Adagrad, {"lr": -0.1}, "lr"),
    ],
)
def test_rmsprop_and_adagrad_refuse_bad_arguments(
    cls: type[Optimizer], kwargs: dict[str, Any], word: str
) -> None:
    with pytest.raises(ValueError, match=word):
        cls([param(1.0)], **kwargs)


# --- what every optimizer shares --------------------------------------------------------------

EVERY: list[Callable[[list[Tensor]], Optimizer]] = [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1, amsgrad=True),
    lambda ps: AdamW(ps, lr=0.1),
    lambda ps: RMSprop(ps, lr=0.1, momentum=0.5, centered=True, weight_decay=0.1),
    lambda ps: Adagrad(ps, lr=0.1, weight_decay=0.1),
]


@pytest.mark.parametrize("make", EVERY)
def test_none_grads_are_skipped_and_float32_stays_float32(
    make: Callable[[list[Tensor]], Optimizer],
) -> None:
    moved, frozen = param(1.0, -2.0, dtype=np.float32), param(3.0, dtype=np.float32)
    data = moved.data
    opt = make([moved, frozen])
    mse_loss(moved * 2.0, np.zeros(2, dtype=np.float32)).backward()
    assert frozen.grad is None
    for _ in range(3):
        opt.step()
    assert moved.data is data and moved.data.dtype == np.float32
    assert np.all(moved.data != [1.0, -2.0])
    np.testing.assert_array_equal(frozen.data, [3.0])  # no decay, no state for a None grad
    assert frozen not in opt.state or not opt.state[frozen]
    opt.zero_grad()
    assert moved.grad is None


def test_param_groups_carry_their_own_lr_and_a_closure_is_called() -> None:
    a, b = param(1.0), param(1.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)  # type: ignore[arg-type]
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    assert opt.step(lambda: 7.0) == 7.0
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.5])


def test_optimizer_refuses_bad_params() -> None:
    p = param(1.0)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p, lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="more than one"):
        SGD([p, p], lr=0.1)


# --- gradient clipping ------------------------------------------------------------------------


def test_clip_grad_norm_returns_the_pre_clip_norm_and_scales_to_max_norm() -> None:
    a, b, none = param(0.0, 0.0), param(0.0), param(0.0)
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
    total = clip_grad_norm_([a, b, none], max_norm=6.5)
    assert total == pytest.approx(13.0)  # √(9 + 16 + 144)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [1.5, 2.0, 6.0], rtol=1e-6)
    assert none.grad is None
    # Below max_norm the coefficient is clamped to 1: nothing changes.
    assert clip_grad_norm_([a, b], max_norm=100.0) == pytest.approx(6.5, rel=1e-6)
    np.testing.assert_allclose(np.concatenate([a.grad, b.grad]), [1.5, 2.0, 6.0], rtol=1e-6)


def test_clip_grad_norm_other_orders() -> None:
    a = param(0.0, 0.0, 0.0)
    a.grad = np.array([3.0, -4.0, 12.0])
    assert clip_grad_norm_(a, max_norm=100.0, norm_type=math.inf) == 12.0
    assert clip_grad_norm_(a, max_norm=100.0, norm_type=1) == 19.0
    assert clip_grad_norm_([param(1.0)], max_norm=1.0) == 0.0  # no gradients at all
    a.grad = np.array([np.inf, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(a, max_norm=1.0, error_if_nonfinite=True)


@FAST
@given(
    grads=st.lists(st.floats(-100, 100), min_size=1, max_size=8),
    max_norm=st.floats(0.1, 10.0),
)
def test_clip_grad_norm_keeps_the_direction_and_bounds_the_norm(
    grads: list[float], max_norm: float
) -> None:
    p = param(*([0.0] * len(grads)))
    p.grad = np.array(grads)
    total = clip_grad_norm_(p, max_norm)
    assert total == pytest.approx(float(np.linalg.norm(grads)))
    assert np.linalg.norm(p.grad) <= max_norm + 1e-9
    np.testing.assert_allclose(p.grad, np.array(grads) * min(1.0, max_norm / (total + 1e-6)))


def test_clip_grad_value_clamps_each_entry() -> None:
    p = param(0.0, 0.0, 0.0)
    p.grad = np.array([-5.0, 0.3, 7.0])
    clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, 0.3, 1.0])


# --- learning-rate schedules ------------------------------------------------------------------


def lrs(scheduler: Any, epochs: int, *more: Any) -> list[float]:
    """The lr the optimizer uses at epochs 0..epochs-1 (each scheduler steps once per epoch)."""
    values = []
    for _ in range(epochs):
        lr = scheduler.optimizer.param_groups[0]["lr"]
        if not more:
            assert scheduler.get_last_lr() == [lr]
        values.append(lr)
        scheduler.optimizer.step()
        for s in (scheduler, *more):
            s.step()
    return values


def test_step_lr_halves_every_three_epochs() -> None:
    opt = SGD([param(1.0)], lr=1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    assert sched.last_epoch == 0
    assert lrs(sched, 8) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert sched.last_epoch == 8 and opt.param_groups[0]["lr"] == 0.25  # ⌊8/3⌋ = 2
    sched.step()
    assert sched.get_last_lr() == [0.125]


def test_cosine_annealing_values_by_hand() -> None:
    sched = CosineAnnealingLR(SGD([param(1.0)], lr=1.0), T_max=4)
    c = (1 + math.sqrt(2) / 2) / 2  # (1 + cos(π/4))/2
    expected = [1.0, c, 0.5, 1 - c, 0.0, 1 - c, 0.5, c, 1.0]  # and back up after T_max
    np.testing.assert_allclose(lrs(sched, 9), expected, atol=1e-12)
    floor = CosineAnnealingLR(SGD([param(1.0)], lr=1.0), T_max=4, eta_min=0.2)
    # η = 0.2 + 0.8·(1 + cos(πt/4))/2
    values = lrs(floor, 6)
    np.testing.assert_allclose(
        values, [1.0, 0.2 + 0.8 * c, 0.6, 0.2 + 0.8 * (1 - c), 0.2, 0.2 + 0.8 * (1 - c)]
    )


def test_linear_lr_matches_pytorchs_documented_example() -> None:
    # torch.optim.lr_scheduler.LinearLR's docstring: lr = 0.05, start_factor=0.5, total_iters=4.
    sched = LinearLR(SGD([param(1.0)], lr=0.05), start_factor=0.5, total_iters=4)
    np.testing.assert_allclose(lrs(sched, 6), [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05])
    default = LinearLR(SGD([param(1.0)], lr=0.3))  # start 1/3 over 5 epochs
    np.testing.assert_allclose(lrs(default, 7), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3])


def test_warmup_into_cosine_with_lambda_lr() -> None:
    def warmup_cosine(k: int) -> float:
        return (k + 1) / 2 if k < 2 else 0.5 * (1 + math.cos(math.pi * (k - 2) / 4))

    sched = LambdaLR(SGD([param(1.0)], lr=2.0), warmup_cosine)
    c = (1 + math.sqrt(2) / 2) / 2
    np.testing.assert_allclose(lrs(sched, 7), [1.0, 2.0, 2.0, 2 * c, 1.0, 2 * (1 - c), 0.0])


def test_warmup_into_cosine_with_two_chained_schedulers() -> None:
    # Stepped together, PyTorch's chainable schedulers multiply: lr = base·linear(t)·cosine(t).
    opt = SGD([param(1.0)], lr=1.0)
    warmup = LinearLR(opt, start_factor=0.25, total_iters=3)
    cosine = CosineAnnealingLR(opt, T_max=6)
    assert cosine.base_lrs == [1.0]  # the true base lr, not warmup's 0.25
    linear = [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
    cos = [1.0, (1 + math.sqrt(3) / 2) / 2, 0.75, 0.5, 0.25, (1 - math.sqrt(3) / 2) / 2, 0.0]
    np.testing.assert_allclose(lrs(warmup, 7, cosine), np.multiply(linear, cos), atol=1e-12)


def test_the_optimizer_steps_with_the_scheduled_lr() -> None:
    p = param(0.0)
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = np.array([1.0])
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [-(1.0 + 0.5 + 0.25)])
    assert sched.get_last_lr() == [0.125]


def test_lambda_lr_per_group_and_bad_scheduler_arguments() -> None:
    opt = SGD([{"params": [param(1.0)]}, {"params": [param(1.0)], "lr": 10.0}], lr=1.0)  # type: ignore[arg-type]
    sched = LambdaLR(opt, [lambda k: 1.0, lambda k: 0.5**k])
    sched.step()
    assert sched.get_last_lr() == [1.0, 5.0]
    with pytest.raises(ValueError, match="lr_lambda"):
        LambdaLR(opt, [lambda k: 1.0])
    with pytest.raises(ValueError, match="start_factor"):
        LinearLR(SGD([param(1.0)], lr=1.0), start_factor=0.0)
    with pytest.raises(ValueError, match="end_factor"):
        LinearLR(SGD([param(1.0)], lr=1.0), end_factor=1.5)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(SGD([param(1.0)], lr=1.0), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(SGD([param(1.0)], lr=1.0), T_max=0)
    with pytest.raises(TypeError, match="Optimizer"):
        StepLR(object(), step_size=1)  # type: ignore[arg-type]

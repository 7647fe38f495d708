"""Every kind lists the classic mistakes it tests, and no draw lets one of them pass.

The 2,000-seed sweep is the guarantee; `python -m tests.exercises.mistake_rates` prints how
often each mistake would pass without the generators' filter, and with it."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import REGISTRY, generate, grade
from app.exercises.grading import mistake_slips_through
from tests.exercises import deck_mistakes
from tests.exercises.helpers import KINDS

SWEEP = range(2000)

# The classics each kind must test (a kind may list more): the backprop deck's here, each later
# deck's in tests/exercises/deck_mistakes/<deck>.py.
REQUIRED = {
    "chain_rule": {"outer_at_x"},
    "linear_backward": {"dX_G_Wt", "dW_Xt_G"},
    "two_layer_by_hand": {"missing_relu_mask"},
    "softmax_cross_entropy": {"no_mean", "wrong_sign"},
    "sgd_step": {"half_convention", "ascent"},
    "activation_derivative": {"sigmoid_one_minus_s", "tanh_one_minus_a"},
    "relu_backward": {"mask_forgotten", "mask_at_zero_one"},
    "jvp_vjp": {"passes_swapped"},
    "dag_adjoints": {"a_only_through_d", "a_only_through_c"},
    "activation_bytes": {"float64", "mask_as_float"},
    "checkpoint_memory": {"recompute_all", "checkpoints_forgotten"},
    "newton_step": {"gradient_step", "step_sign"},
    "mlp_flops": {"multiply_adds", "backward_like_forward"},
    **deck_mistakes.REQUIRED,
}


def test_every_kind_lists_its_classic_mistakes() -> None:
    assert set(REQUIRED) == set(KINDS)
    for kind, names in REQUIRED.items():
        listed = {m.name for m in REGISTRY[kind].mistakes}
        assert names <= listed, (kind, names - listed)
        assert all(m.says for m in REGISTRY[kind].mistakes)


@pytest.mark.parametrize("kind", KINDS)
def test_every_mistake_is_graded_wrong_on_every_seed(kind: str) -> None:
    spec = REGISTRY[kind]
    made = dict.fromkeys((m.name for m in spec.mistakes), 0)
    for seed in SWEEP:
        exercise = generate(kind, seed)
        assert grade(exercise, exercise.correct_answer()).passed, seed
        for mistake in spec.mistakes:
            answer = exercise.mistaken_answer(mistake)
            if answer is None:  # this draw cannot show the mistake (e.g. G Wᵀ on a non-square W)
                continue
            made[mistake.name] += 1
            result = grade(exercise, answer)
            assert not result.passed, (kind, seed, mistake.name)
            for name in mistake.answer(exercise.inputs()):
                assert not result.field(name).correct, (kind, seed, mistake.name, name)
    assert all(made.values()), f"a mistake no seed can show: {made}"


def test_a_draw_a_mistake_passes_is_redrawn_and_others_are_kept() -> None:
    spec = REGISTRY["chain_rule"]
    outer_at_x = next(m for m in spec.mistakes if m.name == "outer_at_x")
    redrawn = kept = 0
    for seed in range(60):
        first = spec.draw(seed)
        final = generate("chain_rule", seed)
        assert final.seed == seed
        if any(mistake_slips_through(first, m) for m in spec.mistakes):
            redrawn += 1
            assert not mistake_slips_through(final, outer_at_x)
            assert final.correct_answer() == generate("chain_rule", seed).correct_answer()
        else:
            kept += 1
            assert final.prompt == first.prompt and final.correct_answer() == first.correct_answer()
    assert redrawn and kept


def test_mistakes_read_the_givens_not_the_solution() -> None:
    exercise = generate("softmax_cross_entropy", 0)
    inputs = exercise.inputs()
    assert set(inputs) == {g.name for g in exercise.given} | set(exercise.params)
    for value in exercise.solution.values():
        assert not any(
            isinstance(v, np.ndarray) and v.shape == value.shape and np.array_equal(v, value)
            for v in inputs.values()
        )

"""Every kind: deterministic, friendly numbers, and the engine's solution equals the textbook."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import MAX_SEED, BadSeed, Exercise, UnknownExercise, generate, grade
from app.exercises.base import exercise_kinds
from tests.exercises import deck_mistakes
from tests.exercises.helpers import KINDS, SEEDS, assert_solution, given

# The backprop deck's kinds; each later deck declares its own (tests/exercises/deck_mistakes/)
# and tests them against its textbook formulas in tests/exercises/test_<deck>_kinds.py.
BACKPROP_KINDS = {
    "linear_backward",
    "relu_backward",
    "chain_rule",
    "softmax_cross_entropy",
    "activation_derivative",
    "sgd_step",
    "two_layer_by_hand",
    "jvp_vjp",
    "dag_adjoints",
    "activation_bytes",
    "checkpoint_memory",
    "newton_step",
    "mlp_flops",
}


def test_the_kinds_cards_refer_to_are_registered() -> None:
    assert exercise_kinds() == BACKPROP_KINDS | set(deck_mistakes.REQUIRED)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_exercise_and_its_solution_passes(kind: str, seed: int) -> None:
    first, second = generate(kind, seed), generate(kind, seed)
    assert first.prompt == second.prompt
    assert first.correct_answer() == second.correct_answer()
    for a, b in zip(first.given, second.given, strict=True):
        np.testing.assert_array_equal(a.value, b.value)
    assert grade(first, first.correct_answer()).passed
    assert first.steps, "a worked solution has steps"
    for field in first.fields:
        assert np.shape(first.solution[field.name]) == field.shape


COUNTING_KINDS = {"activation_bytes", "checkpoint_memory", "mlp_flops"}


@pytest.mark.parametrize("kind", KINDS)
def test_numbers_are_small_and_friendly(kind: str) -> None:
    """Answers are short decimals (multiples of 1/400) of modest size: doable by hand. Counts
    (bytes, FLOPs, activations) are whole numbers of any size, graded exactly."""
    for seed in range(40):
        exercise = generate(kind, seed)
        for name, value in exercise.solution.items():
            if kind in COUNTING_KINDS:
                assert np.all(np.asarray(value) == np.round(value)), (kind, seed, name, value)
                assert (exercise.atol, exercise.rtol) == (0.5, 0.0)
                continue
            scaled = np.asarray(value) * 400
            assert np.allclose(scaled, np.round(scaled), atol=1e-6), (kind, seed, name, value)
            assert np.all(np.abs(value) <= 100), (kind, seed, name, value)


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_give_different_numbers(kind: str) -> None:
    answers = {repr(generate(kind, seed).correct_answer()) for seed in range(12)}
    assert len(answers) > 3


def test_bad_seed_and_unknown_kind() -> None:
    with pytest.raises(BadSeed):
        generate("chain_rule", -1)
    with pytest.raises(BadSeed):
        generate("chain_rule", MAX_SEED + 1)
    with pytest.raises(UnknownExercise, match="known: activation_bytes, activation_derivative"):
        generate("nope", 0)


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer by the textbook formula, from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    kind = exercise.kind
    if kind == "linear_backward":
        x, w, upstream = g("X"), g("W"), g("G")
        all_three = {"dW": upstream.T @ x, "dX": upstream @ w, "db": upstream.sum(axis=0)}
        return {name: all_three[name] for name in exercise.solution}
    if kind == "relu_backward":
        return {"dZ": g("G") * (g("Z") > 0)}
    if kind == "chain_rule":
        x0, a, b = float(g("x")), float(g("a")), float(g("b"))
        square = "x^2" in exercise.prompt
        u = a * x0**2 + b if square else a * x0 + b
        dudx = 2 * a * x0 if square else a
        if "u^3" in exercise.prompt:
            dydu = 3 * u**2
        elif "(u - 1)^2" in exercise.prompt:
            dydu = 2 * (u - 1)
        else:
            dydu = 2 * u
        return {"dudx": np.asarray(dudx), "dydu": np.asarray(dydu), "dydx": np.asarray(dydu * dudx)}
    if kind == "activation_derivative":
        out = g("a")
        local = out * (1 - out) if exercise.title.startswith("Sigmoid") else 1 - out**2
        return {"dadz": local, "dz": g("g") * local}
    if kind == "softmax_cross_entropy":
        z, y = g("Z"), g("y").astype(int)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return {"P": p, "dZ": (p - np.eye(3)[y]) / len(y)}
    if kind == "sgd_step":
        xs, ys, w, bias, lr = g("x"), g("y"), g("W"), g("b"), float(g("lr"))
        error = (xs @ w.T + bias - ys)[0, 0]
        dw, db = 2 * error * xs, np.array([2 * error])
        return {"dW": dw, "db": db, "W_new": w - lr * dw, "b_new": bias - lr * db}
    if kind == "two_layer_by_hand":
        x, w1, b1, w2, b2, y = (g(n) for n in ("x", "W1", "b1", "W2", "b2", "y"))
        z1 = w1 @ x + b1
        h = np.maximum(z1, 0)
        y_hat = w2 @ h + b2
        delta2 = y_hat - y
        delta1 = (w2.T @ delta2) * (z1 > 0)
        return {
            "z1": z1,
            "h": h,
            "y_hat": y_hat,
            "delta2": delta2,
            "delta1": delta1,
            "dW1": np.outer(delta1, x),
            "db1": delta1,
            "dW2": np.outer(delta2, h),
            "db2": delta2,
        }
    return textbook_new(exercise)


def textbook_new(exercise: Exercise) -> dict[str, np.ndarray]:
    """The kinds for the cards that had no exercise, by their formulas."""
    g = lambda name: given(exercise, name)  # noqa: E731
    kind = exercise.kind
    if kind == "jvp_vjp":
        jac, v, u = g("J"), g("v"), g("u")
        m, n = jac.shape
        return {
            "Jv": jac @ v,
            "uTJ": u @ jac,
            "forward_passes": np.asarray(n),
            "reverse_passes": np.asarray(m),
        }
    if kind == "dag_adjoints":
        a, b = float(g("a")), float(g("b"))
        c, d = a * b, a + a * b
        c_bar = d + c
        return {
            "d_bar": np.asarray(c),
            "c_bar": np.asarray(c_bar),
            "a_bar": np.asarray(c + c_bar * b),
            "b_bar": np.asarray(c_bar * a),
        }
    if kind == "newton_step":
        hessian, rhs, x0, v = g("A"), g("b"), g("x0"), g("v")
        x1 = np.linalg.solve(hessian, rhs)
        return {"grad": hessian @ x0 - rhs, "step": x1 - x0, "x1": x1, "Hv": hessian @ v}
    if kind == "activation_bytes":
        batch, widths = float(g("B")), g("widths")
        inputs = batch * widths[:-1].sum() * 4
        masks = batch * widths[1:-1].sum() * 1
        return {
            "input_bytes": np.asarray(inputs),
            "mask_bytes": np.asarray(masks),
            "total_bytes": np.asarray(inputs + masks),
        }
    if kind == "checkpoint_memory":
        n, k = float(g("N")), float(g("k"))
        return {"peak": np.asarray(k - 1 + n / k), "recompute": np.asarray(n - n / k)}
    if kind == "mlp_flops":
        batch, widths = float(g("B")), g("widths")
        forward = 2 * batch * float(widths[:-1] @ widths[1:])
        return {
            "forward": np.asarray(forward),
            "backward": np.asarray(2 * forward),
            "total": np.asarray(3 * forward),
        }
    raise AssertionError(f"no textbook formula for {kind}")


@pytest.mark.parametrize("kind", sorted(BACKPROP_KINDS))
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-12, atol=1e-12)


def test_linear_backward_asks_each_of_dw_dx_db_for_some_seed() -> None:
    asked = {generate("linear_backward", seed).fields[0].name for seed in range(30)}
    assert asked == {"dW", "dX", "db"}


def test_activation_derivative_covers_sigmoid_and_tanh() -> None:
    titles = {generate("activation_derivative", seed).title for seed in range(20)}
    assert titles == {"Sigmoid derivative", "Tanh derivative"}


def test_two_layer_grades_every_intermediate_so_a_broken_link_shows() -> None:
    exercise = generate("two_layer_by_hand", 0)
    names = [f.name for f in exercise.fields]
    assert names == ["z1", "h", "y_hat", "delta2", "dW2", "db2", "delta1", "dW1", "db1"]
    answer = exercise.correct_answer()
    answer["delta1"] = [value + 1 for value in answer["delta1"]]  # the chain broke at δ1 only
    result = grade(exercise, answer)
    assert [f.field.name for f in result.fields if not f.correct] == ["delta1"]


def test_checkpoint_plans_divide_evenly_and_counts_follow_the_model() -> None:
    for seed in range(30):
        exercise = generate("checkpoint_memory", seed)
        n, k = int(given(exercise, "N")), int(given(exercise, "k"))
        assert n % k == 0 and 2 <= k < n
        assert f"$N = {n}$" in exercise.prompt and f"$k = {k}$" in exercise.prompt


def test_jacobian_is_never_square_so_the_pass_counts_differ() -> None:
    for seed in range(30):
        m, n = given(generate("jvp_vjp", seed), "J").shape
        assert m != n


def test_two_layer_has_no_relu_kink_and_a_live_unit() -> None:
    for seed in range(50):
        exercise = generate("two_layer_by_hand", seed)
        z1 = given(exercise, "W1") @ given(exercise, "x") + given(exercise, "b1")
        assert np.all(z1 != 0) and np.any(z1 > 0)
        assert np.any(exercise.solution["dW1"] != 0) or np.all(exercise.solution["db2"] == 0)

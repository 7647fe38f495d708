"""Grading: right answers pass, wrong entries are named, tolerance holds, bad answers explained."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from app.exercises import BadAnswer, generate, grade
from tests.exercises.helpers import KINDS


def perturb_first(answer: dict[str, Any], field: str, delta: float) -> dict[str, Any]:
    answer = copy.deepcopy(answer)
    value = answer[field]
    if isinstance(value, float):
        answer[field] = value + delta
    elif isinstance(value[0], list):
        value[0][0] += delta
    else:
        value[0] += delta
    return answer


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 5, 99])
def test_a_perturbed_entry_is_named_wrong_and_only_it(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    field = exercise.fields[-1]
    result = grade(exercise, perturb_first(exercise.correct_answer(), field.name, 1.0))
    assert not result.passed
    [wrong] = result.wrong
    first = field.entry_name(field.indices()[0])
    assert wrong.name == first
    assert wrong.message.startswith(f"{first}: you gave ")
    right, total = result.score
    assert (right, total) == (total - 1, sum(math.prod(f.shape) for f in exercise.fields))


def test_message_reads_like_a_sentence() -> None:
    exercise = generate("linear_backward", 3)  # asks dW, solution [[4, 10], [-5, -4]]
    answer = exercise.correct_answer()
    answer["dW"][1][0] = 3
    [wrong] = grade(exercise, answer).wrong
    assert wrong.message == "dW[1,0]: you gave 3, expected -5"


def test_tolerance_is_respected() -> None:
    exercise = generate("softmax_cross_entropy", 0)
    name = exercise.fields[0].name
    inside = perturb_first(exercise.correct_answer(), name, exercise.atol * 0.9)
    outside = perturb_first(exercise.correct_answer(), name, exercise.atol * 2 + 0.01)
    assert grade(exercise, inside).passed
    assert not grade(exercise, outside).passed


def test_integers_and_floats_both_count() -> None:
    exercise = generate("relu_backward", 1)
    answer = {"dZ": [[round(v) for v in row] for row in exercise.correct_answer()["dZ"]]}
    assert grade(exercise, answer).passed


def problems(kind: str, seed: int, answer: Any) -> str:
    with pytest.raises(BadAnswer) as caught:
        grade(generate(kind, seed), answer)
    return str(caught.value)


def test_wrong_shape_says_what_was_expected() -> None:
    # linear_backward seed 3 asks dW of shape 2×2; relu_backward seed 0 asks dZ of shape 2×4.
    assert problems("relu_backward", 0, {"dZ": [1, 2, 3]}) == (
        "dZ: expected a 2×4 matrix — a list of 2 rows of 4 numbers, got a list of 3 numbers"
    )
    assert "got a list of 2 rows of 3" in problems("relu_backward", 0, {"dZ": [[1, 2, 3]] * 2})
    assert "got the number 1" in problems("relu_backward", 0, {"dZ": 1})
    message = problems("chain_rule", 0, {"dudx": [1], "dydu": 1, "dydx": 1})
    assert message == "dudx: expected a number, got a list of 1 number"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (float("nan"), "dydx: expected a finite number, got NaN"),
        (float("inf"), "dydx: expected a finite number, got infinity"),
        (10**400, "dydx: expected a finite number, got a number too large for a float"),
        (True, "dydx: expected a number, got the boolean true"),
        ("2.5", "dydx: expected a number, got the string '2.5'"),
        (None, "dydx: expected a number, got null"),
        ({"a": 1}, "dydx: expected a number, got an object"),
    ],
)
def test_not_a_number_is_refused(value: Any, said: str) -> None:
    assert problems("chain_rule", 0, {"dudx": 1, "dydu": 1, "dydx": value}) == said


def test_nan_inside_a_matrix_names_the_entry() -> None:
    nan = float("nan")
    assert problems("relu_backward", 0, {"dZ": [[0, 0, 0, 0], [0, nan, 0, False]]}) == (
        "dZ[1,1]: expected a finite number, got NaN; "
        "dZ[1,3]: expected a number, got the boolean false"
    )


def test_missing_and_extra_fields_are_named() -> None:
    message = problems("chain_rule", 0, {"dudx": 1, "dy": 2})
    assert message.startswith("missing fields: dydu, dydx; unknown field: dy")
    assert "this exercise expects dudx (a number)" in message


def test_answer_that_is_not_an_object() -> None:
    assert problems("chain_rule", 0, [1, 2, 3]).startswith("answer: expected an object with dudx")


def _asking(target: str, square: bool) -> int:
    for seed in range(200):
        exercise = generate("linear_backward", seed)
        shape = exercise.fields[0].shape
        if exercise.fields[0].name == target and (shape[0] == shape[1]) == square:
            return seed
    raise AssertionError("no such seed")


def test_a_transposed_matrix_is_graded_wrong_and_named_not_refused() -> None:
    exercise = generate("linear_backward", _asking("dW", square=False))
    rows, cols = exercise.field("dW").shape
    flipped = np.asarray(exercise.solution["dW"]).T.tolist()
    result = grade(exercise, {"dW": flipped})
    assert not result.passed
    assert result.score == (0, rows * cols)
    [wrong] = result.wrong
    assert wrong.message == (
        f"dW: this is the transpose of dL/dW: you gave a {cols}×{rows} matrix, but dL/dW is "
        f"{rows}×{cols}; transposed back, your numbers are right"
    )
    assert result.field("dW").transposed == wrong.message
    # Each entry reports the given matrix transposed back, beside the entry it would be.
    assert result.field("dW").verdict((0, 1)).given == flipped[1][0]


def test_a_wrong_transposed_matrix_says_so_too() -> None:
    exercise = generate("linear_backward", _asking("dW", square=False))
    flipped = (np.asarray(exercise.solution["dW"]).T + 1).tolist()
    [wrong] = grade(exercise, {"dW": flipped}).wrong
    assert "this is the transpose of dL/dW" in wrong.message
    assert wrong.message.endswith("even transposed back, the numbers are not right")


def test_other_wrong_shapes_are_still_refused() -> None:
    exercise = generate("linear_backward", _asking("dW", square=False))
    rows, cols = exercise.field("dW").shape
    with pytest.raises(BadAnswer, match="expected a"):
        grade(exercise, {"dW": [[0] * (cols + 1)] * rows})

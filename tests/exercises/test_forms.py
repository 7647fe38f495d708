"""The exercise form: input names, reading typed numbers back, and refusing what is not one."""

from __future__ import annotations

import pytest

from app.exercises import BadAnswer, generate, grade
from app.exercises.forms import answer_from_form, form_fields, input_name, parse_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2.5", 2.5),
        (" -3 ", -3.0),
        ("\u22123", -3.0),
        ("1/4", 0.25),
        ("-1/2", -0.5),
        ("1e-3", 1e-3),
    ],
)
def test_parse_number_reads_what_people_type(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("abc", "expected a number such as 2.5"),
        ("nan", "expected a number"),
        ("inf", "expected a number"),
        ("1/0", "expected a number"),
        ("9" * 400, "characters"),
    ],
)
def test_parse_number_refuses_non_numbers(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_number(text)


def test_form_round_trip_grades_like_the_api() -> None:
    exercise = generate("two_layer_by_hand", 4)
    params = {"seed": "4", "submit": "Check"}
    for form_field in form_fields(exercise, {}):
        for row in form_field.rows:
            for cell in row:
                value = exercise.solution[form_field.field.name][cell.index]
                params[cell.input_name] = repr(float(value))
    assert grade(exercise, answer_from_form(exercise, params)).passed


def test_grid_shapes_and_names() -> None:
    exercise = generate("sgd_step", 0)
    fields = {f.field.name: f for f in form_fields(exercise, {})}
    assert [[c.input_name for c in row] for row in fields["dW"].rows] == [
        ["dW.0.0", "dW.0.1", "dW.0.2"]
    ]
    assert fields["dW"].rows[0][1].aria_label == "dW, row 1, column 2"
    assert fields["db"].rows[0][0].aria_label == "db, entry 1"
    scalar = generate("chain_rule", 0).fields[0]
    assert input_name(scalar, ()) == "dudx"


def test_empty_and_unreadable_entries_are_named() -> None:
    exercise = generate("chain_rule", 0)
    with pytest.raises(BadAnswer) as caught:
        answer_from_form(exercise, {"dudx": "", "dydu": "two", "dydx": "4"})
    assert caught.value.problems[0].startswith("dudx: this entry is empty")
    assert caught.value.problems[1].startswith("dydu: expected a number such as 2.5")
    assert len(caught.value.problems) == 2

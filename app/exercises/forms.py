"""An exercise as an HTML form: one input per entry, named `dW.0.1`, read back into an answer.

Pure functions (no web framework), so the page route stays thin and this is tested directly."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.exercises.base import AnswerField, Exercise
from app.exercises.grading import BadAnswer, EntryVerdict, FieldGrade, Grade

MAX_INPUT_CHARS = 40
FRACTION = re.compile(r"^\s*([^/]+)/([^/]+)\s*$")


@dataclass(frozen=True)
class Cell:
    """One input of the matrix grid."""

    index: tuple[int, ...]
    input_name: str  # "dW.0.1"
    aria_label: str  # "dW, row 1, column 2"
    value: str  # what the user typed ("" on a fresh page)
    verdict: EntryVerdict | None


@dataclass(frozen=True)
class FormField:
    field: AnswerField
    rows: list[list[Cell]]
    grade: FieldGrade | None


def input_name(field: AnswerField, index: tuple[int, ...]) -> str:
    """The form input's name for one entry: 'dW.0.1', 'db.2' or 'dydx'."""
    return ".".join([field.name, *(str(i) for i in index)])


def aria_label(field: AnswerField, index: tuple[int, ...]) -> str:
    """What a screen reader announces for one input."""
    if len(index) == 2:
        return f"{field.name}, row {index[0] + 1}, column {index[1] + 1}"
    if len(index) == 1:
        return f"{field.name}, entry {index[0] + 1}"
    return field.name


def form_fields(
    exercise: Exercise, entered: Mapping[str, str], grade: Grade | None = None
) -> list[FormField]:
    """The exercise's fields laid out as grids of cells (one row per matrix row)."""
    result = []
    for field in exercise.fields:
        field_grade = grade.field(field.name) if grade else None
        rows_n, cols_n = _grid_shape(field.shape)
        rows = []
        for r in range(rows_n):
            row = []
            for c in range(cols_n):
                index = (r, c) if len(field.shape) == 2 else (c,) if field.shape else ()
                verdict = field_grade.verdict(index) if field_grade else None
                name = input_name(field, index)
                cell = Cell(index, name, aria_label(field, index), entered.get(name, ""), verdict)
                row.append(cell)
            rows.append(row)
        result.append(FormField(field, rows, field_grade))
    return result


def answer_from_form(exercise: Exercise, params: Mapping[str, str]) -> dict[str, Any]:
    """The answer the form's inputs spell (numbers in nested lists); BadAnswer naming each
    empty or unreadable entry. Inputs that belong to no field (a submit button) are ignored."""
    answer: dict[str, Any] = {}
    problems = []
    for field in exercise.fields:
        numbers = []
        for index in field.indices():
            text = params.get(input_name(field, index), "")
            try:
                numbers.append(parse_number(text))
            except ValueError as error:
                problems.append(f"{field.entry_name(index)}: {error}")
                numbers.append(0.0)
        answer[field.name] = _nest(numbers, field.shape)
    if problems:
        raise BadAnswer(problems)
    return answer


def parse_number(text: str) -> float:
    """'2.5', '-3', '−3', '1/4', '1e-3' -> a finite float; ValueError saying what was wrong."""
    cleaned = text.strip().replace("\u2212", "-")  # a typographic minus, as copied from math
    if not cleaned:
        raise ValueError("this entry is empty; expected a number such as 2.5, -3 or 1/4")
    if len(cleaned) > MAX_INPUT_CHARS:
        raise ValueError(f"expected a number, got {len(cleaned)} characters")
    fraction = FRACTION.match(cleaned)
    try:
        if fraction:
            value = _plain(fraction.group(1)) / _plain(fraction.group(2))
        else:
            value = _plain(cleaned)
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"expected a number such as 2.5, -3 or 1/4, got {text.strip()!r}"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {text.strip()!r}")
    return value


def _plain(text: str) -> float:
    value = float(text.strip())  # ValueError on anything but a decimal number
    if not math.isfinite(value):  # float() reads 'nan' and 'inf': they are not answers
        raise ValueError(text)
    return value


def _grid_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 1:
        return 1, shape[0]
    return 1, 1


def _nest(numbers: list[float], shape: tuple[int, ...]) -> Any:
    if not shape:
        return numbers[0]
    if len(shape) == 1:
        return numbers
    cols = shape[1]
    return [numbers[r * cols : (r + 1) * cols] for r in range(shape[0])]

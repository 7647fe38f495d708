"""Grading: check an answer's shape, then compare it with the engine's solution entry by entry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.exercises.base import AnswerField, Exercise, Mistake


class BadAnswer(ValueError):
    """An answer that cannot be graded: a missing or unknown field, a wrong shape, not a number.

    `problems` holds one sentence per problem; str() joins them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EntryVerdict:
    index: tuple[int, ...]
    name: str  # e.g. "dW[1,0]"
    given: float
    expected: float
    correct: bool
    said: str | None = None  # a sentence that replaces the default (a transposed answer)

    @property
    def message(self) -> str:
        """'dW[1,0]: you gave 3, expected 2.5'."""
        if self.said is not None:
            return self.said
        given, expected = format_number(self.given), format_number(self.expected)
        return f"{self.name}: you gave {given}, expected {expected}"


@dataclass(frozen=True)
class FieldGrade:
    field: AnswerField
    entries: tuple[EntryVerdict, ...]
    # Set when the answer was the transpose of a non-square field: every entry is wrong, and
    # this one sentence (also the first entry's message) says why.
    transposed: str | None = None

    @property
    def correct(self) -> bool:
        return self.transposed is None and all(entry.correct for entry in self.entries)

    @property
    def wrong(self) -> list[EntryVerdict]:
        """The wrong entries; for a transposed answer only the first, which says so."""
        wrong = [entry for entry in self.entries if not entry.correct]
        return wrong[:1] if self.transposed else wrong

    def verdict(self, index: tuple[int, ...]) -> EntryVerdict:
        """The verdict for one entry."""
        return self.entries[self.field.indices().index(index)]


@dataclass(frozen=True)
class Grade:
    """Per-field, per-entry verdicts for one answer to one exercise."""

    exercise: Exercise
    fields: tuple[FieldGrade, ...]

    @property
    def passed(self) -> bool:
        """Every entry of every field is within tolerance."""
        return all(field_grade.correct for field_grade in self.fields)

    @property
    def wrong(self) -> list[EntryVerdict]:
        """The wrong entries, in field order."""
        return [entry for field_grade in self.fields for entry in field_grade.wrong]

    @property
    def score(self) -> tuple[int, int]:
        """(right entries, all entries)."""
        entries = [e for f in self.fields for e in f.entries]
        return sum(e.correct for e in entries), len(entries)

    def field(self, name: str) -> FieldGrade:
        """The grade of the field called `name`."""
        for field_grade in self.fields:
            if field_grade.field.name == name:
                return field_grade
        raise KeyError(name)


def format_number(value: float) -> str:
    """A number as a person writes it: 2.5, -3, 0.125 (six significant digits at most)."""
    text = f"{float(value):.6g}"
    return "0" if text == "-0" else text


def grade(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    """Grade `answer` (field name -> number or nested lists); BadAnswer when it is malformed."""
    arrays = parse_answer(exercise, answer)
    grades = [grade_field(exercise, f, arrays[f.name]) for f in exercise.fields]
    return Grade(exercise, tuple(grades))


def grade_field(exercise: Exercise, answer_field: AnswerField, given: np.ndarray) -> FieldGrade:
    """One field's verdicts; `given` has the field's shape or, for a matrix, its transpose's."""
    expected = np.asarray(exercise.solution[answer_field.name], dtype=np.float64)
    if given.shape != expected.shape:  # the transpose of a non-square matrix (to_array let it in)
        return _transposed(exercise, answer_field, given, expected)
    ok = _close(exercise, given, expected)
    entries = tuple(
        EntryVerdict(
            index,
            answer_field.entry_name(index),
            float(given[index]),
            float(expected[index]),
            bool(ok[index]),
        )
        for index in answer_field.indices()
    )
    return FieldGrade(answer_field, entries)


def field_is_right(exercise: Exercise, answer_field: AnswerField, given: np.ndarray) -> bool:
    """grade_field(...).correct, without building the verdicts (the generators ask often)."""
    expected = np.asarray(exercise.solution[answer_field.name], dtype=np.float64)
    return given.shape == expected.shape and bool(_close(exercise, given, expected).all())


def _close(exercise: Exercise, given: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """|given − expected| ≤ atol + rtol·|expected|, entry by entry (numpy.isclose, for finite
    numbers, without its overhead)."""
    return np.asarray(np.abs(given - expected) <= exercise.atol + exercise.rtol * np.abs(expected))


def _transposed(
    exercise: Exercise, answer_field: AnswerField, given: np.ndarray, expected: np.ndarray
) -> FieldGrade:
    """Every entry wrong, and one sentence naming the transpose. Entries report the given
    matrix transposed back, so each sits beside the entry it would be."""
    back = given.T
    rows, cols = given.shape
    right_when_flipped = bool(_close(exercise, back, expected).all())
    symbol = answer_field.plain_label()
    verdict = (
        "transposed back, your numbers are right"
        if right_when_flipped
        else "and even transposed back, the numbers are not right"
    )
    said = (
        f"{answer_field.name}: this is the transpose of {symbol}: you gave a {rows}×{cols} "
        f"matrix, but {symbol} is {cols}×{rows}; {verdict}"
    )
    entries = tuple(
        EntryVerdict(
            index,
            answer_field.entry_name(index),
            float(back[index]),
            float(expected[index]),
            False,
            said if i == 0 else None,
        )
        for i, index in enumerate(answer_field.indices())
    )
    return FieldGrade(answer_field, entries, transposed=said)


def mistake_slips_through(exercise: Exercise, mistake: Mistake) -> bool:
    """Whether some field that `mistake` changes would be graded right on this exercise."""
    for name, value in mistake.answer(exercise.inputs()).items():
        answer_field = exercise.field(name)
        given = np.asarray(value, dtype=np.float64)
        if given.shape not in (answer_field.shape, answer_field.shape[::-1]):
            raise AssertionError(f"{exercise.kind}/{mistake.name}: {name} has shape {given.shape}")
        if field_is_right(exercise, answer_field, given):
            return True
    return False


def parse_answer(exercise: Exercise, answer: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Each field's answer as an array of the field's shape; BadAnswer naming every problem."""
    if not isinstance(answer, Mapping):
        raise BadAnswer([f"answer: expected an object with {_field_list(exercise)}"])
    problems = []
    names = [f.name for f in exercise.fields]
    missing = [name for name in names if name not in answer]
    extra = sorted(str(key) for key in answer if key not in names)
    if missing:
        problems.append(f"missing {_plural('field', missing)}: {', '.join(missing)}")
    if extra:
        problems.append(
            f"unknown {_plural('field', extra)}: {', '.join(extra)} "
            f"(this exercise expects {_field_list(exercise)})"
        )
    arrays = {}
    for answer_field in exercise.fields:
        if answer_field.name not in answer:
            continue
        try:
            arrays[answer_field.name] = to_array(answer_field, answer[answer_field.name])
        except BadAnswer as error:
            problems.extend(error.problems)
    if problems:
        raise BadAnswer(problems)
    return arrays


def to_array(answer_field: AnswerField, value: Any) -> np.ndarray:
    """One field's answer as an array; BadAnswer saying what was expected and what came."""
    name, shape = answer_field.name, answer_field.shape
    if len(shape) == 2 and shape[0] != shape[1] and _has_shape(value, shape[::-1]):
        shape = shape[::-1]  # a transposed matrix is an answer, graded wrong with a reason
    elif not _has_shape(value, shape):
        raise BadAnswer([f"{name}: expected {answer_field.describe()}, got {describe(value)}"])
    flat = _flatten(value, len(shape))
    problems = []
    numbers = []
    indices = [tuple(int(i) for i in index) for index in np.ndindex(*shape)]
    for index, item in zip(indices, flat, strict=True):
        number = _finite(item)
        if number is None:
            what = describe(item)
            kind = "a finite number" if _is_number(item) else "a number"
            problems.append(f"{answer_field.entry_name(index)}: expected {kind}, got {what}")
        numbers.append(number)
    if problems:
        raise BadAnswer(problems)
    return np.asarray(numbers, dtype=np.float64).reshape(shape)


def describe(value: Any) -> str:
    """What a JSON value is, in words: 'a list of 3 numbers', 'the string "x"', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        number = _finite(value)
        if number is None:
            if isinstance(value, int):
                return "a number too large for a float"
            return "NaN" if math.isnan(value) else ("-infinity" if value < 0 else "infinity")
        return f"the number {format_number(number)}"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:17] + "..."
        return f"the string {shown!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        if not value:
            return "an empty list"
        if all(isinstance(item, list | tuple) for item in value):
            lengths = sorted({len(item) for item in value})
            if len(lengths) == 1:
                return f"a list of {len(value)} rows of {lengths[0]}"
            return f"a list of {len(value)} rows of different lengths"
        if all(_is_number(item) for item in value):
            return f"a list of {len(value)} {_plural('number', value)}"
        return f"a list of {len(value)} mixed values"
    return f"a {type(value).__name__}"


def _has_shape(value: Any, shape: tuple[int, ...]) -> bool:
    if not shape:
        return not isinstance(value, list | tuple | Mapping)
    if not isinstance(value, list | tuple) or len(value) != shape[0]:
        return False
    return all(_has_shape(item, shape[1:]) for item in value)


def _flatten(value: Any, depth: int) -> list[Any]:
    if depth == 0:
        return [value]
    return [number for item in value for number in _flatten(item, depth - 1)]


def _finite(value: Any) -> float | None:
    """The value as a finite float, or None (not a number, a bool, NaN, ±inf, too large)."""
    if not _is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plural(word: str, items: Any) -> str:
    return word if len(items) == 1 else word + "s"


def _field_list(exercise: Exercise) -> str:
    return ", ".join(f"{f.name} ({f.describe()})" for f in exercise.fields)

"""Request and response models of the exercises API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.api.schemas import integral_float
from app.demos.base import Step
from app.exercises import MAX_SEED, AnswerField, Exercise, ExerciseSpec, Given, Grade
from app.exercises.base import to_json
from app.markdown import render_markdown

Seed = Annotated[
    int,
    Field(strict=True, ge=0, le=MAX_SEED, description="Same seed, same numbers (0 to 2**31-1)."),
    BeforeValidator(integral_float),
]
Value = float | list[float] | list[list[float]]


class ExerciseKindOut(BaseModel):
    kind: str
    title: str
    summary: str

    @classmethod
    def of(cls, spec: ExerciseSpec) -> ExerciseKindOut:
        return cls(kind=spec.kind, title=spec.title, summary=spec.summary)


class ExerciseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: Seed | None = Field(default=None, description="Omit for a random exercise.")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: Seed
    answer: dict[str, Any] = Field(
        description="Field name -> a number, a list of numbers or a list of rows of numbers.",
        examples=[{"dW": [[1, 2.5, 0], [-1, 0, 0.5]]}],
    )


class GivenOut(BaseModel):
    name: str
    label: str = Field(description="LaTeX symbol.")
    value: Value
    note: str | None

    @classmethod
    def of(cls, given: Given) -> GivenOut:
        return cls(name=given.name, label=given.label, value=to_json(given.value), note=given.note)


class FieldOut(BaseModel):
    name: str = Field(description="The key to use in the answer object.")
    label: str = Field(description="LaTeX symbol.")
    shape: list[int] = Field(description="[] for a number, [n] for a vector, [rows, cols].")
    expects: str = Field(description="What a valid answer looks like, in words.")

    @classmethod
    def of(cls, field: AnswerField) -> FieldOut:
        return cls(
            name=field.name, label=field.label, shape=list(field.shape), expects=field.describe()
        )


class ToleranceOut(BaseModel):
    atol: float
    rtol: float


class ExerciseOut(BaseModel):
    kind: str
    seed: int
    title: str
    prompt: str = Field(description="Markdown with $math$.")
    prompt_html: str = Field(description="The prompt rendered and sanitised; math as TeX.")
    given: list[GivenOut]
    fields: list[FieldOut]
    tolerance: ToleranceOut = Field(
        description="An entry is right when |given − expected| ≤ atol + rtol·|expected|."
    )

    @classmethod
    def of(cls, exercise: Exercise) -> ExerciseOut:
        return cls(
            kind=exercise.kind,
            seed=exercise.seed,
            title=exercise.title,
            prompt=exercise.prompt,
            prompt_html=render_markdown(exercise.prompt),
            given=[GivenOut.of(given) for given in exercise.given],
            fields=[FieldOut.of(field) for field in exercise.fields],
            tolerance=ToleranceOut(atol=exercise.atol, rtol=exercise.rtol),
        )


class EntryOut(BaseModel):
    entry: str = Field(description="e.g. dW[1,0]")
    index: list[int]
    given: float
    expected: float
    correct: bool


class FieldGradeOut(BaseModel):
    name: str
    correct: bool
    entries: list[EntryOut]


class SolutionStepOut(BaseModel):
    label: str
    tex: str | None
    value: Value | str
    note: str | None

    @classmethod
    def of(cls, step: Step) -> SolutionStepOut:
        value = step.value if isinstance(step.value, str) else to_json(step.value)
        return cls(label=step.label, tex=step.tex, value=value, note=step.note)


class GradeOut(BaseModel):
    kind: str
    seed: int
    passed: bool = Field(description="Every entry of every field is right.")
    score: str = Field(description="e.g. '5 of 6 entries right'")
    wrong: list[str] = Field(description="One sentence per wrong entry.")
    fields: list[FieldGradeOut]
    expected: dict[str, Value] = Field(description="The engine's solution, by field.")
    solution: list[SolutionStepOut] = Field(description="The worked solution, step by step.")

    @classmethod
    def of(cls, grade: Grade) -> GradeOut:
        exercise = grade.exercise
        right, total = grade.score
        return cls(
            kind=exercise.kind,
            seed=exercise.seed,
            passed=grade.passed,
            score=f"{right} of {total} entries right",
            wrong=[entry.message for entry in grade.wrong],
            fields=[
                FieldGradeOut(
                    name=field_grade.field.name,
                    correct=field_grade.correct,
                    entries=[
                        EntryOut(
                            entry=e.name,
                            index=list(e.index),
                            given=e.given,
                            expected=to_json(e.expected),
                            correct=e.correct,
                        )
                        for e in field_grade.entries
                    ],
                )
                for field_grade in grade.fields
            ],
            expected=exercise.correct_answer(),
            solution=[SolutionStepOut.of(step) for step in exercise.steps],
        )

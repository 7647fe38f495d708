"""Generated numeric exercises: a question for a seed, and grading of an answer.

Stateless: the seed regenerates the exercise, so checking an answer needs only (kind, seed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from app.api.exercise_schemas import (
    CheckRequest,
    ExerciseKindOut,
    ExerciseOut,
    ExerciseRequest,
    GradeOut,
)
from app.api.schemas import ErrorOut
from app.exercises import (
    REGISTRY,
    BadAnswer,
    ExerciseSpec,
    UnknownExercise,
    get_exercise,
    grade,
    random_seed,
)

router = APIRouter(tags=["exercises"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No exercise of that kind."},
    422: {"model": ErrorOut, "description": "A malformed request or answer, explained."},
}


def find(kind: str) -> ExerciseSpec:
    """The spec for `kind`, or a 404 that lists the kinds there are."""
    try:
        return get_exercise(kind)
    except UnknownExercise as error:
        raise HTTPException(404, str(error)) from None


@router.get("/exercises", response_model=list[ExerciseKindOut])
def list_exercises() -> list[ExerciseKindOut]:
    """Every exercise kind with its title."""
    return [ExerciseKindOut.of(spec) for spec in REGISTRY.values()]


@router.post("/exercises/{kind}", response_model=ExerciseOut, responses=ERRORS)
def new_exercise(kind: str, request: ExerciseRequest | None = None) -> ExerciseOut:
    """The question for `seed` (a random seed when omitted; the response says which)."""
    spec = find(kind)
    seed = request.seed if request and request.seed is not None else random_seed()
    return ExerciseOut.of(spec.generate(seed))


@router.post("/exercises/{kind}/check", response_model=GradeOut, responses=ERRORS)
def check_answer(kind: str, request: CheckRequest) -> GradeOut:
    """Grade an answer entry by entry; the response names wrong entries and shows the solution."""
    exercise = find(kind).generate(request.seed)
    try:
        return GradeOut.of(grade(exercise, request.answer))
    except BadAnswer as error:
        raise HTTPException(422, f"{error}.") from None

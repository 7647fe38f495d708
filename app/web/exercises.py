"""Exercise pages: a generated question with matrix inputs, graded on submit.

Grading changes nothing, so the form submits with GET (/exercises/{kind}/check?seed=N&dW.0.1=..):
the URL is the whole state, it can be bookmarked, and no CSRF token is needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.exercises import (
    MAX_SEED,
    REGISTRY,
    BadAnswer,
    Exercise,
    ExerciseSpec,
    Grade,
    UnknownExercise,
    format_number,
    get_exercise,
    grade,
    random_seed,
)
from app.exercises.base import to_json
from app.exercises.forms import answer_from_form, form_fields
from app.web.render import render

router = APIRouter(include_in_schema=False)

SeedQuery = Annotated[int, Query(ge=0, le=MAX_SEED)]


def find(kind: str) -> ExerciseSpec:
    """The spec for `kind`, or the 404 page."""
    try:
        return get_exercise(kind)
    except UnknownExercise as error:
        raise HTTPException(404, f"{str(error)[0].upper()}{str(error)[1:]}.") from None


def render_exercise(
    request: Request,
    exercise: Exercise,
    entered: Mapping[str, str],
    result: Grade | None = None,
    problems: list[str] | None = None,
    status: int = 200,
    reveal: bool = False,
) -> HTMLResponse:
    """The exercise page: the question, the form (with verdicts once graded), the solution.

    A wrong answer first gets which entries are wrong and a hint (the solution's first step);
    the expected values and the worked solution wait until asked for (`reveal`), so the user
    can try again first.
    """
    new_seed = random_seed()
    while new_seed == exercise.seed:  # "new numbers" must mean new numbers
        new_seed = random_seed()
    context = {
        "exercise": exercise,
        "fields": form_fields(exercise, entered, result),
        "grade": result,
        "reveal": result is not None and (result.passed or reveal),
        "reveal_url": str(request.url.include_query_params(reveal="true")),
        "problems": problems or [],
        "new_seed": new_seed,
        "number": format_number,
        "as_json": to_json,
    }
    return render(request, "exercise.html", context, status=status)


@router.get("/exercises", response_class=HTMLResponse)
def exercises_page(request: Request) -> Response:
    """Every exercise kind."""
    return render(request, "exercises.html", {"specs": list(REGISTRY.values())})


@router.get("/exercises/{kind}", response_class=HTMLResponse)
def exercise_page(
    request: Request,
    kind: str,
    seed: Annotated[int | None, Query(ge=0, le=MAX_SEED)] = None,
) -> Response:
    """One generated exercise (a random seed first, so the URL can be shared)."""
    spec = find(kind)
    if seed is None:  # pick the numbers now, so the URL names them and can be shared
        url = request.url_for("exercise_page", kind=kind).include_query_params(seed=random_seed())
        return RedirectResponse(str(url), status_code=303)
    return render_exercise(request, spec.generate(seed), {})


@router.get("/exercises/{kind}/check", response_class=HTMLResponse)
def exercise_check_page(
    request: Request, kind: str, seed: SeedQuery, reveal: Annotated[bool, Query()] = False
) -> Response:
    """The exercise graded entry by entry; the expected values and worked solution on request."""
    exercise = find(kind).generate(seed)
    entered = {k: v for k, v in request.query_params.items() if k != "reveal"}
    try:
        result = grade(exercise, answer_from_form(exercise, entered))
    except BadAnswer as error:
        return render_exercise(request, exercise, entered, problems=error.problems, status=422)
    return render_exercise(request, exercise, entered, result, reveal=reveal)

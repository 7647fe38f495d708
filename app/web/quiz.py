"""Quiz pages: multiple choice and numeric exercises; grading changes no schedule, so it is GET.

static/js/quiz.js asks for the verdict as a fragment (?fragment=1) and swaps it in; without
the script the same URLs answer with a whole page."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog import queries
from app.catalog.schema import SLUG_RE
from app.deps import SessionDep, SlugQuery
from app.exercises import BadAnswer, format_number, grade, random_seed
from app.exercises.base import to_json
from app.exercises.forms import answer_from_form, form_fields
from app.models import Card
from app.web.exercises import find
from app.web.quiz_view import MAX_SEED, build_quiz, grade_choice
from app.web.render import render
from app.web.study import scope_label
from app.web.viewer import page_user

router = APIRouter(include_in_schema=False)
SeedQuery = Annotated[int, Query(ge=0, le=MAX_SEED)]
Level = Literal["easy", "medium", "hard"]
Fragment = Annotated[bool, Query()]


MAX_RETRY_CARDS = 20  # a quiz asks at most ten multiple-choice questions and two exercises


def retry_slugs(cards: str | None) -> list[str] | None:
    """The slugs of `cards=a,b,c` in order, once each; a 422 names a bad one."""
    if cards is None:
        return None
    slugs = list(dict.fromkeys(part.strip() for part in cards.split(",") if part.strip()))
    if not 1 <= len(slugs) <= MAX_RETRY_CARDS:
        raise HTTPException(422, f"cards takes 1 to {MAX_RETRY_CARDS} card slugs, comma-separated.")
    for slug in slugs:
        if not SLUG_RE.fullmatch(slug):
            raise HTTPException(422, f"{slug[:40]!r} is not a card slug.")
    return slugs


@router.get("/quiz", response_class=HTMLResponse)
def quiz_page(
    request: Request,
    session: SessionDep,
    deck: SlugQuery = None,
    topic: SlugQuery = None,
    difficulty: Level | None = None,
    seed: Annotated[int | None, Query(ge=0, le=MAX_SEED)] = None,
    cards: Annotated[str | None, Query(max_length=MAX_RETRY_CARDS * 101)] = None,
) -> Response:
    """A quiz over the selection (a random seed first, so a reload keeps the questions).

    `cards` (slugs, comma-separated) narrows it to those cards: "retry the ones I missed".
    """
    only = retry_slugs(cards)
    if seed is None:  # pick the quiz now, so a reload (or a shared URL) asks the same questions
        url = request.url.include_query_params(seed=random_seed())
        return RedirectResponse(str(url), status_code=303)
    filters = queries.CardFilter(deck=deck, difficulty=difficulty, topic=topic)
    picked = queries.list_cards(session, filters, limit=None).cards
    if only is not None:
        picked = [card for card in picked if card.slug in only]
    selection = {
        "deck": deck,
        "topic": topic,
        "difficulty": difficulty,
        "cards": ",".join(only) if only else None,
    }
    context = {
        "questions": build_quiz(picked, seed),
        "seed": seed,
        "selection": {key: value for key, value in selection.items() if value},
        "scope": (
            f"the {len(only)} card{'' if len(only) == 1 else 's'} you missed"
            if only
            else scope_label(session, deck, topic, difficulty)
        ),
        "logged_in": page_user(request, session) is not None,
        "new_seed": _other_seed(seed),
        "number": format_number,
        "as_json": to_json,
        "fields_of": lambda exercise: form_fields(exercise, {}),
    }
    return render(request, "quiz.html", context)


@router.get("/quiz/answer", response_class=HTMLResponse)
def quiz_answer(
    request: Request,
    session: SessionDep,
    card: Annotated[str, Query(pattern=SLUG_RE.pattern, max_length=100)],
    seed: SeedQuery,
    pick: Annotated[int, Query(ge=0, le=20)],
    fragment: Fragment = False,
) -> Response:
    """The verdict on one multiple-choice answer, with every choice's why."""
    found = _quiz_card(session, card)
    try:
        result = grade_choice(found, seed, pick)
    except ValueError as error:
        raise HTTPException(422, f"{error}.") from None
    template = "_quiz_choice_result.html" if fragment else "quiz_answer.html"
    return render(request, template, {"result": result, "card": found, "kind": "choice"})


@router.get("/quiz/exercise", response_class=HTMLResponse)
def quiz_exercise(
    request: Request,
    kind: Annotated[str, Query(max_length=100)],
    seed: SeedQuery,
    fragment: Fragment = False,
) -> Response:
    """The verdict on one numeric exercise of a quiz (entries, the answer, a link to the steps)."""
    exercise = find(kind).generate(seed)
    entered = dict(request.query_params)
    context: dict[str, object] = {
        "exercise": exercise,
        "entered": entered,
        "kind": "exercise",
        "number": format_number,
        "as_json": to_json,
        "fields": form_fields(exercise, entered),
    }
    status = 200
    try:
        result = grade(exercise, answer_from_form(exercise, entered))
        context["grade"] = result
        context["fields"] = form_fields(exercise, entered, result)
    except BadAnswer as error:
        context["problems"] = error.problems
        status = 200 if fragment else 422  # the script shows the problems and keeps the form
    template = "_quiz_exercise_result.html" if fragment else "quiz_answer.html"
    return render(request, template, context, status=status)


def _quiz_card(session: SessionDep, slug: str) -> Card:
    found = queries.get_card(session, slug)
    if found is None or not found.choices:
        raise HTTPException(404, f"There is no multiple-choice card called {slug!r}.")
    return found


def _other_seed(seed: int) -> int:
    """A random seed that is not `seed` ("new quiz" must mean a new quiz)."""
    new = random_seed()
    while new == seed:
        new = random_seed()
    return new

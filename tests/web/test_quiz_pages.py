"""Quizzes: a seeded set of questions, shuffled choices graded with every why, exercises graded
entry by entry, and no change to anyone's schedule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.catalog import queries
from app.exercises import get_exercise
from app.models import Card, ReviewLog
from app.web.quiz_view import (
    MAX_CHOICE_QUESTIONS,
    ChoiceQuestion,
    ExerciseQuestion,
    build_quiz,
    choice_order,
    exercise_seed,
    grade_choice,
)
from tests.auth.helpers import login
from tests.conftest import Account
from tests.web.test_pages import one, page, text


def all_cards(db: Session) -> list[Card]:
    return queries.list_cards(db, queries.CardFilter(), limit=None).cards


def test_a_quiz_is_reproducible_from_its_seed_and_mixes_in_exercises(
    study_db: sessionmaker[Session],
) -> None:
    with study_db() as db:
        cards = all_cards(db)
        quiz = build_quiz(cards, 42)
        again = build_quiz(cards, 42)
        assert [(type(q), q.card.slug) for q in quiz] == [(type(q), q.card.slug) for q in again]
        choices = [q for q in quiz if isinstance(q, ChoiceQuestion)]
        exercises = [q for q in quiz if isinstance(q, ExerciseQuestion)]
        assert len(choices) == MAX_CHOICE_QUESTIONS
        assert len(exercises) == 2
        assert not isinstance(quiz[0], ExerciseQuestion)  # spread out, not first
        for question in exercises:
            assert question.card.exercise == question.exercise.kind
            assert question.exercise.seed == exercise_seed(42, question.exercise.kind)
        orders = {tuple(choice_order(card, seed)) for card in cards[:1] for seed in range(20)}
        assert len(orders) > 1  # choices really are shuffled
        assert build_quiz(cards, 43) != quiz


def test_grading_a_pick_names_the_right_choice(study_db: sessionmaker[Session]) -> None:
    with study_db() as db:
        card = db.scalars(select(Card).where(Card.slug == "relu-backward")).one()
        order = choice_order(card, 7)
        right = next(i for i, index in enumerate(order) if card.choices[index].correct)
        assert grade_choice(card, 7, right).correct
        wrong = grade_choice(card, 7, (right + 1) % len(order))
        assert not wrong.correct and wrong.right == right
        with pytest.raises(ValueError, match="pick must be"):
            grade_choice(card, 7, len(order))


def test_quiz_page_picks_a_seed_and_shows_shuffled_choices(loaded_client: TestClient) -> None:
    response = loaded_client.get("/quiz?deck=backprop&difficulty=hard", follow_redirects=False)
    assert response.status_code == 303
    assert "seed=" in response.headers["location"]
    soup = page(loaded_client, "/quiz?deck=backprop&difficulty=hard&seed=9")
    questions = soup.select(".quiz-question")
    # The two hard cards, each as multiple choice and as the exercise it names.
    assert sorted((q["data-card"], q["data-kind"]) for q in questions) == [
        ("gradient-checkpointing", "choice"),
        ("gradient-checkpointing", "exercise"),
        ("jvp-vs-vjp", "choice"),
        ("jvp-vs-vjp", "exercise"),
    ]
    choice = next(q for q in questions if q["data-kind"] == "choice")
    assert len(choice.select(".choice-button")) == 4
    assert soup.select_one("#quiz-record") is None  # logged out: nothing to record into
    assert not soup.select("script:not([src])")


def test_answering_shows_right_or_wrong_and_every_why(
    loaded_client: TestClient, study_db: sessionmaker[Session]
) -> None:
    with study_db() as db:
        card = db.scalars(select(Card).where(Card.slug == "jvp-vs-vjp")).one()
        order = choice_order(card, 9)
        right = next(i for i, index in enumerate(order) if card.choices[index].correct)
    url = f"/quiz/answer?card=jvp-vs-vjp&seed=9&pick={right}&fragment=1"
    soup = page(loaded_client, url)
    verdict = one(soup, ".quiz-verdict")
    assert verdict["data-correct"] == "true"
    assert len(soup.select(".choice-why")) == 4
    assert len(soup.select(".choice.picked.correct")) == 1
    soup = page(loaded_client, url.replace(f"pick={right}", f"pick={(right + 1) % 4}"))
    assert one(soup, ".quiz-verdict")["data-correct"] == "false"
    assert "choice" in text(soup, ".verdict-line")
    whole = page(loaded_client, url.replace("&fragment=1", ""))
    assert whole.select_one("main .quiz-verdict") is not None  # works without the script too
    page(loaded_client, "/quiz/answer?card=jvp-vs-vjp&seed=9&pick=7", status=422)
    page(loaded_client, "/quiz/answer?card=nope&seed=9&pick=0", status=404)


def test_exercise_answers_are_graded_entry_by_entry(loaded_client: TestClient) -> None:
    exercise = get_exercise("relu_backward").generate(5)
    [field] = exercise.fields
    solution = exercise.solution[field.name]
    cells = {
        f"{field.name}.{'.'.join(map(str, index))}": str(float(solution[index]))
        for index in field.indices()
    }
    soup = page(
        loaded_client,
        "/quiz/exercise?kind=relu_backward&seed=5&fragment=1&"
        + "&".join(f"{name}={value}" for name, value in cells.items()),
    )
    assert one(soup, ".quiz-verdict")["data-correct"] == "true"
    soup = page(loaded_client, "/quiz/exercise?kind=relu_backward&seed=5&fragment=1")
    assert one(soup, ".quiz-problems")["data-graded"] == "false"  # empty entries: not graded
    page(loaded_client, "/quiz/exercise?kind=relu_backward&seed=5", status=422)
    page(loaded_client, "/quiz/exercise?kind=nope&seed=5&fragment=1", status=404)


def test_a_quiz_changes_no_schedule_and_offers_to_when_logged_in(
    study_client: TestClient,
    make_account: Callable[[str], Account],
    study_db: sessionmaker[Session],
) -> None:
    make_account("ada")
    login(study_client, "ada")
    soup = page(study_client, "/quiz?seed=3")
    assert not one(soup, "#quiz-record").has_attr("checked")  # opt in, never by default
    assert one(soup, 'meta[name="csrf-token"]')["content"]
    for pick in range(4):
        page(study_client, f"/quiz/answer?card=chain-rule&seed=3&pick={pick}&fragment=1")
    with study_db() as db:
        assert db.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_a_retry_quiz_asks_only_the_cards_named_and_refuses_bad_names(
    loaded_client: TestClient,
) -> None:
    soup = page(loaded_client, "/quiz?cards=relu-backward,chain-rule,relu-backward&seed=4")
    asked = {q["data-card"] for q in soup.select(".quiz-question")}
    assert asked and asked <= {"relu-backward", "chain-rule"}
    assert "the 2 cards you missed" in text(soup, ".scope-name")
    for bad in ("", ",", "Bad_Slug", ",".join(f"card-{i}" for i in range(21))):
        response = loaded_client.get("/quiz", params={"cards": bad, "seed": 1})
        assert response.status_code == 422, bad

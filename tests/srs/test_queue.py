"""The queue: due first (most overdue for its interval first), new easy -> hard, limits, days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Card, CardState, User
from app.srs.preferences import StudySettings, update_study_settings
from app.srs.queue import LEARN_AHEAD, NEW_LIMIT, StudyFilter, next_card, study_queue
from app.srs.reviews import record_review
from tests.conftest import START

RANK = {"easy": 0, "medium": 1, "hard": 2}


def review(
    db: Session, settings: Settings, user: User, slug: str, rating: int, at: datetime
) -> None:
    card = db.scalars(select(Card).where(Card.slug == slug)).one()
    record_review(session=db, settings=settings, user=user, card=card, rating=rating, now=at)


def test_new_cards_come_easy_then_medium_then_hard_by_number(db: Session, ada: User) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=100))
    queue = study_queue(session=db, user=ada, now=START, filters=StudyFilter())
    cards = list(db.scalars(select(Card).where(Card.retired_at.is_(None))))
    expected = sorted(cards, key=lambda c: (RANK[c.difficulty], c.number, c.id))
    assert len(queue.new) == min(len(cards), NEW_LIMIT)  # a queue shows at most NEW_LIMIT
    assert [c.slug for c in queue.new] == [c.slug for c in expected][:NEW_LIMIT]
    assert [c.difficulty for c in queue.new][:2] == ["easy", "easy"]


def test_filters_by_deck_topic_and_difficulty(db: Session, ada: User) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=100))
    hard = study_queue(session=db, user=ada, now=START, filters=StudyFilter(difficulty="hard"))
    assert hard.new and {c.difficulty for c in hard.new} == {"hard"}
    topical = study_queue(
        session=db, user=ada, now=START, filters=StudyFilter(deck="backprop", topic="activations")
    )
    assert topical.new
    assert all("activations" in [t.slug for t in c.topics] for c in topical.new)
    nothing = study_queue(session=db, user=ada, now=START, filters=StudyFilter(deck="no-deck"))
    assert nothing.new == [] and nothing.due == []


def test_the_new_card_limit_counts_the_study_day(
    db: Session, ada: User, study_settings: Settings
) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=2))
    queue = study_queue(session=db, user=ada, now=START, filters=StudyFilter())
    assert len(queue.new) == 2
    for card in queue.new:
        review(db, study_settings, ada, card.slug, 4, START)
    later = study_queue(session=db, user=ada, now=START + timedelta(hours=1), filters=StudyFilter())
    assert later.new == [] and later.new_left == 0
    # 03:59 UTC next day is still the same study day; 04:00 starts a new one.
    same_day = START.replace(hour=3, minute=59) + timedelta(days=1)
    assert study_queue(session=db, user=ada, now=same_day, filters=StudyFilter()).new_left == 0
    next_day = START.replace(hour=4) + timedelta(days=1)
    assert study_queue(session=db, user=ada, now=next_day, filters=StudyFilter()).new_left == 2


def test_the_day_rolls_over_at_4_am_in_the_users_time_zone(
    db: Session, ada: User, study_settings: Settings
) -> None:
    # Tokyo is UTC+9: 4 AM there is 19:00 UTC the day before.
    update_study_settings(
        session=db, user=ada, changes=StudySettings(new_per_day=1, time_zone="Asia/Tokyo")
    )
    at = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # 03:30 in Tokyo on the 3rd: still the 2nd's day
    first = study_queue(session=db, user=ada, now=at, filters=StudyFilter()).new[0]
    review(db, study_settings, ada, first.slug, 4, at)
    assert study_queue(session=db, user=ada, now=at, filters=StudyFilter()).new_left == 0
    after = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # 04:00 in Tokyo: a new study day
    assert study_queue(session=db, user=ada, now=after, filters=StudyFilter()).new_left == 1
    # The same instants for a user in UTC are all one day (noon to 19:00 on the 2nd).
    update_study_settings(session=db, user=ada, changes=StudySettings(time_zone="UTC"))
    assert study_queue(session=db, user=ada, now=after, filters=StudyFilter()).new_left == 0


def test_due_cards_come_first_most_overdue_for_their_interval_first(
    db: Session, ada: User, study_settings: Settings
) -> None:
    settings = study_settings.model_copy(update={"fsrs_fuzzing": False})
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=100))
    slugs = [
        c.slug for c in study_queue(session=db, user=ada, now=START, filters=StudyFilter()).new
    ]
    short, long = slugs[0], slugs[1]
    review(db, settings, ada, short, 3, START)
    review(db, settings, ada, short, 3, START + timedelta(minutes=1))
    review(db, settings, ada, short, 3, START + timedelta(minutes=11))
    review(db, settings, ada, long, 4, START)
    states = {s.card_id: s for s in db.scalars(select(CardState))}
    interval = {
        slug: states[db.scalars(select(Card.id).where(Card.slug == slug)).one()]
        for slug in slugs[:2]
    }
    assert all(s.due and s.last_review for s in interval.values())
    # Far in the future both are overdue; the one with the shorter interval is more overdue.
    later = START + timedelta(days=200)
    queue = study_queue(session=db, user=ada, now=later, filters=StudyFilter())
    ratios = {
        slug: (later - s.due) / (s.due - s.last_review)  # type: ignore[operator]
        for slug, s in interval.items()
    }
    expected = sorted(ratios, key=lambda slug: -ratios[slug])
    assert [card.slug for card, _ in queue.due] == expected
    assert queue.new and queue.new[0].slug not in slugs[:2]


def test_the_review_limit_caps_review_state_cards(
    db: Session, ada: User, study_settings: Settings
) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=100))
    slugs = [
        c.slug for c in study_queue(session=db, user=ada, now=START, filters=StudyFilter()).new
    ]
    for slug in slugs[:3]:
        review(db, study_settings, ada, slug, 4, START)  # Easy: straight to review state
    later = START + timedelta(days=300)
    assert len(study_queue(session=db, user=ada, now=later, filters=StudyFilter()).due) == 3
    update_study_settings(session=db, user=ada, changes=StudySettings(reviews_per_day=2))
    assert len(study_queue(session=db, user=ada, now=later, filters=StudyFilter()).due) == 2
    due = study_queue(session=db, user=ada, now=later, filters=StudyFilter()).due
    review(db, study_settings, ada, due[0][0].slug, 3, later)
    assert len(study_queue(session=db, user=ada, now=later, filters=StudyFilter()).due) == 1


def test_with_nothing_else_left_a_learning_step_due_within_20_minutes_is_shown(
    db: Session, ada: User, study_settings: Settings
) -> None:
    # Anki's learn-ahead limit: the session goes on instead of stopping minutes early.
    settings = study_settings.model_copy(update={"fsrs_fuzzing": False})
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=1))
    [first] = study_queue(session=db, user=ada, now=START, filters=StudyFilter()).new
    review(db, settings, ada, first.slug, 1, START)  # Again: back in a minute or so
    state = db.get_one(CardState, (ada.id, first.id))
    assert state.due is not None and START < state.due <= START + LEARN_AHEAD

    shown = next_card(session=db, settings=settings, user=ada, now=START, filters=StudyFilter())
    assert shown is not None and shown.card.slug == first.slug
    assert shown.learn_ahead and shown.due_left == 1  # learn-ahead, not due yet

    far = START - LEARN_AHEAD - timedelta(minutes=1)  # the step is more than 20 minutes away
    assert (
        next_card(session=db, settings=settings, user=ada, now=far, filters=StudyFilter()) is None
    )

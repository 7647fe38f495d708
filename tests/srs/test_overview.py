"""The home page's overview: per-deck due and new counts, today's reviews, the streak."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Card, User
from app.srs.overview import user_overview
from app.srs.preferences import StudySettings, update_study_settings
from app.srs.reviews import record_review
from tests.conftest import START


def review(db: Session, settings: Settings, user: User, slug: str, at: datetime) -> None:
    card = db.scalars(select(Card).where(Card.slug == slug)).one()
    record_review(session=db, settings=settings, user=user, card=card, rating=3, now=at)


def test_a_new_user_has_the_daily_new_cards_and_nothing_done(db: Session, ada: User) -> None:
    overview = user_overview(session=db, user=ada, now=START)
    assert len(overview.decks) >= 4
    # Each deck offers the day's new cards; the day's budget is shared by all of them.
    assert all((deck.due, deck.new) == (0, ada.new_per_day) for deck in overview.decks)
    assert overview.left_today == ada.new_per_day
    assert (overview.reviews_today, overview.time_today_ms, overview.streak_days) == (0, 0, 0)


def test_reviews_count_today_and_make_a_streak(
    db: Session, ada: User, study_settings: Settings
) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(new_per_day=3))
    review(db, study_settings, ada, "chain-rule", START - timedelta(days=1))
    review(db, study_settings, ada, "relu-backward", START)
    overview = user_overview(session=db, user=ada, now=START)
    assert overview.reviews_today == 1
    assert overview.streak_days == 2
    [deck] = [deck for deck in overview.decks if deck.summary.deck.slug == "backprop"]
    assert deck.new == 2  # three a day, one introduced today
    # chain-rule, reviewed Good yesterday, is in learning and due again by now.
    assert deck.due == 1
    assert overview.left_today == deck.due + deck.new  # the other decks: nothing due


def test_the_study_day_rolls_over_at_4_am_local_time(
    db: Session, ada: User, study_settings: Settings
) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(time_zone="UTC"))
    late = START.replace(hour=3)  # 03:00 UTC still belongs to yesterday's study day
    review(db, study_settings, ada, "chain-rule", late)
    assert user_overview(session=db, user=ada, now=late).reviews_today == 1
    assert user_overview(session=db, user=ada, now=START.replace(hour=5)).reviews_today == 0

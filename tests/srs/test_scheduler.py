"""Our schedules are fsrs's: the same states as calling fsrs directly, and fuzz that matches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import fsrs
import fsrs.scheduler
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models import Card, CardState, User
from app.srs.reviews import record_review
from app.srs.scheduler import SeededScheduler
from tests.conftest import START, Account, FakeClock

# (rating, minutes since the previous review): learning steps, a lapse, relearning, long gaps.
SEQUENCE = [(3, 0), (3, 1), (3, 10), (4, 60 * 24 * 3), (1, 60 * 24 * 20), (3, 10),
            (2, 60 * 24 * 2), (3, 60 * 24 * 9), (4, 60 * 24 * 40)]  # fmt: skip


def test_a_fixed_sequence_gives_exactly_the_states_fsrs_gives(
    study_settings: Settings,
    study_db: sessionmaker[Session],
    make_account: Callable[[str], Account],
) -> None:
    settings = study_settings.model_copy(update={"fsrs_fuzzing": False})
    ada = make_account("ada")
    reference = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    expected = fsrs.Card(card_id=1, due=START)
    at = START
    with study_db() as db:
        user = db.get_one(User, ada.user_id)
        card = db.scalars(select(Card).where(Card.slug == "chain-rule")).one()
        for rating, minutes in SEQUENCE:
            at += timedelta(minutes=minutes)
            expected, _ = reference.review_card(expected, fsrs.Rating(rating), at)
            record_review(
                session=db, settings=settings, user=user, card=card, rating=rating, now=at
            )
            row = db.get_one(CardState, (ada.user_id, card.id), populate_existing=True)
            got = (row.state, row.step, row.stability, row.difficulty, row.due, row.last_review)
            assert got == (
                expected.state.value,
                expected.step,
                expected.stability,
                expected.difficulty,
                expected.due,
                expected.last_review,
            )


@pytest.mark.parametrize("days", [1, 2, 3, 5, 8, 15, 30, 90, 400, 36000])
@pytest.mark.parametrize("draw", [0.0, 0.2, 0.5, 0.77, 0.999])
def test_seeded_fuzz_is_fsrs_fuzz_for_the_same_draw(
    monkeypatch: pytest.MonkeyPatch, days: int, draw: float
) -> None:
    monkeypatch.setattr(fsrs.scheduler, "random", lambda: draw)
    monkeypatch.setattr(SeededScheduler, "fuzz_draw", lambda self: draw)
    ours = SeededScheduler(desired_retention=0.9, enable_fuzzing=True, fuzz_seed="x")
    theirs = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=True)
    interval = timedelta(days=days)
    assert ours._get_fuzzed_interval(interval=interval) == theirs._get_fuzzed_interval(
        interval=interval
    )


def test_with_fuzz_on_the_interval_shown_is_the_interval_applied(
    study_client: TestClient, make_account: Callable[[str], Account], clock: FakeClock
) -> None:
    ada = make_account("ada")
    study_client.patch("/api/v1/me/settings", json={"new_per_day": 1}, headers=ada.headers)
    intervals = set()
    for rating in [3, 3, 4, 4, 3, 4, 2, 4, 3, 4]:
        shown = study_client.get(
            "/api/v1/study/next", params={"deck": "backprop"}, headers=ada.headers
        ).json()
        assert shown["card"] is not None
        button = next(b for b in shown["buttons"] if b["rating"] == rating)
        done = study_client.post(
            "/api/v1/reviews",
            json={"card": shown["card"]["slug"], "rating": rating},
            headers=ada.headers,
        ).json()
        assert done["interval_seconds"] == button["interval_seconds"]
        assert done["due"] == button["due"]
        intervals.add(done["interval_seconds"])
        clock.now = clock.now + timedelta(seconds=done["interval_seconds"])
    assert max(intervals) > 10 * 86400  # long enough that fuzz applied

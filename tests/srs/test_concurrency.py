"""Two tabs reviewing one card at once: no lost update, and the state is a serial replay."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import timedelta

import fsrs
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models import Card, CardState, ReviewLog, User
from app.srs.reviews import record_review
from tests.conftest import START, Account

REVIEWS_PER_THREAD = 8


def test_concurrent_reviews_of_one_card_serialise(
    study_settings: Settings,
    study_db: sessionmaker[Session],
    make_account: Callable[[str], Account],
) -> None:
    settings = study_settings.model_copy(update={"fsrs_fuzzing": False})
    ada = make_account("ada")
    with study_db() as db:
        card_id = db.scalars(select(Card.id).where(Card.slug == "chain-rule")).one()
    barrier = threading.Barrier(2)
    acknowledged: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def tab(number: int) -> None:
        try:
            with study_db() as db:
                user = db.get_one(User, ada.user_id)
                card = db.get_one(Card, card_id)
                barrier.wait()
                for i in range(REVIEWS_PER_THREAD):
                    outcome = record_review(
                        session=db,
                        settings=settings,
                        user=user,
                        card=card,
                        rating=1 + (i + number) % 4,
                        now=START + timedelta(minutes=i, seconds=number),
                        idempotency_key=f"tab{number}-{i}",
                    )
                    with lock:
                        acknowledged.append(outcome.review.id)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=tab, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(acknowledged) == 2 * REVIEWS_PER_THREAD

    with study_db() as db:
        logs = list(db.scalars(select(ReviewLog).order_by(ReviewLog.id)))
        state = db.get_one(CardState, (ada.user_id, card_id))
    assert sorted(acknowledged) == [log.id for log in logs]
    # Each log's "before" is the previous log's "after": no review was applied to a stale state.
    for previous, following in itertools.pairwise(logs):
        assert following.stability_before == previous.stability_after
        assert following.due_before == previous.due_after
    scheduler = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    replay = fsrs.Card(card_id=card_id, due=START)
    for log in logs:
        replay, _ = scheduler.review_card(replay, fsrs.Rating(log.rating), log.reviewed_at)
    assert (state.state, state.step, state.stability, state.difficulty, state.due) == (
        replay.state.value,
        replay.step,
        replay.stability,
        replay.difficulty,
        replay.due,
    )
    assert state.version == 2 * REVIEWS_PER_THREAD

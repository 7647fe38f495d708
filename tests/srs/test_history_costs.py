"""Stats, the overview and the streak cost the same whatever the history: they read the review
log's aggregates (review_days, review_totals), which every review and undo keeps exact."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import fsrs
import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Card, ReviewDay, ReviewLog, ReviewTotal, User
from app.srs import aggregates
from app.srs.days import day_start, study_day
from app.srs.overview import user_overview
from app.srs.preferences import StudySettings, update_study_settings
from app.srs.reviews import record_review, undo_last_review
from app.srs.stats import streak, user_stats
from tests.conftest import START

TODAY = study_day(START, "UTC")


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs inside the block (not BEGIN)."""
    seen: list[str] = []
    engine = db.get_bind()

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement != "BEGIN":
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def add_history(db: Session, user: User, days: list[date], per_day: int = 3) -> list[dict]:
    """Review-log rows on each of `days` (UTC noon onwards), then the aggregates rebuilt."""
    rng = random.Random(len(days))
    card_ids = list(db.scalars(select(Card.id).order_by(Card.id)))
    rows = []
    for day in days:
        for n in range(per_day):
            at = day_start(day, user.time_zone) + timedelta(hours=8, minutes=n)
            rows.append(
                {
                    "user_id": user.id,
                    "card_id": rng.choice(card_ids),
                    "rating": rng.randint(1, 4),
                    "reviewed_at": at,
                    "duration_ms": rng.choice([None, rng.randint(500, 9000)]),
                    "state_before": rng.choice([None, 1, 2, 3]),
                    "state_after": 2,
                    "stability_after": 3.0,
                    "difficulty_after": 5.0,
                    "due_after": at + timedelta(days=3),
                }
            )
    if rows:
        db.execute(insert(ReviewLog), rows)
    aggregates.rebuild_user(db, user)
    db.commit()
    return rows


def brute_force(db: Session, user: User) -> dict[str, Any]:
    """What the aggregates must say, computed from every row of the log (the old way)."""
    logs = db.execute(
        select(
            ReviewLog.reviewed_at,
            ReviewLog.rating,
            ReviewLog.duration_ms,
            ReviewLog.state_before,
            Card.difficulty,
        )
        .join(Card, Card.id == ReviewLog.card_id)
        .where(ReviewLog.user_id == user.id)
    ).all()
    per_day: Counter[date] = Counter()
    ms: Counter[date] = Counter()
    mature: Counter[tuple[str, bool]] = Counter()
    for at, rating, duration, before, level in logs:
        day = study_day(at, user.time_zone)
        per_day[day] += 1
        ms[day] += duration or 0
        if before == fsrs.State.Review.value:
            mature[(level, rating > 1)] += 1
    return {"per_day": per_day, "ms": ms, "mature": mature}


def aggregate_rows(db: Session, user: User) -> tuple[set[tuple], set[tuple]]:
    days = db.execute(
        select(ReviewDay.day, ReviewDay.reviews, ReviewDay.duration_ms).where(
            ReviewDay.user_id == user.id, ReviewDay.reviews > 0
        )
    ).all()
    totals = db.execute(
        select(
            ReviewTotal.difficulty,
            ReviewTotal.reviews,
            ReviewTotal.duration_ms,
            ReviewTotal.mature_reviews,
            ReviewTotal.mature_passed,
        ).where(ReviewTotal.user_id == user.id, ReviewTotal.reviews > 0)
    ).all()
    return {tuple(row) for row in days}, {tuple(row) for row in totals}


def test_stats_from_the_aggregates_match_the_whole_log(db: Session, ada: User) -> None:
    studied = [TODAY - timedelta(days=n) for n in range(0, 300) if n % 7 != 3]
    add_history(db, ada, studied)
    expected = brute_force(db, ada)
    stats = user_stats(session=db, user=ada, now=START, days=365)
    assert [(d, n, ms) for d, n, ms in stats.reviews_per_day if n] == sorted(
        (d, expected["per_day"][d], expected["ms"][d]) for d in expected["per_day"]
    )
    assert stats.time_spent_ms == sum(expected["ms"].values())
    assert stats.time_spent_today_ms == expected["ms"][TODAY]
    for level in ("easy", "medium", "hard"):
        passed, failed = expected["mature"][(level, True)], expected["mature"][(level, False)]
        assert (
            stats.retention_by_difficulty[level].reviews,
            stats.retention_by_difficulty[level].passed,
        ) == (
            passed + failed,
            passed,
        )
    assert stats.streak_days == 3  # days 0, 1, 2; day 3 was skipped


@pytest.mark.parametrize("length", [1, 2, 29, 30, 31, 150])
@pytest.mark.parametrize("today_studied", [True, False])
def test_a_streak_is_walked_back_as_far_as_it_goes(
    db: Session, ada: User, length: int, today_studied: bool
) -> None:
    last = TODAY if today_studied else TODAY - timedelta(days=1)
    days = [last - timedelta(days=n) for n in range(length)]
    days += [last - timedelta(days=length + 1 + n) for n in range(10)]  # an older run
    add_history(db, ada, days, per_day=1)
    assert streak(db, ada.id, TODAY) == length
    assert user_stats(session=db, user=ada, now=START, days=7).streak_days == length
    assert user_overview(session=db, user=ada, now=START).streak_days == length


def test_stats_issue_the_same_statements_whatever_the_history(db: Session, ada: User) -> None:
    with statements(db) as new_user:
        user_stats(session=db, user=ada, now=START)
    db.rollback()
    # 3,000 reviews over 1,000 days, ending two days ago (no current streak).
    add_history(db, ada, [TODAY - timedelta(days=2 + n) for n in range(1000)])
    with statements(db) as long_history:
        user_stats(session=db, user=ada, now=START)
    assert len(long_history) == len(new_user)
    assert not [s for s in long_history if "review_logs" in s]  # never the log itself


def test_overview_statements_do_not_grow_with_history(db: Session, ada: User) -> None:
    with statements(db) as new_user:
        user_overview(session=db, user=ada, now=START)
    db.rollback()
    add_history(db, ada, [TODAY - timedelta(days=2 + n) for n in range(1000)])
    with statements(db) as long_history:
        overview = user_overview(session=db, user=ada, now=START)
    assert overview.streak_days == 0
    assert len(long_history) == len(new_user)
    # The queue's own read of the log is bounded by today ("reviewed_at >=").
    for statement in long_history:
        if "review_logs" in statement:
            assert "reviewed_at >=" in statement, statement


def test_a_long_streak_is_one_statement(db: Session, ada: User) -> None:
    add_history(db, ada, [TODAY - timedelta(days=n) for n in range(400)], per_day=1)
    for call in (
        lambda: user_overview(session=db, user=ada, now=START),
        lambda: user_stats(session=db, user=ada, now=START),
    ):
        with statements(db) as seen:
            assert call().streak_days == 400
        assert sum("review_days" in s for s in seen) == 2  # the days shown, then the walk


def test_the_forecast_counts_overdue_today_and_only_its_30_days(
    db: Session, ada: User, study_settings: Settings
) -> None:
    card = db.scalars(select(Card).order_by(Card.id)).first()
    assert card is not None
    record_review(session=db, settings=study_settings, user=ada, card=card, rating=3, now=START)
    stats = user_stats(session=db, user=ada, now=START + timedelta(days=400))
    assert stats.forecast[0][1] == 1  # long overdue: due today
    assert sum(n for _, n in stats.forecast) == 1


# --- the aggregates are exact as reviews are written and undone ---------------------------------


def test_reviews_and_undo_keep_the_aggregates_equal_to_the_log(
    db: Session, ada: User, study_settings: Settings
) -> None:
    update_study_settings(
        session=db, user=ada, changes=StudySettings(time_zone="Asia/Tokyo", new_per_day=50)
    )
    cards = list(db.scalars(select(Card).order_by(Card.id)))
    rng = random.Random(7)
    at = START
    for n in range(40):
        at += timedelta(hours=rng.choice([1, 5, 11, 20]))
        card = rng.choice(cards)
        record_review(
            session=db,
            settings=study_settings,
            user=ada,
            card=card,
            rating=rng.randint(1, 4),
            now=at,
            duration_ms=rng.choice([None, 1200, 4000]),
        )
        if n % 5 == 4:
            undo_last_review(session=db, user=ada, now=at)
    db.commit()
    live = aggregate_rows(db, ada)
    assert live[0], "reviews were written but review_days is empty: is record_review wired?"
    aggregates.rebuild_user(db, ada)
    db.commit()
    assert live == aggregate_rows(db, ada)
    expected = brute_force(db, ada)
    assert {(d, n) for d, n, _ in live[0]} == set(expected["per_day"].items())


def test_record_and_forget_review_count_and_never_go_below_zero(db: Session, ada: User) -> None:
    card = db.scalars(select(Card).where(Card.difficulty == "easy").order_by(Card.id)).first()
    assert card is not None
    review: dict[str, Any] = {
        "user_id": ada.id,
        "day": TODAY,
        "card_id": card.id,
        "rating": 3,
        "state_before": fsrs.State.Review.value,
        "duration_ms": 1000,
    }
    aggregates.record_review(db, **review)
    aggregates.record_review(db, **(review | {"rating": 1, "duration_ms": None}))
    aggregates.record_review(db, **(review | {"difficulty": "hard", "state_before": None}))
    db.commit()
    days, totals = aggregate_rows(db, ada)
    assert days == {(TODAY, 3, 2000)}
    assert totals == {("easy", 2, 1000, 2, 1), ("hard", 1, 1000, 0, 0)}
    aggregates.forget_review(db, **review)
    db.commit()
    days, totals = aggregate_rows(db, ada)
    assert days == {(TODAY, 2, 1000)}
    assert totals == {("easy", 1, 0, 1, 0), ("hard", 1, 1000, 0, 0)}
    aggregates.forget_review(db, **(review | {"rating": 1, "duration_ms": None}))
    for _ in range(3):  # more than was counted: stays at zero
        aggregates.forget_review(db, **(review | {"difficulty": "hard", "state_before": None}))
    db.commit()
    assert aggregate_rows(db, ada) == (set(), set())
    day = db.get_one(ReviewDay, (ada.id, TODAY), populate_existing=True)
    assert (day.reviews, day.duration_ms) == (0, 0)
    row = db.get_one(ReviewTotal, (ada.id, "hard"), populate_existing=True)
    assert (row.reviews, row.duration_ms, row.mature_reviews, row.mature_passed) == (0, 0, 0, 0)


def test_review_days_follow_the_users_time_zone(db: Session, ada: User) -> None:
    update_study_settings(session=db, user=ada, changes=StudySettings(time_zone="Asia/Tokyo"))
    card = db.scalars(select(Card).order_by(Card.id)).first()
    assert card is not None
    # 20:00 UTC is 05:00 in Tokyo the next morning: that study day.
    late = datetime.combine(TODAY, datetime.min.time(), tzinfo=START.tzinfo) + timedelta(hours=20)
    log = ReviewLog(
        user_id=ada.id, card_id=card.id, rating=3, reviewed_at=late, duration_ms=10,
        state_before=None, state_after=1, stability_after=1.0, difficulty_after=5.0, due_after=late,
    )  # fmt: skip
    aggregates.record_log(db, log, time_zone=ada.time_zone)
    db.commit()
    assert aggregate_rows(db, ada)[0] == {(TODAY + timedelta(days=1), 1, 10)}


def count_day(db: Session, user: User, day: date, *, forget: bool = False) -> None:
    card_id = db.scalars(select(Card.id).order_by(Card.id)).first()
    assert card_id is not None
    write = aggregates.forget_review if forget else aggregates.record_review
    write(
        db,
        user_id=user.id,
        day=day,
        card_id=card_id,
        rating=3,
        state_before=None,
        duration_ms=100,
    )


def streaks(db: Session, user: User) -> tuple[int, int, int, int]:
    """The streak as stats (days in the window), the overview (a count) and a walk see it."""
    return (
        user_stats(session=db, user=user, now=START).streak_days,
        user_stats(session=db, user=user, now=START, days=1).streak_days,
        user_overview(session=db, user=user, now=START).streak_days,
        streak(db, user.id, TODAY),
    )


@pytest.mark.parametrize("length", [3, 40])
def test_a_streak_stays_right_when_days_are_written_out_of_order(
    db: Session, ada: User, length: int
) -> None:
    # Days written newest first (as a change of time zone or a backdated review can): each
    # day's stored run is 1, yet the streak is the whole run.
    for n in range(length):
        count_day(db, ada, TODAY - timedelta(days=n))
    db.commit()
    assert streaks(db, ada) == (length,) * 4


@pytest.mark.parametrize("length", [5, 40])
def test_a_streak_stays_right_when_a_day_inside_it_is_undone(
    db: Session, ada: User, length: int
) -> None:
    for n in range(length - 1, -1, -1):
        count_day(db, ada, TODAY - timedelta(days=n))
    db.commit()
    assert streaks(db, ada) == (length,) * 4
    count_day(db, ada, TODAY - timedelta(days=2), forget=True)  # its only review: no longer studied
    db.commit()
    assert streaks(db, ada) == (2,) * 4
    count_day(db, ada, TODAY - timedelta(days=2))  # studied again: the run joins up
    db.commit()
    assert streaks(db, ada) == (length,) * 4

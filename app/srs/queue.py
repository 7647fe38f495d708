"""The study queue: due cards first (most overdue for their interval first), then new cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import fsrs
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, joinedload

from app.catalog.queries import CardFilter, active_card_conditions
from app.config import Settings
from app.models import Card, CardState, ReviewLog, User
from app.models.base import UTCDateTime
from app.srs.days import study_day, today_bounds
from app.srs.scheduler import fsrs_card, preview, scheduler_for

DIFFICULTY_ORDER = case({"easy": 0, "medium": 1, "hard": 2}, value=Card.difficulty, else_=3)
MIN_INTERVAL = timedelta(minutes=1)
# Anki's "learn ahead limit": with nothing else left, a learning step due this soon is shown now
# rather than ending the session a few minutes before it comes back.
LEARN_AHEAD = timedelta(minutes=20)
NEW_LIMIT = 50  # new cards one study session looks ahead at
JULIAN_EPOCH = 2440587.5  # julianday('1970-01-01')


# A study session selects cards exactly as the catalog's lists do (deck, topic, difficulty).
StudyFilter = CardFilter


@dataclass
class Queue:
    """What is left to study today, in order, within the daily limits."""

    due: list[tuple[Card, CardState]] = field(default_factory=list)
    new: list[Card] = field(default_factory=list)
    new_left: int = 0
    reviews_left: int = 0


@dataclass(frozen=True)
class NextCard:
    """The card to show next, its state (None if new), each button's outcome and what is left."""

    card: Card
    state: CardState | None
    outcomes: dict[int, fsrs.Card]
    due_left: int  # cards due now (within the review limit), counting a learn-ahead card shown
    new_left: int  # new cards left today (within the new-card limit)
    learn_ahead: bool = False  # shown before its step is due: nothing else was left
    learning_left: int = 0  # of due_left: learning and relearning steps (Anki's red count)
    review_left: int = 0  # of due_left: review-state cards (Anki's green count)


@dataclass(frozen=True)
class SessionEnd:
    """Why a session ended: what waits behind today's new-card limit, and the next step due."""

    new_waiting: int  # new cards in the selection that today's limit holds back
    next_learning_due: datetime | None  # the soonest learning or relearning step, if any
    new_limit_today: int  # today's new-card limit, an extra raise for today included


def new_limit_today(user: User, now: datetime) -> int:
    """The user's new cards per day, plus any extra granted for the study day `now` is in."""
    extra = user.extra_new if user.extra_new_day == study_day(now, user.time_zone) else 0
    return user.new_per_day + (extra or 0)


def _visible(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return and_(
        CardState.suspended.is_(False),
        or_(CardState.buried_until.is_(None), CardState.buried_until <= now),
    )


# The study path's statements are built once with bound parameters: building a statement (and
# its cache key) costs SQLAlchemy more than running it, on every request.
_DONE_TODAY = select(
    func.count().filter(ReviewLog.state_before.is_(None)),
    func.count().filter(ReviewLog.state_before == fsrs.State.Review.value),
).where(
    ReviewLog.user_id == bindparam("user_id"),
    ReviewLog.reviewed_at >= bindparam("start", type_=UTCDateTime()),
)


def _done_today(session: Session, user_id: int, start: datetime) -> tuple[int, int]:
    """(new cards introduced, review-state cards reviewed) since `start`."""
    new, reviews = session.execute(_DONE_TODAY, {"user_id": user_id, "start": start}).one()
    return int(new), int(reviews)


def study_queue(
    *, session: Session, user: User, now: datetime, filters: StudyFilter, new_limit: int = NEW_LIMIT
) -> Queue:
    """Today's queue for `user`: due cards, then new ones easy -> medium -> hard, by number."""
    now = now.astimezone(UTC)
    day_begin, day_end = today_bounds(now, user.time_zone)
    new_done, reviews_done = _done_today(session, user.id, day_begin)
    queue = Queue(
        new_left=max(0, new_limit_today(user, now) - new_done),
        reviews_left=max(0, user.reviews_per_day - reviews_done),
    )
    # Review cards are due for the whole study day; learning steps only once their minute comes.
    due_now = or_(
        and_(CardState.state == fsrs.State.Review.value, CardState.due < day_end),
        and_(CardState.state != fsrs.State.Review.value, CardState.due <= now),
    )
    due_rows = session.execute(
        select(Card, CardState)
        .join(CardState, CardState.card_id == Card.id)
        .where(CardState.user_id == user.id, CardState.state.is_not(None), due_now, _visible(now))
        .where(*active_card_conditions(filters))
    ).all()
    due = sorted(((card, state) for card, state in due_rows), key=lambda pair: _urgency(pair, now))
    reviews_allowed = queue.reviews_left
    for card, state in due:
        if state.state == fsrs.State.Review.value:
            if reviews_allowed == 0:
                continue
            reviews_allowed -= 1
        queue.due.append((card, state))
    limit = min(queue.new_left, new_limit)
    if limit:
        mine = aliased(CardState)
        queue.new = list(
            session.scalars(
                select(Card)
                .outerjoin(mine, and_(mine.card_id == Card.id, mine.user_id == user.id))
                .where(is_new(mine, now))
                .where(*active_card_conditions(filters))
                .order_by(DIFFICULTY_ORDER, Card.number, Card.id)
                .limit(limit)
            )
        )
    return queue


def _urgency(pair: tuple[Card, CardState], now: datetime) -> tuple[float, int]:
    """Sort key: overdue time relative to the interval, largest first (a backlog's worst first)."""
    card, state = pair
    assert state.due is not None
    interval = state.due - state.last_review if state.last_review else MIN_INTERVAL
    overdue = (now - state.due) / max(interval, MIN_INTERVAL)
    return (-overdue, card.id)


def next_card(
    *, session: Session, settings: Settings, user: User, now: datetime, filters: StudyFilter
) -> NextCard | None:
    """The next card to study and what each rating would do to it; None when done for today.

    A few statements whatever the deck size or the history: today's counts, the most urgent
    due card with the number due, the first new card with the number new, then the card.
    Nothing is written: a card never studied has no state row and is scheduled from defaults.
    """
    now = now.astimezone(UTC)
    day_begin, day_end = today_bounds(now, user.time_zone)
    new_done, reviews_done = _done_today(session, user.id, day_begin)
    new_quota = min(max(0, new_limit_today(user, now) - new_done), NEW_LIMIT)
    reviews_quota = max(0, user.reviews_per_day - reviews_done)
    row, learning_left, review_left = _most_urgent(
        session, user.id, now, day_end, reviews_quota, filters
    )
    new_card, new_version, new_left = (
        _first_new(session, user.id, now, new_quota, filters) if new_quota else (None, 0, 0)
    )
    ahead = False
    if row is not None:
        card_id, version = row.card_id, row.version
    elif new_card is not None:
        card_id, version = new_card, new_version
    else:
        row = _learn_ahead(session, user.id, now, filters)
        if row is None:
            return None
        card_id, version, ahead = row.card_id, row.version, True
    card = session.scalars(_CARD_BY_ID, {"card_id": card_id}).unique().one()
    scheduler = scheduler_for(
        user_id=user.id,
        card_id=card_id,
        version=version,
        retention=user.desired_retention,
        fuzzing=settings.fsrs_fuzzing,
    )
    outcomes = preview(scheduler, fsrs_card(row, now=now), now=now)
    if ahead:
        learning_left += 1
    return NextCard(
        card,
        row,
        outcomes,
        learning_left + review_left,
        new_left,
        learn_ahead=ahead,
        learning_left=learning_left,
        review_left=review_left,
    )


def session_end(*, session: Session, user: User, now: datetime, filters: StudyFilter) -> SessionEnd:
    """What a user whose session has ended is waiting for (run only at the end: two counts)."""
    now = now.astimezone(UTC)
    day_begin, _ = today_bounds(now, user.time_zone)
    new_done, _ = _done_today(session, user.id, day_begin)
    limit = new_limit_today(user, now)
    quota = max(0, limit - new_done)
    found = session.execute(_new_query(filters), {"user_id": user.id, "now": now}).first()
    unseen = int(found[2]) if found else 0
    params = {"user_id": user.id, "now": now}
    step = session.scalars(_soonest_step_query(filters, within_horizon=False), params).first()
    return SessionEnd(
        new_waiting=max(0, unseen - quota),
        next_learning_due=step.due if step is not None else None,
        new_limit_today=limit,
    )


_CARD_BY_ID = (
    select(Card)
    .where(Card.id == bindparam("card_id"))
    .options(joinedload(Card.deck), joinedload(Card.topics), joinedload(Card.choices))
)


def _seconds(dialect: str, column: InstrumentedAttribute[datetime | None]) -> ColumnElement[float]:
    """A timestamp column as seconds since the epoch, in SQL (the one dialect-specific bit)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - JULIAN_EPOCH) * 86400.0


@lru_cache(maxsize=128)
def _urgent_query(dialect: str, filters: StudyFilter, reviews_allowed: bool) -> Select[Any]:
    """The due query, built once per shape (building it costs more than running it)."""
    review = fsrs.State.Review.value
    now = bindparam("now", type_=UTCDateTime())
    learning_due = and_(CardState.state != review, CardState.due <= now)
    # Review cards are due for the whole study day; learning steps only once their minute comes.
    due_now = (
        or_(
            and_(
                CardState.state == review, CardState.due < bindparam("day_end", type_=UTCDateTime())
            ),
            learning_due,
        )
        if reviews_allowed
        else learning_due
    )
    due, last = _seconds(dialect, CardState.due), _seconds(dialect, CardState.last_review)
    floor = MIN_INTERVAL.total_seconds()
    interval = case(
        (CardState.last_review.is_(None), floor),
        (due - last > floor, due - last),
        else_=floor,
    )
    urgency = (bindparam("now_seconds", type_=Float()) - due) / interval
    return (
        select(
            CardState,
            func.count().over(),
            func.sum(case((CardState.state == review, 1), else_=0)).over(),
        )
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == bindparam("user_id"),
            CardState.state.is_not(None),
            due_now,
            CardState.suspended.is_(False),
            or_(CardState.buried_until.is_(None), CardState.buried_until <= now),
        )
        .where(*active_card_conditions(filters))
        .order_by(urgency.desc(), CardState.card_id)
        .limit(1)
    )


def _most_urgent(
    session: Session,
    user_id: int,
    now: datetime,
    day_end: datetime,
    reviews_quota: int,
    filters: StudyFilter,
) -> tuple[CardState | None, int, int]:
    """The due card with the most overdue time for its interval, and how many learning and
    review cards are due (reviews capped by the day's review quota)."""
    query = _urgent_query(session.get_bind().dialect.name, filters, reviews_quota > 0)
    params = {"user_id": user_id, "now": now, "day_end": day_end, "now_seconds": now.timestamp()}
    found = session.execute(query, params).first()
    if found is None:
        return None, 0, 0
    row, total, reviews = found
    return row, int(total) - int(reviews), min(int(reviews), reviews_quota)


def is_new(mine: Any, now: Any) -> ColumnElement[bool]:
    """A card the user has not started: no state row, or one with no FSRS state yet that is
    neither suspended nor buried at `now` (a datetime, or a bound parameter)."""
    return or_(
        mine.card_id.is_(None),
        and_(
            mine.state.is_(None),
            mine.suspended.is_(False),
            or_(mine.buried_until.is_(None), mine.buried_until <= now),
        ),
    )


@lru_cache(maxsize=128)
def _new_query(filters: StudyFilter) -> Select[Any]:
    """The first-new-card query, built once per filter."""
    mine = aliased(CardState)
    now = bindparam("now", type_=UTCDateTime())
    return (
        select(Card.id, mine.version, func.count().over())
        .outerjoin(mine, and_(mine.card_id == Card.id, mine.user_id == bindparam("user_id")))
        .where(is_new(mine, now))
        .where(*active_card_conditions(filters))
        .order_by(DIFFICULTY_ORDER, Card.number, Card.id)
        .limit(1)
    )


def _first_new(
    session: Session, user_id: int, now: datetime, quota: int, filters: StudyFilter
) -> tuple[int | None, int, int]:
    """(card id, state version, new cards left) for the first new card, easy first, by number."""
    found = session.execute(_new_query(filters), {"user_id": user_id, "now": now}).first()
    if found is None:
        return None, 0, 0
    card_id, version, count = found
    return card_id, version or 0, min(quota, int(count))


@lru_cache(maxsize=128)
def _soonest_step_query(filters: StudyFilter, within_horizon: bool) -> Select[Any]:
    """The visible learning or relearning card due soonest, due by `horizon` or at any time;
    built once per shape."""
    now = bindparam("now", type_=UTCDateTime())
    conditions = [
        CardState.user_id == bindparam("user_id"),
        CardState.state.in_([fsrs.State.Learning.value, fsrs.State.Relearning.value]),
        _visible(now),
        *active_card_conditions(filters),
    ]
    if within_horizon:
        conditions.append(CardState.due <= bindparam("horizon", type_=UTCDateTime()))
    return (
        select(CardState)
        .join(Card, CardState.card_id == Card.id)
        .where(*conditions)
        .order_by(CardState.due, Card.id)
        .limit(1)
    )


def _learn_ahead(
    session: Session, user_id: int, now: datetime, filters: StudyFilter
) -> CardState | None:
    """The learning or relearning card due soonest within LEARN_AHEAD, if any."""
    params = {"user_id": user_id, "now": now, "horizon": now + LEARN_AHEAD}
    return session.scalars(_soonest_step_query(filters, within_horizon=True), params).first()

"""The study queue: due cards first (most overdue for their interval first), then new cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import fsrs
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.catalog.queries import CardFilter, active_card_conditions
from app.config import Settings
from app.models import Card, CardState, ReviewLog, User
from app.srs.days import today_bounds
from app.srs.scheduler import fsrs_card, preview, scheduler_for

DIFFICULTY_ORDER = case({"easy": 0, "medium": 1, "hard": 2}, value=Card.difficulty, else_=3)
MIN_INTERVAL = timedelta(minutes=1)
# Anki's "learn ahead limit": with nothing else left, a learning step due this soon is shown now
# rather than ending the session a few minutes before it comes back.
LEARN_AHEAD = timedelta(minutes=20)


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
    """The card to show next, its state (None if new) and each button's outcome."""

    card: Card
    state: CardState | None
    outcomes: dict[int, fsrs.Card]
    queue: Queue
    learn_ahead: bool = False  # shown before its step is due: nothing else was left

    @property
    def due_left(self) -> int:
        """Cards due now, counting the learn-ahead card being shown."""
        return len(self.queue.due) + int(self.learn_ahead)


def _visible(now: datetime) -> ColumnElement[bool]:
    return and_(
        CardState.suspended.is_(False),
        or_(CardState.buried_until.is_(None), CardState.buried_until <= now),
    )


def _done_today(session: Session, user_id: int, start: datetime) -> tuple[int, int]:
    """(new cards introduced, review-state cards reviewed) since `start`."""
    query = select(
        func.count().filter(ReviewLog.state_before.is_(None)),
        func.count().filter(ReviewLog.state_before == fsrs.State.Review.value),
    ).where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= start)
    new, reviews = session.execute(query).one()
    return int(new), int(reviews)


def study_queue(
    *, session: Session, user: User, now: datetime, filters: StudyFilter, new_limit: int = 50
) -> Queue:
    """Today's queue for `user`: due cards, then new ones easy -> medium -> hard, by number."""
    now = now.astimezone(UTC)
    day_begin, day_end = today_bounds(now, user.time_zone)
    new_done, reviews_done = _done_today(session, user.id, day_begin)
    queue = Queue(
        new_left=max(0, user.new_per_day - new_done),
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
                .where(
                    or_(
                        mine.card_id.is_(None),
                        and_(
                            mine.state.is_(None),
                            mine.suspended.is_(False),
                            or_(mine.buried_until.is_(None), mine.buried_until <= now),
                        ),
                    )
                )
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
    """The next card to study and what each rating would do to it; None when done for today."""
    now = now.astimezone(UTC)
    queue = study_queue(session=session, user=user, now=now, filters=filters)
    ahead = None if queue.due or queue.new else _learn_ahead(session, user, now, filters)
    if queue.due:
        card, state = queue.due[0]
        row: CardState | None = state
    elif queue.new:
        card = queue.new[0]
        row = session.get(CardState, (user.id, card.id))
    elif ahead is not None:
        card, row = ahead
    else:
        return None
    scheduler = scheduler_for(
        user_id=user.id,
        card_id=card.id,
        version=row.version if row else 0,
        retention=user.desired_retention,
        fuzzing=settings.fsrs_fuzzing,
    )
    outcomes = preview(scheduler, fsrs_card(row, now=now), now=now)
    shown_state = row if row and row.state is not None else None
    return NextCard(card, shown_state, outcomes, queue, learn_ahead=ahead is not None)


def _learn_ahead(
    session: Session, user: User, now: datetime, filters: StudyFilter
) -> tuple[Card, CardState] | None:
    """The learning or relearning card due soonest within LEARN_AHEAD, if any."""
    row = session.execute(
        select(Card, CardState)
        .join(CardState, CardState.card_id == Card.id)
        .where(
            CardState.user_id == user.id,
            CardState.state.in_([fsrs.State.Learning.value, fsrs.State.Relearning.value]),
            CardState.due <= now + LEARN_AHEAD,
            _visible(now),
        )
        .where(*active_card_conditions(filters))
        .order_by(CardState.due, Card.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None

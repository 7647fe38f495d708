"""Each user's finished quizzes: recorded when the score is shown, listed on the stats page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import QuizResult, User
from app.srs.errors import BadStudySetting

MAX_QUESTIONS = 50  # a quiz asks at most a dozen; anything far past that is not a quiz score


@dataclass(frozen=True)
class DeckQuizzes:
    deck: str | None  # None: quizzes over every deck or a selection across decks
    quizzes: int
    right: int
    total: int
    last: QuizResult


def record_quiz_result(
    *,
    session: Session,
    user: User,
    deck: str | None,
    scope: str,
    right: int,
    total: int,
    now: datetime,
) -> QuizResult:
    """Keep one finished quiz; BadStudySetting when the score cannot be one."""
    if not 1 <= total <= MAX_QUESTIONS or not 0 <= right <= total:
        raise BadStudySetting(
            f"A quiz score is 0 to total right of 1 to {MAX_QUESTIONS} questions."
        )
    result = QuizResult(
        user_id=user.id, taken_at=now, deck=deck, scope=scope[:200], right=right, total=total
    )
    session.add(result)
    session.commit()
    return result


def recent_quizzes(*, session: Session, user: User, limit: int = 10) -> list[QuizResult]:
    """The user's latest quizzes, newest first."""
    return list(
        session.scalars(
            select(QuizResult)
            .where(QuizResult.user_id == user.id)
            .order_by(QuizResult.taken_at.desc(), QuizResult.id.desc())
            .limit(limit)
        )
    )


def quizzes_by_deck(*, session: Session, user: User) -> list[DeckQuizzes]:
    """Per deck filter: how many quizzes, the share right over all of them, and the last one."""
    rows = session.execute(
        select(
            QuizResult.deck,
            func.count(),
            func.sum(QuizResult.right),
            func.sum(QuizResult.total),
            func.max(QuizResult.id),
        )
        .where(QuizResult.user_id == user.id)
        .group_by(QuizResult.deck)
    ).all()
    lasts = {
        row.id: row
        for row in session.scalars(
            select(QuizResult).where(QuizResult.id.in_([last_id for *_, last_id in rows]))
        )
    }
    out = [
        DeckQuizzes(deck, int(count), int(right), int(total), lasts[last_id])
        for deck, count, right, total, last_id in rows
    ]
    return sorted(out, key=lambda d: d.last.taken_at, reverse=True)

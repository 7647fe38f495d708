"""A user's finished quizzes: recorded by the quiz page when it shows the score."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import error_responses
from app.auth.dependencies import ApiUserDep
from app.catalog.schema import SLUG_RE
from app.deps import NowDep, SessionDep
from app.srs.quiz_history import MAX_QUESTIONS, recent_quizzes, record_quiz_result

router = APIRouter(tags=["study"], responses=error_responses(401, 403))


class QuizResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deck: str | None = Field(default=None, max_length=100, pattern=SLUG_RE.pattern)
    scope: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")
    # Strict: JSON true is not a score of 1.
    right: int = Field(ge=0, le=MAX_QUESTIONS, strict=True, description="At most `total`.")
    total: int = Field(ge=1, le=MAX_QUESTIONS, strict=True)


class QuizResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read straight from a QuizResult row

    id: int
    taken_at: datetime
    deck: str | None
    scope: str
    right: int
    total: int


@router.post("/quiz-results", response_model=QuizResultOut, status_code=201)
def post_quiz_result(
    body: QuizResultIn, user: ApiUserDep, session: SessionDep, now: NowDep
) -> QuizResultOut:
    """Keep a finished quiz's score (whether or not its answers went into the schedule)."""
    row = record_quiz_result(
        session=session,
        user=user,
        deck=body.deck,
        scope=body.scope,
        right=body.right,
        total=body.total,
        now=now,
    )
    return QuizResultOut.model_validate(row)


@router.get("/quiz-results", response_model=list[QuizResultOut])
def list_quiz_results(
    user: ApiUserDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[QuizResultOut]:
    """The user's finished quizzes, newest first."""
    rows = recent_quizzes(session=session, user=user, limit=limit)
    return [QuizResultOut.model_validate(row) for row in rows]

"""Response models of the catalog API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.catalog.queries import DeckSummary
from app.markdown import render_inline, render_markdown
from app.models import Card


def integral_float(value: Any) -> Any:
    """3.0 as 3, for strict integer fields: JSON Schema's "integer" includes 3.0.

    Strict mode still refuses "3", true and 3.5. Use as BeforeValidator(integral_float).
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, in a sentence.")


class ValidationItemOut(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    detail: str = Field(description="Each problem in a sentence: `query.limit: ...`.")
    errors: list[ValidationItemOut] = Field(
        default_factory=list, description="The same problems, structured (request validation)."
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, each a JSON body with a `detail`."""
    described = {
        401: "No valid token or session (the response carries WWW-Authenticate: Bearer).",
        403: "Not allowed (a missing or wrong CSRF token, sign-up closed).",
        404: "No such thing, or not yours.",
        409: "Conflicts with the current state.",
        410: "The card was retired from its deck.",
        429: "Too many attempts; see Retry-After.",
    }
    return {status: {"model": ErrorOut, "description": described[status]} for status in statuses}


class DeckOut(BaseModel):
    slug: str
    title: str
    description: str
    topics: list[str]
    checklist: list[str]
    advice: str
    advice_demo: str | None = Field(description="The demo that works the advice through.")
    card_count: int = Field(description="Active (not retired) cards.")
    cards_by_difficulty: dict[Literal["easy", "medium", "hard"], int]

    @classmethod
    def of(cls, summary: DeckSummary) -> DeckOut:
        deck = summary.deck
        return cls(
            slug=deck.slug,
            title=deck.title,
            description=deck.description,
            topics=[topic.slug for topic in deck.topics],
            checklist=list(deck.checklist),
            advice=deck.advice,
            advice_demo=deck.advice_demo,
            card_count=summary.card_count,
            cards_by_difficulty={
                "easy": summary.by_difficulty.get("easy", 0),
                "medium": summary.by_difficulty.get("medium", 0),
                "hard": summary.by_difficulty.get("hard", 0),
            },
        )


class ChoiceOut(BaseModel):
    text: str
    correct: bool
    why: str


class DemoRef(BaseModel):
    name: str
    params: dict[str, Any]


class CardOut(BaseModel):
    slug: str
    deck: str
    number: int
    difficulty: Literal["easy", "medium", "hard"]
    topics: list[str]
    question: str = Field(description="Markdown with $math$.")
    answer: str = Field(description="Markdown with $inline$ and $$display$$ math.")
    question_html: str = Field(description="The question rendered and sanitised; math as TeX.")
    answer_html: str = Field(description="The answer rendered and sanitised; math as TeX.")
    demo: DemoRef | None
    exercise: str | None
    choices: list[ChoiceOut]
    key_points: list[str] = Field(
        description="The 2-5 claims an interviewer listens for; show them after the answer."
    )
    related: list[str] = Field(description="Slugs of cards, in any deck, to read next.")
    retired: bool
    updated_at: datetime

    @classmethod
    def of(cls, card: Card) -> CardOut:
        return cls(
            slug=card.slug,
            deck=card.deck.slug,
            number=card.number,
            difficulty=card.difficulty,  # type: ignore[arg-type]
            topics=[topic.slug for topic in card.topics],
            question=card.question,
            answer=card.answer,
            question_html=render_inline(card.question),
            answer_html=render_markdown(card.answer),
            demo=DemoRef(name=card.demo_name, params=card.demo_params) if card.demo_name else None,
            exercise=card.exercise,
            choices=[ChoiceOut(text=c.text, correct=c.correct, why=c.why) for c in card.choices],
            key_points=list(card.key_points),
            related=list(card.related),
            retired=card.retired_at is not None,
            updated_at=card.updated_at,
        )


class CardPageOut(BaseModel):
    items: list[CardOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]

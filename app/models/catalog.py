"""Catalog tables: decks, topics, cards (retired, never deleted) and their choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow


class Deck(Base):
    __tablename__ = "decks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    advice: Mapped[str] = mapped_column(Text, default="")
    # A demo that works the advice through with live numbers (the deck's closing exercise).
    advice_demo: Mapped[str | None] = mapped_column(String(100))
    source_path: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    topics: Mapped[list[Topic]] = relationship(
        back_populates="deck", order_by="Topic.position", cascade="all, delete-orphan"
    )
    cards: Mapped[list[Card]] = relationship(back_populates="deck", order_by="Card.number")


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("deck_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)

    deck: Mapped[Deck] = relationship(back_populates="topics")


class CardTopic(Base):
    __tablename__ = "card_topics"

    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Card(Base):
    __tablename__ = "cards"
    # Card slugs are global so /cards/{slug} names exactly one card.
    __table_args__ = (Index("ix_cards_deck_id_number", "deck_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    difficulty: Mapped[str] = mapped_column(String(10), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    demo_name: Mapped[str | None] = mapped_column(String(100))
    demo_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exercise: Mapped[str | None] = mapped_column(String(100))
    # The 2-5 claims an interviewer listens for; shown after the answer, used by mock interviews.
    key_points: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Slugs of cards (any deck) to read next; the loader checks that they exist.
    related: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Retired cards vanished from their file; kept (never deleted) so history survives.
    retired_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    deck: Mapped[Deck] = relationship(back_populates="cards")
    topics: Mapped[list[Topic]] = relationship(secondary="card_topics", order_by="Topic.position")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="card", order_by="Choice.position", cascade="all, delete-orphan"
    )


class Choice(Base):
    __tablename__ = "choices"
    __table_args__ = (UniqueConstraint("card_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    why: Mapped[str] = mapped_column(Text)

    card: Mapped[Card] = relationship(back_populates="choices")

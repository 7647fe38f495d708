"""The deck file schema (content/*.yaml) as pydantic models; see DESIGN.md "A deck file"."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Difficulty = Literal["easy", "medium", "hard"]


def is_slug(text: str) -> bool:
    """Whether `text` can name a deck or card (lookups skip the database when it cannot)."""
    return len(text) <= 100 and SLUG_RE.fullmatch(text) is not None


def _slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a slug: use lowercase letters, digits and hyphens")
    return value


def _registry_name(value: str) -> str:
    if not NAME_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a name: use lowercase letters, digits and underscores")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


Slug = Annotated[str, Field(max_length=100), AfterValidator(_slug)]
RegistryName = Annotated[str, Field(max_length=100), AfterValidator(_registry_name)]
Text = Annotated[str, Field(max_length=20_000), AfterValidator(_non_empty)]
# A key point is one claim said in one breath, not a second answer.
KeyPoint = Annotated[str, Field(max_length=200), AfterValidator(_non_empty)]
KEY_POINTS_MIN, KEY_POINTS_MAX = 2, 5


class Strict(BaseModel):
    # Unknown keys are typos more often than not: reject them instead of ignoring them.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChoiceSpec(Strict):
    text: Text
    correct: bool = False
    why: Text


class DemoSpec(Strict):
    name: RegistryName
    params: dict[str, Any] = Field(default_factory=dict)


class CardSpec(Strict):
    slug: Slug
    number: int = Field(ge=1, le=100_000)
    difficulty: Difficulty
    topics: list[Slug] = Field(min_length=1)
    question: Text
    answer: Text
    demo: DemoSpec | None = None
    exercise: RegistryName | None = None
    choices: list[ChoiceSpec] = Field(default_factory=list, max_length=8)
    key_points: list[KeyPoint] = Field(default_factory=list, max_length=KEY_POINTS_MAX)
    # Slugs of cards (in any deck) that a reader of this one should see next.
    related: list[Slug] = Field(default_factory=list, max_length=8)

    @field_validator("key_points")
    @classmethod
    def _enough_key_points(cls, key_points: list[str]) -> list[str]:
        if key_points and len(key_points) < KEY_POINTS_MIN:
            raise ValueError(
                f"give {KEY_POINTS_MIN}-{KEY_POINTS_MAX} key points (or none), "
                f"found {len(key_points)}"
            )
        return key_points

    @field_validator("choices")
    @classmethod
    def _one_correct_choice(cls, choices: list[ChoiceSpec]) -> list[ChoiceSpec]:
        if not choices:
            return choices  # a card without a quiz is fine
        if len(choices) < 2:
            raise ValueError("a multiple-choice card needs at least 2 choices")
        correct = sum(choice.correct for choice in choices)
        if correct != 1:
            raise ValueError(f"exactly one choice must be correct, found {correct}")
        return choices


class DeckMeta(Strict):
    slug: Slug
    title: Text
    description: str = ""
    topics: list[Slug] = Field(min_length=1)
    checklist: list[Text] = Field(default_factory=list)
    advice: str = ""
    advice_demo: RegistryName | None = None


class DeckFile(Strict):
    deck: DeckMeta
    cards: list[CardSpec] = Field(min_length=1)

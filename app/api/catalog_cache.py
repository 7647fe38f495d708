"""The catalog's read model: every deck and card rendered once per catalog version, as the
API's JSON and as the light views the deck page lists.

The catalog changes only when decks are imported, and every import that changes anything sets
the deck's content_hash and updated_at (catalog/loader.py). So one small query over the decks
table says whether the JSON rendered earlier is still true; when it is, a card list costs one
query for the matching card ids and no ORM loading, Markdown rendering or validation at all.
That work was most of a catalog request's time under load (issue 11).

Each app (each worker process) keeps its own cache; a worker that sees a new version renders
the whole catalog again (a few ms for hundreds of cards) and the others follow on their next
request.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, select, tuple_
from sqlalchemy.orm import Session

from app.api.schemas import CardOut, DeckOut
from app.catalog import queries
from app.models import Card, Deck

Version = tuple[tuple[int, str, str], ...]


@dataclass(frozen=True)
class TopicView:
    slug: str


@dataclass(frozen=True)
class CardRowView:
    """What a card's row in a list shows (templates/_card.html), without the ORM."""

    slug: str
    number: int
    question: str
    difficulty: str
    topics: tuple[TopicView, ...]


@dataclass(frozen=True)
class DeckView:
    """What the deck page shows of a deck (templates/deck.html), without the ORM."""

    slug: str
    title: str
    description: str
    checklist: tuple[str, ...]
    advice: str
    advice_demo: str | None
    topics: tuple[TopicView, ...]


@dataclass(frozen=True)
class DeckLinkView:
    slug: str
    title: str


@dataclass(frozen=True)
class ChoiceView:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class CardLinkView:
    """A link to another card: the pager's neighbours and the related cards."""

    slug: str
    number: int
    question: str
    deck: DeckLinkView


@dataclass(frozen=True)
class CardPageView:
    """What the card page shows of a card (templates/card.html), without the ORM; the field
    names are the ORM card's, so the template reads either."""

    slug: str
    number: int
    difficulty: str
    question: str
    answer: str
    deck: DeckLinkView
    topics: tuple[TopicView, ...]
    choices: tuple[ChoiceView, ...]
    key_points: tuple[str, ...]
    demo_name: str | None
    demo_params: dict[str, object]
    retired: bool
    previous: CardLinkView | None  # the active cards before and after it in its deck
    following: CardLinkView | None
    related: tuple[CardLinkView, ...]


@dataclass(frozen=True)
class DeckSummaryView:
    deck: DeckView
    card_count: int


@dataclass(frozen=True)
class CatalogJson:
    """One catalog version, rendered: what the catalog endpoints send, as bytes, and the views
    the deck page lists."""

    version: Version
    decks: bytes  # GET /decks: every deck, by title
    deck_by_slug: dict[str, bytes]
    card_by_id: dict[int, bytes]  # retired cards too: GET /cards/{slug} serves them
    card_id_by_slug: dict[str, int]
    deck_view_by_slug: dict[str, DeckSummaryView]
    card_row_by_id: dict[int, CardRowView]
    card_page_by_slug: dict[str, CardPageView]
    # Pages rendered for visitors not logged in, by (base URL, path, query): app/web/page_cache.
    pages: dict[tuple[str, str, str], bytes] = field(default_factory=dict)


def catalog_version(session: Session) -> Version:
    """What identifies the catalog's content: each deck's id, content hash and update time."""
    rows = session.execute(select(Deck.id, Deck.content_hash, Deck.updated_at).order_by(Deck.id))
    return tuple((deck_id, content_hash, str(updated)) for deck_id, content_hash, updated in rows)


def render_catalog(session: Session, version: Version) -> CatalogJson:
    """Render every deck and card with the API's own models (so the JSON is what they say)."""
    summaries = queries.list_decks(session)
    deck_json = [DeckOut.of(summary).model_dump_json().encode() for summary in summaries]
    cards = list(session.scalars(queries.with_relations(select(Card))))
    card_by_id: dict[int, bytes] = {}
    card_id_by_slug: dict[str, int] = {}
    card_row_by_id: dict[int, CardRowView] = {}
    for card in cards:
        card_by_id[card.id] = CardOut.of(card).model_dump_json().encode()
        card_id_by_slug[card.slug] = card.id
        topics = tuple(TopicView(topic.slug) for topic in card.topics)
        card_row_by_id[card.id] = CardRowView(
            card.slug, card.number, card.question, card.difficulty, topics
        )
    deck_views = {
        s.deck.slug: DeckSummaryView(
            DeckView(
                s.deck.slug,
                s.deck.title,
                s.deck.description,
                tuple(s.deck.checklist),
                s.deck.advice,
                s.deck.advice_demo,
                tuple(TopicView(topic.slug) for topic in s.deck.topics),
            ),
            s.card_count,
        )
        for s in summaries
    }
    return CatalogJson(
        version=version,
        decks=b"[" + b",".join(deck_json) + b"]",
        deck_by_slug={s.deck.slug: body for s, body in zip(summaries, deck_json, strict=True)},
        card_by_id=card_by_id,
        card_id_by_slug=card_id_by_slug,
        deck_view_by_slug=deck_views,
        card_row_by_id=card_row_by_id,
        card_page_by_slug=card_pages(cards),
    )


def card_pages(cards: Sequence[Card]) -> dict[str, CardPageView]:
    """Every card's page view; neighbours are the active cards of its deck by (number, id)."""
    links = {
        card.slug: CardLinkView(
            card.slug, card.number, card.question, DeckLinkView(card.deck.slug, card.deck.title)
        )
        for card in cards
    }
    active = sorted(
        (c for c in cards if c.retired_at is None), key=lambda c: (c.deck_id, c.number, c.id)
    )
    active_slugs = {card.slug for card in active}
    keys = [(c.deck_id, c.number, c.id) for c in active]
    pages: dict[str, CardPageView] = {}
    for card in cards:
        key = (card.deck_id, card.number, card.id)
        # The active cards just before and after this key (a retired card has neighbours too).
        below, above = bisect_left(keys, key), bisect_right(keys, key)
        before = active[below - 1] if below and keys[below - 1][0] == card.deck_id else None
        after = active[above] if above < len(keys) and keys[above][0] == card.deck_id else None
        pages[card.slug] = CardPageView(
            slug=card.slug,
            number=card.number,
            difficulty=card.difficulty,
            question=card.question,
            answer=card.answer,
            deck=links[card.slug].deck,
            topics=tuple(TopicView(topic.slug) for topic in card.topics),
            choices=tuple(ChoiceView(c.text, c.correct, c.why) for c in card.choices),
            key_points=tuple(card.key_points),
            demo_name=card.demo_name,
            demo_params=dict(card.demo_params),
            retired=card.retired_at is not None,
            previous=links[before.slug] if before else None,
            following=links[after.slug] if after else None,
            # A related card retired since is left out: it is no longer taught.
            related=tuple(links[slug] for slug in card.related if slug in active_slugs),
        )
    return pages


class CatalogCache:
    """The current CatalogJson of one app, re-rendered when the catalog's version changes."""

    def __init__(self) -> None:
        self._current: CatalogJson | None = None
        self._lock = threading.Lock()  # routes run on a thread pool: render once, not per thread

    def get(self, session: Session, *, force: bool = False) -> CatalogJson:
        version = catalog_version(session)
        current = self._current
        if current is not None and current.version == version and not force:
            return current
        with self._lock:
            current = self._current
            if force or current is None or current.version != version:
                current = render_catalog(session, version)
                self._current = current
        return current

    def card_ids(
        self,
        session: Session,
        filters: queries.CardFilter,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> tuple[CatalogJson, list[Row[tuple[int, int, int]]]]:
        """The rendered catalog and the (id, deck_id, number) rows of the active cards `filters`
        selects, in order: the ids come from SQL (the one definition of what a filter selects),
        everything else from the rendered catalog."""
        catalog = self.get(session)
        query = select(Card.id, Card.deck_id, Card.number).where(
            *queries.active_card_conditions(filters)
        )
        if cursor is not None:
            key = queries.decode_cursor(cursor)  # BadCursor for a cursor we did not make
            query = query.where(tuple_(Card.deck_id, Card.number, Card.id) > key)
        query = query.order_by(Card.deck_id, Card.number, Card.id)
        rows = list(session.execute(query if limit is None else query.limit(limit)).all())
        if any(row.id not in catalog.card_by_id for row in rows):
            # A deck was imported between the version check and this query: render again.
            catalog = self.get(session, force=True)
        return catalog, rows

    def card_page(
        self, session: Session, filters: queries.CardFilter, limit: int, cursor: str | None
    ) -> bytes:
        """GET /cards: one keyset page as JSON."""
        catalog, rows = self.card_ids(session, filters, limit + 1, cursor)
        page, more = rows[:limit], len(rows) > limit
        next_cursor = queries.encode_cursor(page[-1]) if more else None
        return _page_json([catalog.card_by_id[row.id] for row in page], next_cursor)

    def deck_page(
        self, session: Session, slug: str, filters: queries.CardFilter
    ) -> tuple[DeckSummaryView, list[CardRowView]] | None:
        """The deck page's deck and its filtered card rows; None for no such deck."""
        catalog = self.get(session)
        summary = catalog.deck_view_by_slug.get(slug)
        if summary is None:
            return None
        catalog, rows = self.card_ids(session, filters)
        return summary, [catalog.card_row_by_id[row.id] for row in rows]


def _page_json(items: Sequence[bytes], next_cursor: str | None) -> bytes:
    return (
        b'{"items":['
        + b",".join(items)
        + b'],"next_cursor":'
        + json.dumps(next_cursor).encode()
        + b"}"
    )

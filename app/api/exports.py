"""Downloads: a deck as CSV or Anki package, and the caller's review history as CSV."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response

from app.api.schemas import error_responses
from app.auth.dependencies import ApiUserDep
from app.deps import SessionDep
from app.exports.anki import anki_package
from app.exports.decks import UnknownDeck, deck_csv, exported_deck
from app.exports.reviews import review_history_csv

router = APIRouter(tags=["exports"])
CSV = "text/csv; charset=utf-8"
APKG = "application/octet-stream"


def _download(content: str | bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.get("/decks/{slug}/export", response_class=Response, responses={404: {}})
def export_deck(slug: str, session: SessionDep, format: Literal["csv", "apkg"] = "csv") -> Response:
    """The deck's live cards as CSV (front, back, difficulty, topics) or as an Anki .apkg."""
    try:
        deck = exported_deck(session=session, slug=slug)
    except UnknownDeck as error:
        raise HTTPException(404, str(error)) from None
    if format == "apkg":
        return _download(anki_package(deck), APKG, f"{deck.slug}.apkg")
    return _download(deck_csv(deck), CSV, f"{deck.slug}.csv")


@router.get("/reviews/export", response_class=Response, responses=error_responses(401, 403))
def export_reviews(user: ApiUserDep, session: SessionDep) -> Response:
    """The caller's whole review history as CSV, oldest first."""
    return _download(review_history_csv(session=session, user=user), CSV, "reviews.csv")

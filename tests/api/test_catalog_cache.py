"""The catalog endpoints serve JSON rendered once per catalog version: an import that changes a
deck is seen on the next request, and a cached card list costs two statements."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.catalog.loader import import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from tests.conftest import CONTENT_DIR
from tests.srs.test_query_counts import statements


def _reimport(settings: Settings, deck_text: str, tmp_path: Path) -> None:
    deck_dir = tmp_path / "changed"
    deck_dir.mkdir(exist_ok=True)
    (deck_dir / "backprop.yaml").write_text(deck_text)
    engine = make_engine(settings.database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        import_decks(session, [deck_dir / "backprop.yaml"], catalog_registries(CONTENT_DIR))
    engine.dispose()


def test_an_import_is_seen_by_the_next_request(
    loaded: Settings, loaded_client: TestClient, tmp_path: Path
) -> None:
    before = loaded_client.get("/api/v1/cards/chain-rule").json()
    listed = loaded_client.get("/api/v1/cards", params={"limit": 200}).json()["items"]
    count = loaded_client.get("/api/v1/decks/backprop").json()["card_count"]
    assert "chain-rule" in [card["slug"] for card in listed]

    text = (CONTENT_DIR / "backprop.yaml").read_text()
    question = before["question"]
    assert question in text
    _reimport(loaded, text.replace(question, question + " (revised)", 1), tmp_path)
    after = loaded_client.get("/api/v1/cards/chain-rule").json()
    assert after["question"] == question + " (revised)"
    assert "(revised)" in loaded_client.get("/decks/backprop").text

    # Retire the card: drop it from the file. Lists, counts and the card itself follow.
    start = text.index("- slug: chain-rule")
    end = text.index("- slug:", start + 1)
    _reimport(loaded, text[:start] + text[end:], tmp_path)
    listed = loaded_client.get("/api/v1/cards", params={"limit": 200}).json()["items"]
    assert "chain-rule" not in [card["slug"] for card in listed]
    assert loaded_client.get("/api/v1/decks/backprop").json()["card_count"] == count - 1
    assert loaded_client.get("/api/v1/cards/chain-rule").json()["retired"] is True
    page = loaded_client.get("/decks/backprop").text  # the deck page reads the same catalog
    assert "/cards/chain-rule" not in page
    assert f"of {count - 1} cards" in page


def test_a_cached_card_page_is_two_statements(loaded_client: TestClient) -> None:
    loaded_client.get("/api/v1/cards")  # renders the catalog
    engine = loaded_client.app.state.sessionmaker.kw["bind"]  # type: ignore[attr-defined]
    with statements(engine) as seen:
        response = loaded_client.get("/api/v1/cards", params={"difficulty": "hard", "limit": 1})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert len([s for s in seen if s != "BEGIN"]) == 2, seen  # the version, the ids
    with statements(engine) as seen:
        assert loaded_client.get("/api/v1/cards/chain-rule").status_code == 200
    assert len([s for s in seen if s != "BEGIN"]) == 1, seen  # the version check only


def test_pages_and_cursors_still_chain(loaded_client: TestClient) -> None:
    slugs, cursor = [], None
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        body = loaded_client.get("/api/v1/cards", params=params).json()
        slugs += [card["slug"] for card in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    every = loaded_client.get("/api/v1/cards", params={"limit": 200}).json()["items"]
    assert slugs == [card["slug"] for card in every]
    assert loaded_client.get("/api/v1/cards", params={"cursor": "nope"}).status_code == 422
    assert loaded_client.get("/api/v1/decks/no-such-deck").status_code == 404

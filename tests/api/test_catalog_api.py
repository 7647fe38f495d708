"""The read API: decks, cards with filters and keyset pages, errors as JSON, health."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

API = "/api/v1"


def test_decks_lists_the_backprop_deck_with_counts(loaded_client: TestClient) -> None:
    response = loaded_client.get(f"{API}/decks")
    assert response.status_code == 200
    decks = response.json()
    titles = [deck["title"] for deck in decks]
    assert titles == sorted(titles) and len(decks) >= 4
    assert all(deck["card_count"] == 15 for deck in decks)
    [deck] = [deck for deck in decks if deck["slug"] == "backprop"]
    assert deck["card_count"] == 15
    assert deck["cards_by_difficulty"] == {"easy": 5, "medium": 8, "hard": 2}
    assert deck["topics"] == ["chain-rule", "reverse-mode", "activations", "gradients"]
    assert deck["checklist"] and deck["advice"]
    assert deck["advice_demo"] == "two_layer_by_hand"


def test_one_deck_and_an_unknown_deck(loaded_client: TestClient) -> None:
    assert loaded_client.get(f"{API}/decks/backprop").json()["title"] == "Backpropagation"
    response = loaded_client.get(f"{API}/decks/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "deck 'nope' not found"}


def test_hard_cards_are_exactly_the_pages_hard_questions(loaded_client: TestClient) -> None:
    params = {"difficulty": "hard", "deck": "backprop"}
    response = loaded_client.get(f"{API}/cards", params=params)
    assert response.status_code == 200
    assert [card["slug"] for card in response.json()["items"]] == [
        "jvp-vs-vjp",
        "gradient-checkpointing",
    ]


def test_filters_by_topic_deck_and_text(loaded_client: TestClient) -> None:
    items = loaded_client.get(f"{API}/cards", params={"topic": "activations"}).json()["items"]
    assert items and all("activations" in card["topics"] for card in items)
    assert {card["slug"] for card in items} >= {"relu-backward"}

    items = loaded_client.get(f"{API}/cards", params={"q": "checkpoint"}).json()["items"]
    assert "gradient-checkpointing" in {card["slug"] for card in items}

    combined = loaded_client.get(
        f"{API}/cards", params={"deck": "backprop", "difficulty": "easy", "topic": "activations"}
    ).json()["items"]
    assert [card["slug"] for card in combined] == ["relu-backward"]

    assert loaded_client.get(f"{API}/cards", params={"deck": "other"}).json()["items"] == []


def _all_cards(client: TestClient, **params: str) -> list[dict[str, Any]]:
    """Every page of GET /cards (the catalog outgrew one page of 100)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": "100", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/cards", params=query).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_text_search_treats_like_wildcards_literally(loaded_client: TestClient) -> None:
    every = _all_cards(loaded_client)
    for literal in ("%", "_"):
        items = _all_cards(loaded_client, q=literal)
        assert 0 < len(items) < len(every)  # a wildcard would have matched every card
        assert all(literal in card["question"] + card["answer"] for card in items)


def test_keyset_pages_cover_every_card_once_in_order(loaded_client: TestClient) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 4, "deck": "backprop"}
        if cursor:
            params["cursor"] = cursor
        body = loaded_client.get(f"{API}/cards", params=params).json()
        seen += [card["number"] for card in body["items"]]
        cursor = body["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert seen == list(range(1, 16))
    assert pages == 4
    # Across decks too: every card once, each deck's in order, decks in the order they came.
    cursor, every = None, []
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = loaded_client.get(f"{API}/cards", params=params).json()
        every += [(card["deck"], card["number"]) for card in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert len(every) == len(set(every)) == 15 * len({deck for deck, _ in every})
    for deck in {deck for deck, _ in every}:
        assert [n for d, n in every if d == deck] == list(range(1, 16))


def test_a_card_with_its_answer_rendered_and_choices(loaded_client: TestClient) -> None:
    card = loaded_client.get(f"{API}/cards/linear-layer-backward").json()
    assert card["number"] == 5
    assert card["difficulty"] == "medium"
    assert card["demo"] == {"name": "linear_backward", "params": {}}
    assert card["exercise"] == "linear_backward"
    assert 2 <= len(card["key_points"]) <= 5
    assert sum(choice["correct"] for choice in card["choices"]) == 1
    assert '<span class="math inline">' in card["answer_html"]
    assert card["retired"] is False
    assert card["updated_at"].endswith("Z") or card["updated_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"difficulty": "extreme"}, "query.difficulty"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"topic": "Not A Slug"}, "query.topic"),
        ({"deck": "x" * 101}, "query.deck"),
        ({"q": ""}, "query.q"),
        ({"q": "back\x00prop"}, "query.q"),  # PostgreSQL refuses NUL: refused before the query
        ({"cursor": "WzIxNDc0ODM2NDgsMCwwXQ"}, "cursor is not valid"),  # [2**31,0,0]: no id
        ({"cursor": "not-a-cursor"}, "cursor is not valid"),
        ({"cursor": "WzEsMl0"}, "cursor is not valid"),  # [1,2]: valid base64, wrong shape
    ],
)
def test_bad_filter_values_get_422_with_a_sentence(
    loaded_client: TestClient, params: dict[str, str | int], phrase: str
) -> None:
    response = loaded_client.get(f"{API}/cards", params=params)
    assert response.status_code == 422
    assert phrase in response.json()["detail"]


def test_unknown_card_and_unknown_route_are_json_404(loaded_client: TestClient) -> None:
    response = loaded_client.get(f"{API}/cards/no-such-card")
    assert response.status_code == 404
    assert response.json() == {"detail": "card 'no-such-card' not found"}
    assert loaded_client.get(f"{API}/nothing-here").json() == {"detail": "Not Found"}


def test_openapi_describes_the_read_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/decks", "/api/v1/decks/{slug}", "/api/v1/cards", "/api/v1/cards/{slug}"):
        assert "get" in paths[path]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text


def test_openapi_declares_the_bearer_token_where_it_is_needed(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from /settings or `gradcards token create NAME`.",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            # An operation that can answer 401 needs the token; the catalog and demos do not.
            needs_token = "401" in operation["responses"]
            declared = operation.get("security") == [{"bearerAuth": []}]
            assert declared == needs_token, (method, path)
    assert spec["paths"]["/api/v1/study/next"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/v1/cards"]["get"]
    # Schema names are the class names, never module paths (two CheckOut classes once were).
    assert [name for name in spec["components"]["schemas"] if "__" in name] == []


def test_healthz_reports_the_database(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(Session, "execute", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.parametrize("slug", ["a%00b", "x" * 101, "Caps", "%F0%9F%98%80"])
def test_slugs_that_cannot_exist_are_404_on_every_backend(
    loaded_client: TestClient, slug: str
) -> None:
    # PostgreSQL refuses a NUL byte in a query: the lookup must not reach the database.
    for url in (f"{API}/cards/{slug}", f"{API}/decks/{slug}", f"/cards/{slug}", f"/decks/{slug}"):
        assert loaded_client.get(url).status_code == 404, url


def test_openapi_describes_our_422_body_and_it_matches(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/cards"]["get"]["responses"]["422"]["content"]
    assert body["application/json"]["schema"]["$ref"].endswith("/ValidationErrorOut")
    schema = spec["components"]["schemas"]["ValidationErrorOut"]
    error = client.get(f"{API}/cards", params={"limit": 0}).json()
    assert set(error) == set(schema["properties"])
    assert isinstance(error["detail"], str)

"""HTML pages, asserted through CSS selectors as a reader of the page would see them."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient

from app.main import CONTENT_SECURITY_POLICY


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    """The single element `selector` matches; fails the test when there is none."""
    found = soup.select_one(selector)
    assert found is not None, f"no element matches {selector!r}"
    return found


def text(soup: BeautifulSoup | Tag, selector: str) -> str:
    return one(soup, selector).get_text()


def href(soup: BeautifulSoup | Tag, selector: str) -> str:
    return str(one(soup, selector)["href"])


def page(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def test_home_lists_decks_with_card_counts(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/")
    tiles = soup.select(".deck-tile")
    assert len(tiles) >= 4 and all(text(t, ".card-count") == "15 cards" for t in tiles)
    [tile] = [t for t in tiles if href(t, "h2 a").endswith("/decks/backprop")]
    assert text(tile, ".card-count") == "15 cards"
    chips = [chip.get_text() for chip in tile.select(".chip")]
    assert chips == ["5 easy", "8 medium", "2 hard"]


def test_home_without_decks_says_how_to_add_one(client: TestClient) -> None:
    assert "gradcards import" in text(page(client, "/"), ".empty")


def test_deck_page_shows_cards_with_coloured_borders_chips_and_checklist(
    loaded_client: TestClient,
) -> None:
    soup = page(loaded_client, "/decks/backprop")
    rows = soup.select("ol.card-list > li.card-row")
    assert len(rows) == 15
    for row in rows:
        chip = row.select_one(".chip")
        assert chip is not None
        level = chip.get_text()
        assert level in {"easy", "medium", "hard"}  # the word, not only the colour
        assert f"difficulty-{level}" in row["class"]
        assert f"chip-{level}" in chip["class"]
    assert len(soup.select(".checklist li")) >= 3
    assert "by hand" in text(soup, ".advice")
    assert href(soup, ".advice a").endswith("/demos/two_layer_by_hand")
    tabs = [tab.get_text() for tab in soup.select(".filters .tab")]
    assert tabs == [
        "All levels",
        "easy",
        "medium",
        "hard",
        "All topics",
        "chain-rule",
        "reverse-mode",
        "activations",
        "gradients",
    ]


def test_deck_page_filters_by_difficulty_and_topic(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/decks/backprop?difficulty=hard")
    numbers = [n.get_text() for n in soup.select(".card-row .card-number")]
    assert numbers == ["7", "9"]
    assert soup.select_one(".tab.active.tab-hard") is not None

    soup = page(loaded_client, "/decks/backprop?topic=activations&difficulty=easy")
    assert [n.get_text() for n in soup.select(".card-row .card-number")] == ["6"]
    assert text(soup, ".result-count") == "1 of 15 cards"


def test_card_page_shows_question_and_an_answer_to_reveal(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/cards/relu-backward")
    assert "ReLU" in text(soup, "h1.question")
    answer = one(soup, "details#answer")
    assert not answer.has_attr("open")
    assert answer.select_one("summary") is not None
    assert answer.select(".prose p")
    assert len(answer.select(".choice.correct")) == 1
    assert soup.select_one("article.card-page.difficulty-easy") is not None
    assert href(soup, "a[rel=prev]").endswith("/cards/linear-layer-backward")
    assert href(soup, "a[rel=next]").endswith("/cards/jvp-vs-vjp")


def test_math_is_left_as_tex_for_katex_and_katex_is_vendored(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/cards/linear-layer-backward")
    assert soup.select(".prose .math")
    scripts = [tag["src"] for tag in soup.select("script[src]")]
    assert any(
        str(src).split("?")[0].endswith("/static/vendor/katex/katex.min.js") for src in scripts
    )
    assert not soup.select("script:not([src])")  # no inline script under the CSP
    assert loaded_client.get("/static/vendor/katex/katex.min.js").status_code == 200
    assert loaded_client.get("/static/vendor/katex/LICENSE").status_code == 200


def test_pages_send_a_strict_content_security_policy(loaded_client: TestClient) -> None:
    headers = loaded_client.get("/").headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"


def test_unknown_pages_and_bad_filters_get_html_errors(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/cards/nope", status=404)
    assert "nope" in text(soup, ".error-detail")
    page(loaded_client, "/decks/nope", status=404)
    soup = page(loaded_client, "/decks/backprop?difficulty=extreme", status=422)
    assert "difficulty" in text(soup, ".error-detail")


def test_head_answers_like_get_without_a_body(loaded_client: TestClient) -> None:
    for url in ("/", "/decks/backprop", "/healthz", "/api/v1/cards"):
        get, head = loaded_client.get(url), loaded_client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
    assert loaded_client.head("/cards/nope").status_code == 404


def test_catalog_pages_are_rendered_once_for_everyone_not_logged_in(
    loaded_client: TestClient,
) -> None:
    from tests.auth.helpers import signup

    first = loaded_client.get("/decks/backprop").text
    catalog = loaded_client.app.state.catalog_cache._current  # type: ignore[attr-defined]
    assert loaded_client.get("/decks/backprop").text == first
    assert loaded_client.get("/cards/chain-rule").status_code == 200
    assert {path for _, path, _ in catalog.pages} == {"/decks/backprop", "/cards/chain-rule"}
    # Filters outside the deck's topics, and demo params, are rendered but never kept.
    assert loaded_client.get("/decks/backprop?topic=nothing-here").status_code == 200
    assert loaded_client.get("/cards/chain-rule?seed=3").status_code == 200
    assert len(catalog.pages) == 2
    # A logged-in reader's page names them (and carries their CSRF token): never shared.
    assert signup(loaded_client, "ada").status_code == 303
    mine = loaded_client.get("/decks/backprop").text
    assert "(ada)" in mine and mine != first
    loaded_client.cookies.clear()
    assert loaded_client.get("/decks/backprop").text == first

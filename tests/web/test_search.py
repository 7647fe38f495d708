"""The search page (and the header's box that leads to it): cards from every deck whose question
or answer holds the words, as typed, in deck order."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.standard.decks import CARDS


def results(client: TestClient, q: str) -> tuple[list[str], BeautifulSoup]:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    links = [
        "/" + str(a["href"]).split("/", 3)[3] for a in page.select(".search-results .card-link")
    ]
    return links, page


def test_search_finds_cards_across_decks_case_insensitively(loaded_client: TestClient) -> None:
    links, page = results(loaded_client, "IM2COL")
    assert "/cards/im2col-conv-as-matmul" in links
    assert page.select_one("#header-q")["value"] == "IM2COL"  # type: ignore[index]
    count = page.select_one(".result-count")
    assert (
        count is not None
        and f"{len(links)} card{'' if len(links) == 1 else 's'} with “IM2COL”" in (count.get_text())
    )
    _, page = results(loaded_client, "Softmax")
    decks = {a.get_text() for a in page.select(".search-deck")}
    assert len(decks) >= 3, decks  # softmax comes up in backprop, losses, activations, ...


def test_search_matches_the_answer_too_and_wildcards_are_literal(
    loaded_client: TestClient,
) -> None:
    # "Jacobian-vector" is in answers; a % or _ typed by the user is a character, not a pattern.
    links, _ = results(loaded_client, "Jacobian")
    assert links
    for typed in ("%", "_", "o_e"):
        expected = [
            f"/cards/{card.slug}"
            for card in CARDS
            if card.spec and typed.lower() in (card.spec.question + card.spec.answer).lower()
        ]
        assert results(loaded_client, typed)[0] == expected[:50], typed


def test_search_without_words_shows_the_form_only(loaded_client: TestClient) -> None:
    for q in ("", "   ", "\x00"):
        links, page = results(loaded_client, q)
        assert links == [] and page.select_one(".result-count") is None
        assert page.select_one("form.search-form input[name=q]") is not None


def test_search_with_no_match_says_so(loaded_client: TestClient) -> None:
    links, page = results(loaded_client, "zzzqqq")
    assert links == []
    empty = page.select_one(".empty")
    assert empty is not None and "No card mentions “zzzqqq”" in empty.get_text()


def test_search_caps_the_results_and_says_there_are_more(loaded_client: TestClient) -> None:
    links, page = results(loaded_client, "a")  # nearly every card
    assert len(links) == 50
    count = page.select_one(".result-count")
    assert count is not None and count.get_text().startswith("The first 50 cards")


def test_the_header_search_box_is_on_every_page(loaded_client: TestClient) -> None:
    for path in ("/", "/decks/backprop", "/demos", "/login"):
        page = BeautifulSoup(loaded_client.get(path).text, "html.parser")
        box = page.select_one("header form.header-search[action='/search'] input[name=q]")
        assert box is not None, path

"""Deck exports: CSV and Anki packages, through the API and the CLI; math in Anki's delimiters."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.exports.anki import anki_html, stable_id


def test_deck_csv_has_a_row_per_live_card(loaded_client: TestClient) -> None:
    response = loaded_client.get("/api/v1/decks/backprop/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="backprop.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 15
    assert rows[0]["front"].startswith("What is backpropagation")
    assert rows[0]["difficulty"] == "easy"
    assert rows[0]["topics"].split() == ["chain-rule", "reverse-mode", "gradients"]
    cards = loaded_client.get("/api/v1/cards?deck=backprop&limit=200").json()["items"]
    assert [row["front"] for row in rows] == [card["question"] for card in cards]


def test_an_unknown_deck_is_a_404(loaded_client: TestClient) -> None:
    response = loaded_client.get("/api/v1/decks/nope/export?format=apkg")
    assert response.status_code == 404
    assert response.json()["detail"] == "deck 'nope' not found"


def test_a_bad_format_is_a_422_and_a_bad_slug_a_404(loaded_client: TestClient) -> None:
    assert loaded_client.get("/api/v1/decks/backprop/export?format=pdf").status_code == 422
    assert loaded_client.get("/api/v1/decks/a%00b/export").status_code == 404


def apkg_notes(data: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(fields, tags) of every note in an .apkg."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        rows = db.execute("SELECT flds, tags FROM notes ORDER BY sfld").fetchall()
    db.close()
    return [(str(fields), str(tags)) for fields, tags in rows]


def test_anki_package_holds_every_card_with_anki_math(
    loaded_client: TestClient, tmp_path: Path
) -> None:
    response = loaded_client.get("/api/v1/decks/backprop/export?format=apkg")
    assert response.status_code == 200
    notes = apkg_notes(response.content, tmp_path)
    assert len(notes) == 15
    front, back, difficulty = notes[0][0].split("\x1f")
    assert front == "<p>What is backpropagation, and what exactly does it compute?</p>"
    assert r"\(\nabla_\theta L\)" in back
    assert "\\[\n\\begin{aligned}" in back
    assert "$" not in back
    assert difficulty == "easy"
    assert sorted(notes[0][1].split()) == [
        "chain-rule",
        "difficulty::easy",
        "gradients",
        "reverse-mode",
    ]


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("$x^2$ and $$y$$", r"<p>\(x^2\) and \[y\]</p>"),
        ("$$\na < b\n$$", "<p>\\[\na &lt; b\n\\]</p>"),
        (
            "**bold** <script>x</script>",
            "<p><strong>bold</strong> &lt;script&gt;x&lt;/script&gt;</p>",
        ),
        ("costs \\$5", "<p>costs $5</p>"),
    ],
)
def test_anki_html_converts_math_and_escapes_html(markdown: str, html: str) -> None:
    assert anki_html(markdown) == html


def test_anki_ids_are_stable_and_fit_in_31_bits() -> None:
    assert stable_id("gradcards-deck:backprop") == stable_id("gradcards-deck:backprop")
    assert stable_id("a") != stable_id("b")
    assert 1 << 30 <= stable_id("a") < 1 << 31

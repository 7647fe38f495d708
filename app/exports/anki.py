"""A deck as an Anki package (.apkg, through genanki) with math in Anki's \\( \\) and \\[ \\]."""

from __future__ import annotations

import hashlib
import tempfile
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import genanki
import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from app.exports.decks import ExportedDeck

# Fixed so that re-importing an export updates the same note type in Anki, not a new one.
MODEL_ID = 1_729_404_117
MODEL = genanki.Model(
    MODEL_ID,
    "gradcards",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Difficulty"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        }
    ],
    css=".card { font-family: sans-serif; font-size: 18px; text-align: left; }",
)


def _math(opening: str, closing: str) -> Any:
    def render(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return f"{opening}{escape(tokens[idx].content)}{closing}"

    return render


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", _math(r"\(", r"\)"))
    md.add_render_rule("math_inline_double", _math(r"\[", r"\]"))
    md.add_render_rule("math_block", _math("<p>\\[", "\\]</p>\n"))
    md.add_render_rule("math_block_label", _math("<p>\\[", "\\]</p>\n"))
    return md


def anki_html(markdown: str) -> str:
    """Deck Markdown as the sanitised HTML of an Anki field, $x$ -> \\(x\\), $$x$$ -> \\[x\\]."""
    return nh3.clean(_markdown().render(markdown)).strip()


def stable_id(text: str) -> int:
    """A 31-bit id that is the same on every export, so Anki updates instead of duplicating."""
    return (1 << 30) + int.from_bytes(hashlib.sha256(text.encode()).digest()[:4]) % (1 << 30)


def anki_package(deck: ExportedDeck) -> bytes:
    """The deck as the bytes of an .apkg file; topics and difficulty become tags."""
    anki_deck = genanki.Deck(stable_id(f"gradcards-deck:{deck.slug}"), deck.title)
    for card in deck.cards:
        anki_deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=[anki_html(card.front), anki_html(card.back), card.difficulty],
                tags=[*card.topics, f"difficulty::{card.difficulty}"],
                guid=genanki.guid_for("gradcards", card.slug),
                sort_field=f"{card.number:05d}",
            )
        )
    # genanki writes to a path only.
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "deck.apkg"
        genanki.Package(anki_deck).write_to_file(str(path))
        return path.read_bytes()

"""Markdown to sanitised HTML. Math stays as TeX in .math elements for KaTeX in the browser."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

_ALLOWED_CLASSES = {"span": {"math", "inline", "display"}, "div": {"math", "block"}}


def _math_span(kind: str) -> Any:
    def render(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return f'<span class="math {kind}">{escape(tokens[idx].content)}</span>'

    return render


def _build() -> MarkdownIt:
    # Raw HTML in decks is escaped, not passed through: decks may come from anyone.
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", _math_span("inline"))
    # $$...$$ inside a paragraph: display style, but a span so the HTML stays valid.
    md.add_render_rule("math_inline_double", _math_span("display"))
    return md


_MD = _build()


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """Render deck Markdown to HTML that is safe to insert into a page."""
    return nh3.clean(_MD.render(text), allowed_classes=_ALLOWED_CLASSES)


@lru_cache(maxsize=2048)
def render_inline(text: str) -> str:
    """Render a one-line Markdown string (a question, a choice) without a wrapping <p>."""
    return nh3.clean(_MD.renderInline(text), allowed_classes=_ALLOWED_CLASSES)

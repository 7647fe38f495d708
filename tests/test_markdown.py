"""Deck Markdown renders to safe HTML with math kept for KaTeX."""

from __future__ import annotations

from app.markdown import render_inline, render_markdown


def test_math_is_kept_as_escaped_tex_in_math_elements() -> None:
    html = render_markdown("Inline $a_i < b_j$ and\n\n$$\nG^\\top X\n$$\n")
    assert '<span class="math inline">a_i &lt; b_j</span>' in html
    assert '<div class="math block">\nG^\\top X\n</div>' in html


def test_underscores_inside_math_are_not_emphasis() -> None:
    assert "<em>" not in render_inline("$x_1 + x_2 = y_1$")


def test_raw_html_and_javascript_links_are_neutralised() -> None:
    html = render_markdown(
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"
    )
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html


def test_tables_and_code_render() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n`zero_grad()`")
    assert "<table>" in html
    assert "<code>zero_grad()</code>" in html

"""The colour pairs that carry meaning (difficulty chips, pass/fail labels, muted text) reach WCAG
AA contrast, 4.5:1, in the light and the dark scheme, computed from app.css's variables."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

CSS = (REPO / "static" / "css" / "app.css").read_text()
AA = 4.5
# (text, background) as the pages draw them: chips and check verdicts on their tinted
# backgrounds, the same colours as plain text on the page and on cards.
PAIRS = [
    ("easy", "easy-bg"),
    ("medium", "medium-bg"),
    ("hard", "hard-bg"),
    ("easy", "bg"),
    ("medium", "bg"),
    ("hard", "bg"),
    ("easy", "surface"),
    ("medium", "surface"),
    ("hard", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("accent", "surface"),
    ("text", "bg"),
]


def palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))


def schemes() -> dict[str, dict[str, str]]:
    dark_at = CSS.index("prefers-color-scheme: dark")
    light = palette(CSS[:dark_at])
    dark = {**light, **palette(CSS[dark_at : CSS.index("}", dark_at)])}
    return {"light": light, "dark": dark}


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # a classic near-miss


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_meaningful_colours_reach_aa(scheme: str) -> None:
    colours = schemes()[scheme]
    low = {
        f"{fg} on {bg}": round(contrast(colours[fg], colours[bg]), 2)
        for fg, bg in PAIRS
        if contrast(colours[fg], colours[bg]) < AA
    }
    assert low == {}, f"below {AA}:1 in the {scheme} scheme: {low}"

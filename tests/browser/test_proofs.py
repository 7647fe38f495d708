"""The pages issue 10 changed, walked in a real browser on a desktop and a phone: a card's key
points after its answer, the computational-graph demo re-seeded (no 422, no "None" in its
inputs, the fan-out edge drawn clear of node c), and the checkpointing charts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, ConsoleWatch, screenshot

PASSWORD = "correct horse battery"
VIEWPORTS = {"desktop": (1280, 900), "phone": (360, 740)}


@pytest.mark.parametrize("label", sorted(VIEWPORTS))
def test_key_points_and_the_reworked_demos(
    browser: Browser, console: ConsoleWatch, live_server: str, label: str
) -> None:
    width, height = VIEWPORTS[label]
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
    try:
        page = console.watch(context.new_page())
        page.goto("/signup")
        page.get_by_label("Name").fill(f"prover-{label}")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Welcome,")).to_be_visible()

        page.goto("/cards/linear-layer-backward")
        # A flashcard: the demo and its checks state the answer, so they wait for it.
        expect(page.locator("#demo")).to_be_hidden()
        expect(page.locator(".gated-note")).to_be_visible()
        page.get_by_text("Show answer").click()
        expect(page.locator("#demo .check").first).to_be_visible()
        expect(page.locator(".gated-note")).to_be_hidden()
        points = page.locator(".key-points li")
        expect(page.get_by_role("heading", name="What an interviewer listens for")).to_be_visible()
        assert 2 <= points.count() <= 5
        expect(points.first.locator(".katex").first).to_be_visible()  # its maths is typeset
        screenshot(page, f"card-key-points-{label}")
        page.locator(".key-points").screenshot(path=ARTIFACTS / f"key-points-only-{label}.png")

        page.goto("/cards/linear-layer-backward?seed=4#demo")  # a re-run: the answer stays open
        expect(page.locator("#answer")).to_have_attribute("open", "")
        expect(page.locator("#demo .check").first).to_be_visible()

        page.goto("/demos/computational_graph")
        for name in ("a", "b"):
            assert page.locator(f"input[name={name}]").input_value() != "None"
        page.get_by_role("button", name="New seed").click()
        expect(page.locator(".check").first).to_be_visible()
        # The error box, not the digits "422" (a drawn value such as 0.4221 would match those).
        expect(page.locator(".demo-error")).to_have_count(0)
        expect(page.get_by_text(re.compile(r"Input should be"))).to_have_count(0)
        screenshot(page, f"demo-computational-graph-{label}")

        page.goto("/demos/checkpointing")
        expect(page.locator(".check").first).to_be_visible()
        screenshot(page, f"demo-checkpointing-{label}")

        for kind in ("two_layer_by_hand", "newton_step", "checkpoint_memory"):
            page.goto(f"/exercises/{kind}?seed=3")
            expect(page.locator(f'.exercise-page[data-kind="{kind}"]')).to_be_visible()
            expect(page.get_by_text(re.compile(r"1x\^|\+ 0\b|- -"))).to_have_count(0)
            screenshot(page, f"exercise-{kind}-{label}")
    finally:
        context.close()

"""Every demo of the nine later decks on its own page, at 1280 px and at a 360 px phone: drawn
without console errors, its checks all passing, its charts drawn, nothing wider than the screen,
and a screenshot of each in test-artifacts/ (demo-<name>-<desktop|phone>.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from app.demos import (
    activations,
    attention,
    cnn,
    init_norm,
    losses,
    optimization,
    regularization,
    sequence_models,
    training_at_scale,
)
from app.demos.registry import REGISTRY
from tests.browser.conftest import ConsoleWatch, screenshot

PACKAGES = [
    package.__name__
    for package in (
        activations,
        init_norm,
        losses,
        optimization,
        regularization,
        cnn,
        sequence_models,
        attention,
        training_at_scale,
    )
]


def deck_demos(package: str) -> list[str]:
    return sorted(
        n for n, spec in REGISTRY.items() if spec.run.__module__.startswith(package + ".")
    )


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.rsplit(".", 1)[-1])
@pytest.mark.parametrize("width", [1280, 360])
def test_every_later_deck_demo_page_draws_and_fits(
    browser: Browser, console: ConsoleWatch, live_server: str, width: int, package: str
) -> None:
    names = deck_demos(package)
    assert len(names) == 15, package  # a demo per card
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 800 if width > 400 else 740}
    )
    label = "desktop" if width > 400 else "phone"
    try:
        page = console.watch(context.new_page())
        for name in names:
            page.goto(f"/demos/{name}")
            expect(page.locator("section#demo .checks .check").first).to_be_visible()
            assert page.locator(".check.fail").count() == 0, name
            # Chart.js registers each chart it drew on its canvas.
            page.wait_for_function(
                "() => [...document.querySelectorAll('canvas[data-chart]')]"
                ".every(c => window.Chart && window.Chart.getChart(c))"
            )
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"/demos/{name} is {overflow} px wider than the {label} screen"
            screenshot(page, f"demo-{name}-{label}")
    finally:
        context.close()

"""Every page at 1280 px and at a 360 px phone, light and dark: drawn without console errors,
nothing wider than the screen, a screenshot of each in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ConsoleWatch, screenshot

PASSWORD = "correct horse battery"
PUBLIC = {
    "home": "/",
    "login": "/login",
    "signup": "/signup",
    "docs": "/docs",
    "search": "/search?q=softmax",
}
PRIVATE = {
    "home-logged-in": "/",
    "deck": "/decks/backprop",
    "card": "/cards/linear-layer-backward",
    # One card of each later deck, each with a chart and related cards from other decks.
    "card-activations": "/cards/gelu-silu-vs-relu",
    "card-init-norm": "/cards/depth-variance-plot",
    "card-losses": "/cards/forward-vs-reverse-kl",
    "deck-losses": "/decks/losses",
    "study": "/study?deck=backprop",
    "quiz": "/quiz?deck=backprop&seed=3",
    "demos": "/demos",
    "demo": "/demos/chain_rule",
    "exercises": "/exercises",
    "exercise": "/exercises/linear_backward?seed=3",
    # A wrong answer: which entry, a hint, a second try (dW = [[4, 10], [-5, -4]]).
    "exercise-wrong": (
        "/exercises/linear_backward/check?seed=3&dW.0.0=4&dW.0.1=10&dW.1.0=3&dW.1.1=-4"
    ),
    "stats": "/stats",
    "settings": "/settings",
    "welcome": "/welcome",
}
READY = {  # what shows once a page's script has done its work
    "study": "#study-card:not([hidden])",
    "stats": "#forecast-chart[data-drawn]",
    "quiz": "#q1 .choice-button",
    "docs": ".swagger-ui button.authorize",  # drawn, with the bearer scheme declared
}


def visit(page: Page, name: str, url: str, label: str) -> None:
    page.goto(url)
    expect(page.locator(READY.get(name, "main h1, main h2")).first).to_be_visible()
    if name.startswith("card"):  # the answer, and with it the demo and its charts
        page.keyboard.press("Space")
        expect(page.locator("#demo .check").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{url} is {overflow} px wider than the {label} screen"
    screenshot(page, f"{name}-{label}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_every_page_fits_and_logs_no_error(
    browser: Browser, console: ConsoleWatch, live_server: str, width: int, scheme: str
) -> None:
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": width, "height": 800 if width > 400 else 740},
        color_scheme="dark" if scheme == "dark" else "light",
    )
    try:
        page = console.watch(context.new_page())
        label = ("desktop" if width > 400 else "phone") + ("" if scheme == "light" else "-dark")
        for name, url in PUBLIC.items():
            visit(page, name, url, label)
        page.goto("/signup")
        page.get_by_label("Name").fill(f"viewer-{width}-{scheme}")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Welcome,")).to_be_visible()
        for name, url in PRIVATE.items():
            visit(page, name, url, label)
    finally:
        context.close()

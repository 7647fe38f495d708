"""The first five minutes in a real browser, on a desktop and a phone: a visitor asking to study
is told why to log in, signs up, is welcomed, takes the time zone the browser reports, and goes
on to study; signed in, /login and /signup lead home."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ConsoleWatch, screenshot

PASSWORD = "correct horse battery"
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True},
}


@pytest.mark.parametrize("device", list(DEVICES))
def test_visitor_to_first_card(
    browser: Browser, console: ConsoleWatch, live_server: str, device: str
) -> None:
    # The browser's own zone, which the welcome page should offer (the server cannot know it).
    context = browser.new_context(base_url=live_server, timezone_id="Asia/Tokyo", **DEVICES[device])
    try:
        page = console.watch(context.new_page())
        page.goto("/study")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fstudy$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in to study")
        screenshot(page, f"first-run-login-{device}")
        page.locator(".login-why").get_by_role("link", name="Sign up").click()
        page.get_by_label("Name").fill(f"newcomer-{device}")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()

        expect(page).to_have_url(re.compile(r"/welcome\?next=%2Fstudy$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, newcomer-{device}")
        # Keyboard hints where there is a keyboard; the tap wording on a touch screen.
        touch = device == "phone"
        expect(page.locator(".welcome-step .keys-only")).to_be_visible(visible=not touch)
        expect(page.locator(".welcome-step .touch-only")).to_be_visible(visible=touch)
        select = page.get_by_label("Time zone", exact=True)
        expect(select).to_have_value("UTC")
        offer = page.locator(".tz-detected")
        expect(offer).to_be_visible()
        expect(offer).to_contain_text("Asia/Tokyo")
        screenshot(page, f"first-run-welcome-{device}")
        offer.get_by_role("button", name="Use it").click()
        expect(select).to_have_value("Asia/Tokyo")
        page.get_by_role("button", name="Save time zone").click()
        expect(page.locator(".saved")).to_contain_text("Asia/Tokyo")
        expect(offer).to_be_hidden()  # saved: nothing left to offer
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the welcome page is {overflow} px wider than the {device}"

        page.get_by_role("link", name="Start studying").click()
        expect(page).to_have_url(re.compile(r"/study$"))
        expect(page.locator("#study-card")).to_be_visible()

        page.goto("/signup")  # signed in: the forms are not shown again
        expect(page).to_have_url(re.compile(r"/$"))
    finally:
        context.close()

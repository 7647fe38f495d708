"""The reviewer beyond grading, on a desktop (keys) and a phone (buttons): card info, bury and
suspend, Anki's three counts, a session end that says what waits and lets more in today, an
answer that could not be sent (shown above the grade bar, retried without a double count), and
a session that expired mid-review (explained at login, then back to studying)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ConsoleWatch, screenshot

PASSWORD = "correct horse battery"
STUDY = "/study?deck=backprop&difficulty=easy"  # five easy cards
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True},
}


class Reviewer:
    """Drives the study page with keys on a desktop and with taps on a phone."""

    def __init__(self, page: Page, touch: bool) -> None:
        self.page, self.touch = page, touch
        self.done = page.locator("#count-done")

    def act(self, key: str, button: str) -> None:
        if self.touch:
            self.page.locator("#card-actions").get_by_role("button", name=button).tap()
        else:
            self.page.keyboard.press(key)

    def good(self) -> None:
        """Reveal and grade Good, then wait for the next card (or the end) to be shown."""
        before = self.done.inner_text()
        if self.touch:
            self.page.get_by_role("button", name="Show answer").tap()
            self.page.locator("#grade-bar .grade-good").tap()
        else:
            self.page.keyboard.press("Space")
            expect(self.page.locator("#grade-bar")).to_be_visible()
            self.page.keyboard.press("Space")
        expect(self.done).not_to_have_text(before)


@pytest.mark.parametrize("device", list(DEVICES))
def test_info_bury_suspend_counts_end_retry_and_expiry(
    browser: Browser, console: ConsoleWatch, live_server: str, device: str
) -> None:
    context = browser.new_context(base_url=live_server, **DEVICES[device])
    try:
        page = console.watch(context.new_page())
        name = f"reviewer-{device}"
        page.goto("/signup")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page).to_have_url(re.compile(r"/welcome"))
        page.goto("/settings")
        page.get_by_label("New cards per day").fill("2")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".saved")).to_be_visible()

        page.goto(STUDY)
        you = Reviewer(page, touch=device == "phone")
        question, message = page.locator("#study-question"), page.locator("#study-message")
        expect(page.locator("#count-new")).to_have_text("2")
        expect(page.locator("#count-learning")).to_have_text("0")
        expect(page.locator("#count-review")).to_have_text("0")
        expect(page.locator(".study-keys")).to_be_visible(visible=not you.touch)
        # Two grade buttons read alike only when the scheduler gives both the same interval.
        labels = page.evaluate(
            "s => window.gradcardsIntervalLabels(s.map(x => ({interval_seconds: x})))",
            [600, 600, 660, 3 * 86400],
        )
        assert labels == ["10m (same)", "10m (same)", "11m", "3d"], labels
        labels = page.evaluate(
            "s => window.gradcardsIntervalLabels(s.map(x => ({interval_seconds: x})))",
            [86400, 89400, 2 * 86400, 3 * 86400],
        )
        assert labels == ["24h", "25h", "2d", "3d"], labels

        you.act("i", "Card info")  # Anki's card info, before any review
        info = page.locator("#card-info")
        expect(info).to_be_visible()
        expect(info).to_contain_text("Not reviewed yet")
        expect(info.locator("dd").first).to_have_text("new")
        screenshot(page, f"reviewer-info-{device}")
        you.act("i", "Card info")
        expect(info).to_be_hidden()

        first = question.inner_text()
        you.act("-", "Bury")
        expect(message).to_have_text(
            re.compile(r"^Buried until tomorrow: Backpropagation, card \d+\.$")
        )
        expect(question).not_to_have_text(first)
        second = question.inner_text()
        you.act("@", "Suspend")
        expect(message).to_contain_text("Suspended: Backpropagation, card")
        expect(question).not_to_have_text(second)

        # The next answer cannot reach the server: said above the grade bar, nothing counted.
        context.set_offline(True)
        if you.touch:
            page.get_by_role("button", name="Show answer").tap()
            page.locator("#grade-bar .grade-good").tap()
        else:
            page.keyboard.press("Space")
            page.keyboard.press("3")
        error = page.locator("#study-error")
        expect(error).to_have_text(
            re.compile("The server could not be reached; your answer was not recorded.")
        )
        above = page.evaluate(
            "document.getElementById('study-error').getBoundingClientRect().bottom <="
            " document.getElementById('grade-bar').getBoundingClientRect().top + 1"
        )
        assert above, "the error is not above the grade bar"
        screenshot(page, f"reviewer-offline-{device}")
        context.set_offline(False)
        page.get_by_role("button", name="Retry").click()
        expect(error).to_be_hidden()
        expect(you.done).to_have_text("· 1 done")

        you.good()  # the second new card of today's two
        for _ in range(2):  # both come back within learn-ahead, and graduate
            expect(page.locator("#count-new")).to_have_text("0")
            you.good()
        expect(page.locator("#study-summary")).to_be_visible()
        waiting = page.locator("#summary-waiting")
        expect(waiting).to_contain_text("1 new card waits behind today's limit of 2.")
        screenshot(page, f"reviewer-end-{device}")
        page.get_by_role("button", name="Study 1 more today").click()
        expect(page.locator("#study-card")).to_be_visible()
        expect(page.locator("#count-new")).to_have_text("1")
        expect(message).to_contain_text("Today's new-card limit is 3 (2 on other days).")

        # The session expires mid-review: the login page says so and returns to the study page.
        context.clear_cookies()
        if you.touch:
            page.get_by_role("button", name="Show answer").tap()
            # This card's answer has a code block: it scrolls inside the card, the page does not.
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"the revealed answer makes the page {wide} px too wide"
            page.locator("#grade-bar .grade-good").tap()
        else:
            page.keyboard.press("Space")
            page.keyboard.press("Space")
        expect(page).to_have_url(re.compile(r"/login\?expired=1&next="))
        expect(page.locator(".login-expired")).to_contain_text("Your session has expired")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/study\?deck=backprop&difficulty=easy$"))
        expect(page.locator("#study-card")).to_be_visible()
    finally:
        context.close()
        # The browser reports the requests this test made fail on purpose; any other error stays.
        expected = ("net::ERR_INTERNET_DISCONNECTED", "status of 401")
        console.errors[:] = [e for e in console.errors if not any(x in e for x in expected)]

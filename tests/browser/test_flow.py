"""The issue's walk through the app in a real browser: sign up, study with the keyboard alone,
undo, finish; a quiz right and wrong; a demo re-seeded; stats drawn; a token made and revoked."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.web.quiz_view import shuffled_positions
from tests.browser.conftest import screenshot

PASSWORD = "correct horse battery"
STUDY = "/study?deck=backprop&difficulty=easy"  # five easy cards: a session that can finish
QUIZ = "/quiz?deck=backprop&topic=activations&seed=7"  # three cards, two exercises


def sign_up(page: Page, name: str) -> None:
    """Ask for the study page, get sent to log in, sign up from there, be welcomed, go on to it."""
    page.goto(STUDY)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("link", name="Sign up", exact=True).last.click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/welcome\?next="))  # a new account is welcomed first
    page.get_by_role("link", name="Start studying").click()
    expect(page).to_have_url(re.compile(r"/study\?deck=backprop&difficulty=easy$"))


def study_with_the_keyboard(page: Page) -> None:
    # Anki's counts: new · learning · review left today, the card on screen included.
    new, learning = page.locator("#count-new"), page.locator("#count-learning")
    review, question = page.locator("#count-review"), page.locator("#study-question")
    expect(new).to_have_text("5")
    expect(learning).to_have_text("0")
    expect(review).to_have_text("0")
    expect(page.locator("#grade-bar")).to_be_hidden()  # grade only after seeing the answer
    screenshot(page, "study-question-desktop")
    page.keyboard.press("Space")  # reveal
    expect(page.locator("#study-answer")).to_be_visible()
    expect(page.locator('[data-interval-for="3"]')).to_have_text(re.compile(r"^\d+(m|h|d|mo|y)$"))
    page.keyboard.press("d")  # the live demo, one key away
    expect(page.locator("#study-demo .check").first).to_be_visible()
    screenshot(page, "study-answer-desktop")
    page.keyboard.press("Space")  # Good
    expect(new).to_have_text("4")
    second = question.inner_text()
    page.keyboard.press("Enter")
    page.keyboard.press("1")  # Again: back in a minute, so not in this session
    expect(new).to_have_text("3")
    third = question.inner_text()
    page.keyboard.press("Space")
    page.keyboard.press("4")  # Easy
    expect(new).to_have_text("2")
    expect(page.locator("#count-done")).to_have_text("· 3 done")

    page.keyboard.press("u")  # undo Easy: the third card is back
    expect(page.locator("#study-message")).to_have_text(
        re.compile(r"^Undone: your last review of Backpropagation, card \d+\.$")
    )
    expect(new).to_have_text("3")
    expect(question).to_have_text(third)
    page.reload()  # the server keeps the last review: undo still works after a reload
    expect(new).to_have_text("3")
    page.keyboard.press("Control+z")  # undo Again: the second card is back
    expect(new).to_have_text("4")
    expect(question).to_have_text(second)

    done = page.locator("#count-done")  # counts this page's reviews: the reload began anew
    for left in range(4, 0, -1):  # finish the new cards: one Again, the rest Good
        expect(new).to_have_text(str(left))
        expect(done).to_have_text(f"· {4 - left} done" if left < 4 else "")
        page.keyboard.press("Space")
        expect(page.locator("#grade-bar")).to_be_visible()
        page.keyboard.press("1" if left == 4 else "Space")
    # Anki's learn-ahead: with nothing else left, cards still in their learning steps (1 and 10
    # minutes) come back now instead of the session ending minutes early. The card graded Again
    # returns twice, the four graded Good once each, and then each has graduated.
    for step in range(6):
        expect(done).to_have_text(f"· {4 + step} done")
        expect(new).to_have_text("0")
        expect(learning).to_have_text(re.compile(r"^[1-5]$"))
        page.keyboard.press("Space")
        expect(page.locator("#grade-bar")).to_be_visible()
        page.keyboard.press("Space")
    summary = page.locator("#study-summary")
    expect(summary).to_be_visible()
    # A reload started a new session in the page: it counts the reviews made since.
    expect(page.locator("#summary-cards")).to_have_text("10")
    expect(page.locator("#summary-again")).to_have_text("10%")
    expect(page.locator("#summary-waiting")).to_be_hidden()  # every easy card was seen
    screenshot(page, "study-summary-desktop")


def answer_choice(page: Page, *, right: bool) -> None:
    """Answer the current multiple-choice question right or wrong, by its number key."""
    question = page.locator(".quiz-question:visible")
    slug = question.get_attribute("data-card")
    card = page.request.get(f"/api/v1/cards/{slug}").json()
    correct = next(i for i, choice in enumerate(card["choices"]) if choice["correct"])
    order = shuffled_positions(len(card["choices"]), 7, str(slug))
    shown = order.index(correct)
    pick = shown if right else (shown + 1) % len(order)
    page.keyboard.press(str(pick + 1))
    verdict = question.locator(".quiz-verdict")
    expect(verdict).to_have_class(re.compile("right" if right else "wrong"))
    expect(verdict.locator(".choice-why")).to_have_count(len(order))  # every choice's why
    expect(verdict.locator(".choice.picked")).to_have_count(1)
    if not right:  # a wrong pick is drawn red, as its verdict says
        colour = verdict.locator(".choice.picked").evaluate("e => getComputedStyle(e).borderColor")
        assert colour == "rgb(184, 54, 41)", colour  # --hard


def take_the_quiz(page: Page) -> None:
    page.goto(QUIZ)
    expect(page.locator("#quiz-progress-text")).to_have_text("Question 1 of 5")
    page.locator("#quiz-record").check()  # the focus stays on the box: 1-4 must still answer
    page.locator("#quiz-record").uncheck()
    screenshot(page, "quiz-question-desktop")
    choices_answered = 0
    for number in range(1, 6):  # choices: the first right, the second wrong; exercises: zeros
        expect(page.locator("#quiz-progress-text")).to_have_text(f"Question {number} of 5")
        question = page.locator(f"#q{number}")
        if question.get_attribute("data-kind") == "exercise":
            for field in question.locator("input[type=text]").all():
                field.fill("0")
            field.press("Enter")
            expect(question.locator(".quiz-verdict")).to_have_attribute("data-correct", "false")
        else:
            answer_choice(page, right=choices_answered != 1)
            choices_answered += 1
            if choices_answered == 2:
                screenshot(page, "quiz-answered-desktop")
        page.keyboard.press("Enter")  # the "Next question" button has the focus
    expect(page.locator("#quiz-score")).to_be_visible()
    expect(page.locator(".score-list li")).to_have_count(5)
    expect(page.locator("#score-right")).to_have_text("2")
    expect(page.locator("#score-kept")).to_have_text("Kept in your quiz history on the stats page.")
    # The score list shows each question typeset once, not as KaTeX's source and MathML text.

    screenshot(page, "quiz-score-desktop")


def score_list_typesets_maths(page: Page) -> None:
    """The score list repeats each question typeset once, not KaTeX's text with its MathML copy."""
    page.goto("/quiz?deck=backprop&topic=gradients&difficulty=medium&seed=3")
    progress = page.locator("#quiz-progress-text")
    total = int(progress.inner_text().rsplit(" ", 1)[-1])
    for number in range(1, total + 1):
        expect(progress).to_have_text(f"Question {number} of {total}")
        question = page.locator(f"#q{number}")
        if question.get_attribute("data-kind") == "exercise":
            for field in question.locator("input[type=text]").all():
                field.fill("0")
            field.press("Enter")
        else:
            page.keyboard.press("1")
        expect(question.locator(".quiz-verdict")).to_be_visible()
        page.keyboard.press("Enter")
    link = page.locator(".score-list li a").filter(has_text="For a linear layer")
    expect(link.locator(".katex").first).to_be_visible()
    shown = link.evaluate(
        "a => { const c = a.cloneNode(true); c.querySelectorAll('.katex-mathml')"
        ".forEach(m => m.remove()); return c.textContent; }"
    )
    assert shown.count("Wx") == 1 and "$" not in shown, shown


def reseed_a_demo(page: Page) -> None:
    page.goto("/cards/linear-layer-backward")
    page.keyboard.press("Space")  # the demo states the answer: it shows with it
    steps = page.locator("#demo .steps")
    before = steps.inner_text()
    page.locator("#demo input[name=seed]").fill("12345")
    page.locator("#demo input[name=seed]").press("Enter")
    expect(page.locator("#demo input[name=seed]")).to_have_value("12345")
    expect(steps).not_to_have_text(before)
    expect(page.locator("#demo .check.pass").first).to_be_visible()
    screenshot(page, "card-demo-desktop")


def see_the_stats(page: Page) -> None:
    page.goto("/stats")
    expect(page.locator("#forecast-chart")).to_have_attribute("data-drawn", "true")
    expect(page.locator(".heatmap rect.heat-3")).to_have_count(1)  # today: 11 reviews
    expect(page.locator("#stat-streak")).to_have_text("1 day")
    # The two quizzes taken (both over backprop cards) are in the history, one row per deck.
    history = page.locator(".quiz-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator("td").first).to_have_text("2")
    screenshot(page, "stats-desktop")


def make_and_revoke_a_token(page: Page) -> None:
    page.goto("/settings")
    page.get_by_label("New token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_have_text(re.compile(r"\S{20,}"))
    screenshot(page, "settings-token-desktop")
    expect(page.locator(".token-list li")).to_have_count(1)
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".token-list li")).to_have_count(0)
    expect(page.locator("#new-token")).to_have_count(0)  # shown once, never again


def test_sign_up_study_quiz_demo_stats_and_tokens(app_page: Page) -> None:
    sign_up(app_page, "ada")
    study_with_the_keyboard(app_page)
    take_the_quiz(app_page)
    score_list_typesets_maths(app_page)
    reseed_a_demo(app_page)
    see_the_stats(app_page)
    make_and_revoke_a_token(app_page)

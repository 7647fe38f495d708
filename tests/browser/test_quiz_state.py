"""A quiz survives leaving it: answer two questions, read a card, come Back, and the quiz is
where it was, verdicts and all; at the end "Retry the ones I missed" quizzes exactly those."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.web.quiz_view import shuffled_positions

SEED = 7
QUIZ = f"/quiz?deck=backprop&topic=activations&seed={SEED}"  # five questions, two exercises


def answer_wrongly(page: Page, number: int) -> None:
    """Give question `number` a wrong answer: zeros in an exercise, the first wrong choice."""
    question = page.locator(f"#q{number}")
    if question.get_attribute("data-kind") == "exercise":
        for field in question.locator("input[type=text]").all():
            field.fill("12345")
        question.locator("button[type=submit]").click()
    else:  # the server's shuffle for this seed says where the right choice is shown
        slug = str(question.get_attribute("data-card"))
        card = page.request.get(f"/api/v1/cards/{slug}").json()
        correct = next(i for i, choice in enumerate(card["choices"]) if choice["correct"])
        order = shuffled_positions(len(card["choices"]), SEED, slug)
        question.locator(".choice-button").nth((order.index(correct) + 1) % len(order)).click()
    expect(question.locator(".quiz-verdict")).to_have_attribute("data-correct", "false")


def test_back_restores_the_quiz_and_retry_asks_the_missed_ones(app_page: Page) -> None:
    page = app_page
    page.goto(QUIZ)
    progress = page.locator("#quiz-progress-text")
    expect(progress).to_have_text("Question 1 of 5")
    answer_wrongly(page, 1)
    page.locator("#q1 .next-question").click()
    expect(progress).to_have_text("Question 2 of 5")
    answer_wrongly(page, 2)
    first_verdict = page.locator("#q2 .quiz-verdict").inner_text().splitlines()[0]

    page.locator("#q2 .quiz-result a").first.click()  # off to a card or a solution
    expect(page).not_to_have_url(re.compile(r"/quiz\?"))
    page.go_back()
    expect(progress).to_have_text("Question 2 of 5")
    expect(page.locator("#q2 .quiz-verdict")).to_contain_text(first_verdict)
    expect(page.locator("#q2 .quiz-verdict")).to_have_attribute("data-correct", "false")
    expect(page.locator("#q2 form")).to_have_count(0)  # answered: no second try
    page.locator("#q2 .next-question").click()
    for number in (3, 4, 5):
        expect(progress).to_have_text(f"Question {number} of 5")
        answer_wrongly(page, number)
        page.locator(f"#q{number} .next-question").click()
    expect(page.locator("#quiz-score")).to_be_visible()
    expect(page.locator("#score-right")).to_have_text("0")
    missed = {str(page.locator(f"#q{n}").get_attribute("data-card")) for n in range(1, 6)}

    page.reload()  # the score comes back too
    expect(page.locator("#quiz-score")).to_be_visible()
    retry = page.locator("#quiz-retry")
    expect(retry).to_be_visible()
    retry.click()
    expect(page).to_have_url(re.compile(r"/quiz\?cards=.*&seed=\d+$"))
    expect(page.locator(".scope-name")).to_contain_text("you missed")
    asked = {str(q.get_attribute("data-card")) for q in page.locator(".quiz-question").all()}
    assert asked and asked <= missed, (asked, missed)
    assert page.request.get("/quiz?cards=Not_A_Slug").status == 422

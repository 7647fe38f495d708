"""The study, home and stats pages' server side: login redirects, the CSRF meta, the counts."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.auth.helpers import PASSWORD, csrf, login
from tests.conftest import Account
from tests.web.test_pages import href, one, page, text


def test_pages_for_a_user_send_a_logged_out_browser_to_log_in_and_back(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    for path in ("/study?deck=backprop&difficulty=easy", "/stats", "/settings"):
        response = study_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2F")
    make_account("ada")
    soup = page(study_client, "/login?next=%2Fstudy%3Fdeck%3Dbackprop")
    assert one(soup, "form input[name=next]")["value"] == "/study?deck=backprop"
    assert href(soup, ".hint a") == "/signup?next=/study%3Fdeck%3Dbackprop"
    response = study_client.post(
        "/login",
        data={
            "name": "ada",
            "password": PASSWORD,
            "csrf_token": csrf(study_client, "/login"),
            "next": "/study?deck=backprop",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/study?deck=backprop"


def test_login_never_redirects_off_the_site(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = study_client.post(
            "/login",
            data={
                "name": "ada",
                "password": PASSWORD,
                "csrf_token": csrf(study_client, "/login"),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
        study_client.cookies.clear()


def test_study_page_is_a_shell_with_the_filters_and_a_csrf_meta(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    login(study_client, "ada")
    soup = page(study_client, "/study?deck=backprop&topic=activations&difficulty=easy")
    shell = one(soup, "#study")
    assert (shell["data-deck"], shell["data-topic"], shell["data-difficulty"]) == (
        "backprop",
        "activations",
        "easy",
    )
    assert "Backpropagation · activations · easy" in text(soup, ".study-scope")
    meta = one(soup, 'meta[name="csrf-token"]')
    assert meta["content"] == one(soup, ".nav-logout input[name=csrf_token]")["value"]
    assert [b["data-rating"] for b in soup.select(".grade-bar [data-rating]")] == [
        "1",
        "2",
        "3",
        "4",
    ]
    scripts = [str(tag["src"]) for tag in soup.select("script[src]")]
    assert any(src.split("?")[0].endswith("/static/js/study.js") for src in scripts)
    assert not soup.select("script:not([src])")
    page(study_client, "/study?difficulty=extreme", status=422)


def test_a_logged_out_page_has_no_csrf_meta_and_the_nav_lists_every_page(
    loaded_client: TestClient,
) -> None:
    soup = page(loaded_client, "/")
    assert soup.select_one('meta[name="csrf-token"]') is None
    labels = [a.get_text() for a in soup.select(".main-nav a")]
    assert labels == ["Decks", "Study", "Quiz", "Demos", "Stats", "Exercises", "API"]
    assert "sign up" in text(soup, ".signup-prompt")
    assert soup.select_one(".today") is None


def test_deck_page_offers_to_study_and_quiz_the_selection(loaded_client: TestClient) -> None:
    soup = page(loaded_client, "/decks/backprop?topic=activations&difficulty=easy")
    query = "?deck=backprop&difficulty=easy&topic=activations"
    assert href(soup, "a.study-selection").endswith(f"/study{query}")
    assert href(soup, "a.quiz-selection").endswith(f"/quiz{query}")


def test_home_shows_due_and_new_counts_today_and_the_streak(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    account = make_account("ada")
    login(study_client, "ada")
    soup = page(study_client, "/")
    tile = one(soup, '.deck-tile[data-deck="backprop"]')
    assert text(tile, ".count-due") == "0 due"
    assert text(tile, ".count-new") == "10 new"
    assert text(soup, ".today-left") == "10"
    assert text(soup, ".today-done") == "0"
    review = {"card": "chain-rule", "rating": 3}
    assert study_client.post("/api/v1/reviews", json=review, headers=account.headers).is_success
    soup = page(study_client, "/")
    assert text(soup, ".today-done") == "1"
    assert text(soup, ".today-streak") == "1 day"
    assert text(one(soup, '.deck-tile[data-deck="backprop"]'), ".count-new") == "9 new"


def test_stats_page_shows_retention_forecast_calendar_and_counts(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    account = make_account("ada")
    for slug in ("chain-rule", "relu-backward"):
        review = {"card": slug, "rating": 3}
        assert study_client.post("/api/v1/reviews", json=review, headers=account.headers)
    login(study_client, "ada")
    soup = page(study_client, "/stats")
    levels = [chip.get_text() for chip in soup.select(".retention-table .chip")]
    assert levels == ["easy", "medium", "hard"]
    canvas = one(soup, "canvas#forecast-chart")
    assert '"counts"' in str(canvas["data-forecast"])
    assert len(soup.select(".chart-data tbody tr")) == 30
    cells = soup.select(".heatmap rect.heat")
    assert 26 * 7 - 6 <= len(cells) <= 26 * 7
    titled = [cell.select_one("title") for cell in cells]
    assert all(title is not None for title in titled)  # a label per day, not colour alone
    assert any(t is not None and t.get_text().endswith(": 2 reviews") for t in titled)
    assert text(soup, ".state-learning dd") == "2"
    assert "1 day" in text(soup, "#stat-streak")
    # Each weekday label sits on its own row: the row of the days with that name.
    rows = {int(str(c["y"])): str(c.select_one("title").get_text())[:3] for c in cells}  # type: ignore[union-attr]
    for label in soup.select(".heatmap text.heatmap-day"):
        baseline = int(str(label["y"]))
        row = max(y for y in rows if y <= baseline)
        assert rows[row] == label.get_text() and baseline - row < 12, label
    assert text(soup, ".true-retention .figure-note").startswith("Counted once cards reach")


def test_settings_offers_to_copy_a_new_token(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    login(study_client, "ada")
    response = study_client.post(
        "/settings/tokens", data={"name": "laptop", "csrf_token": csrf(study_client, "/settings")}
    )
    soup = BeautifulSoup(response.text, "html.parser")
    button = one(soup, "button[data-copy]")
    assert one(soup, str(button["data-copy"])).get_text().strip()

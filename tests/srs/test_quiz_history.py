"""Finished quizzes per user: recorded, listed newest first, grouped by deck on the stats page,
refused when the score cannot be one, and each user's alone."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.auth.helpers import login
from tests.conftest import Account, FakeClock
from tests.web.test_pages import page

MakeAccount = Callable[[str], Account]


def keep(client: TestClient, who: Account, **body: object) -> dict:
    response = client.post("/api/v1/quiz-results", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_scores_are_kept_newest_first_and_per_user(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada, bob = make_account("ada"), make_account("bob")
    keep(study_client, ada, deck="backprop", scope="Backpropagation", right=3, total=5)
    clock.advance(hours=1)
    keep(study_client, ada, scope="All decks", right=10, total=12)
    listed = study_client.get("/api/v1/quiz-results", headers=ada.headers).json()
    assert [(q["scope"], q["right"], q["total"]) for q in listed] == [
        ("All decks", 10, 12),
        ("Backpropagation", 3, 5),
    ]
    assert study_client.get("/api/v1/quiz-results", headers=bob.headers).json() == []


def test_a_score_that_cannot_be_one_is_a_422(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    for body in (
        {"scope": "x", "right": 6, "total": 5},
        {"scope": "x", "right": 0, "total": 0},
        {"scope": "x", "right": -1, "total": 5},
        {"scope": "x", "right": 1, "total": 51},
        {"scope": "", "right": 1, "total": 2},
        {"scope": "x\x00", "right": 1, "total": 2},
        {"deck": "Not A Slug", "scope": "x", "right": 1, "total": 2},
        {"scope": "x", "right": 1, "total": 2, "extra": 1},
    ):
        response = study_client.post("/api/v1/quiz-results", json=body, headers=ada.headers)
        assert response.status_code == 422, body
    assert study_client.get("/api/v1/quiz-results", headers=ada.headers).json() == []
    anonymous = study_client.post(
        "/api/v1/quiz-results", json={"scope": "x", "right": 1, "total": 2}
    )
    assert anonymous.status_code == 401


def test_the_stats_page_groups_quizzes_by_deck(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    keep(study_client, ada, deck="backprop", scope="Backpropagation", right=3, total=5)
    keep(study_client, ada, deck="backprop", scope="Backpropagation · easy", right=4, total=4)
    keep(study_client, ada, scope="All decks", right=1, total=10)
    login(study_client, "ada")
    soup = page(study_client, "/stats")
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in soup.select(".quiz-history tbody tr")
    ]
    assert ["Backpropagation", "2", "78% (7 of 9)"] in [row[:3] for row in rows]
    assert any(row[0] == "Several decks" and row[1] == "1" for row in rows)

"""Review history as CSV: the caller's own reviews only, oldest first; 401 without a login."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, FakeClock


def review(client: TestClient, account: Account, card: str, rating: int, key: str) -> None:
    body = {"card": card, "rating": rating, "duration_ms": 1500, "idempotency_key": key}
    response = client.post("/api/v1/reviews", json=body, headers=account.headers)
    assert response.status_code == 201, response.text


def test_review_history_csv_lists_my_reviews_oldest_first(
    study_client: TestClient, make_account: Callable[[str], Account], clock: FakeClock
) -> None:
    ada, bob = make_account("ada"), make_account("bob")
    review(study_client, ada, "chain-rule", 3, "a1")
    clock.advance(minutes=5)
    review(study_client, ada, "what-is-backprop", 1, "a2")
    review(study_client, bob, "chain-rule", 4, "b1")

    response = study_client.get("/api/v1/reviews/export", headers=ada.headers)
    assert response.status_code == 200
    assert 'filename="reviews.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["card"], row["rating"]) for row in rows] == [
        ("chain-rule", "good"),
        ("what-is-backprop", "again"),
    ]
    assert rows[0]["deck"] == "backprop"
    assert rows[0]["reviewed_at"] == "2026-03-02T12:00:00+00:00"
    assert rows[0]["state_before"] == "new"
    assert rows[0]["duration_ms"] == "1500"
    assert float(rows[0]["stability_after"]) > 0


def test_review_history_needs_a_login(study_client: TestClient) -> None:
    response = study_client.get("/api/v1/reviews/export")
    assert response.status_code == 401


def test_an_empty_history_is_just_the_header(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    response = study_client.get("/api/v1/reviews/export", headers=make_account("cy").headers)
    assert response.text.splitlines() == [
        "reviewed_at,deck,card,rating,duration_ms,state_before,state_after,"
        "stability_after,difficulty_after,due_after"
    ]

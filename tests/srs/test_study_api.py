"""The study API end to end: next card, reviews, idempotency, undo, flags and error paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models import Card, CardState, ReviewLog
from tests.conftest import Account, FakeClock

MakeAccount = Callable[[str], Account]


def review(client: TestClient, who: Account, card: str, rating: int, **extra: object) -> dict:
    response = client.post(
        "/api/v1/reviews", json={"card": card, "rating": rating, **extra}, headers=who.headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_first_card_is_new_easy_card_one_and_a_review_schedules_it(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada = make_account("ada")
    nxt = study_client.get("/api/v1/study/next", headers=ada.headers).json()
    assert nxt["card"]["difficulty"] == "easy"
    assert nxt["state"] is None
    assert [b["label"] for b in nxt["buttons"]] == ["again", "hard", "good", "easy"]
    slug = nxt["card"]["slug"]
    done = review(study_client, ada, slug, 3, duration_ms=4000)
    assert done["state"] == "learning"
    assert done["replayed"] is False
    good = next(b for b in nxt["buttons"] if b["rating"] == 3)
    assert done["interval_seconds"] == good["interval_seconds"]
    state = study_client.get(f"/api/v1/study/cards/{slug}", headers=ada.headers).json()
    assert state["state"] == "learning"
    assert datetime.fromisoformat(state["due"]) > clock()


def test_the_same_idempotency_key_twice_records_one_review(
    study_client: TestClient,
    make_account: MakeAccount,
    study_db: sessionmaker[Session],
) -> None:
    ada = make_account("ada")
    first = study_client.post(
        "/api/v1/reviews",
        json={"card": "chain-rule", "rating": 3, "idempotency_key": "k-1"},
        headers=ada.headers,
    )
    again = study_client.post(
        "/api/v1/reviews",
        json={"card": "chain-rule", "rating": 3, "idempotency_key": "k-1"},
        headers=ada.headers,
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    with study_db() as db:
        assert db.scalar(select(func.count()).select_from(ReviewLog)) == 1
    other = study_client.post(
        "/api/v1/reviews",
        json={"card": "chain-rule", "rating": 1, "idempotency_key": "k-1"},
        headers=ada.headers,
    )
    assert other.status_code == 409
    assert "idempotency_key" in other.json()["detail"]


def test_a_nul_byte_in_an_idempotency_key_is_a_422_that_names_it(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    # PostgreSQL refuses NUL in text: it must be refused before it reaches the database.
    refused = study_client.post(
        "/api/v1/reviews",
        json={"card": "chain-rule", "rating": 3, "idempotency_key": "k\x00"},
        headers=make_account("ada").headers,
    )
    assert refused.status_code == 422
    assert "idempotency_key" in refused.json()["detail"]


def test_undo_restores_the_previous_state_exactly_and_removes_the_log_row(
    study_client: TestClient,
    make_account: MakeAccount,
    clock: FakeClock,
    study_db: sessionmaker[Session],
) -> None:
    ada = make_account("ada")
    review(study_client, ada, "chain-rule", 3)
    clock.advance(minutes=15)
    before = study_client.get("/api/v1/study/cards/chain-rule", headers=ada.headers).json()
    review(study_client, ada, "chain-rule", 4)
    clock.advance(minutes=1)
    undone = study_client.post("/api/v1/reviews/undo", headers=ada.headers)
    assert undone.status_code == 200
    assert undone.json() == before
    with study_db() as db:
        assert db.scalar(select(func.count()).select_from(ReviewLog)) == 1
    # Undo the first review too: the card is new again, and then there is nothing left.
    assert study_client.post("/api/v1/reviews/undo", headers=ada.headers).json()["state"] == "new"
    nothing = study_client.post("/api/v1/reviews/undo", headers=ada.headers)
    assert nothing.status_code == 409
    assert "no review to undo" in nothing.json()["detail"]


def test_undo_is_refused_after_a_reset(study_client: TestClient, make_account: MakeAccount) -> None:
    ada = make_account("ada")
    review(study_client, ada, "chain-rule", 3)
    reset = study_client.post("/api/v1/study/cards/chain-rule/reset", headers=ada.headers)
    assert reset.json()["state"] == "new"
    refused = study_client.post("/api/v1/reviews/undo", headers=ada.headers)
    assert refused.status_code == 409
    assert "reset" in refused.json()["detail"]


def test_suspended_cards_leave_the_queue_and_cannot_be_reviewed(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    first = study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"]
    assert study_client.post(f"/api/v1/study/cards/{first}/suspend", headers=ada.headers).json()[
        "suspended"
    ]
    nxt = study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"]
    assert nxt != first
    refused = study_client.post(
        "/api/v1/reviews", json={"card": first, "rating": 3}, headers=ada.headers
    )
    assert refused.status_code == 409
    study_client.post(f"/api/v1/study/cards/{first}/unsuspend", headers=ada.headers)
    assert (
        study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"] == first
    )


def test_a_buried_card_comes_back_the_next_study_day(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada = make_account("ada")
    first = study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"]
    buried = study_client.post(f"/api/v1/study/cards/{first}/bury", headers=ada.headers).json()
    assert buried["buried_until"] == "2026-03-03T04:00:00Z"  # 4 AM UTC, the user's zone
    assert (
        study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"] != first
    )
    clock.advance(hours=16, minutes=1)  # 04:01 the next day
    assert (
        study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"] == first
    )


def test_undo_buries_again_a_buried_card_that_was_reviewed(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    first = study_client.get("/api/v1/study/next", headers=ada.headers).json()["card"]["slug"]
    study_client.post(f"/api/v1/study/cards/{first}/bury", headers=ada.headers)
    review(study_client, ada, first, 3)  # reviewing it anyway (by slug) unburies it
    state = study_client.get(f"/api/v1/study/cards/{first}", headers=ada.headers).json()
    assert state["buried_until"] is None
    assert study_client.post("/api/v1/reviews/undo", headers=ada.headers).status_code == 200
    state = study_client.get(f"/api/v1/study/cards/{first}", headers=ada.headers).json()
    assert state["buried_until"] == "2026-03-03T04:00:00Z"


BAD_REVIEWS = [
    ({"card": "chain-rule", "rating": 0}, 422, "rating"),
    ({"card": "chain-rule", "rating": 5}, 422, "rating"),
    ({"card": "no-such-card", "rating": 3}, 404, "no-such-card"),
    ({"card": "chain-rule", "rating": 3, "duration_ms": -1}, 422, "duration_ms"),
    ({"card": "chain-rule", "rating": 3, "surprise": 1}, 422, "surprise"),
]


def test_bad_reviews_are_4xx_with_a_detail(
    study_client: TestClient, make_account: MakeAccount, study_db: sessionmaker[Session]
) -> None:
    ada = make_account("ada")
    for body, status, words in BAD_REVIEWS:
        response = study_client.post("/api/v1/reviews", json=body, headers=ada.headers)
        assert response.status_code == status, body
        assert words in response.json()["detail"]
    with study_db() as db:
        assert db.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_malformed_json_is_a_422(study_client: TestClient, make_account: MakeAccount) -> None:
    ada = make_account("ada")
    response = study_client.post(
        "/api/v1/reviews",
        content=b'{"card": "chain-rule", "rating": ',
        headers={**ada.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_retired_card_cannot_be_reviewed(
    study_client: TestClient,
    make_account: MakeAccount,
    study_db: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    ada = make_account("ada")
    with study_db() as db, db.begin():
        db.execute(update(Card).where(Card.slug == "chain-rule").values(retired_at=clock()))
    response = study_client.post(
        "/api/v1/reviews", json={"card": "chain-rule", "rating": 3}, headers=ada.headers
    )
    assert response.status_code == 410
    assert "retired" in response.json()["detail"]
    with study_db() as db:
        assert db.scalar(select(func.count()).select_from(CardState)) == 0

"""Queue counts as Anki shows them (new · learning · review), why a session ended (new cards
behind today's limit, the next learning step), raising today's limit once, and Card Info."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import fsrs
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models import Card, CardState, ReviewLog
from app.srs.card_info import MAX_HISTORY
from tests.conftest import Account, FakeClock
from tests.srs.test_study_api import review

MakeAccount = Callable[[str], Account]
BACKPROP = {"deck": "backprop"}


def next_card(client: TestClient, who: Account, **params: str) -> dict:
    response = client.get("/api/v1/study/next", params=params or BACKPROP, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def set_new_per_day(client: TestClient, who: Account, count: int) -> None:
    response = client.patch("/api/v1/me/settings", json={"new_per_day": count}, headers=who.headers)
    assert response.status_code == 200, response.text


def test_counts_split_learning_from_review_and_new(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada = make_account("ada")
    first = next_card(study_client, ada)
    assert (first["new_left"], first["learning_left"], first["review_left"]) == (10, 0, 0)
    review(study_client, ada, first["card"]["slug"], 1)  # Again: a learning step of 1 minute
    clock.advance(minutes=2)
    later = next_card(study_client, ada)
    assert (later["new_left"], later["learning_left"], later["review_left"]) == (9, 1, 0)
    assert later["due_left"] == 1 and later["card"]["slug"] == first["card"]["slug"]
    review(study_client, ada, later["card"]["slug"], 4)  # Easy: graduates to review
    clock.advance(days=40)
    due = next_card(study_client, ada)
    assert (due["learning_left"], due["review_left"]) == (0, 1)


def test_the_end_says_how_many_new_cards_wait_and_a_raise_lets_them_in_today_only(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada = make_account("ada")
    set_new_per_day(study_client, ada, 2)
    for _ in range(2):
        review(study_client, ada, next_card(study_client, ada)["card"]["slug"], 4)
    done = next_card(study_client, ada)
    assert done["card"] is None
    assert done["end"] == {"new_waiting": 13, "next_learning_due": None, "new_limit_today": 2}
    raised = study_client.post("/api/v1/study/new-today", json={"extra": 3}, headers=ada.headers)
    assert raised.status_code == 200, raised.text
    assert raised.json() == {"new_per_day": 2, "new_limit_today": 5}
    again = next_card(study_client, ada)
    assert again["card"] is not None and again["new_left"] == 3
    more = study_client.post("/api/v1/study/new-today", json={"extra": 1}, headers=ada.headers)
    assert more.json()["new_limit_today"] == 6  # a second raise the same day adds to the first
    clock.advance(days=1)
    assert next_card(study_client, ada)["new_left"] == 2  # the raise was for that day only
    me = study_client.get("/api/v1/me", headers=ada.headers).json()
    assert me["new_per_day"] == 2


def test_a_raise_out_of_range_is_a_422_and_changes_nothing(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    for body in ({"extra": 0}, {"extra": 501}, {"extra": "many"}, {"more": 3}, {}):
        refused = study_client.post("/api/v1/study/new-today", json=body, headers=ada.headers)
        assert refused.status_code == 422, body
    assert next_card(study_client, ada)["new_left"] == 10
    assert study_client.post("/api/v1/study/new-today", json={"extra": 2}).status_code == 401


def test_the_end_names_the_next_learning_step_when_it_is_beyond_learn_ahead(
    study_client: TestClient,
    make_account: MakeAccount,
    clock: FakeClock,
    study_db: sessionmaker[Session],
) -> None:
    ada = make_account("ada")
    set_new_per_day(study_client, ada, 1)
    slug = next_card(study_client, ada)["card"]["slug"]
    review(study_client, ada, slug, 3)  # Good: the next step in 10 minutes, inside learn-ahead
    assert next_card(study_client, ada)["card"]["slug"] == slug
    step = clock() + timedelta(minutes=25)
    with study_db() as db:
        db.execute(update(CardState).where(CardState.user_id == ada.user_id).values(due=step))
        db.commit()
    done = next_card(study_client, ada)
    assert done["card"] is None and done["end"]["new_waiting"] == 14
    assert datetime.fromisoformat(done["end"]["next_learning_due"]) == step


def test_card_info_lists_the_schedule_recall_odds_lapses_and_history(
    study_client: TestClient, make_account: MakeAccount, clock: FakeClock
) -> None:
    ada, bob = make_account("ada"), make_account("bob")
    url = "/api/v1/study/cards/chain-rule/info"
    fresh = study_client.get(url, headers=ada.headers).json()
    assert fresh["state"] == "new" and fresh["retrievability"] is None
    assert (fresh["lapses"], fresh["reviews"]) == (0, [])
    assert fresh["deck"] == "Backpropagation" and fresh["number"] >= 1
    review(study_client, ada, "chain-rule", 4)  # into review
    clock.advance(days=30)
    info = study_client.get(url, headers=ada.headers).json()
    assert info["state"] == "review" and 0 < info["retrievability"] < 1
    review(study_client, ada, "chain-rule", 1)  # a lapse
    info = study_client.get(url, headers=ada.headers).json()
    assert info["lapses"] == 1 and info["state"] == "relearning"
    assert [r["rating"] for r in info["reviews"]] == [1, 4]  # newest first
    assert study_client.get(url, headers=bob.headers).json()["reviews"] == []  # ada's alone
    assert study_client.get("/api/v1/study/cards/nope/info", headers=ada.headers).status_code == 404


def test_undo_names_the_deck_and_number(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    review(study_client, ada, "chain-rule", 3)
    undone = study_client.post("/api/v1/reviews/undo", headers=ada.headers).json()
    assert undone["card"] == "chain-rule" and undone["deck"] == "Backpropagation"
    assert isinstance(undone["number"], int)


def test_info_is_read_only_and_actions_are_the_four_names(
    study_client: TestClient, make_account: MakeAccount
) -> None:
    ada = make_account("ada")
    posted = study_client.post("/api/v1/study/cards/chain-rule/info", headers=ada.headers)
    assert posted.status_code == 405 and "GET" in posted.headers["allow"]
    other = study_client.post("/api/v1/study/cards/chain-rule/explode", headers=ada.headers)
    assert other.status_code == 404
    done = study_client.post("/api/v1/study/cards/chain-rule/bury", headers=ada.headers)
    assert done.status_code == 200 and done.json()["buried_until"] is not None


def test_card_info_counts_every_lapse_though_it_lists_the_latest_200(
    study_client: TestClient,
    make_account: MakeAccount,
    clock: FakeClock,
    study_db: sessionmaker[Session],
) -> None:
    ada = make_account("ada")
    with study_db() as db:
        card_id = db.scalar(select(Card.id).where(Card.slug == "chain-rule"))
        db.add_all(
            ReviewLog(
                user_id=ada.user_id,
                card_id=card_id,
                rating=1,
                reviewed_at=clock() - timedelta(days=300 - n),
                state_before=fsrs.State.Review.value,
                state_after=fsrs.State.Relearning.value,
                stability_after=1.0,
                difficulty_after=5.0,
                due_after=clock(),
            )
            for n in range(MAX_HISTORY + 5)
        )
        db.commit()
    info = study_client.get("/api/v1/study/cards/chain-rule/info", headers=ada.headers).json()
    assert info["lapses"] == MAX_HISTORY + 5 and len(info["reviews"]) == MAX_HISTORY

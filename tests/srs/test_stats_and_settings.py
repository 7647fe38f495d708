"""Stats over the API, and the study settings' validation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import CONTENT_DIR, Account, FakeClock


def test_stats_count_reviews_retention_streak_forecast_and_time(
    study_client: TestClient, make_account: Callable[[str], Account], clock: FakeClock
) -> None:
    ada = make_account("ada")
    post = study_client.post
    post("/api/v1/reviews", json={"card": "chain-rule", "rating": 4, "duration_ms": 3000},
         headers=ada.headers)  # fmt: skip
    clock.advance(days=1)
    due = study_client.get("/api/v1/study/cards/chain-rule", headers=ada.headers).json()["due"]
    clock.now = max(clock.now, clock.now.fromisoformat(due))
    post("/api/v1/reviews", json={"card": "chain-rule", "rating": 1, "duration_ms": 5000},
         headers=ada.headers)  # fmt: skip
    stats = study_client.get("/api/v1/stats", headers=ada.headers).json()
    assert sum(day["reviews"] for day in stats["reviews_per_day"]) == 2
    assert stats["time_spent_ms"] == 8000
    assert stats["retention"] == {"reviews": 1, "passed": 0, "rate": 0.0}
    difficulty = "easy"  # chain-rule is card 2, easy
    assert stats["retention_by_difficulty"][difficulty]["reviews"] == 1
    assert stats["counts"]["relearning"] == 1
    bundled = len(list(CONTENT_DIR.glob("*.yaml"))) * 15
    assert stats["counts"]["new"] == bundled - 1  # every bundled card but chain-rule
    assert len(stats["forecast"]) == 30 and sum(d["due"] for d in stats["forecast"]) == 1
    assert stats["streak_days"] >= 1


def test_a_streak_counts_consecutive_study_days(
    study_client: TestClient, make_account: Callable[[str], Account], clock: FakeClock
) -> None:
    ada = make_account("ada")
    for day, slug in enumerate(["chain-rule", "what-is-backprop", "backward-pass-order"]):
        study_client.post("/api/v1/reviews", json={"card": slug, "rating": 3}, headers=ada.headers)
        if day < 2:
            clock.advance(days=1)
    assert study_client.get("/api/v1/stats", headers=ada.headers).json()["streak_days"] == 3
    clock.advance(days=2)
    assert study_client.get("/api/v1/stats", headers=ada.headers).json()["streak_days"] == 0


BAD_SETTINGS = [
    ({"desired_retention": 0.5}, "desired_retention"),
    ({"desired_retention": 0.995}, "desired_retention"),
    ({"time_zone": "Mars/Olympus_Mons"}, "not a time zone"),
    ({"time_zone": "localtime"}, "not a time zone"),  # a file in zoneinfo, not a zone
    ({"time_zone": "Factory"}, "not a time zone"),
    ({"new_per_day": -1}, "new_per_day"),
    ({"reviews_per_day": 10**6}, "reviews_per_day"),
    ({"colour": "red"}, "colour"),
]


def test_bad_study_settings_are_422_and_change_nothing(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    ada = make_account("ada")
    for body, words in BAD_SETTINGS:
        response = study_client.patch("/api/v1/me/settings", json=body, headers=ada.headers)
        assert response.status_code == 422, body
        assert words in response.json()["detail"]
    me = study_client.get("/api/v1/me", headers=ada.headers).json()
    assert me == {
        "name": "ada",
        "desired_retention": 0.9,
        "new_per_day": 10,
        "reviews_per_day": 200,
        "time_zone": "UTC",
    }


def test_good_study_settings_are_saved(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    ada = make_account("ada")
    body = {"desired_retention": 0.85, "time_zone": "America/New_York", "new_per_day": 3}
    response = study_client.patch("/api/v1/me/settings", json=body, headers=ada.headers)
    assert response.status_code == 200
    assert response.json()["time_zone"] == "America/New_York"
    assert response.json()["desired_retention"] == 0.85

"""Every per-user endpoint, as user B against user A's data: 404/403 or B's own data, never A's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.auth.helpers import csrf, login
from tests.conftest import Account

PER_USER_API = [
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me/settings"),
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/1"),
    ("GET", "/api/v1/stats"),
    ("GET", "/api/v1/study/next"),
    ("GET", "/api/v1/study/cards/chain-rule"),
    ("POST", "/api/v1/study/cards/chain-rule/suspend"),
    ("POST", "/api/v1/study/cards/chain-rule/unsuspend"),
    ("POST", "/api/v1/study/cards/chain-rule/bury"),
    ("POST", "/api/v1/study/cards/chain-rule/reset"),
    ("POST", "/api/v1/reviews"),
    ("GET", "/api/v1/reviews"),
    ("POST", "/api/v1/reviews/undo"),
    ("GET", "/api/v1/reviews/export"),
]
# Everything else under /api/v1 is public reading: the catalog, demos, exercises, deck exports.
PUBLIC_API_PREFIXES = (
    "/api/v1/decks",
    "/api/v1/cards",
    "/api/v1/demos",
    "/api/v1/exercises",
)


@dataclass
class World:
    client: TestClient
    ada: Account
    bob: Account
    ada_token_id: int
    ada_state: dict[str, Any]

    def as_bob(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.bob.headers, **kwargs)


@pytest.fixture
def world(study_client: TestClient, make_account: Callable[[str], Account]) -> World:
    ada, bob = make_account("ada"), make_account("bob")
    done = study_client.post(
        "/api/v1/reviews", json={"card": "chain-rule", "rating": 4}, headers=ada.headers
    )
    assert done.status_code == 201
    token_id = study_client.get("/api/v1/tokens", headers=ada.headers).json()[0]["id"]
    state = study_client.get("/api/v1/study/cards/chain-rule", headers=ada.headers).json()
    return World(study_client, ada, bob, token_id, state)


def _ada_untouched(world: World) -> None:
    headers = world.ada.headers
    assert world.client.get("/api/v1/study/cards/chain-rule", headers=headers).json() == (
        world.ada_state
    )
    assert len(world.client.get("/api/v1/reviews", headers=headers).json()) == 1
    assert [t["id"] for t in world.client.get("/api/v1/tokens", headers=headers).json()] == [
        world.ada_token_id
    ]


def _revoke_adas_token(w: World) -> None:
    assert w.as_bob("DELETE", f"/api/v1/tokens/{w.ada_token_id}").status_code == 404


def _list_tokens(w: World) -> None:
    ids = [t["id"] for t in w.as_bob("GET", "/api/v1/tokens").json()]
    assert w.ada_token_id not in ids and len(ids) == 1


def _read_state(w: World) -> None:
    assert w.as_bob("GET", "/api/v1/study/cards/chain-rule").json()["state"] == "new"


def _list_reviews(w: World) -> None:
    assert w.as_bob("GET", "/api/v1/reviews").json() == []


def _undo(w: World) -> None:
    assert w.as_bob("POST", "/api/v1/reviews/undo").status_code == 409


def _stats(w: World) -> None:
    stats = w.as_bob("GET", "/api/v1/stats").json()
    assert sum(day["reviews"] for day in stats["reviews_per_day"]) == 0
    assert stats["counts"]["review"] == 0


def _me(w: World) -> None:
    assert w.as_bob("GET", "/api/v1/me").json()["name"] == "bob"


def _next(w: World) -> None:
    assert w.as_bob("GET", "/api/v1/study/next").json()["state"] is None


def _flags(w: World) -> None:
    for action in ("suspend", "bury", "reset"):
        changed = w.as_bob("POST", f"/api/v1/study/cards/chain-rule/{action}").json()
        assert changed["stability"] is None  # bob's own row: never ada's schedule


def _settings_change(w: World) -> None:
    w.as_bob("PATCH", "/api/v1/me/settings", json={"time_zone": "Asia/Tokyo"})
    assert w.client.get("/api/v1/me", headers=w.ada.headers).json()["time_zone"] == "UTC"


def _web_revoke(w: World) -> None:
    w.client.cookies.clear()
    assert login(w.client, "bob").status_code == 303
    token = csrf(w.client, "/settings")
    response = w.client.post(
        f"/settings/tokens/{w.ada_token_id}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 404


def _export_reviews(w: World) -> None:
    exported = w.as_bob("GET", "/api/v1/reviews/export")
    assert exported.status_code == 200
    assert len(exported.text.strip().splitlines()) == 1  # the header row, none of ada's reviews


def _web_stats_and_home(w: World) -> None:
    w.client.cookies.clear()
    login(w.client, "bob")
    stats = w.client.get("/stats")
    assert stats.status_code == 200 and "ada" not in stats.text
    stats_api = w.client.get("/api/v1/stats", headers=w.bob.headers).json()
    assert stats_api["counts"]["review"] == 0


def _web_settings(w: World) -> None:
    w.client.cookies.clear()
    login(w.client, "bob")
    page = BeautifulSoup(w.client.get("/settings").text, "html.parser")
    for select in page.select("select"):  # zone names such as America/Grenada contain "ada"
        select.decompose()
    assert "Settings for bob" in page.get_text() and "ada" not in str(page)


@pytest.mark.parametrize(
    "attempt",
    [
        _revoke_adas_token,
        _list_tokens,
        _read_state,
        _list_reviews,
        _undo,
        _stats,
        _me,
        _next,
        _flags,
        _settings_change,
        _web_revoke,
        _web_settings,
        _export_reviews,
        _web_stats_and_home,
    ],
)
def test_user_b_never_reaches_user_as_data(world: World, attempt: Callable[[World], None]) -> None:
    attempt(world)
    _ada_untouched(world)


def test_per_user_endpoints_need_a_token_or_session(study_client: TestClient) -> None:
    # One app for the whole list: a database per endpoint would only make the suite slow.
    for method, path in PER_USER_API:
        response = study_client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"]


def test_bad_authorization_headers_are_401(study_client: TestClient) -> None:
    for header in ["Bearer gc_not-a-token", "Bearer", "Basic abc", "gc_x"]:
        response = study_client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"


def test_read_only_card_endpoints_stay_public(study_client: TestClient) -> None:
    assert study_client.get("/api/v1/cards/chain-rule").status_code == 200
    assert study_client.get("/api/v1/decks").status_code == 200


def test_the_per_user_list_covers_every_private_api_route(study_client: TestClient) -> None:
    # A new per-user endpoint must join PER_USER_API (and so the checks above) to pass.
    listed = {path for _, path in PER_USER_API}
    for route in study_client.app.routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if not path.startswith("/api/v1") or path.startswith(PUBLIC_API_PREFIXES):
            continue
        concrete = path.replace("{slug}", "chain-rule").replace("{token_id}", "1")
        concrete = concrete.replace("{action}", "suspend")
        assert concrete in listed, f"{path} is not in PER_USER_API"

"""Sign-up, log-in and log-out in the browser: CSRF, wrong passwords, limits, session rotation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.auth.sessions import COOKIE_NAME
from app.config import Settings
from app.main import create_app
from tests.auth.helpers import PASSWORD, csrf, login, signup
from tests.conftest import Account, FakeClock


def test_sign_up_logs_in_lands_on_the_welcome_and_the_nav_shows_log_out(
    study_client: TestClient,
) -> None:
    response = signup(study_client, "Grace")
    assert response.status_code == 303
    assert response.headers["location"] == "/welcome"
    page = BeautifulSoup(study_client.get("/welcome").text, "html.parser")
    assert page.select_one("h1").get_text() == "Welcome, grace"  # type: ignore[union-attr]
    actions = {a.get_text(): a["href"] for a in page.select(".welcome-step a.button")}
    assert actions == {
        "Start studying": "/study",
        "Take a quiz": "/quiz",
        "See a live demo": "/demos/chain_rule",
    }
    assert page.select_one("select#time_zone option[selected]").get_text() == "UTC"  # type: ignore[union-attr]
    assert page.select_one("form.nav-logout") is not None
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_log_out_needs_the_csrf_token_and_ends_the_session(study_client: TestClient) -> None:
    signup(study_client, "grace")
    assert study_client.post("/logout", follow_redirects=False).status_code == 403
    token = csrf(study_client, "/settings")
    out = study_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert study_client.get("/settings", follow_redirects=False).status_code == 303


def test_forms_without_the_right_csrf_token_are_403(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    csrf(study_client, "/login")  # a session exists, so only the token is missing or wrong
    for token in [None, "", "wrong-token"]:
        data = {"name": "ada", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        for path in ("/login", "/signup"):
            response = study_client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, token)
            assert "form expired" in response.text


def test_wrong_password_and_unknown_name_get_the_same_answer(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    wrong = login(study_client, "ada", "not the password")
    unknown = login(study_client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert "Wrong name or password." in response.text


def test_failed_logins_are_rate_limited_per_account_with_retry_after(
    study_client: TestClient,
    make_account: Callable[[str], Account],
    study_settings: Settings,
    clock: FakeClock,
) -> None:
    make_account("ada")
    for _ in range(study_settings.login_attempts_per_account):
        assert login(study_client, "ada", "not the password").status_code == 400
    blocked = login(study_client, "ada", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == study_settings.login_window_seconds
    clock.advance(seconds=study_settings.login_window_seconds + 1)
    assert login(study_client, "ada", PASSWORD).status_code == 303


def test_failed_logins_are_rate_limited_per_address(
    study_settings: Settings, clock: FakeClock, make_account: Callable[[str], Account]
) -> None:
    settings = study_settings.model_copy(update={"login_attempts_per_address": 3})
    make_account("ada")
    with TestClient(create_app(settings, clock=clock)) as client:
        for name in ("x1", "x2", "x3"):
            assert login(client, name, "not the password").status_code == 400
        limited = login(client, "ada", PASSWORD)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0


def test_the_session_id_rotates_at_login_and_the_old_one_is_dead(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    csrf(study_client, "/login")
    before = study_client.cookies[COOKIE_NAME]
    assert login(study_client, "ada").status_code == 303
    after = study_client.cookies[COOKIE_NAME]
    assert after != before
    study_client.cookies.clear()
    study_client.cookies.set(COOKIE_NAME, before)
    assert study_client.get("/settings", follow_redirects=False).status_code == 303
    study_client.cookies.clear()
    study_client.cookies.set(COOKIE_NAME, after)
    assert study_client.get("/settings").status_code == 200


def test_a_forged_cookie_is_ignored(study_client: TestClient) -> None:
    study_client.cookies.set(COOKIE_NAME, "made-up.signature")
    assert study_client.get("/settings", follow_redirects=False).status_code == 303


@pytest.fixture
def closed_client(study_settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    settings = study_settings.model_copy(update={"signup": "closed"})
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def test_closed_sign_up_refuses_accounts(closed_client: TestClient) -> None:
    page = closed_client.get("/signup")
    assert page.status_code == 403
    assert "Sign-up is closed" in page.text
    token = csrf(closed_client, "/login")
    response = closed_client.post(
        "/signup", data={"name": "eve", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert "closed" in response.text
    assert login(closed_client, "eve").status_code == 400


@pytest.mark.parametrize(
    ("name", "password", "words"),
    [("ok-name", "short", "at least 10"), ("no spaces!", PASSWORD, "2-40 characters")],
)
def test_bad_sign_ups_say_why(
    study_client: TestClient, name: str, password: str, words: str
) -> None:
    response = signup(study_client, name, password)
    assert response.status_code == 400
    assert words in response.text


def test_a_taken_name_is_refused(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    make_account("ada")
    response = signup(study_client, "ADA")
    assert response.status_code == 400
    assert "taken" in response.text


def test_a_visitor_sent_from_study_is_told_why_and_offered_a_sign_up(
    study_client: TestClient,
) -> None:
    sent = study_client.get("/study", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=%2Fstudy"
    page = BeautifulSoup(study_client.get(sent.headers["location"]).text, "html.parser")
    assert page.select_one("h1").get_text() == "Log in to study"  # type: ignore[union-attr]
    offer = page.select_one(".login-why a")
    assert offer is not None and offer["href"] == "/signup?next=/study"
    stats = BeautifulSoup(study_client.get("/stats").text, "html.parser")
    assert stats.select_one("h1").get_text() == "Log in to see your stats"  # type: ignore[union-attr]
    # The plain login page does not pretend to know why the visitor came.
    plain = BeautifulSoup(study_client.get("/login").text, "html.parser")
    assert plain.select_one("h1").get_text() == "Log in"  # type: ignore[union-attr]
    assert plain.select_one(".login-why") is None


def test_signing_up_from_study_welcomes_then_carries_on_to_study(study_client: TestClient) -> None:
    token = csrf(study_client, "/signup?next=/study")
    response = study_client.post(
        "/signup",
        data={"name": "grace", "password": PASSWORD, "csrf_token": token, "next": "/study"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/welcome?next=%2Fstudy"
    page = BeautifulSoup(study_client.get(response.headers["location"]).text, "html.parser")
    start = page.select_one(".welcome-step a.button")
    assert start is not None and start["href"] == "/study"


def test_logged_in_users_asking_for_login_or_signup_go_home(study_client: TestClient) -> None:
    signup(study_client, "grace")
    for path in ("/login", "/signup"):
        response = study_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", path
    response = study_client.get("/login?next=%2Fstats", follow_redirects=False)
    assert response.headers["location"] == "/stats"
    response = study_client.get("/login?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_the_welcome_saves_a_time_zone_and_says_so(study_client: TestClient) -> None:
    signup(study_client, "grace")
    token = csrf(study_client, "/welcome")
    saved = study_client.post(
        "/settings",
        data={"time_zone": "Asia/Tokyo", "next": "/welcome?saved=1", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/welcome?saved=1"
    page = BeautifulSoup(study_client.get("/welcome?saved=1").text, "html.parser")
    assert "Asia/Tokyo" in page.select_one(".saved").get_text()  # type: ignore[union-attr]
    # Only the time zone was sent: the other settings keep their values.
    me = study_client.get("/api/v1/me").json()
    assert (me["time_zone"], me["new_per_day"], me["desired_retention"]) == ("Asia/Tokyo", 10, 0.9)


def test_the_welcome_needs_a_login(study_client: TestClient) -> None:
    response = study_client.get("/welcome", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fwelcome"

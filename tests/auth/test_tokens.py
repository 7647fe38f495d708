"""API tokens: made on the settings page (shown once) or by the CLI, revoked, and cookie CSRF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.models import ApiToken
from tests.auth.helpers import csrf, signup
from tests.conftest import Account


def test_a_token_made_on_the_settings_page_is_shown_once_and_works(
    study_client: TestClient, study_db: sessionmaker[Session]
) -> None:
    signup(study_client, "grace")
    made = study_client.post(
        "/settings/tokens", data={"name": "laptop", "csrf_token": csrf(study_client, "/settings")}
    )
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    token = BeautifulSoup(made.text, "html.parser").select_one("code.token-value").get_text()  # type: ignore[union-attr]
    assert token not in study_client.get("/settings").text
    with study_db() as db:
        assert db.scalars(select(ApiToken.token_hash)).one() != token  # stored hashed
    me = study_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "grace"


def test_a_revoked_token_is_401(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    ada = make_account("ada")
    token_id = study_client.get("/api/v1/tokens", headers=ada.headers).json()[0]["id"]
    assert study_client.delete(f"/api/v1/tokens/{token_id}", headers=ada.headers).status_code == 204
    refused = study_client.get("/api/v1/me", headers=ada.headers)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


def test_revoking_a_token_id_beyond_any_integer_column_is_404(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    ada = make_account("ada")
    for token_id in (2**31, 2**63, 10**30):
        response = study_client.delete(f"/api/v1/tokens/{token_id}", headers=ada.headers)
        assert response.status_code == 404, token_id


def test_revoking_on_the_settings_page(study_client: TestClient) -> None:
    signup(study_client, "grace")
    made = study_client.post(
        "/settings/tokens", data={"name": "cli", "csrf_token": csrf(study_client, "/settings")}
    )
    token = BeautifulSoup(made.text, "html.parser").select_one("code.token-value").get_text()  # type: ignore[union-attr]
    form = BeautifulSoup(study_client.get("/settings").text, "html.parser").select_one(
        ".token-list form"
    )
    assert form is not None
    study_client.post(str(form["action"]), data={"csrf_token": csrf(study_client, "/settings")})
    assert (
        study_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_the_settings_form_saves_and_explains_bad_values(study_client: TestClient) -> None:
    signup(study_client, "grace")
    token = csrf(study_client, "/settings")
    fields = {"desired_retention": "0.8", "new_per_day": "5", "reviews_per_day": "50"}
    bad = study_client.post("/settings", data={**fields, "time_zone": "Nowhere/Land",
                                               "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "not a time zone" in bad.text
    # The refused form keeps what was typed in the other fields, and nothing was saved.
    form = BeautifulSoup(bad.text, "html.parser")
    assert form.select_one("#new_per_day")["value"] == "5"  # type: ignore[index]
    assert form.select_one("#desired_retention")["value"] == "0.8"  # type: ignore[index]
    assert study_client.get("/api/v1/me").json()["new_per_day"] == 10
    good = study_client.post(
        "/settings",
        data={**fields, "time_zone": "Europe/Paris", "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303 and good.headers["location"] == "/settings?saved=1"
    saved = BeautifulSoup(study_client.get(good.headers["location"]).text, "html.parser")
    assert saved.select_one(".saved").get_text() == "Settings saved."  # type: ignore[union-attr]
    chosen = saved.select_one("select#time_zone option[selected]")
    assert chosen is not None and chosen.get_text() == "Europe/Paris"
    assert study_client.get("/api/v1/me").json()["time_zone"] == "Europe/Paris"
    assert study_client.get("/api/v1/me").json()["new_per_day"] == 5


def test_the_api_with_a_session_cookie_needs_the_csrf_header_to_write(
    study_client: TestClient,
) -> None:
    signup(study_client, "grace")
    body = {"card": "chain-rule", "rating": 3}
    assert study_client.post("/api/v1/reviews", json=body).status_code == 403
    token = csrf(study_client, "/settings")
    ok = study_client.post("/api/v1/reviews", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


@pytest.fixture
def cli_env(
    study_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.setenv("GRADCARDS_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("GRADCARDS_DATABASE_URL", study_settings.database_url)
    monkeypatch.setenv("GRADCARDS_SIGNUP", "closed")
    monkeypatch.setenv("GRADCARDS_PASSWORD_HASH_MEMORY_KIB", "8")
    monkeypatch.setenv("GRADCARDS_PASSWORD_HASH_TIME_COST", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_cli_adds_users_even_with_sign_up_closed_and_prints_a_token(
    study_client: TestClient,
) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "Linus", "--password", "a long enough one"])
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(cli, ["user", "add", "ken"], input="another password\n" * 2)
    assert prompted.exit_code == 0, prompted.output
    made = runner.invoke(cli, ["token", "create", "linus"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    me = study_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "linus"
    assert runner.invoke(cli, ["token", "create", "nobody"]).exit_code == 1
    short = runner.invoke(cli, ["user", "add", "x2", "--password", "short"])
    assert short.exit_code == 1 and "at least 10" in short.output

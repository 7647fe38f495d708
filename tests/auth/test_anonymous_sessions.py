"""Visitors who have not logged in cost the database nothing, yet their forms carry CSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import AuthSession
from tests.auth.helpers import signup


def session_rows(study_db: sessionmaker[Session]) -> int:
    with study_db() as db:
        return int(db.scalar(select(func.count()).select_from(AuthSession)) or 0)


def test_cookieless_visits_to_the_forms_write_no_session_rows(
    study_client: TestClient, study_db: sessionmaker[Session]
) -> None:
    for path in ("/login", "/signup") * 10:
        study_client.cookies.clear()
        assert study_client.get(path).status_code == 200
    assert session_rows(study_db) == 0


def test_an_anonymous_csrf_token_works_once_signed_and_not_with_another_cookie(
    study_client: TestClient, study_db: sessionmaker[Session]
) -> None:
    assert signup(study_client, "grace").status_code == 303
    assert session_rows(study_db) == 1  # the logged-in session only

    study_client.cookies.clear()
    study_client.get("/login")  # a fresh anonymous cookie
    stale = "not-the-token-of-this-cookie"
    response = study_client.post(
        "/login", data={"name": "grace", "password": "x" * 12, "csrf_token": stale}
    )
    assert response.status_code == 403

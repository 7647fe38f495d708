"""Browser-like helpers: read a form's CSRF token, sign up, log in."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from httpx2 import Response

PASSWORD = "correct horse battery"


def csrf(client: TestClient, path: str) -> str:
    """The CSRF token in the first form of the page at `path`."""
    page = BeautifulSoup(client.get(path).text, "html.parser")
    field = page.select_one("main form input[name=csrf_token]")
    assert field is not None, f"no CSRF field on {path}"
    return str(field["value"])


def login(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    """Post the login form as a browser would (follow_redirects off)."""
    token = csrf(client, "/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def signup(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    """Post the sign-up form."""
    token = csrf(client, "/signup")
    return client.post(
        "/signup",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )

"""HTTP checks for scripts/docker-smoke (standard library only, so any python3 can run them).

python3 scripts/smoke_checks.py first  URL STATE_DIR   # decks, sign up, post a review
python3 scripts/smoke_checks.py second URL STATE_DIR   # after a restart: all still there
"""

from __future__ import annotations

import http.cookiejar
import json
import sys
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

USER, PASSWORD = "smoke-user", "correct horse battery staple"
EXTRA_DECK = "smoke-extra"  # the deck docker-smoke mounts in /decks


class _CsrfField(HTMLParser):
    """Finds the value of the first <input name="csrf_token">."""

    def __init__(self) -> None:
        super().__init__()
        self.value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name") == "csrf_token" and self.value is None:
            self.value = named.get("value")


class Browser:
    """A cookie-keeping client whose cookies live in STATE_DIR between runs."""

    def __init__(self, base: str, state: Path) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.MozillaCookieJar(state / "cookies.txt")
        if Path(str(self.jar.filename)).exists():
            self.jar.load(ignore_discard=True)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        finally:
            self.jar.save(ignore_discard=True)

    def json(self, path: str, body: Any = None, csrf: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers |= {"Content-Type": "application/json", "X-CSRF-Token": csrf or ""}
        status, raw = self.request(path, data=data, headers=headers)
        return status, json.loads(raw or b"null")

    def csrf(self, page: str) -> str:
        status, raw = self.request(page)
        check(status == 200, f"GET {page} answered {status}")
        parser = _CsrfField()
        parser.feed(raw.decode())
        check(parser.value is not None, f"no csrf_token field on {page}")
        return str(parser.value)

    def submit(self, page: str, fields: dict[str, str]) -> int:
        form = {**fields, "csrf_token": self.csrf(page)}
        status, _ = self.request(page, data=urllib.parse.urlencode(form).encode())
        return status


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"smoke check failed: {message}")


def decks_are_served(browser: Browser) -> str:
    """The bundled deck and the mounted one are listed; returns a card slug to review."""
    status, decks = browser.json("/api/v1/decks")
    check(status == 200, f"/api/v1/decks answered {status}")
    slugs = {deck["slug"] for deck in decks}
    check({"backprop", EXTRA_DECK} <= slugs, f"decks served: {sorted(slugs)}")
    status, cards = browser.json("/api/v1/cards?deck=backprop&limit=200")
    check(status == 200 and len(cards["items"]) == 15, f"backprop cards: {status}")
    return str(cards["items"][0]["slug"])


def first(browser: Browser) -> None:
    card = decks_are_served(browser)
    status = browser.submit("/signup", {"name": USER, "password": PASSWORD})
    check(status == 200, f"sign-up answered {status}")
    body = {"card": card, "rating": 3, "duration_ms": 4000, "idempotency_key": "smoke-1"}
    status, review = browser.json("/api/v1/reviews", body, csrf=browser.csrf("/settings"))
    check(status == 201, f"POST /api/v1/reviews answered {status}: {review}")
    print(f"signed up {USER}, reviewed {card}")


def second(browser: Browser) -> None:
    decks_are_served(browser)
    # The cookie from before the restart still works: the secret key was kept in /data.
    status, me = browser.json("/api/v1/me")
    check(status == 200 and me["name"] == USER, f"old session after restart: {status}")
    browser.jar.clear()
    status = browser.submit("/login", {"name": USER, "password": PASSWORD})
    check(status == 200, f"login answered {status}")
    status, reviews = browser.json("/api/v1/reviews")
    check(status == 200 and len(reviews) == 1, f"reviews after restart: {status} {reviews}")
    print(f"after the restart: {USER} logs in, 1 review kept")


def main() -> None:
    phase, base, state = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    {"first": first, "second": second}[phase](Browser(base, state))


if __name__ == "__main__":
    main()

"""Two `gradcards serve` processes on one database: a user's requests alternate between them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.db import make_engine, make_sessionmaker
from app.models import ReviewLog
from tests.conftest import CONTENT_DIR, TEST_SECRET
from tests.servers import running_server

PASSWORD = "correct horse battery"


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two servers on the test's database; each has a data dir of its own, the secret is shared."""
    env = {
        "GRADCARDS_DATABASE_URL": database_url,
        "GRADCARDS_CONTENT_DIR": str(CONTENT_DIR),
        "GRADCARDS_EXTRA_CONTENT_DIR": "",
        "GRADCARDS_SECRET_KEY": TEST_SECRET,
        "GRADCARDS_PASSWORD_HASH_TIME_COST": "1",
        "GRADCARDS_PASSWORD_HASH_MEMORY_KIB": "8",
        "GRADCARDS_LOG_LEVEL": "warning",
        "GRADCARDS_WORKERS": "1",
    }
    # One after the other: the first migrates and loads, the second finds nothing to do.
    with (
        running_server({**env, "GRADCARDS_DATA_DIR": str(tmp_path / "a")}, tmp_path / "a.log") as a,
        running_server({**env, "GRADCARDS_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log") as b,
    ):
        yield a, b


def csrf(client: httpx2.Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    field = BeautifulSoup(response.text, "html.parser").select_one('input[name="csrf_token"]')
    assert field is not None, f"no csrf_token on {url}"
    return str(field["value"])


def submit(client: httpx2.Client, page: str, post_to: str, fields: dict[str, str]) -> None:
    """Fetch the form from one server and post it to the other: the session is shared."""
    form = {**fields, "csrf_token": csrf(client, page)}
    response = client.post(post_to, data=form)
    assert response.status_code == 303, response.text


def test_sessions_and_reviews_work_across_two_instances(
    two_servers: tuple[str, str], database_url: str
) -> None:
    a, b = two_servers
    cards = httpx2.get(f"{b}/api/v1/cards?deck=backprop&limit=6").json()["items"]
    slugs = [card["slug"] for card in cards]
    with httpx2.Client(timeout=30) as signup:
        submit(signup, f"{a}/signup", f"{b}/signup", {"name": "ada", "password": PASSWORD})
    with httpx2.Client(timeout=30) as client:
        # Log in on one, then review alternately on each, with the CSRF token of the other.
        submit(client, f"{b}/login", f"{a}/login", {"name": "ada", "password": PASSWORD})
        token = csrf(client, f"{b}/settings")
        bases = [a, b]
        for index, slug in enumerate(slugs):
            base = bases[index % 2]
            body = {"card": slug, "rating": 3, "idempotency_key": f"r{index}"}
            response = client.post(
                f"{base}/api/v1/reviews", json=body, headers={"X-CSRF-Token": token}
            )
            assert response.status_code == 201, (base, response.text)
        # The same review sent to both at once is stored once.
        body = {"card": slugs[0], "rating": 4, "idempotency_key": "twice"}
        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(
                pool.map(
                    lambda base: (
                        client.post(
                            f"{base}/api/v1/reviews", json=body, headers={"X-CSRF-Token": token}
                        ).status_code
                    ),
                    bases,
                )
            )
        assert statuses == [200, 201]
        seen = [client.get(f"{base}/api/v1/reviews?limit=500").json() for base in bases]
        assert seen[0] == seen[1]
        assert [review["card"] for review in seen[0]] == [slugs[0], *reversed(slugs)]
        assert client.get(f"{a}/api/v1/me").json()["name"] == "ada"
        assert client.get(f"{b}/api/v1/me").json()["name"] == "ada"

    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(ReviewLog))
        keys = session.scalars(select(ReviewLog.idempotency_key)).all()
    engine.dispose()
    assert stored == len(slugs) + 1
    assert len(set(keys)) == len(keys)

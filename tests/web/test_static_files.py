"""Static files: every link carries the content's hash and is cached for a year; text is sent
gzip-compressed to clients that accept it; a file without the hash must be revalidated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.web.static_files import IMMUTABLE, REVALIDATE, fingerprint
from tests.conftest import REPO

STATIC = REPO / "static"
LINK = re.compile(r'(?:href|src)="(?:http://testserver)?(/static/[^"]+)"')


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # The login page needs no database rows, only the schema-free static mount and templates.
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'g.db'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def static_links(client: TestClient) -> list[str]:
    page = client.get("/login")
    assert page.status_code == 200
    return LINK.findall(page.text)


def test_every_static_link_names_its_content(client: TestClient) -> None:
    links = static_links(client)
    assert len(links) >= 4
    for link in links:
        path, _, query = link.partition("?")
        expected = fingerprint(STATIC, path.removeprefix("/static/"))
        assert query == f"v={expected}", link


def test_a_fingerprinted_stylesheet_is_gzipped_and_immutable(client: TestClient) -> None:
    link = next(link for link in static_links(client) if "css/app.css" in link)
    response = client.get(link, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"].startswith("text/css")
    # httpx decodes gzip for us; the bytes on the wire are smaller than the file.
    original = (STATIC / "css" / "app.css").read_bytes()
    assert response.content == original
    assert int(response.headers["content-length"]) < len(original)
    again = client.get(
        link, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_without_gzip_or_with_a_range_the_file_is_sent_as_is(client: TestClient) -> None:
    link = next(link for link in static_links(client) if "css/app.css" in link)
    plain = client.get(link, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == (STATIC / "css" / "app.css").read_bytes()
    ranged = client.get(link, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert ranged.status_code == 206 and "content-encoding" not in ranged.headers
    assert len(ranged.content) == 10


def test_an_unversioned_url_must_be_revalidated_and_a_missing_file_is_404(
    client: TestClient,
) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and response.headers["cache-control"] == REVALIDATE
    assert client.get("/static/css/nope.css").status_code == 404
    assert client.get("/static/../app/config.py").status_code == 404


def test_the_fingerprint_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body { color: red }")
    first = fingerprint(tmp_path, "a.css")
    (tmp_path / "a.css").write_text("body { color: blue; }")
    assert fingerprint(tmp_path, "a.css") not in (None, first)
    assert fingerprint(tmp_path, "missing.css") is None

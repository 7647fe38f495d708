"""The card page's live demo: checks, steps as matrices, the params form and the fragment."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

CARD = "/cards/linear-layer-backward"


def soup_of(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


def test_card_page_shows_its_demo_with_checks_steps_and_a_form(loaded_client: TestClient) -> None:
    soup = soup_of(loaded_client, CARD)
    demo = soup.select_one("section#demo")
    assert demo is not None
    checks = demo.select(".checks .check")
    assert checks and all("pass" in check["class"] for check in checks)
    assert all(check.select_one(".check-measure") for check in checks)
    first = demo.select(".steps .step")[0]
    assert first.select_one(".step-label").get_text() == "X"  # type: ignore[union-attr]
    assert first.select_one(".step-shape").get_text() == "4×3"  # type: ignore[union-attr]
    assert len(first.select("table.matrix tr")) == 4
    fields = {i["name"]: i for i in demo.select("form.demo-form input[type=number]")}
    assert set(fields) == {"seed", "batch", "n_in", "n_out"}
    assert (fields["batch"]["min"], fields["batch"]["max"]) == ("1", "32")
    scripts = [str(tag["src"]) for tag in soup.select("script[src]")]
    assert any(
        src.split("?")[0].endswith("/static/vendor/chartjs/chart.umd.min.js") for src in scripts
    )
    assert any(src.split("?")[0].endswith("/static/js/demo.js") for src in scripts)


def test_params_in_the_query_rerun_the_demo(loaded_client: TestClient) -> None:
    soup = soup_of(loaded_client, f"{CARD}?batch=2&seed=5")
    first = soup.select(".steps .step")[0]
    assert first.select_one(".step-shape").get_text() == "2×3"  # type: ignore[union-attr]
    batch = soup.select_one("form.demo-form input[name=batch]")
    assert batch is not None and batch["value"] == "2"


def test_out_of_range_params_show_the_bound_and_keep_the_form(loaded_client: TestClient) -> None:
    soup = soup_of(loaded_client, f"{CARD}?batch=99", status=422)
    error = soup.select_one(".demo-error")
    assert error is not None
    assert "batch: Input should be less than or equal to 32" in error.get_text()
    assert soup.select_one("form.demo-form") is not None
    assert soup.select_one("h1.question") is not None  # the card itself still renders


def test_fragment_is_just_the_demo_section(loaded_client: TestClient) -> None:
    response = loaded_client.get(f"{CARD}/demo", params={"seed": 2})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("section#demo") is not None
    assert soup.select_one("header.site-header") is None
    assert loaded_client.get("/cards/nope/demo").status_code == 404
    assert loaded_client.get(f"{CARD}/demo", params={"seed": "x"}).status_code == 422


def test_the_gallery_links_every_demo_and_each_page_runs(client: TestClient) -> None:
    from app.demos import REGISTRY

    soup = soup_of(client, "/demos")
    links = {str(a["href"]).rsplit("/", 1)[-1] for a in soup.select(".demo-gallery a")}
    assert links == set(REGISTRY)
    for name in REGISTRY:
        page = soup_of(client, f"/demos/{name}?seed=1")
        checks = page.select("section#demo .check")
        assert checks and all("pass" in check["class"] for check in checks), name


def test_a_demo_page_with_bad_params_and_an_unknown_demo(client: TestClient) -> None:
    soup = soup_of(client, "/demos/linear_backward?batch=0", status=422)
    assert "batch" in soup.select_one(".demo-error").get_text()  # type: ignore[union-attr]
    soup_of(client, "/demos/no_such_demo", status=404)
    fragment = client.get("/demos/linear_backward/fragment", params={"seed": 3})
    assert fragment.status_code == 200
    assert "site-header" not in fragment.text


def test_a_card_page_runs_its_demo_once_per_params_per_worker(loaded_client: TestClient) -> None:
    """The card's demo at the card's params is the same on every view (a run is a pure function
    of its params), so it is computed once; other params are another run, bad ones a 422."""
    from app.web import demo_view

    demo_view.demo_views.cache_clear()
    first = loaded_client.get(CARD)
    again = loaded_client.get(CARD)
    assert first.text == again.text
    assert demo_view.demo_views.cache_info().misses == 1
    assert loaded_client.get(CARD + "/demo").status_code == 200  # the fragment: the same run
    assert demo_view.demo_views.cache_info()[:2] == (1, 1)  # (hits, misses)
    other = loaded_client.get(CARD + "?seed=5")
    assert other.status_code == 200 and other.text != first.text
    assert demo_view.demo_views.cache_info().misses == 2
    assert loaded_client.get(CARD + "?batch=999").status_code == 422


def test_a_category_bar_chart_names_its_bars(loaded_client: TestClient) -> None:
    soup = soup_of(loaded_client, "/demos/zero_sharding")
    canvas = soup.select_one("canvas[data-chart]")
    assert canvas is not None
    spec = json.loads(str(canvas["data-chart"]))
    assert spec["x_labels"] == ["DP", "ZeRO-1", "ZeRO-2", "ZeRO-3"]
    rows = [th.get_text() for th in soup.select(".chart-data tbody th")]
    assert rows == spec["x_labels"]

"""The demo API: list with schemas, runs with params, a card's demo, and clear 4xx errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.demos import REGISTRY

API = "/api/v1"


def test_demos_lists_every_registered_demo_with_its_bounds(client: TestClient) -> None:
    body = client.get(f"{API}/demos").json()
    assert [demo["name"] for demo in body] == sorted(REGISTRY)
    linear = next(demo for demo in body if demo["name"] == "linear_backward")
    batch = linear["params_schema"]["properties"]["batch"]
    assert (batch["minimum"], batch["maximum"], batch["default"]) == (1, 32, 4)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_demo_runs_through_the_api_and_passes(client: TestClient, name: str) -> None:
    response = client.get(f"{API}/demos/{name}", params={"seed": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == name
    assert body["params"]["seed"] == 3
    assert body["passed"] is True
    assert body["checks"] and all(check["passed"] for check in body["checks"])
    assert body["steps"]


def test_params_change_the_numbers(client: TestClient) -> None:
    small = client.get(f"{API}/demos/linear_backward", params={"batch": 2, "n_in": 2}).json()
    x = small["steps"][0]["value"]
    assert x["shape"] == [2, 2]
    again = client.get(f"{API}/demos/linear_backward", params={"batch": 2, "n_in": 2}).json()
    other = client.get(f"{API}/demos/linear_backward", params={"batch": 2, "n_in": 2, "seed": 9})
    assert again["steps"][0]["value"] == x
    assert other.json()["steps"][0]["value"] != x


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ("batch=33", "batch: Input should be less than or equal to 32"),
        ("batch=0", "batch: Input should be greater than or equal to 1"),
        ("batch=two", "batch: Input should be a valid integer"),
        ("seed=-1", "seed: Input should be greater than or equal to 0"),
        ("width=3", "width: unknown parameter; this demo takes batch, n_in, n_out, seed"),
        ("n_inn=3", "n_inn: unknown parameter; did you mean 'n_in'?"),
        ("seed=1&seed=2", "seed: given more than once"),
    ],
)
def test_bad_params_get_422_naming_the_bound(client: TestClient, query: str, phrase: str) -> None:
    response = client.get(f"{API}/demos/linear_backward?{query}")
    assert response.status_code == 422
    assert phrase in response.json()["detail"]


def test_unknown_demo_is_404(client: TestClient) -> None:
    response = client.get(f"{API}/demos/no_such_demo")
    assert response.status_code == 404
    assert response.json() == {"detail": "demo 'no_such_demo' not found"}


def test_a_cards_demo_uses_the_cards_demo(loaded_client: TestClient) -> None:
    response = loaded_client.get(f"{API}/cards/linear-layer-backward/demo", params={"seed": 4})
    assert response.status_code == 200
    assert response.json()["name"] == "linear_backward"
    assert response.json()["params"]["seed"] == 4
    assert loaded_client.get(f"{API}/cards/nope/demo").status_code == 404
    bad = loaded_client.get(f"{API}/cards/linear-layer-backward/demo", params={"n_out": 99})
    assert bad.status_code == 422

"""Regression tests for what schemathesis found (issue 11), one per finding.

ST103 undocumented statuses, ST205 the Allow header of a 405, ST201 a request the schema forbids
accepted, ST202 requests the schema allows refused. tests/test_schemathesis.py runs the fuzzer
itself; these pin each fix down without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account


def operations(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    schema = client.get("/openapi.json").json()
    return {
        (method.upper(), path): operation
        for path, ops in schema["paths"].items()
        for method, operation in ops.items()
    }


def test_every_operation_documents_the_statuses_around_it(study_client: TestClient) -> None:
    found = operations(study_client)
    for (method, path), operation in found.items():
        responses = operation["responses"]
        assert {"413", "503"} <= set(responses), (method, path)  # body limit, busy database
        if "requestBody" in operation:
            assert "400" in responses, (method, path)  # a body that is not UTF-8 JSON text
    # ST103: the export answered 401 undocumented; a replayed review answers 200.
    assert {"401", "403"} <= set(found["GET", "/api/v1/reviews/export"]["responses"])
    assert {"200", "201"} <= set(found["POST", "/api/v1/reviews"]["responses"])
    assert "503" in found["GET", "/healthz"]["responses"]


def test_an_unreadable_body_is_the_documented_400(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    headers = {**make_account("ada").headers, "Content-Type": "application/json"}
    answer = study_client.post("/api/v1/reviews", content=b"\xff\xfe{", headers=headers)
    assert answer.status_code == 400 and answer.json()["detail"]


def test_a_405_allows_every_method_of_the_path(study_client: TestClient) -> None:
    # ST205: GET and POST /api/v1/reviews are two routes; Starlette named only the first.
    answer = study_client.options("/api/v1/reviews")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, POST"
    assert answer.json() == {"detail": "Method Not Allowed"}
    assert study_client.put("/api/v1/tokens/1").headers["allow"] == "DELETE"
    assert study_client.delete("/api/v1/cards/x").headers["allow"] == "GET, HEAD"


def test_settings_refuse_what_the_schema_forbids(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    headers = make_account("ada").headers
    # ST201: `false` was taken as 0 reviews a day.
    for body in (
        {"reviews_per_day": False},
        {"new_per_day": "5"},
        {"desired_retention": "0.8"},
        {"desired_retention": 1.5},
        {"new_per_day": -1},
    ):
        answer = study_client.patch("/api/v1/me/settings", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
    assert study_client.get("/api/v1/me", headers=headers).json()["reviews_per_day"] != 0


def test_settings_accept_what_the_schema_allows(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    headers = make_account("ada").headers
    schema = study_client.get("/openapi.json").json()["components"]["schemas"]["SettingsIn"]
    zone = schema["properties"]["time_zone"]["anyOf"][0]
    # ST202: any string up to 64 characters was allowed; now the zone names are listed.
    assert "Europe/Paris" in zone["enum"] and "Nowhere/Land" not in zone["enum"]
    assert "localtime" not in zone["enum"]
    # 5.0 is a JSON Schema integer.
    body = {"new_per_day": 5.0, "reviews_per_day": 100, "time_zone": zone["enum"][-1]}
    answer = study_client.patch("/api/v1/me/settings", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["new_per_day"] == 5


def test_an_integral_float_seed_is_a_seed(study_client: TestClient) -> None:
    # ST202: {"seed": 2147483646.0} is valid for `type: integer` and was refused.
    answer = study_client.post("/api/v1/exercises/chain_rule", json={"seed": 2147483646.0})
    assert answer.status_code == 200 and answer.json()["seed"] == 2147483646
    for seed in ("3", True, 3.5):
        assert (
            study_client.post("/api/v1/exercises/chain_rule", json={"seed": seed}).status_code
            == 422
        )

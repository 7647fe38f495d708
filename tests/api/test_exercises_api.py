"""The exercises API: a question for a seed, grading, and a 422 sentence for every bad answer."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.exercises import generate
from tests.exercises.client import exercise_client  # noqa: F401  (fixture)
from tests.exercises.helpers import KINDS

API = "/api/v1/exercises"


def check(client: TestClient, kind: str, body: Any, status: int = 200) -> dict[str, Any]:
    response = client.post(f"{API}/{kind}/check", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def test_list_names_every_kind_with_a_title(exercise_client: TestClient) -> None:  # noqa: F811
    kinds = exercise_client.get(API).json()
    assert sorted(k["kind"] for k in kinds) == KINDS
    assert all(k["title"] and k["summary"] for k in kinds)


@pytest.mark.parametrize("kind", KINDS)
def test_question_then_right_and_wrong_answers(exercise_client: TestClient, kind: str) -> None:  # noqa: F811
    question = exercise_client.post(f"{API}/{kind}", json={"seed": 11}).json()
    assert question["kind"] == kind and question["seed"] == 11
    assert question["prompt"] and 'class="math inline"' in question["prompt_html"]
    assert question["given"] and question["fields"]
    exercise = generate(kind, 11)
    answer = exercise.correct_answer()
    assert [f["name"] for f in question["fields"]] == list(answer)
    for field in question["fields"]:
        assert field["shape"] == list(exercise.field(field["name"]).shape)

    result = check(exercise_client, kind, {"seed": 11, "answer": answer})
    assert result["passed"] and result["wrong"] == []
    assert result["expected"] == answer
    assert result["solution"] and all("label" in step for step in result["solution"])

    last = question["fields"][-1]["name"]
    value = answer[last]
    if isinstance(value, float):
        answer[last] = value + 1
    elif isinstance(value[0], list):
        value[0][0] += 1
    else:
        value[0] += 1
    result = check(exercise_client, kind, {"seed": 11, "answer": answer})
    assert not result["passed"]
    assert len(result["wrong"]) == 1 and "you gave" in result["wrong"][0]
    wrong_field = next(f for f in result["fields"] if f["name"] == last)
    assert not wrong_field["correct"]
    assert [e["correct"] for e in wrong_field["entries"]].count(False) == 1


def test_no_seed_gives_a_random_one_that_reproduces(exercise_client: TestClient) -> None:  # noqa: F811
    first = exercise_client.post(f"{API}/chain_rule").json()
    again = exercise_client.post(f"{API}/chain_rule", json={"seed": first["seed"]}).json()
    assert again == first
    assert 0 <= exercise_client.post(f"{API}/chain_rule", json={}).json()["seed"] < 2**31


def test_unknown_kind_is_404(exercise_client: TestClient) -> None:  # noqa: F811
    for response in (
        exercise_client.post(f"{API}/nope", json={"seed": 1}),
        exercise_client.post(f"{API}/nope/check", json={"seed": 1, "answer": {}}),
    ):
        assert response.status_code == 404
        assert "no exercise kind 'nope'" in response.json()["detail"]


@pytest.mark.parametrize("seed", [-1, 2**31, "7", 1.5, True])
def test_seed_out_of_range_or_not_an_integer_is_422(exercise_client: TestClient, seed: Any) -> None:  # noqa: F811
    response = exercise_client.post(f"{API}/chain_rule", json={"seed": seed})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body.seed")
    body = {"seed": seed, "answer": {"dudx": 1, "dydu": 1, "dydx": 1}}
    assert check(exercise_client, "chain_rule", body, 422)["detail"].startswith("body.seed")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"seed": 0, "answer": {"dZ": [1, 2, 3]}},
            "dZ: expected a 2×4 matrix — a list of 2 rows of 4 numbers, got a list of 3 numbers.",
        ),
        (
            {"seed": 0, "answer": {"dZ": [["a", 0, 0, 0], [0, 0, 0, 0]]}},
            "dZ[0,0]: expected a number, got the string 'a'.",
        ),
        ({"seed": 0, "answer": {}}, "missing field: dZ."),
        ({"seed": 0}, "body.answer: Field required"),
        ({"answer": {"dZ": 1}}, "body.seed: Field required"),
        ({"seed": 0, "answer": [1]}, "body.answer: Input should be a valid dictionary"),
        ({"seed": 0, "answer": {}, "extra": 1}, "body.extra: Extra inputs are not permitted"),
    ],
)
def test_malformed_answers_are_422_with_a_sentence(
    exercise_client: TestClient,  # noqa: F811
    body: Any,
    detail: str,
) -> None:
    assert check(exercise_client, "relu_backward", body, 422)["detail"].startswith(detail)


def test_nan_and_infinity_in_raw_json_are_422_not_500(exercise_client: TestClient) -> None:  # noqa: F811
    # Python's JSON parser reads these non-standard literals; they must still be refused.
    for literal, said in [("NaN", "got NaN"), ("Infinity", "got infinity"), ("1e999", "infinity")]:
        response = exercise_client.post(
            f"{API}/chain_rule/check",
            content=f'{{"seed": 0, "answer": {{"dudx": 1, "dydu": 1, "dydx": {literal}}}}}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert said in response.json()["detail"]


def test_openapi_documents_the_exercise_routes(exercise_client: TestClient) -> None:  # noqa: F811
    paths = exercise_client.get("/openapi.json").json()["paths"]
    assert {f"{API}", f"{API}/{{kind}}", f"{API}/{{kind}}/check"} <= set(paths)

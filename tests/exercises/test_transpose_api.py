"""Through the API a transposed matrix reaches the grader: a 200 naming the transpose, no 422."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.exercises import generate
from tests.exercises.client import exercise_client  # noqa: F401  (fixture)


def test_transposed_dw_is_graded_wrong_with_a_reason(exercise_client: TestClient) -> None:  # noqa: F811
    seed = next(
        s
        for s in range(200)
        if (e := generate("linear_backward", s)).fields[0].name == "dW"
        and e.fields[0].shape[0] != e.fields[0].shape[1]
    )
    flipped = np.asarray(generate("linear_backward", seed).solution["dW"]).T.tolist()
    response = exercise_client.post(
        "/api/v1/exercises/linear_backward/check", json={"seed": seed, "answer": {"dW": flipped}}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert not result["passed"]
    [said] = result["wrong"]
    assert said.startswith("dW: this is the transpose of dL/dW: ")

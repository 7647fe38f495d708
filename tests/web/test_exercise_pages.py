"""Exercise pages: the list, a question with a matrix form, and grading through a GET form."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.exercises import generate
from app.exercises.forms import form_fields
from tests.exercises.client import exercise_client  # noqa: F401  (fixture)
from tests.exercises.helpers import KINDS


def page(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def right_params(kind: str, seed: int) -> dict[str, str]:
    exercise = generate(kind, seed)
    params = {"seed": str(seed)}
    for form_field in form_fields(exercise, {}):
        for row in form_field.rows:
            for cell in row:
                params[cell.input_name] = (
                    f"{exercise.solution[form_field.field.name][cell.index]:g}"
                )
    return params


def test_list_links_every_kind(exercise_client: TestClient) -> None:  # noqa: F811
    soup = page(exercise_client, "/exercises")
    links = [a["href"] for a in soup.select(".exercise-tile h2 a")]
    assert sorted(str(link).rsplit("/", 1)[1] for link in links) == KINDS
    assert soup.select_one('link[href*="css/exercises.css?v="]') is not None


def test_no_seed_redirects_to_a_seeded_url(exercise_client: TestClient) -> None:  # noqa: F811
    response = exercise_client.get("/exercises/chain_rule", follow_redirects=False)
    assert response.status_code == 303
    seed = int(parse_qs(urlparse(response.headers["location"]).query)["seed"][0])
    assert 0 <= seed < 2**31


@pytest.mark.parametrize("kind", KINDS)
def test_question_page_has_a_labelled_input_grid(exercise_client: TestClient, kind: str) -> None:  # noqa: F811
    soup = page(exercise_client, f"/exercises/{kind}?seed=5")
    exercise = generate(kind, 5)
    form = soup.select_one("form.answer-form")
    assert form is not None and form["method"] == "get"
    assert str(form["action"]).endswith(f"/exercises/{kind}/check")
    assert soup.select_one('input[type="hidden"][name="seed"]')["value"] == "5"  # type: ignore[index]
    for field in exercise.fields:
        fieldset = soup.select_one(f'fieldset[data-field="{field.name}"]')
        assert fieldset is not None and fieldset.select_one("legend .math.inline") is not None
        inputs = fieldset.select("input")
        assert len(inputs) == max(1, math.prod(field.shape))
        assert all(i.get("aria-label") for i in inputs)
        # A phone's decimal keypad has no minus sign: the text keyboard does.
        assert all(i.get("inputmode") == "text" for i in inputs)
        if len(field.shape) == 2:
            assert len(fieldset.select("tr")) == field.shape[0]
    assert soup.select_one(".worked-solution") is None  # not before an answer
    assert soup.select("script:not([src])") == []  # CSP: no inline script
    new = soup.select_one("a.new-numbers")
    assert new is not None and "seed=" in str(new["href"]) and not str(new["href"]).endswith("=5")
    assert len(soup.select(".given-item")) == len(exercise.given)


@pytest.mark.parametrize("kind", KINDS)
def test_right_answers_pass_and_show_the_worked_solution(
    exercise_client: TestClient,  # noqa: F811
    kind: str,
) -> None:
    params = right_params(kind, 8)
    soup = page(exercise_client, f"/exercises/{kind}/check?{urlencode(params)}")
    summary = soup.select_one(".grade-summary.passed")
    assert summary is not None and summary.get_text().strip().startswith("All ")
    assert soup.select("td.wrong") == []
    assert len(soup.select("td.right")) == len(params) - 1
    assert soup.select(".worked-solution li.step")


def test_a_wrong_answer_gets_a_hint_and_a_second_try_before_the_answers(
    exercise_client: TestClient,  # noqa: F811
) -> None:
    params = right_params("linear_backward", 3)  # dW = [[4, 10], [-5, -4]]
    params["dW.1.0"] = "3"
    soup = page(exercise_client, f"/exercises/linear_backward/check?{urlencode(params)}")
    assert soup.select_one(".grade-summary.failed h2").get_text() == "3 of 4 entries right"  # type: ignore[union-attr]
    assert [li.get_text() for li in soup.select(".wrong-entries li")] == [
        "dW[1,0] is not right yet"
    ]
    assert "-5" not in soup.select_one("td.wrong").get_text()  # type: ignore[union-attr]
    assert soup.select_one(".worked-solution") is None
    hint = soup.select_one(".exercise-hint")
    assert hint is not None and "the first step" in hint.get_text()
    assert soup.select_one('input[name="dW.1.0"]')["value"] == "3"  # type: ignore[index]
    reveal = soup.select_one("a.reveal-answers")
    assert reveal is not None and "reveal=true" in str(reveal["href"])
    shown = page(exercise_client, str(reveal["href"]).replace("http://testserver", ""))
    assert [li.get_text() for li in shown.select(".wrong-entries li")] == [
        "dW[1,0]: you gave 3, expected -5"
    ]
    assert shown.select(".worked-solution li.step") and shown.select_one(".exercise-hint") is None


def test_a_wrong_entry_is_marked_and_named(exercise_client: TestClient) -> None:  # noqa: F811
    params = right_params("linear_backward", 3)  # dW = [[4, 10], [-5, -4]]
    params["dW.1.0"] = "3"
    params["reveal"] = "true"
    soup = page(exercise_client, f"/exercises/linear_backward/check?{urlencode(params)}")
    assert soup.select_one(".grade-summary.failed h2").get_text() == "3 of 4 entries right"  # type: ignore[union-attr]
    assert [li.get_text() for li in soup.select(".wrong-entries li")] == [
        "dW[1,0]: you gave 3, expected -5"
    ]
    [wrong] = soup.select("td.wrong")
    wrong_input = wrong.select_one("input")
    assert wrong_input is not None
    assert wrong_input["value"] == "3" and wrong_input["aria-invalid"] == "true"
    assert "expected -5" in wrong.get_text()


def test_unreadable_entries_rerender_the_form_with_422(exercise_client: TestClient) -> None:  # noqa: F811
    params = right_params("chain_rule", 2)
    params["dydu"] = "two"
    params["dydx"] = ""
    soup = page(exercise_client, f"/exercises/chain_rule/check?{urlencode(params)}", 422)
    problems = [li.get_text() for li in soup.select(".answer-problems li")]
    assert problems[0].startswith("dydu: expected a number") and "empty" in problems[1]
    kept = soup.select_one('input[name="dydu"]')
    assert kept is not None and kept["value"] == "two"


def test_bad_kind_and_seed(exercise_client: TestClient) -> None:  # noqa: F811
    assert "no exercise kind" in page(exercise_client, "/exercises/nope?seed=1", 404).get_text()
    page(exercise_client, "/exercises/chain_rule?seed=-1", 422)
    page(exercise_client, f"/exercises/chain_rule?seed={2**31}", 422)
    page(exercise_client, "/exercises/chain_rule/check?dudx=1", 422)  # no seed

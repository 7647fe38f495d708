"""Property-based fuzz of the public JSON API: whatever a client sends, the answer is never a 5xx.

DESIGN.md: "Bad input gets a clear error (HTTP 4xx with a message) ... A 500 is a bug." Each
test drives one group of endpoints (catalog, demos, exercises, study) with generated query
strings, path segments and bodies: mostly nonsense, and some close to valid so the handlers'
inner paths run too. Every answer must be below 500, and every error must be JSON with a
`detail` sentence. Bounded: a few hundred requests in all, well under 20 s on the dev machine.

The tests run hypothesis inside the test body, so the function-scoped fixtures of conftest.py
(a fresh database per test) are built once per test, not once per example.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.demos import REGISTRY as DEMOS
from app.exercises import REGISTRY as EXERCISES
from tests.conftest import Account

API = "/api/v1"

# No example database (nothing written beside the repo) and no per-example deadline (the first
# request of a test warms the app up); the example counts keep each test to a few seconds.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies -------------------------------------------------------------------------------

SLUGS = ["backprop", "chain-rule", "relu-backward", "linear-layer-backward", "nope", ""]
TOPICS = ["chain-rule", "activations", "gradients", "reverse-mode", "memory"]
LEVELS = ["easy", "medium", "hard"]

# Any text a URL can carry (no surrogates), biased to the odd: empty, long, unicode, control.
any_text = st.one_of(
    st.text(max_size=20),
    st.text(min_size=150, max_size=400),
    st.sampled_from(["", " ", "0", "-1", "1e999", "NaN", "inf", "%", "_", "\\", "../..", "\x00"]),
)
# Integers as query text, including huge and negative ones.
int_text = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=-2, max_value=600).map(str),
    st.sampled_from(["1.5", "1e3", "0x10", " 3", "+3", "٣"]),  # the last is an Arabic-Indic 3
)
slug_text = st.one_of(st.sampled_from(SLUGS + TOPICS + LEVELS), any_text)

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
# Bodies that are not JSON objects at all, sent as they are.
raw_body = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b"null", b"[]", b'{"seed": NaN}', b'{"seed": 1e999}', b"\xff\xfe"]),
)
content_type = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)


def query(
    keys: list[str], values: st.SearchStrategy[str]
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A query string as (key, value) pairs: known keys mostly, repeats and unknown keys too."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=8)) if keys else st.text(max_size=8)
    return st.lists(st.tuples(key, values), max_size=6)


def segment(text: str) -> str:
    """`text` as one URL path segment."""
    return quote(text, safe="")


def assert_not_a_server_error(response: Any) -> None:
    """Below 500, and an API error carries a `detail` sentence."""
    request = response.request
    assert response.status_code < 500, (
        f"{request.method} {request.url} -> {response.status_code}: {response.text[:300]}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("detail"), str) and body["detail"], body


def send_json(
    client: TestClient,
    method: str,
    url: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> Any:
    """Send `body` as JSON (or as raw bytes with the given content type when it is bytes)."""
    if isinstance(body, tuple):
        raw, kind = body
        return client.request(
            method, url, content=raw, headers={**(headers or {}), "Content-Type": kind}
        )
    return client.request(
        method,
        url,
        content=json.dumps(body),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


bodies = st.one_of(json_value, st.tuples(raw_body, content_type))


def mostly(valid: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values about three times in four, so the handlers' inner paths run too."""
    return st.integers(0, 3).flatmap(lambda pick: junk if pick == 0 else valid)


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_endpoints_never_answer_5xx(loaded_client: TestClient) -> None:
    values = st.one_of(slug_text, int_text, st.sampled_from(LEVELS))
    keys = ["deck", "difficulty", "topic", "q", "limit", "cursor"]

    @FUZZ
    @given(params=query(keys, values), slug=slug_text)
    def run(params: list[tuple[str, Any]], slug: str) -> None:
        assert_not_a_server_error(loaded_client.get(f"{API}/cards", params=params))
        assert_not_a_server_error(loaded_client.get(f"{API}/cards/{segment(slug)}"))
        assert_not_a_server_error(loaded_client.get(f"{API}/decks/{segment(slug)}"))

    run()


def test_cursor_pages_and_forged_cursors_never_answer_5xx(loaded_client: TestClient) -> None:
    first = loaded_client.get(f"{API}/cards", params={"limit": 2}).json()
    real = first["next_cursor"]
    assert real

    @FUZZ
    @given(
        cursor=st.one_of(
            any_text,
            st.text(
                alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
                max_size=200,
            ),
            st.integers(0, len(real)).map(lambda cut: real[:cut]),
        ),
        limit=int_text,
    )
    def run(cursor: str, limit: str) -> None:
        response = loaded_client.get(f"{API}/cards", params={"cursor": cursor, "limit": limit})
        assert_not_a_server_error(response)

    run()


# --- demos ------------------------------------------------------------------------------------


def _demo_param_names() -> list[str]:
    names = {"seed"}
    for spec in DEMOS.values():
        names.update(spec.params.model_json_schema().get("properties", {}))
    return sorted(names)


def test_demo_endpoints_never_answer_5xx(loaded_client: TestClient) -> None:
    demo_names = st.one_of(st.sampled_from(sorted(DEMOS)), any_text)
    card_slugs = st.sampled_from(["chain-rule", "relu-backward", "linear-layer-backward", "nope"])
    values = st.one_of(
        int_text,
        st.sampled_from(["tanh", "sigmoid", "relu", "nan", "inf", "-inf", "1e308", "2.5"]),
        any_text,
    )

    @FUZZ
    @given(name=demo_names, card=card_slugs, params=query(_demo_param_names(), values))
    def run(name: str, card: str, params: list[tuple[str, Any]]) -> None:
        assert_not_a_server_error(loaded_client.get(f"{API}/demos/{segment(name)}", params=params))
        assert_not_a_server_error(loaded_client.get(f"{API}/cards/{card}/demo", params=params))

    run()


# --- exercises --------------------------------------------------------------------------------


def _answer_for(kind: str, seed: int) -> st.SearchStrategy[dict[str, Any]]:
    """Answers with the exercise's own field names: right shapes, wrong shapes, odd values."""
    exercise = EXERCISES[kind].generate(seed)
    numbers = st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.integers(min_value=-(2**70), max_value=2**70),
        json_scalar,
    )
    entries = {
        field.name: st.one_of(
            st.just(exercise.correct_answer()[field.name]),
            json_value,
            st.lists(st.lists(numbers, max_size=4), max_size=4),
            st.lists(numbers, max_size=6),
            numbers,
        )
        for field in exercise.fields
    }
    return st.fixed_dictionaries({}, optional=entries)


def test_exercise_endpoints_never_answer_5xx(client: TestClient) -> None:
    kinds = st.one_of(st.sampled_from(sorted(EXERCISES)), any_text)
    seeds = st.one_of(st.integers(min_value=0, max_value=2**31), json_value)

    @FUZZ
    @given(kind=kinds, body=bodies, seed=seeds, data=st.data())
    def run(kind: str, body: Any, seed: Any, data: st.DataObject) -> None:
        url = f"{API}/exercises/{segment(kind)}"
        assert_not_a_server_error(send_json(client, "POST", url, body))
        assert_not_a_server_error(send_json(client, "POST", url, {"seed": seed}))
        assert_not_a_server_error(send_json(client, "POST", f"{url}/check", body))
        if kind in EXERCISES and type(seed) is int and 0 <= seed < 2**31:
            answer = data.draw(_answer_for(kind, seed), label="answer")
            check = {"seed": seed, "answer": answer}
            assert_not_a_server_error(send_json(client, "POST", f"{url}/check", check))

    run()


# --- study (authenticated) --------------------------------------------------------------------


def test_study_endpoints_never_answer_5xx(
    study_client: TestClient, make_account: Callable[[str], Account]
) -> None:
    ada = make_account("ada")
    headers = ada.headers
    cards = mostly(
        st.sampled_from(["chain-rule", "relu-backward", "linear-layer-backward"]), slug_text
    )
    reviews = mostly(
        st.fixed_dictionaries(
            {"card": cards, "rating": mostly(st.integers(1, 4), json_scalar)},
            optional={
                "duration_ms": mostly(st.integers(0, 10**6), json_scalar),
                "idempotency_key": mostly(
                    st.sampled_from(["k1", "k2", "k3"]), st.text(max_size=120)
                ),
            },
        ),
        bodies,
    )
    changes = mostly(
        st.fixed_dictionaries(
            {},
            optional={
                "desired_retention": mostly(st.floats(0.7, 0.99), json_scalar),
                "new_per_day": mostly(st.integers(0, 50), json_scalar),
                "reviews_per_day": mostly(st.integers(0, 500), json_scalar),
                "time_zone": mostly(
                    st.sampled_from(["UTC", "Europe/Paris", "Pacific/Kiritimati", "Etc/GMT+12"]),
                    st.text(max_size=70),
                ),
            },
        ),
        bodies,
    )
    actions = mostly(st.sampled_from(["suspend", "unsuspend", "bury", "reset"]), any_text)
    filters = query(["deck", "topic", "difficulty"], slug_text)

    @FUZZ
    @given(
        review=reviews,
        change=changes,
        action=actions,
        card=cards,
        params=filters,
        limit=int_text,
        undo=st.booleans(),
    )
    def run(
        review: Any,
        change: Any,
        action: str,
        card: str,
        params: list[tuple[str, Any]],
        limit: str,
        undo: bool,
    ) -> None:
        get = study_client.get
        assert_not_a_server_error(get(f"{API}/study/next", params=params, headers=headers))
        assert_not_a_server_error(
            send_json(study_client, "POST", f"{API}/reviews", review, headers)
        )
        if undo:
            assert_not_a_server_error(study_client.post(f"{API}/reviews/undo", headers=headers))
        url = f"{API}/study/cards/{segment(card)}"
        assert_not_a_server_error(study_client.post(f"{url}/{segment(action)}", headers=headers))
        assert_not_a_server_error(get(url, headers=headers))
        assert_not_a_server_error(get(f"{API}/reviews", params={"limit": limit}, headers=headers))
        assert_not_a_server_error(get(f"{API}/stats", params={"days": limit}, headers=headers))
        response = send_json(study_client, "PATCH", f"{API}/me/settings", change, headers)
        assert_not_a_server_error(response)

    run()

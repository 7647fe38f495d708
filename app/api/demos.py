"""Live demos as JSON: the list with parameter schemas, one demo run, a card's demo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from app.api.demo_schemas import DemoInfoOut, DemoOut
from app.api.schemas import ErrorOut
from app.catalog import queries
from app.demos import REGISTRY, UnknownDemo
from app.demos.base import Demo
from app.demos.running import DemoParamsError, run_demo
from app.demos.serialize import demo_to_dict
from app.deps import SessionDep

router = APIRouter(tags=["demos"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such demo or card."},
    422: {"model": ErrorOut, "description": "A parameter is unknown or out of its bounds."},
}


@router.get("/demos", response_model=list[DemoInfoOut])
def list_demos() -> list[DemoInfoOut]:
    """Every demo with the JSON Schema of its parameters (bounds and defaults)."""
    return [
        DemoInfoOut(name=spec.name, title=spec.title, params_schema=spec.params.model_json_schema())
        for spec in sorted(REGISTRY.values(), key=lambda spec: spec.name)
    ]


@router.get("/demos/{name}", response_model=DemoOut, responses=ERRORS)
def get_demo_run(name: str, request: Request) -> DemoOut:
    """Run a demo; every query parameter is a demo parameter (see its params_schema)."""
    return _run(name, {}, request)


@router.get("/cards/{slug}/demo", response_model=DemoOut, responses=ERRORS)
def get_card_demo(slug: str, request: Request, session: SessionDep) -> DemoOut:
    """Run a card's demo with the card's parameters, overridden by the query parameters."""
    card = queries.get_card(session, slug)
    if card is None:
        raise HTTPException(404, f"card {slug!r} not found")
    if card.demo_name is None:
        raise HTTPException(404, f"card {slug!r} has no demo")
    return _run(card.demo_name, card.demo_params, request)


def _run(name: str, defaults: dict[str, Any], request: Request) -> DemoOut:
    try:
        demo: Demo = run_demo(name, defaults, request.query_params.multi_items())
    except UnknownDemo:
        raise HTTPException(404, f"demo {name!r} not found") from None
    except DemoParamsError as error:
        raise HTTPException(422, str(error)) from None
    return DemoOut.model_validate(demo_to_dict(demo))

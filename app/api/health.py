"""Liveness with a database round trip, for load balancers and Docker's HEALTHCHECK."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.schemas import HealthOut
from app.deps import SessionDep

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def healthz(session: SessionDep) -> JSONResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: database unreachable")
        body = HealthOut(status="unavailable", database="unreachable")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(HealthOut(status="ok", database="ok").model_dump())

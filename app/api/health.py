"""Liveness with a database round trip, for load balancers and Docker's HEALTHCHECK."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.api.schemas import HealthOut

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers a query, 503 when it does not."""
    # One trip to the thread pool for the whole check (a session dependency would take three:
    # open, the endpoint, close): load balancers call this often.
    if await run_in_threadpool(_database_answers, request.app.state.sessionmaker):
        return JSONResponse(_OK)
    body = HealthOut(status="unavailable", database="unreachable")
    return JSONResponse(body.model_dump(), status_code=503)


_OK = HealthOut(status="ok", database="ok").model_dump()


def _database_answers(factory: sessionmaker[Session]) -> bool:
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: database unreachable")
        return False
    return True

"""Error responses: JSON with a `detail` sentence for the API, an HTML page for browsers."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import RETRY_AFTER_SECONDS, DatabaseBusy, is_busy

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz", "/openapi.json")


def wants_json(request: Request) -> bool:
    """API paths always answer JSON; pages answer HTML."""
    return request.url.path.startswith(JSON_PREFIXES)


def describe_validation(error: RequestValidationError) -> str:
    """One sentence per problem: `query.limit: Input should be less than or equal to 200`."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return render_error(request, error.status_code, str(error.detail), error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        if wants_json(request):
            # Keep FastAPI's structured list for clients, and add a sentence for people.
            body = {"detail": describe_validation(error), "errors": _jsonable(error)}
            return JSONResponse(body, status_code=422)
        return render_error(request, 422, describe_validation(error))

    @app.exception_handler(DatabaseBusy)
    async def database_busy(request: Request, error: DatabaseBusy) -> Response:
        return busy_response(request, str(error))

    # A lock error or an exhausted pool that escaped a retry loop is contention, not a bug.
    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, error: OperationalError) -> Response:
        if is_busy(error):
            log.warning("database busy on %s %s: %s", request.method, request.url.path, error)
            return busy_response(request, "The database is busy; try again shortly.")
        log.exception("database error on %s %s", request.method, request.url.path)
        return render_error(request, 500, "internal error; it has been logged")

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(request: Request, error: PoolTimeout) -> Response:
        log.warning("no free database connection on %s %s", request.method, request.url.path)
        return busy_response(request, "The server is busy; try again shortly.")

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render_error(request, 500, "internal error; it has been logged")


def busy_response(request: Request, detail: str) -> Response:
    """503 with Retry-After: the request did nothing and may be sent again as it is."""
    return render_error(request, 503, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def render_error(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The error as JSON or as the HTML error page, depending on the path."""
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=dict(headers or {}))
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "detail": detail},
        status_code=status,
        headers=dict(headers or {}),
    )


def _jsonable(error: RequestValidationError) -> list[dict[str, object]]:
    return [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in error.errors()
    ]

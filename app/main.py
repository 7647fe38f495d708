"""create_app(): the FastAPI factory that wires settings, database, routes, pages and errors."""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import URL, URLPath

from app import __version__, api, web
from app.api import health
from app.api.catalog_cache import CatalogCache
from app.api.schemas import ErrorOut
from app.auth.dependencies import current_session, session_info_for
from app.auth.errors import AccountError, RateLimited
from app.auth.sessions import COOKIE_NAME, SessionInfo
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.demos.text import format_number
from app.deps import Clock
from app.errors import install_error_handlers, render_error
from app.head import HeadAsGet
from app.limits import BodyLimit
from app.markdown import render_inline, render_markdown
from app.middleware import BrowserSession, SecurityHeaders
from app.models import utcnow
from app.paths import resource_dir
from app.srs.errors import StudyError
from app.web.static_files import CompressedStaticFiles, fingerprint

# Only our own scripts, styles and fonts: no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app for `settings` (the environment's when None). The schema must be migrated.

    `clock` returns the current UTC time; tests pass one they control.
    """
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    engine = make_engine(settings.database_url, settings=settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="gradcards",
        version=__version__,
        summary="Neural-network interview flashcards, every answer demonstrated by a live engine.",
        docs_url=None,  # served by app.web from vendored Swagger UI (no CDN)
        redoc_url=None,
        lifespan=lifespan,
        responses=COMMON_RESPONSES,
    )
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.templates = make_templates()
    app.state.catalog_cache = CatalogCache()
    app.state.study_limiters = weakref.WeakKeyDictionary()  # see study_limiter
    app.state.url_paths = {}  # see cached_url_for
    app.state.clock = clock or utcnow

    app.state.static_dir = Path(resource_dir("static"))
    app.mount("/static", CompressedStaticFiles(directory=app.state.static_dir), name="static")
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(web.router)
    install_error_handlers(app)
    install_domain_error_handlers(app)
    complete_openapi(app)
    install_method_not_allowed(app)
    # Each add_middleware wraps what came before: the body limit sits next to the routes,
    # HeadAsGet (below) outermost.
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(BrowserSession, cookie_name=COOKIE_NAME, load=_load_session_info)
    app.add_middleware(SecurityHeaders, headers=SECURITY_HEADERS)
    app.add_middleware(HeadAsGet)  # outermost: every route answers HEAD
    return app


def _load_session_info(request: Request) -> SessionInfo | None:
    with request.app.state.sessionmaker() as session:
        return session_info_for(request, session)


def install_domain_error_handlers(app: FastAPI) -> None:
    """Turn the services' errors into 4xx responses with their message as the detail."""

    @app.exception_handler(StudyError)
    async def study_error(request: Request, error: StudyError) -> Response:
        return render_error(request, error.status, str(error))

    @app.exception_handler(AccountError)
    async def account_error(request: Request, error: AccountError) -> Response:
        if isinstance(error, RateLimited):
            headers = {"Retry-After": str(error.retry_after)}
            return render_error(request, 429, str(error), headers)
        return render_error(request, 400, str(error))


# Statuses any operation can answer whatever it does, documented once here (schemathesis checks
# that every status an operation answers is in its OpenAPI entry): the body limit
# (app/limits.py) and a database past its retry budget. Routers document their own (401, 404 ...).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "The request body is larger than the limit."},
    503: {
        "model": ErrorOut,
        "description": "The database is busy; retry after Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
    },
}
# FastAPI answers 400 itself when a body cannot be decoded (not UTF-8 JSON text), on the
# operations that take one; complete_openapi documents it there.
UNREADABLE_BODY = {
    "description": "The body could not be read (not UTF-8 JSON text).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def complete_openapi(app: FastAPI) -> None:
    """Document, in the generated schema, two statuses FastAPI's routing answers on its own.

    - 400 on every operation with a request body: FastAPI's answer to one it cannot decode.
    - 200 beside a 201 on an operation whose body takes an `idempotency_key` (POST /reviews):
      a resent key answers 200 with the first result.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method not in HTTP_METHODS or "requestBody" not in operation:
                    continue
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", UNREADABLE_BODY)
                if "201" in responses and _takes_idempotency_key(schema, operation):
                    replay = "A resent idempotency_key: the first result, unchanged."
                    responses.setdefault("200", {**responses["201"], "description": replay})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _takes_idempotency_key(schema: dict[str, Any], operation: dict[str, Any]) -> bool:
    content = operation["requestBody"].get("content", {}).get("application/json", {})
    body = content.get("schema", {})
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return "idempotency_key" in body.get("properties", {})


def install_method_not_allowed(app: FastAPI) -> None:
    """A 405 whose Allow header lists every method the path answers.

    Starlette takes Allow from the first route whose path matches, so /api/v1/reviews (GET and
    POST are two routes) said `Allow: POST`. The methods come from the OpenAPI paths, so Allow
    says what the schema says; HEAD is added wherever GET is (HeadAsGet answers it). Paths not
    in the schema (pages) keep Starlette's header.
    """
    table: list[tuple[re.Pattern[str], str]] = []

    def allowed(path: str) -> str | None:
        if not table:
            for template, operations in app.openapi().get("paths", {}).items():
                names = {m.upper() for m in operations if m in HTTP_METHODS}
                if "GET" in names:
                    names.add("HEAD")
                regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                table.append((re.compile(f"^{regex}$"), ", ".join(sorted(names))))
        for pattern, methods in table:
            if pattern.match(path):
                return methods
        return None

    @app.exception_handler(405)
    async def method_not_allowed(request: Request, error: Exception) -> Response:
        headers = dict(getattr(error, "headers", None) or {})
        allow = allowed(request.url.path)
        if allow:
            headers["Allow"] = allow
        detail = getattr(error, "detail", "Method Not Allowed")
        return render_error(request, 405, str(detail), headers)


def make_templates() -> Jinja2Templates:
    """Jinja2 templates with the Markdown filters the pages use."""
    templates = Jinja2Templates(directory=resource_dir("templates"))
    # The renderers sanitise their output, so it is marked safe for autoescaping.
    templates.env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    templates.env.filters["markdown_inline"] = lambda text: Markup(render_inline(text))
    templates.env.globals["format_number"] = format_number
    templates.env.globals["session_of"] = current_session
    templates.env.globals["url_for"] = cached_url_for
    return templates


URL_PATH_CACHE_SIZE = 8192


@pass_context
def cached_url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's url_for with the route lookup cached per app: it scans every route on each
    call, and a deck page makes dozens of calls (a third of its render time before this cache).
    The keys are route names and path values from our own pages (slugs, ids): bounded."""
    request: Request = context["request"]
    router = request.scope.get("router") or request.scope["app"]
    cache: dict[Any, URLPath] = request.app.state.url_paths
    try:
        key = (name, tuple(sorted(path_params.items())))
        path = cache.get(key)
    except TypeError:  # an unhashable parameter: look it up uncached
        key, path = None, None
    if path is None:
        path = router.url_path_for(name, **path_params)
        if key is not None:
            if len(cache) >= URL_PATH_CACHE_SIZE:
                cache.clear()
            cache[key] = path
    url = path.make_absolute_url(base_url=request.base_url)
    if name == "static":  # the content's hash in the URL lets browsers keep it for a year
        version = fingerprint(request.app.state.static_dir, str(path_params.get("path", "")))
        if version is not None:
            url = url.include_query_params(v=version)
    return url

"""create_app(): the FastAPI factory that wires settings, database, routes, pages and errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app import __version__, api, web
from app.api import health
from app.auth.dependencies import current_session, session_info_for
from app.auth.errors import AccountError, RateLimited
from app.auth.sessions import COOKIE_NAME, SessionInfo
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker
from app.demos.text import format_number
from app.deps import Clock
from app.errors import install_error_handlers, render_error
from app.head import HeadAsGet
from app.markdown import render_inline, render_markdown
from app.models import utcnow
from app.paths import resource_dir
from app.srs.errors import StudyError

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
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="gradcards",
        version=__version__,
        summary="Backpropagation flashcards whose answers are demonstrated by a live engine.",
        docs_url=None,  # served by app.web from vendored Swagger UI (no CDN)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.templates = make_templates()
    app.state.clock = clock or utcnow

    app.mount("/static", StaticFiles(directory=resource_dir("static")), name="static")
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(web.router)
    install_error_handlers(app)
    install_domain_error_handlers(app)

    @app.middleware("http")
    async def browser_session(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Pages (base.html's nav) and the API both need to know who is logged in.
        request.state.auth = None
        if COOKIE_NAME in request.cookies and not request.url.path.startswith("/static/"):
            request.state.auth = await run_in_threadpool(_load_session_info, request)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

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


def make_templates() -> Jinja2Templates:
    """Jinja2 templates with the Markdown filters the pages use."""
    templates = Jinja2Templates(directory=resource_dir("templates"))
    # The renderers sanitise their output, so it is marked safe for autoescaping.
    templates.env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    templates.env.filters["markdown_inline"] = lambda text: Markup(render_inline(text))
    templates.env.globals["format_number"] = format_number
    templates.env.globals["session_of"] = current_session
    return templates

"""The app's own ASGI middleware: who is logged in, and the security headers on every response.

Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
request through a task group and memory streams, which costs more per request than most of
our endpoints do themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeaders:
    """Add each header of `headers` to every HTTP response that does not set it itself."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = dict(headers)
        # Encoded once, as the server wants them: (lower-case name, value) byte pairs.
        self._raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                missing = [pair for pair in self._raw if pair[0] not in present]
                if missing:
                    message = {**message, "headers": [*message.get("headers", ()), *missing]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BrowserSession:
    """Set request.state.auth: the session the cookie names (loaded in a worker thread, since it
    reads the database), or None. Pages (base.html's nav) and the API both need it."""

    def __init__(self, app: ASGIApp, cookie_name: str, load: Callable[[Request], Any]) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.load = load

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        auth = None
        # Most requests (API clients, health checks) send no cookie at all: look before parsing.
        if not scope["path"].startswith("/static/") and any(
            name == b"cookie" for name, _ in scope.get("headers", ())
        ):
            request = Request(scope)
            if self.cookie_name in request.cookies:
                auth = await run_in_threadpool(self.load, request)
        scope.setdefault("state", {})["auth"] = auth
        await self.app(scope, receive, send)

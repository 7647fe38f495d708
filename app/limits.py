"""Request body limit: a body larger than the limit gets 413 before it is read.

Without it every body was read whole, then parsed, before any size check: a stream of 20 MB JSON
answers held ~100 MB per request in bytes and Python objects, and the worker's peak RSS (which
the allocator does not hand back) grew with each burst. Here a declared Content-Length above the
limit is answered at once, without reading the body; a body sent without one (chunked) is
counted as it streams and refused as soon as it passes the limit, so at most the limit plus one
chunk is ever buffered.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import render_error

# Far above any form or JSON the app takes (the largest are exercise answers, a few KB).
DEFAULT_MAX_BODY_BYTES = 1_048_576


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; handled as any HTTP error.

    FastAPI's HTTPException: FastAPI re-raises that class from body parsing (any other error
    there becomes a 400 "error parsing the body").
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))


class BodyLimit:
    """ASGI middleware answering 413 (the app's error format) for bodies over `max_body_bytes`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            # The body is never read; the server closes the connection after the response.
            await self._refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Usually the app's HTTPException handler has answered already; this is the fallback
            # for a reader that let the error escape before anything was sent.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail, headers = too_large_detail(self.limit), {"Connection": "close"}
        response: Response
        if "app" in scope:  # in the app: its error format (JSON for the API, the error page)
            response = render_error(Request(scope, receive), 413, detail, headers)
        else:
            response = JSONResponse({"detail": detail}, status_code=413, headers=headers)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # malformed: the server refuses it; the streamed count still applies
    return None

"""The one way a page is rendered: a template, its context, a status."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse


def render(
    request: Request,
    template: str,
    context: Mapping[str, object],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page template with a status."""
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, dict(context), status_code=status, headers=dict(headers or {})
    )
    return response

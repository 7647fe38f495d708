"""The settings page: study settings and API tokens (a new token is shown once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.dependencies import current_session
from app.auth.errors import AccountError
from app.auth.tokens import create_token, list_tokens, revoke_token
from app.deps import NowDep, SessionDep
from app.models import User
from app.srs.days import ROLLOVER, zone_choices
from app.srs.errors import StudyError
from app.srs.preferences import StudySettings, update_study_settings
from app.web.forms import CsrfField, require_csrf
from app.web.render import render
from app.web.viewer import page_user, safe_next

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    error: str | None = None,
    new_token: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    info = current_session(request)
    assert info is not None
    # After a refused save the form shows what the user typed, not the stored values, so one
    # bad field does not throw away the other edits.
    shown = {
        "desired_retention": f"{user.desired_retention:.2f}",
        "new_per_day": str(user.new_per_day),
        "reviews_per_day": str(user.reviews_per_day),
        "time_zone": user.time_zone,
        **(typed or {}),
    }
    context = {
        "user": user,
        "shown": shown,
        "zones": zone_choices(shown["time_zone"]),
        "saved": request.query_params.get("saved") == "1" and not error,
        "tokens": list_tokens(session=session, user=user),
        "csrf_token": info.csrf_token,
        "error": error,
        "new_token": new_token,
        "rollover": ROLLOVER.strftime("%H:%M"),
    }
    return render(request, "settings.html", context, status=status)


def _login_first() -> Response:
    return RedirectResponse("/login?next=%2Fsettings", status_code=303)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep) -> Response:
    """Study settings and API tokens (log in first)."""
    user = page_user(request, session)
    return _page(request, session, user) if user else _login_first()


@router.post("/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    session: SessionDep,
    desired_retention: FormText = "",
    new_per_day: FormText = "",
    reviews_per_day: FormText = "",
    time_zone: FormText = "",
    csrf_token: CsrfField = None,
    next_page: Annotated[str, Form(alias="next", max_length=2048)] = "",
) -> Response:
    """Save retention, daily limits and time zone and say so; the form with its problem and
    the values as typed otherwise. Fields left out of the form keep their value."""
    require_csrf(request, csrf_token)
    user = page_user(request, session)
    if user is None:
        return _login_first()
    typed = {
        name: value
        for name, value in (
            ("desired_retention", desired_retention),
            ("new_per_day", new_per_day),
            ("reviews_per_day", reviews_per_day),
            ("time_zone", time_zone),
        )
        if value
    }
    try:
        changes = StudySettings(
            desired_retention=float(desired_retention) if desired_retention else None,
            new_per_day=int(new_per_day) if new_per_day else None,
            reviews_per_day=int(reviews_per_day) if reviews_per_day else None,
            time_zone=time_zone.strip() or None,
        )
    except ValueError:
        message = "Limits and retention must be numbers."
        return _page(request, session, user, error=message, status=422, typed=typed)
    try:
        update_study_settings(session=session, user=user, changes=changes)
    except StudyError as error:
        session.rollback()
        session.refresh(user)
        return _page(request, session, user, error=str(error), status=422, typed=typed)
    return RedirectResponse(safe_next(next_page, "/settings?saved=1"), status_code=303)


@router.post("/settings/tokens", response_class=HTMLResponse)
def new_token(
    request: Request,
    session: SessionDep,
    now: NowDep,
    name: FormText = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Create an API token and show it once."""
    require_csrf(request, csrf_token)
    user = page_user(request, session)
    if user is None:
        return _login_first()
    try:
        _, token = create_token(session=session, user=user, name=name, now=now)
    except AccountError as error:
        return _page(request, session, user, error=str(error), status=422)
    # Rendered, not redirected: this response is the only place the token is ever shown.
    response = _page(request, session, user, new_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/tokens/{token_id}/revoke")
def revoke(
    request: Request, token_id: int, session: SessionDep, now: NowDep, csrf_token: CsrfField = None
) -> Response:
    """Revoke one of the user's tokens (404 for anyone else's)."""
    require_csrf(request, csrf_token)
    user = page_user(request, session)
    if user is None:
        return _login_first()
    if not revoke_token(session=session, user=user, token_id=token_id, now=now):
        raise HTTPException(404, "You have no such token.")
    return RedirectResponse("/settings", status_code=303)

"""Sign-up, log-in and log-out pages (forms with CSRF tokens; the session id rotates at login)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.dependencies import current_session
from app.auth.errors import AccountError, RateLimited
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.auth.sessions import clear_session_cookie, end_session, rotate_session, set_session_cookie
from app.auth.users import authenticate, create_user
from app.config import Settings
from app.deps import NowDep, SessionDep, SettingsDep
from app.models import User
from app.srs.days import ROLLOVER, zone_choices
from app.web.forms import CsrfField, browser_session, client_address, require_csrf, with_cookie
from app.web.render import render
from app.web.viewer import page_user, safe_next

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=2048)]


def _form(
    request: Request,
    session: SessionDep,
    settings: Settings,
    template: str,
    *,
    error: str | None = None,
    name: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    next_page: str | None = None,
) -> HTMLResponse:
    info, cookie = browser_session(request, session, settings)
    target = safe_next(next_page or request.query_params.get("next"), "")
    context = {
        "next": target,
        "purpose": login_purpose(target),
        # The study page sends ?expired=1 when its session ran out mid-review.
        "expired": request.query_params.get("expired") == "1",
        "csrf_token": info.csrf_token,
        "error": error,
        "name": name,
        "signup_open": settings.signup == "open",
        "min_password_length": MIN_PASSWORD_LENGTH,
    }
    response = render(request, template, context, status=status, headers=headers)
    return with_cookie(response, cookie, settings)


# What a visitor sent to the login page from a per-user page was trying to do.
_PURPOSES = {
    "/study": "Log in to study",
    "/stats": "Log in to see your stats",
    "/settings": "Log in to change your settings",
}


def login_purpose(target: str) -> str:
    """'Log in to study' when the visitor came from /study (and so on); 'Log in' otherwise."""
    path = target.split("?", 1)[0]
    return _PURPOSES.get(path, "Log in")


def _already_in(request: Request, session: SessionDep) -> Response | None:
    """A logged-in user asking for /login or /signup goes where they were headed, or home."""
    if page_user(request, session) is None:
        return None
    return RedirectResponse(safe_next(request.query_params.get("next"), "/"), status_code=303)


def _logged_in(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: User,
    next_page: str | None,
    default: str = "/",
) -> Response:
    """Rotate to a fresh session for `user` and go to the page asked for (or `default`)."""
    cookie, _ = rotate_session(
        session=session,
        settings=settings,
        old=current_session(request),
        user=user,
        now=request.app.state.clock(),
    )
    response = RedirectResponse(safe_next(next_page, default), status_code=303)
    set_session_cookie(response, settings=settings, value=cookie)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The sign-up form (403 page when sign-up is closed)."""
    if (home := _already_in(request, session)) is not None:
        return home
    status = 200 if settings.signup == "open" else 403
    return _form(request, session, settings, "signup.html", status=status)


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: FormText = "",
    password: FormText = "",
    csrf_token: CsrfField = None,
    next_page: Annotated[str, Form(alias="next", max_length=2048)] = "",
) -> Response:
    """Create the account and log it in; the form again, with the problem, otherwise."""
    require_csrf(request, csrf_token)
    try:
        user = create_user(session=session, settings=settings, name=name, password=password)
    except AccountError as error:
        status = 403 if settings.signup == "closed" else 400
        return _form(
            request,
            session,
            settings,
            "signup.html",
            error=str(error),
            name=name,
            status=status,
            next_page=next_page,
        )
    # A new account starts on the welcome page, which carries on to `next` if there was one.
    welcome = "/welcome" + (
        f"?next={quote(target, safe='')}" if (target := safe_next(next_page, "")) else ""
    )
    return _logged_in(request, session, settings, user, None, default=welcome)


@router.get("/welcome", response_class=HTMLResponse)
def welcome_page(request: Request, session: SessionDep) -> Response:
    """What to do first: study, a quiz or a demo, and the time zone the study day follows."""
    user = page_user(request, session)
    if user is None:
        return RedirectResponse("/login?next=%2Fwelcome", status_code=303)
    info = current_session(request)
    context = {
        "user": user,
        "csrf_token": info.csrf_token if info else "",
        "zones": zone_choices(user.time_zone),
        "rollover": ROLLOVER.strftime("%H:%M"),
        "next": safe_next(request.query_params.get("next"), "/study"),
    }
    return render(request, "welcome.html", context)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The log-in form; one that names what it is for when a per-user page sent the visitor."""
    if (home := _already_in(request, session)) is not None:
        return home
    return _form(request, session, settings, "login.html")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    name: FormText = "",
    password: FormText = "",
    csrf_token: CsrfField = None,
    next_page: Annotated[str, Form(alias="next", max_length=2048)] = "",
) -> Response:
    """Log in (a fresh session id) and go to `next`; one vague message when it fails."""
    require_csrf(request, csrf_token)
    try:
        user = authenticate(
            session=session,
            settings=settings,
            name=name,
            password=password,
            address=client_address(request),
            now=now,
        )
    except AccountError as error:
        # One vague message either way; a rate limit also says when to try again.
        retry = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
        return _form(
            request,
            session,
            settings,
            "login.html",
            error=str(error),
            name=name,
            status=429 if retry else 400,
            headers=retry,
            next_page=next_page,
        )
    return _logged_in(request, session, settings, user, next_page)


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, settings: SettingsDep, csrf_token: CsrfField = None
) -> Response:
    """End the session (needs the CSRF token) and go home."""
    info = require_csrf(request, csrf_token)
    end_session(session=session, info=info)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings=settings)
    return response

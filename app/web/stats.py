"""The stats page: retention by difficulty, the due forecast, the review calendar, counts and
the quiz history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app.deps import NowDep, SessionDep
from app.models import Deck
from app.srs.quiz_history import quizzes_by_deck
from app.srs.stats import user_stats
from app.web.render import render
from app.web.stats_view import HEATMAP_WEEKS, forecast_chart, heatmap
from app.web.viewer import login_redirect, page_user

router = APIRouter(include_in_schema=False)


# Below this many reviews a retention percentage swings by several points per review.
FEW_REVIEWS = 30


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: SessionDep, now: NowDep) -> Response:
    """The user's retention, forecast, calendar and counts (log in first)."""
    user = page_user(request, session)
    if user is None:
        return login_redirect(request)
    stats = user_stats(session=session, user=user, now=now, days=7 * HEATMAP_WEEKS)
    context = {
        "stats": stats,
        "heatmap": heatmap(stats),
        "forecast": forecast_chart(stats),
        "due_next_30": sum(count for _, count in stats.forecast),
        "reviews_30": sum(n for _, n, _ in stats.reviews_per_day[-30:]),
        "few_reviews": FEW_REVIEWS,
        "quizzes": quizzes_by_deck(session=session, user=user),
        "deck_titles": dict(session.execute(select(Deck.slug, Deck.title)).tuples().all()),
    }
    return render(request, "stats.html", context)

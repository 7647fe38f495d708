"""Shape a user's Stats for the stats page: the calendar heatmap's cells and the chart data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.srs.stats import Stats

HEATMAP_WEEKS = 26
CELL, GAP, LEFT, TOP = 12, 3, 28, 16
LEVELS = (0, 1, 5, 10, 20)  # lower bound of each shade: none, 1-4, 5-9, 10-19, 20+


@dataclass(frozen=True)
class DayCell:
    """One day of the review calendar: where it is drawn, its shade, and its words."""

    x: int
    y: int
    level: int
    title: str


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    cells: list[DayCell]
    months: list[tuple[int, str]]  # (x, "Mar") at the first week of each month
    total: int
    weeks: int = HEATMAP_WEEKS
    # (baseline y, "Mon"): a label on its own row (rows run Monday to Sunday, top to bottom).
    weekday_labels: tuple[tuple[int, str], ...] = tuple(
        (TOP + row * (CELL + GAP) + CELL - 2, name)
        for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    )


def level_of(reviews: int) -> int:
    """The shade 0-4 for a day's review count."""
    return max(index for index, bound in enumerate(LEVELS) if reviews >= bound)


def heatmap(stats: Stats) -> Heatmap:
    """Weeks as columns (Monday on top), from HEATMAP_WEEKS weeks ago to today."""
    counts = {day: reviews for day, reviews, _ in stats.reviews_per_day}
    first = stats.today - timedelta(days=stats.today.weekday() + 7 * (HEATMAP_WEEKS - 1))
    cells, months = [], []
    day, seen_month = first, 0
    while day <= stats.today:
        week, weekday = divmod((day - first).days, 7)
        x = LEFT + week * (CELL + GAP)
        if weekday == 0 and day.month != seen_month:
            months.append((x, day.strftime("%b")))
            seen_month = day.month
        reviews = counts.get(day, 0)
        noun = "review" if reviews == 1 else "reviews"
        title = f"{day.strftime('%a %d %b %Y')}: {reviews} {noun}"
        cells.append(DayCell(x, TOP + weekday * (CELL + GAP), level_of(reviews), title))
        day += timedelta(days=1)
    return Heatmap(
        width=LEFT + HEATMAP_WEEKS * (CELL + GAP),
        height=TOP + 7 * (CELL + GAP),
        cells=cells,
        months=months,
        total=sum(counts.values()),
    )


def forecast_chart(stats: Stats) -> dict[str, object]:
    """The 30-day due forecast as Chart.js labels and counts (drawn by static/js/stats.js)."""
    return {
        "labels": [_short(day, stats.today) for day, _ in stats.forecast],
        "counts": [count for _, count in stats.forecast],
    }


def _short(day: date, today: date) -> str:
    return "today" if day == today else day.strftime("%d %b")

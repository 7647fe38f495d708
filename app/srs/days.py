"""Study days: a day runs from 4 AM to 4 AM in the user's time zone, as in Anki."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

ROLLOVER = time(4)


# Files in a zoneinfo directory that are not zones a person lives in: the machine's own zone
# (which differs between servers) and tzdata's placeholders.
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def zone_choices(current: str) -> list[str]:
    """Every zone name for a select, sorted, with `current` in it even if this machine lacks it."""
    return sorted(_zone_names() | {current})


def is_time_zone(name: str) -> bool:
    """True for an IANA time zone name this machine knows (e.g. Europe/Paris)."""
    if name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def study_day(moment: datetime, tz: str) -> date:
    """The study day `moment` falls in: before 4 AM local time still counts as the day before."""
    local = moment.astimezone(ZoneInfo(tz))
    return local.date() if local.time() >= ROLLOVER else local.date() - timedelta(days=1)


def day_start(day: date, tz: str) -> datetime:
    """The UTC instant study day `day` begins (4 AM local)."""
    return datetime.combine(day, ROLLOVER, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def today_bounds(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the study day containing `now`."""
    today = study_day(now, tz)
    return day_start(today, tz), day_start(today + timedelta(days=1), tz)

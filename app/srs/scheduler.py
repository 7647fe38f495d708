"""The fsrs Scheduler, with fuzz seeded per review so a previewed interval is the one applied."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import fsrs
from fsrs.scheduler import FUZZ_RANGES

from app.models import CardState

MIN_FUZZ_DAYS = 2.5


class SeededScheduler(fsrs.Scheduler):
    """fsrs.Scheduler whose fuzz draws one number from `fuzz_seed` instead of the global RNG.

    fsrs calls the module-level random(); seeding by (user, card, state version) makes the
    preview of the four buttons and the review that follows draw the same number.
    """

    fuzz_seed: str

    def __init__(self, *, desired_retention: float, enable_fuzzing: bool, fuzz_seed: str) -> None:
        super().__init__(desired_retention=desired_retention, enable_fuzzing=enable_fuzzing)
        self.fuzz_seed = fuzz_seed

    def fuzz_draw(self) -> float:
        """The number in [0, 1) that places the interval in its fuzz range."""
        return random.Random(self.fuzz_seed).random()

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        # Same ranges and rounding as fsrs.Scheduler._get_fuzzed_interval; only the draw differs.
        days = interval.days
        if days < MIN_FUZZ_DAYS:
            return interval
        delta = 1.0
        for fuzz_range in FUZZ_RANGES:
            delta += fuzz_range["factor"] * max(
                min(float(days), fuzz_range["end"]) - fuzz_range["start"], 0.0
            )
        max_ivl = min(round(days + delta), self.maximum_interval)
        min_ivl = min(max(2, round(days - delta)), max_ivl)
        draw = self.fuzz_draw()
        fuzzed = min(round(draw * (max_ivl - min_ivl + 1) + min_ivl), self.maximum_interval)
        return timedelta(days=fuzzed)


def scheduler_for(
    *, user_id: int, card_id: int, version: int, retention: float, fuzzing: bool
) -> SeededScheduler:
    """The scheduler for the next review of (user, card) at state `version`."""
    return SeededScheduler(
        desired_retention=retention,
        enable_fuzzing=fuzzing,
        fuzz_seed=f"{user_id}:{card_id}:{version}",
    )


def fsrs_card(row: CardState | None, *, now: datetime) -> fsrs.Card:
    """The fsrs.Card for a stored state; a card never reviewed is a fresh fsrs.Card."""
    if row is None or row.state is None:
        return fsrs.Card(card_id=row.card_id if row else 0, due=now)
    return fsrs.Card(
        card_id=row.card_id,
        state=fsrs.State(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
    )


def preview(scheduler: fsrs.Scheduler, card: fsrs.Card, *, now: datetime) -> dict[int, fsrs.Card]:
    """The card after each of the four ratings, were it reviewed at `now`."""
    return {rating.value: scheduler.review_card(card, rating, now)[0] for rating in fsrs.Rating}

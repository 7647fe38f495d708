"""How often each listed mistake would be graded right, over 2,000 seeds per kind.

    .venv/bin/python -m tests.exercises.mistake_rates [SEEDS]

"before" grades the seed's first draw (the generator without the mistake filter, which is what
the generators produced before the filter existed); "after" grades what `generate` returns. A
mistake "slips through" on a seed when some field it changes is graded right. The rate is over
the seeds where the mistake can be made at all (e.g. G Wᵀ only multiplies out when W is square).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from app.exercises import REGISTRY
from app.exercises.base import Exercise, Mistake
from app.exercises.grading import mistake_slips_through

DEFAULT_SEEDS = 2000


@dataclass
class Rate:
    kind: str
    mistake: str
    applicable: int = 0
    slipped: int = 0

    def percent(self) -> str:
        if not self.applicable:
            return "n/a"
        return f"{100 * self.slipped / self.applicable:.1f}%"


def _tally(rate: Rate, exercise: Exercise, mistake: Mistake) -> None:
    if not mistake.answer(exercise.inputs()):
        return
    rate.applicable += 1
    rate.slipped += mistake_slips_through(exercise, mistake)


def rates(seeds: int = DEFAULT_SEEDS) -> list[tuple[Rate, Rate]]:
    """(before, after) per mistake of every kind."""
    table: list[tuple[Rate, Rate]] = []
    for kind in sorted(REGISTRY):
        spec = REGISTRY[kind]
        before = {m.name: Rate(kind, m.name) for m in spec.mistakes}
        after = {m.name: Rate(kind, m.name) for m in spec.mistakes}
        for seed in range(seeds):
            first, final = spec.draw(seed), spec.generate(seed)
            for mistake in spec.mistakes:
                _tally(before[mistake.name], first, mistake)
                _tally(after[mistake.name], final, mistake)
        table.extend((before[m.name], after[m.name]) for m in spec.mistakes)
    return table


def main(argv: list[str]) -> None:
    seeds = int(argv[0]) if argv else DEFAULT_SEEDS
    print(f"mistake pass rates over seeds 0..{seeds - 1} (of the seeds where it applies)")
    print(f"{'kind':<22} {'mistake':<20} {'applies':>8} {'before':>8} {'after':>7}")
    for before, after in rates(seeds):
        print(
            f"{before.kind:<22} {before.mistake:<20} {before.applicable:>8} "
            f"{before.percent():>8} {after.percent():>7}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

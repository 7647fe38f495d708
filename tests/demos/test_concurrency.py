"""Demos run for several requests at once (a thread pool) give the numbers they give alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from app.demos import REGISTRY, get_demo
from app.demos.base import Demo


def fingerprint(demo: Demo) -> tuple[object, ...]:
    """What must not change under load: the step values and every check's verdict."""
    import numpy as np

    steps = tuple(str(np.asarray(step.value).tolist()) for step in demo.steps)
    return steps, tuple(check.passed for check in demo.checks)


def test_every_demo_gives_the_same_numbers_under_concurrent_runs() -> None:
    names = sorted(REGISTRY) * 3
    alone = {name: fingerprint(get_demo(name).run_with({"seed": 1})) for name in REGISTRY}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda name: (name, get_demo(name).run_with({"seed": 1})), names))
    for name, demo in results:
        assert demo.passed, (name, [c.claim for c in demo.checks if not c.passed])
        assert fingerprint(demo) == alone[name], name

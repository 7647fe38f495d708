"""Engine modes are per thread: one thread's no_grad() or count() never leaks into another's."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from app.engine import Tensor, count, is_grad_enabled, no_grad


def run_while_other_thread_is_inside(
    context: Callable[[], object], body: Callable[[], object]
) -> object:
    """Run `body` in this thread while another thread sits inside `context`."""
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with context():  # type: ignore[attr-defined]
            entered.set()
            release.wait(timeout=10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert entered.wait(timeout=10)
        return body()
    finally:
        release.set()
        other.join(timeout=10)


def test_no_grad_in_another_thread_does_not_stop_this_one_recording() -> None:
    x = Tensor(np.ones(3), requires_grad=True)

    def body() -> object:
        assert is_grad_enabled()
        y = (x * 2).sum()
        y.backward()
        return x.grad

    grad = run_while_other_thread_is_inside(no_grad, body)
    np.testing.assert_array_equal(grad, [2.0, 2.0, 2.0])


def test_count_in_another_thread_does_not_count_this_threads_ops() -> None:
    seen: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def counting() -> None:
        with count() as counter:
            entered.set()
            release.wait(timeout=10)
        seen.append(counter.total_flops("forward"))

    other = threading.Thread(target=counting)
    other.start()
    assert entered.wait(timeout=10)
    (Tensor(np.ones((50, 50))) @ Tensor(np.ones((50, 50)))).sum()  # counted by nobody
    release.set()
    other.join(timeout=10)
    assert seen == [0]

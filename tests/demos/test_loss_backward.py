"""loss_backward: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import loss_backward as _  # noqa: F401  (registers it)
from app.engine import Tensor, autograd

DEMO = get_demo("loss_backward")


def values(demo_params: dict[str, int]) -> dict[str, object]:
    """Step label -> value for one run."""
    return {step.label: step.value for step in DEMO.run_with(demo_params).steps}


def test_the_real_engine_message_is_shown_and_the_weights_do_not_move() -> None:
    shown = values({"seed": 0, "n_in": 4, "n_out": 3})
    message = shown["second backward through a freed graph"]
    assert isinstance(message, str) and message.startswith("Trying to backward through the graph")
    assert shown["W changed by backward()"] == 0.0
    assert np.asarray(shown["W.grad after one backward"]).shape == (3, 4)


def test_a_grad_that_was_overwritten_fails_the_doubling_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def overwrite(node: Tensor, g: object) -> None:
        node.grad = np.array(g.data if isinstance(g, Tensor) else g, copy=True)

    monkeypatch.setattr(autograd, "_accumulate", overwrite)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("without zero_grad, a second backward doubles .grad").passed
    assert demo.check("after zero_grad, .grad equals one backward's gradient").passed


def test_a_zero_grad_that_did_nothing_fails_the_reset_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Tensor, "zero_grad", lambda self: None)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("after zero_grad, .grad equals one backward's gradient").passed


def test_a_graph_that_was_never_freed_fails_the_error_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(autograd, "_free", lambda node: None)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("a second backward through a freed graph raises").passed
    assert values({"seed": 0})["second backward through a freed graph"] == "no error was raised"


def test_an_error_that_did_not_say_how_to_fix_it_fails_the_error_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(autograd, "FREED_MESSAGE", "graph freed (op {op!r})")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("a second backward through a freed graph raises").passed


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 17}, {"n_in": 9}, {"n_out": 0}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)


def test_zero_grad_and_sgd_semantics_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A zero_grad that fills zeros, or an SGD that steps None grads, fails the demo."""
    from app.engine import nn, optim, tensor

    def zeros_instead(self: tensor.Tensor, set_to_none: bool = True) -> None:
        if self.grad is not None:
            self.grad.fill(0.0)

    with monkeypatch.context() as patch:
        patch.setattr(tensor.Tensor, "zero_grad", zeros_instead)

        def zero_grads(params: Any, set_to_none: bool = True) -> None:
            for p in params:
                zeros_instead(p)

        patch.setattr(nn, "zero_grads", zero_grads)  # Module.zero_grad
        patch.setattr(optim, "zero_grads", zero_grads)  # Optimizer.zero_grad
        demo = get_demo("loss_backward").run_with({})
        failed = {check.claim for check in demo.checks if not check.passed}
        assert any("sets .grad to None" in claim for claim in failed)
        assert any("skips a parameter whose .grad is None" in claim for claim in failed)
    assert get_demo("loss_backward").run_with({}).passed

"""gradcheck must not be blind: a gradient rule off by 1e-4 relative fails it."""

import numpy as np
import pytest

from app.engine import GradcheckError, Tensor, arith, check_jvp_vjp, gradcheck, pointwise

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))


def f(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).tanh().sum() + (a * a).mean()


def test_correct_rules_pass_with_a_report() -> None:
    report = gradcheck(f, [A, B])
    assert report.passed and bool(report)
    assert [c.index for c in report.inputs] == [0, 1]
    assert all(c.max_rel_error < 1e-6 for c in report.inputs)


def test_a_rule_off_by_1e4_relative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    correct = arith.mul_vjp

    def slightly_wrong(*args: object) -> tuple:
        return tuple(None if g is None else g * (1 + 1e-4) for g in correct(*args))  # type: ignore[arg-type]

    monkeypatch.setattr(arith, "mul_vjp", slightly_wrong)
    report = gradcheck(f, [A, B])
    assert not report.passed
    assert all(1e-5 < c.max_rel_error < 1e-3 for c in report.inputs)
    with pytest.raises(GradcheckError, match="FAIL"):
        gradcheck(f, [A, B], raise_exception=True)


def test_jvp_and_vjp_agree() -> None:
    check = check_jvp_vjp(f, [A, B])
    assert check.passed and check.forward == pytest.approx(check.reverse)


def test_jvp_vjp_check_catches_a_broken_tangent_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    correct = pointwise.tanh_jvp
    monkeypatch.setattr(pointwise, "tanh_jvp", lambda *args: correct(*args) * (1 + 1e-4))
    assert not check_jvp_vjp(f, [A, B]).passed

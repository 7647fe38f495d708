"""batchnorm_accumulation: exact without BN, different with BN, and checks that can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import batchnorm_accumulation  # noqa: F401  (registers it)
from app.engine import autograd

DEMO = get_demo("batchnorm_accumulation")


def test_micro_batch_gradients_differ_with_batch_norm() -> None:
    demo = DEMO.run_with({"seed": 2, "micro": 3, "steps": 2})
    values = {step.label: step.value for step in demo.steps}
    assert np.allclose(values["no BN: ∂L/∂W, big batch"], values["no BN: ∂L/∂W, accumulated"])
    assert not np.allclose(values["BN: ∂L/∂W, big batch"], values["BN: ∂L/∂W, accumulated"])


def test_overwriting_grad_fails_the_exact_accumulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def overwrite(node: Any, g: Any) -> None:
        node.grad = np.array(g.data if hasattr(g, "data") else g, dtype=node.data.dtype)

    monkeypatch.setattr(autograd, "_accumulate", overwrite)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("no batch norm:").passed

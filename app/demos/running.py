"""Run a demo from untrusted parameters (query strings, CLI options) with clear errors."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from app.demos.base import Demo, DemoParams
from app.demos.registry import get_demo


class DemoParamsError(ValueError):
    """Parameters a demo refuses; the message names each parameter and its bound."""


def describe_errors(error: ValidationError, model: type[DemoParams] | None = None) -> str:
    """`batch: Input should be less than or equal to 32; width: unknown parameter; did you mean
    'batch'?` (with `model`, an unknown parameter names the nearest one, or lists them)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'params'}: {_message(item, model)}"
        for item in error.errors(include_url=False)
    )


def _message(item: Any, model: type[DemoParams] | None) -> str:
    if item["type"] != "extra_forbidden" or model is None or not item["loc"]:
        return str(item["msg"])
    known = sorted(model.model_fields)
    guess = difflib.get_close_matches(str(item["loc"][-1]), known, n=1)
    if guess:
        return f"unknown parameter; did you mean {guess[0]!r}?"
    return f"unknown parameter; this demo takes {', '.join(known)}"


def describe_params(model: type[DemoParams]) -> list[str]:
    """Each parameter with its default and what it allows: `batch=4 (1 to 32)`."""
    return [
        f"{name}={info.get_default(call_default_factory=True)} ({_allowed(info)})"
        for name, info in model.model_fields.items()
    ]


def _allowed(info: FieldInfo) -> str:
    if typing.get_origin(info.annotation) is typing.Literal:
        return " | ".join(str(option) for option in typing.get_args(info.annotation))
    low = high = ""
    for item in info.metadata:
        if isinstance(item, Ge):
            low = f"{item.ge} to"
        elif isinstance(item, Gt):
            low = f"above {item.gt}, to"
        if isinstance(item, Le):
            high = f"{item.le}"
        elif isinstance(item, Lt):
            high = f"below {item.lt}"
    kind = getattr(info.annotation, "__name__", str(info.annotation))
    return " ".join(part for part in (low, high) if part) or f"any {kind}"


def run_demo(name: str, defaults: Mapping[str, Any], overrides: Iterable[tuple[str, str]]) -> Demo:
    """Run demo `name` with `defaults` (a card's params) updated by string `overrides`.

    Raises UnknownDemo for a bad name and DemoParamsError for bad or out-of-range params.
    """
    return get_demo(name).run(validated_params(name, defaults, overrides))


def validated_params(
    name: str, defaults: Mapping[str, Any], overrides: Iterable[tuple[str, str]]
) -> DemoParams:
    """Demo `name`'s params model from `defaults` updated by string `overrides` (the errors of
    run_demo)."""
    spec = get_demo(name)
    params = dict(defaults)
    given: set[str] = set()
    for key, value in overrides:
        if key in given:
            raise DemoParamsError(f"{key}: given more than once")
        given.add(key)
        params[key] = value
    try:
        return spec.params.model_validate(params)
    except ValidationError as error:
        raise DemoParamsError(describe_errors(error, spec.params)) from None

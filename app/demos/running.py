"""Run a demo from untrusted parameters (query strings, CLI options) with clear errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from app.demos.base import Demo, DemoParams
from app.demos.registry import get_demo


class DemoParamsError(ValueError):
    """Parameters a demo refuses; the message names each parameter and its bound."""


def describe_errors(error: ValidationError) -> str:
    """`batch: Input should be less than or equal to 32; width: Extra inputs are not permitted`."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'params'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )


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
        raise DemoParamsError(describe_errors(error)) from None

"""How prompts print numbers and polynomials: `x^2`, not `1x^2`; no `+ 0`; `- 3`, not `+ -3`.

Every prompt that shows a coefficient or an expression goes through these two functions."""

from __future__ import annotations

from collections.abc import Sequence


def number(value: float) -> str:
    """A number as a person writes it in a formula: 2, -3, 0.5, 0.125 (no '2.0', no '-0')."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def poly(terms: Sequence[tuple[float, str]]) -> str:
    """Terms (coefficient, monomial) as LaTeX: [(1, 'x^2'), (-3, 'x'), (0, '')] -> 'x^2 - 3x'.

    A coefficient of 1 or -1 before a monomial is left out, zero terms are dropped, a negative
    term after the first is written with ' - ', and an empty sum is '0'."""
    pieces: list[str] = []
    for coefficient, monomial in terms:
        coefficient = float(coefficient)
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        body = number(magnitude) if not monomial or magnitude != 1 else ""
        body += monomial
        if not pieces:
            pieces.append(f"-{body}" if coefficient < 0 else body)
        else:
            pieces.append(f"{'-' if coefficient < 0 else '+'} {body}")
    return " ".join(pieces) if pieces else "0"


def shifted(symbol: str, offset: float) -> str:
    """'u - 1' for (u, -1), 'u + 2' for (u, 2), 'u' for (u, 0)."""
    return poly([(1, symbol), (offset, "")])

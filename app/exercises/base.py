"""What an exercise is: a seeded question with named answer fields, the engine's solution and
the worked steps; and the registry that maps a kind to its generator. Pure data: no web."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.demos.base import Step

MAX_SEED = 2**31 - 1
# Hand answers are exact decimals, but someone may round 0.0625 to 0.06: forgive that much.
DEFAULT_ATOL = 5e-3
DEFAULT_RTOL = 1e-3


class UnknownExercise(KeyError):
    """No exercise has that kind."""

    def __str__(self) -> str:
        return f"there is no exercise kind {self.args[0]!r}; known: {', '.join(sorted(REGISTRY))}"


class BadSeed(ValueError):
    """A seed outside 0..2**31-1."""


@dataclass(frozen=True)
class Given:
    """A number shown to the user: a scalar, vector or matrix, with its LaTeX symbol."""

    name: str
    label: str  # LaTeX, e.g. "X" or r"\eta"
    value: np.ndarray
    note: str | None = None  # e.g. "z = ln(1, 2, 1), so softmax(z) is easy"


@dataclass(frozen=True)
class AnswerField:
    """One answer the user must give: its name (used in JSON and forms), symbol and shape."""

    name: str
    label: str  # LaTeX, e.g. r"\partial L/\partial W"
    shape: tuple[int, ...]

    def describe(self) -> str:
        """A valid answer in words: 'a 2×3 matrix — a list of 2 rows of 3 numbers'."""
        if self.shape == ():
            return "a number"
        if len(self.shape) == 1:
            n = self.shape[0]
            return f"a vector — a list of {n} number{'s' if n != 1 else ''}"
        rows, cols = self.shape
        return f"a {rows}×{cols} matrix — a list of {rows} rows of {cols} numbers"

    def short(self) -> str:
        """'a number', 'a vector of 2', 'a 2×3 matrix' (for form legends)."""
        if len(self.shape) == 1:
            return f"a vector of {self.shape[0]}"
        return self.describe().split(" — ")[0]

    def plain_label(self) -> str:
        """The symbol in plain text for sentences: '∂L/∂W_1' -> 'dL/dW1', 'W^\\top' -> 'Wᵀ'."""
        return plain(self.label)

    def entry_name(self, index: tuple[int, ...]) -> str:
        """How one entry is named in feedback: 'dW[1,0]', 'db[2]' or 'dydx'."""
        if not index:
            return self.name
        return f"{self.name}[{','.join(str(i) for i in index)}]"

    def indices(self) -> list[tuple[int, ...]]:
        """Every entry's index, in row-major order."""
        return list(_indices(self.shape))


@functools.cache
def _indices(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(i) for i in index) for index in np.ndindex(*shape))


def plain(tex: str) -> str:
    """A little LaTeX as plain text, enough for the labels of answer fields."""
    text = tex.replace(r"\partial ", "d").replace(r"\partial", "d").replace(r"^\top", "ᵀ")
    text = re.sub(r"\\(?:operatorname|text)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\(hat|bar)\s*\{?([A-Za-z])\}?", r"\2", text)
    text = re.sub(r"\\[,;!]|\\(mathbf|mathrm|tfrac|frac)", "", text)
    text = text.replace(r"\leftarrow", "←").replace(r"\odot", "⊙").replace(r"\delta", "δ")
    text = text.replace(r"\sigma", "σ").replace(r"\eta", "η").replace(r"\tanh", "tanh")
    return re.sub(r"[_{}\\]", "", text).strip()


@dataclass(frozen=True)
class Exercise:
    """A generated question. The same (kind, seed) always gives the same exercise."""

    kind: str
    seed: int
    title: str
    prompt: str  # Markdown with $math$
    given: tuple[Given, ...]
    fields: tuple[AnswerField, ...]
    solution: Mapping[str, np.ndarray]  # field name -> the engine's value, shaped like the field
    steps: tuple[Step, ...]  # the worked solution
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    # Hidden facts of the draw that are not shown as givens (which inner function, which
    # gradient is asked): mistakes read them beside the givens.
    params: Mapping[str, Any] = field(default_factory=dict)

    def field(self, name: str) -> AnswerField:
        """The answer field called `name`."""
        for answer_field in self.fields:
            if answer_field.name == name:
                return answer_field
        raise KeyError(name)

    def correct_answer(self) -> dict[str, Any]:
        """The solution as JSON-style numbers and nested lists (what a perfect answer sends)."""
        return {f.name: to_json(self.solution[f.name]) for f in self.fields}

    def inputs(self) -> dict[str, Any]:
        """What a mistake may read: every given's value by name, and the hidden params."""
        values: dict[str, Any] = {g.name: np.asarray(g.value, dtype=np.float64) for g in self.given}
        values.update(self.params)
        return values

    def mistaken_answer(self, mistake: Mistake) -> dict[str, Any] | None:
        """The whole answer a student making `mistake` sends (fields the mistake leaves alone
        are right), or None when the mistake does not apply to this draw."""
        wrong = mistake.answer(self.inputs())
        if not wrong:
            return None
        answer = self.correct_answer()
        answer.update({name: to_json(value) for name, value in wrong.items()})
        return answer


@dataclass(frozen=True)
class Mistake:
    """A classic error an exercise kind tests: `answer` maps the exercise's inputs (givens and
    params, never the solution) to the value the error gives for each field it changes, or to
    {} when the error cannot be made on this draw (e.g. GWᵀ when the shapes do not fit).

    The generator rejects every draw on which one of those fields would be graded right."""

    name: str  # e.g. "outer_at_x"
    says: str  # what the student did, in words
    answer: Callable[[Mapping[str, Any]], Mapping[str, Any]]


def to_json(value: np.ndarray | float) -> Any:
    """A number or nested lists, without float noise (0.16000000000000003) or negative zeros."""
    cleaned = np.round(np.asarray(value, dtype=np.float64), 12) + 0.0
    return cleaned.tolist()


Generator = Callable[[np.random.Generator, int], Exercise]
# A draw a listed mistake would pass is thrown away and drawn again from a generator derived
# from (seed, attempt): still deterministic. No kind comes near this many rejections in a row.
MAX_ATTEMPTS = 200


@dataclass(frozen=True)
class ExerciseSpec:
    kind: str
    title: str
    summary: str  # one sentence for the list of kinds
    build: Generator
    mistakes: tuple[Mistake, ...] = ()

    def generate(self, seed: int) -> Exercise:
        """The exercise for `seed`; BadSeed outside 0..2**31-1. Draws on which a listed
        mistake would be graded right in any field it changes are redrawn."""
        _check_seed(seed)
        from app.exercises.grading import mistake_slips_through  # grading imports this module

        for attempt in range(MAX_ATTEMPTS):
            exercise = self.draw(seed, attempt)
            if not any(mistake_slips_through(exercise, m) for m in self.mistakes):
                return exercise
        raise RuntimeError(f"{self.kind}: no draw for seed {seed} survives its mistakes")

    def draw(self, seed: int, attempt: int = 0) -> Exercise:
        """One draw, without the mistake filter: attempt 0 is the seed's own generator."""
        _check_seed(seed)
        rng = np.random.default_rng(seed if attempt == 0 else [seed, attempt])
        exercise = self.build(rng, seed)
        assert set(exercise.solution) == {f.name for f in exercise.fields}, exercise.kind
        return exercise


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadSeed(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")


REGISTRY: dict[str, ExerciseSpec] = {}


def register(
    kind: str, title: str, summary: str, mistakes: tuple[Mistake, ...] = ()
) -> Callable[[Generator], Generator]:
    """Decorator: register `build(rng, seed) -> Exercise` under `kind`, with the mistakes its
    draws must catch."""

    def add(build: Generator) -> Generator:
        if kind in REGISTRY:
            raise ValueError(f"exercise {kind!r} is registered twice")
        names = [m.name for m in mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"exercise {kind!r} lists a mistake twice: {names}")
        REGISTRY[kind] = ExerciseSpec(kind, title, summary, build, mistakes)
        return build

    return add


def get_exercise(kind: str) -> ExerciseSpec:
    """The exercise spec for `kind`; UnknownExercise when there is none."""
    try:
        return REGISTRY[kind]
    except KeyError:
        raise UnknownExercise(kind) from None


def generate(kind: str, seed: int) -> Exercise:
    """The exercise of `kind` for `seed` (UnknownExercise, BadSeed)."""
    return get_exercise(kind).generate(seed)


def random_seed() -> int:
    """A fresh seed for a new exercise (not reproducible: use it, then show it)."""
    return secrets.randbelow(MAX_SEED + 1)


def exercise_kinds() -> frozenset[str]:
    """Every registered kind (the deck loader checks cards against it)."""
    return frozenset(REGISTRY)


@dataclass
class Numbers:
    """Small, friendly random numbers: integers and halves that can be worked by hand."""

    rng: np.random.Generator

    def ints(self, shape: tuple[int, ...], low: int = -3, high: int = 3) -> np.ndarray:
        """Integers in [low, high] as float64."""
        return self.rng.integers(low, high + 1, size=shape).astype(np.float64)

    def nonzero_ints(self, shape: tuple[int, ...], low: int = -3, high: int = 3) -> np.ndarray:
        """Integers in [low, high] without 0."""
        choices = np.array([v for v in range(low, high + 1) if v != 0], dtype=np.float64)
        return self.rng.choice(choices, size=shape)

    def halves(self, shape: tuple[int, ...], low: float = -2, high: float = 2) -> np.ndarray:
        """Multiples of 0.5 in [low, high]."""
        return self.rng.integers(int(low * 2), int(high * 2) + 1, size=shape) / 2.0

    def pick(self, options: list[float]) -> float:
        """One of `options`."""
        return float(options[int(self.rng.integers(len(options)))])

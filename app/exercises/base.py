"""What an exercise is: a seeded question with named answer fields, the engine's solution and
the worked steps; and the registry that maps a kind to its generator. Pure data: no web."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

    def entry_name(self, index: tuple[int, ...]) -> str:
        """How one entry is named in feedback: 'dW[1,0]', 'db[2]' or 'dydx'."""
        if not index:
            return self.name
        return f"{self.name}[{','.join(str(i) for i in index)}]"

    def indices(self) -> list[tuple[int, ...]]:
        """Every entry's index, in row-major order."""
        return [tuple(int(i) for i in index) for index in np.ndindex(*self.shape)]


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

    def field(self, name: str) -> AnswerField:
        """The answer field called `name`."""
        for answer_field in self.fields:
            if answer_field.name == name:
                return answer_field
        raise KeyError(name)

    def correct_answer(self) -> dict[str, Any]:
        """The solution as JSON-style numbers and nested lists (what a perfect answer sends)."""
        return {f.name: to_json(self.solution[f.name]) for f in self.fields}


def to_json(value: np.ndarray | float) -> Any:
    """A number or nested lists, without float noise (0.16000000000000003) or negative zeros."""
    cleaned = np.round(np.asarray(value, dtype=np.float64), 12) + 0.0
    return cleaned.tolist()


Generator = Callable[[np.random.Generator, int], Exercise]


@dataclass(frozen=True)
class ExerciseSpec:
    kind: str
    title: str
    summary: str  # one sentence for the list of kinds
    build: Generator

    def generate(self, seed: int) -> Exercise:
        """The exercise for `seed`; BadSeed outside 0..2**31-1."""
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise BadSeed(f"seed must be an integer from 0 to {MAX_SEED}, got {seed!r}")
        exercise = self.build(np.random.default_rng(seed), seed)
        assert set(exercise.solution) == {f.name for f in exercise.fields}, exercise.kind
        return exercise


REGISTRY: dict[str, ExerciseSpec] = {}


def register(kind: str, title: str, summary: str) -> Callable[[Generator], Generator]:
    """Decorator: register `build(rng, seed) -> Exercise` under `kind`."""

    def add(build: Generator) -> Generator:
        if kind in REGISTRY:
            raise ValueError(f"exercise {kind!r} is registered twice")
        REGISTRY[kind] = ExerciseSpec(kind, title, summary, build)
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

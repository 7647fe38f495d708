"""Generated numeric exercises: a seeded question with small, friendly numbers, its solution
computed by the engine, and grading entry by entry with a tolerance.

Pure NumPy on top of app.engine: nothing here imports the web layer or the database.
"""

from app.exercises import (  # noqa: F401  (they register)
    activations,
    attention,
    cnn,
    costs,
    init_norm,
    layers,
    losses,
    modes,
    optimization,
    regularization,
    scalars,
    sequence_models,
    softmax,
    training,
    training_at_scale,
)
from app.exercises.base import (
    MAX_SEED,
    REGISTRY,
    AnswerField,
    BadSeed,
    Exercise,
    ExerciseSpec,
    Given,
    UnknownExercise,
    exercise_kinds,
    generate,
    get_exercise,
    random_seed,
)
from app.exercises.grading import (
    BadAnswer,
    EntryVerdict,
    FieldGrade,
    Grade,
    format_number,
    grade,
    parse_answer,
)

__all__ = [
    "MAX_SEED",
    "REGISTRY",
    "AnswerField",
    "BadAnswer",
    "BadSeed",
    "EntryVerdict",
    "Exercise",
    "ExerciseSpec",
    "FieldGrade",
    "Given",
    "Grade",
    "UnknownExercise",
    "exercise_kinds",
    "format_number",
    "generate",
    "get_exercise",
    "grade",
    "parse_answer",
    "random_seed",
]

"""gradcards: backpropagation flashcards whose answers are demonstrated by a live engine."""

__version__ = "0.1.0"

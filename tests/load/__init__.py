"""Load and crash proofs against real `gradcards serve --workers 2` processes (issue 11)."""

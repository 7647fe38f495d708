"""Spaced repetition: FSRS-6 (the `fsrs` package) per user and card, the queue, reviews, stats."""

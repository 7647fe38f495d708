"""Exports: a deck as CSV or as an Anki package, and a user's review history as CSV."""

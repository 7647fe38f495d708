"""Exercise kinds of the sequence-models deck."""

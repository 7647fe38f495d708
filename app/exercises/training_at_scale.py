"""Exercise kinds of the training-at-scale deck."""

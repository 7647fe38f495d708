"""Exercise kinds of the regularization deck."""

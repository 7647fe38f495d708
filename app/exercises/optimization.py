"""Exercise kinds of the optimization deck."""

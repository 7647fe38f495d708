"""Exercise kinds of the attention deck."""

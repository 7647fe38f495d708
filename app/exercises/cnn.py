"""Exercise kinds of the cnn deck."""

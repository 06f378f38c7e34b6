"""Build the Bento and its container image (see image/README.md)."""

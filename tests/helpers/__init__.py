"""Helpers that several test modules import (never a conftest or another test module)."""

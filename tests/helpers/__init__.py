"""Helper modules the tests import (never conftest.py, never another test module)."""

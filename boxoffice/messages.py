"""Wording shared by the messages of training, the service and the client."""

from __future__ import annotations

from collections.abc import Sequence


def some(names: Sequence[object], shown: int) -> str:
    """The first ``shown`` names quoted, then how many more: "'a', 'b' and 3 more"."""
    more = len(names) - shown
    return ", ".join(repr(n) for n in names[:shown]) + (f" and {more} more" if more > 0 else "")

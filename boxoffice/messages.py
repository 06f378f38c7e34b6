"""Wording shared by the messages of training, the service and the client."""

from __future__ import annotations

from collections.abc import Sequence

from boxoffice.config import (
    MAX_PLAUSIBLE_BUDGET_USD,
    MAX_PLAUSIBLE_RUNTIME,
    MIN_PLAUSIBLE_RUNTIME,
    MIN_PLAUSIBLE_USD,
)
from boxoffice.fields import AMOUNT_FIELDS


def some(names: Sequence[object], shown: int) -> str:
    """The first ``shown`` names quoted, then how many more: "'a', 'b' and 3 more"."""
    more = len(names) - shown
    return ", ".join(repr(n) for n in names[:shown]) + (f" and {more} more" if more > 0 else "")


def too_small(usd: float) -> str:
    """Why an amount above 0 but under MIN_PLAUSIBLE_USD, which no film the models learned from
    cost, is refused as typed in the wrong unit (150 meant as $150M): by the API (a budget),
    the client (a row, an option) and the slate page (serving/ui/slate.js, the same words)."""
    return (
        f"${usd:,.0f}, under ${MIN_PLAUSIBLE_USD:,}, which no film the models learned from cost "
        "(amounts are in US$: 20M is $20 million)"
    )


def unit_slip(field: str, text: str, value: float) -> str | None:
    """Why a table's cell (``text``, read as ``value``) is refused as typed in the wrong unit,
    or None: an amount under MIN_PLAUSIBLE_USD (``too_small``), a budget of $1 billion or more,
    a runtime under ten minutes or of ten hours or more. Said by the client (a slate's or a
    scored table's row) and the slate page (serving/ui/slate.js, the same words); the one-film
    page refuses the same values as typed in its units."""
    if field in AMOUNT_FIELDS and 0 < value < MIN_PLAUSIBLE_USD:
        return f"{field}: {text} is {too_small(value)}"
    if field == "budget" and value >= MAX_PLAUSIBLE_BUDGET_USD:
        return (
            f"budget: {text} is ${value / 1e9:,.1f} billion, more than any film has cost "
            "(amounts are in US$: 90M is $90 million)"
        )
    if field == "runtime" and 0 < value < MIN_PLAUSIBLE_RUNTIME:  # 0 or less: the API's to refuse
        return f"runtime: {text} minutes? The runtime is in minutes (108 for 1 h 48 min)"
    if field == "runtime" and value >= MAX_PLAUSIBLE_RUNTIME:
        return (
            f"runtime: {text} minutes is {value / 60:,.1f} hours, longer than any film in "
            "cinemas: the runtime is in minutes (135 for 2 h 15 min, not 8100 seconds)"
        )
    return None


# How to give several names or codes written as one ("Drama, Comedy", "US, GB"): the schema's
# refusals and the names' warnings say it alike.
SEVERAL = "give each as its own item, or in a CSV cell separated by |"

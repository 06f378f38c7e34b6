"""Wording shared by the messages of training, the service and the client."""

from __future__ import annotations

from collections.abc import Sequence

from boxoffice.config import MIN_PLAUSIBLE_USD


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


# How to give several names or codes written as one ("Drama, Comedy", "US, GB"): the schema's
# refusals and the names' warnings say it alike.
SEVERAL = "give each as its own item, or in a CSV cell separated by |"

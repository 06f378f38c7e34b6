"""The CPI-U table the models are stored with, read from the ``cpi`` package's own data.

``cpi`` ships the Bureau of Labor Statistics' CPI-U series in its package and reads it offline;
it only reaches the network when asked to update (``cpi.update()``, never called here). At
import it warns (StaleDataWarning) when its newest month is more than 90 days old: the table
is still the published one, so the warning is silenced here and the table's last year is
recorded with the models instead.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version

from boxoffice.dollars import CpiTable

# Prices after the table's last year rise by the mean inflation of its last this many years.
GROWTH_YEARS = 10


def cpi_table() -> CpiTable:
    """Annual CPI-U averages from 1913 to the package's last complete year; constant dollars
    are dollars of that last year."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import cpi
    last = int(cpi.LATEST_YEAR)
    index = {year: float(cpi.get(year)) for year in range(1913, last + 1)}
    growth = (index[last] / index[last - GROWTH_YEARS]) ** (1 / GROWTH_YEARS)
    return CpiTable(
        source=f"cpi {version('cpi')}: BLS CPI-U, all items, U.S. city average, annual "
        f"averages 1913-{last}",
        index=index,
        base_year=last,
        growth_after_last=float(growth),
    )

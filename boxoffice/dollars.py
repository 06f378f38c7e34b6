"""US dollars of one year in those of another, by the CPI-U (consumer prices, all urban consumers).

Training builds a ``CpiTable`` from the ``cpi`` package (the BLS annual averages it ships, read
offline) and stores it with the models; nothing here imports ``cpi``, so serving needs neither
the package nor the network.

After the last year of the table, prices are taken to rise by the geometric mean of the table's
last ten years of inflation (e.g. 3.1% a year for 2015-2025); before its first year, they are
taken as in its first year.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from boxoffice.kept import kept


class CpiTable(BaseModel):
    """Annual CPI-U averages by year, and what "constant dollars" means with them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    index: dict[int, float]  # year -> CPI-U annual average
    base_year: int  # constant dollars are dollars of this year
    growth_after_last: float  # yearly price factor after the table's last year

    @property
    def last_year(self) -> int:
        return max(self.index)

    def _levels(self) -> tuple[int, int, np.ndarray]:
        """The first and last years and the CPI-U of each year between (read-only)."""
        first, last = min(self.index), self.last_year
        table = np.array([self.index[y] for y in range(first, last + 1)])
        table.flags.writeable = False
        return first, last, table

    def level(self, years: Any) -> np.ndarray:
        """The CPI-U of each year (extrapolated after the last year, held before the first)."""
        years = np.asarray(years, dtype=float)
        first, last, table = kept(self, "_levels_kept", self._levels, self.index)
        clipped = np.clip(np.nan_to_num(years, nan=last), first, last).astype(int)
        level = table[clipped - first]
        after = np.clip(np.nan_to_num(years, nan=last) - last, 0, None)
        return level * self.growth_after_last**after

    def to_constant(self, usd: Any, years: Any) -> np.ndarray:
        """Dollars of each film's year as dollars of ``base_year``."""
        return np.asarray(usd, dtype=float) * self.index[self.base_year] / self.level(years)

    def from_constant(self, usd: Any, years: Any) -> np.ndarray:
        """Dollars of ``base_year`` as dollars of each film's year."""
        return np.asarray(usd, dtype=float) * self.level(years) / self.index[self.base_year]

"""The years the training protocol uses, all read from the table it is given.

- the newest year: the latest release year with at least ``MIN_FILMS_PER_YEAR`` labelled,
  plausible films (a last year with a handful of films is too thin to test on);
- the test years: the last ``TEST_YEARS`` years up to it; they take part in no choice;
- the selection years: the ``SELECTION_YEARS`` years before them: candidates are tuned and
  chosen, constant dollars adopted and the distribution's design chosen on them;
- "trained to": the year before the test years: one model fitted up to it forecasts every
  test year (and, for the choice, one fitted up to the year before the selection years
  forecasts every selection year);
- the forward origins: every year from ``SELECTION_YEARS`` years before the first selection
  year to the newest: each fits on the films released before it; the early ones give the
  out-of-time forecasts the later ones fit their distributions on.

The quick profile (tests, smoke runs) tunes on the last two selection years and fits fewer
origins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.split import Splits

TEST_YEARS = 6
SELECTION_YEARS = 6
QUICK_SELECTION_YEARS = 2
MIN_FILMS_PER_YEAR = 30


@dataclass(frozen=True)
class Calendar:
    """The protocol's years for one table and profile."""

    newest_year: int
    test_years: tuple[int, ...]
    selection_years: tuple[int, ...]  # of the full profile
    profile: str

    @classmethod
    def from_years(cls, newest_year: int, profile: str) -> Calendar:
        test = tuple(range(newest_year - TEST_YEARS + 1, newest_year + 1))
        selection = tuple(range(test[0] - SELECTION_YEARS, test[0]))
        return cls(newest_year, test, selection, profile)

    @property
    def quick(self) -> bool:
        return self.profile == "quick"

    @property
    def trained_to(self) -> int:
        """The test protocol's single origin is the year after this one."""
        return self.test_years[0] - 1

    @property
    def tuning_years(self) -> tuple[int, ...]:
        """The years each forecast one year ahead to tune and choose the candidates."""
        return self.selection_years[-QUICK_SELECTION_YEARS:] if self.quick else self.selection_years

    @property
    def development_origin(self) -> int:
        """The development protocol's single origin: fitted on the films before it, it
        forecasts every tuning year."""
        return self.tuning_years[0]

    @property
    def development_last_year(self) -> int:
        return self.selection_years[-1]

    @property
    def forward_origins(self) -> tuple[int, ...]:
        """Every origin the chosen models are refitted at."""
        if self.quick:
            first = self.selection_years[0]
            early = (first, first + 2, first + 4)  # the history of the tuning years
            return tuple(sorted({*early, *self.tuning_years, *self.test_years}))
        return tuple(range(self.selection_years[0] - SELECTION_YEARS, self.newest_year + 1))

    @property
    def report_years(self) -> tuple[int, ...]:
        """The years the report scores one year ahead, one by one."""
        return tuple(y for y in (*self.tuning_years, *self.test_years) if y in self.forward_origins)

    @property
    def dollars_origins(self) -> tuple[int, ...]:
        """Where constant dollars are tried beside nominal ones: one year ahead over the
        tuning years (the decision) and the test years (reported)."""
        if self.quick:
            return (*self.tuning_years, self.test_years[0])
        return (*self.tuning_years, *self.test_years)

    def describe(self) -> str:
        return (
            f"selection {self.selection_years[0]}-{self.selection_years[-1]}, test "
            f"{self.test_years[0]}-{self.test_years[-1]} (trained to {self.trained_to}), "
            f"newest {self.newest_year}"
        )


def newest_labelled_year(splits: Splits) -> int:
    """The latest release year with at least MIN_FILMS_PER_YEAR labelled, plausible films."""
    years = splits.population["release_year"].to_numpy(dtype=float)[splits.plausible]
    values, counts = np.unique(years, return_counts=True)
    enough = values[counts >= MIN_FILMS_PER_YEAR]
    return int(enough.max()) if len(enough) else int(values.max())


def calendar_of(splits: Splits, profile: str) -> Calendar:
    """The protocol's years for this table (see the module)."""
    return Calendar.from_years(newest_labelled_year(splits), profile)

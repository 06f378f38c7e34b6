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

A table too short for this (fewer than twelve years of at least ``MIN_FILMS_TO_SCORE`` labelled
films up to its newest year, or fewer than ``MIN_FILMS_FIRST_FIT`` films before the first
origin) stops before any training with one line saying what it needs and what it has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training import config
from training.data import DataError
from training.split import Splits, is_hit, ratio_advice

TEST_YEARS = 6
SELECTION_YEARS = 6
QUICK_SELECTION_YEARS = 2
# The newest year needs this many labelled, plausible films; every selection and test year
# this many to be scored; the first origin this many films before it to fit on.
MIN_FILMS_PER_YEAR = 30
MIN_FILMS_TO_SCORE = 20
MIN_FILMS_FIRST_FIT = 200


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
        tuning = f"{self.tuning_years[0]}-{self.tuning_years[-1]}"
        selection = f"{self.selection_years[0]}-{self.selection_years[-1]}"
        chosen = (
            f"chosen on {tuning} (quick: the last {len(self.tuning_years)} of the selection "
            f"years {selection})"
            if self.quick
            else f"selection {selection}"
        )
        return (
            f"{chosen}, test "
            f"{self.test_years[0]}-{self.test_years[-1]} (trained to {self.trained_to}), "
            f"newest {self.newest_year}"
        )


def labelled_by_year(splits: Splits) -> dict[int, int]:
    """How many labelled, plausible films each release year holds."""
    years = splits.population["release_year"].to_numpy(dtype=float)[splits.plausible]
    values, counts = np.unique(years[np.isfinite(years)].astype(int), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def calendar_of(splits: Splits, profile: str) -> Calendar:
    """The protocol's years for this table (see the module); DataError when it is too short."""
    counts = labelled_by_year(splits)
    enough = [year for year, n in counts.items() if n >= MIN_FILMS_PER_YEAR]
    needs = (
        f"the training protocol needs {TEST_YEARS + SELECTION_YEARS} years of at least "
        f"{MIN_FILMS_TO_SCORE} labelled films each ({SELECTION_YEARS} to choose the models on, "
        f"{TEST_YEARS} to test them on) up to a newest year of at least {MIN_FILMS_PER_YEAR}, "
        f"and {MIN_FILMS_FIRST_FIT} films released before its first origin"
    )
    if not enough:
        busiest = max(counts.values()) if counts else 0
        raise DataError(
            f"the table is too short: {needs}; no year holds {MIN_FILMS_PER_YEAR} labelled "
            f"films (the most in one year: {busiest})"
        )
    calendar = Calendar.from_years(max(enough), profile)
    thin = {
        year: counts.get(year, 0)
        for year in (*calendar.selection_years, *calendar.test_years)
        if counts.get(year, 0) < MIN_FILMS_TO_SCORE
    }
    # The full profile's first origin, whatever the profile: a quick (smoke) run refuses what
    # the full run would.
    first = min(Calendar.from_years(calendar.newest_year, "full").forward_origins)
    before = sum(n for year, n in counts.items() if year < first)
    if thin or before < MIN_FILMS_FIRST_FIT:
        found = []
        if thin:
            found.append(
                "labelled films in " + ", ".join(f"{year}: {n}" for year, n in sorted(thin.items()))
            )
        if before < MIN_FILMS_FIRST_FIT:
            found.append(
                f"{before} films released before {first}, the first origin (it needs "
                f"{MIN_FILMS_FIRST_FIT}: add earlier films)"
            )
        raise DataError(
            f"the table is too short: {needs}; with its newest year {calendar.newest_year} it "
            f"has {'; '.join(found)}{_gap(counts, calendar.newest_year)}"
        )
    return calendar


def check_forward_hit_classes(splits: Splits, calendar: Calendar, ratio: float) -> None:
    """DataError unless the films of the tuning years, and those of the test years, hold at
    least ``config.MIN_FORWARD_PER_CLASS`` hits and as many other films each at this ratio: the
    choice of the hit models and the reported AUC and calibration read them."""
    films = splits.population[splits.plausible]
    years = films["release_year"].to_numpy(dtype=float)
    hit = is_hit(films, ratio)
    for part, chosen in (("tuning", calendar.tuning_years), ("test", calendar.test_years)):
        at = np.isin(years, chosen)
        hits = int(hit[at].sum())
        others = int(at.sum()) - hits
        if min(hits, others) < config.MIN_FORWARD_PER_CLASS:
            advice = ratio_advice(ratio, "the table holds too few films of one kind")
            raise DataError(
                f"with hit ratio {ratio:g}, the films of the {part} years "
                f"({chosen[0]}-{chosen[-1]}) hold {hits:,} hits and {others:,} other films: the "
                f"hit forecasts are chosen and scored on at least {config.MIN_FORWARD_PER_CLASS} "
                f"of each there ({advice})"
            )


def _gap(counts: dict[int, int], newest: int) -> str:
    """A hint when the newest year stands years apart from every earlier labelled film (release
    dates typed wrong, or a table of two eras)."""
    earlier = [year for year in counts if year < newest]
    if not earlier or newest - max(earlier) <= 2:
        return ""
    return (
        f" (its {counts[newest]} labelled films of {newest} come {newest - max(earlier)} years "
        f"after any other, the newest of {max(earlier)}: check their release dates)"
    )

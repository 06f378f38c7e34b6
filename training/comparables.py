"""Build the comparable-films table, and measure it the way it is used: for each year, comps
drawn only from the films released before it, their median log revenue as a forecast."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from boxoffice.comparables import ComparableFilms
from boxoffice.config import COMPARABLES_K
from boxoffice.dollars import CpiTable
from boxoffice.features import model_inputs
from training.evaluate import bootstrap_interval

KS = (5, 8, 10, 15, 20, 30)
# Well-known films whose comps the report lists (each left out of its own comps).
# The report shows the comps of the top-grossing film of each of the table's last years.
EXAMPLE_YEARS = 3


def fit_comparables(films: pd.DataFrame, cpi: CpiTable, hit_ratio: float) -> ComparableFilms:
    return ComparableFilms(cpi, hit_ratio).fit(
        pd.concat([model_inputs(films), films[["title", "revenue"]]], axis=1)
    )


def backtest(
    population: pd.DataFrame,
    plausible: np.ndarray,
    years: Sequence[int],
    cpi: CpiTable,
    hit_ratio: float,
    seed: int,
) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    """R² (and its 95% bootstrap interval) of the median log1p revenue of each film's k comps,
    drawn from the plausible films released before its year, for every k in KS."""
    release = population["release_year"].to_numpy(dtype=float)
    forecasts: dict[int, list[np.ndarray]] = {k: [] for k in KS}
    actual = []
    for year in years:
        earlier = population[(release < year) & plausible]
        films = population[release == year]
        comps = fit_comparables(earlier, cpi, hit_ratio)
        log_revenue = np.log1p(earlier["revenue"].to_numpy(dtype=float))
        nearest = comps.nearest(model_inputs(films), max(KS))
        for k in KS:
            forecasts[k].append(
                np.array([np.median(log_revenue[found[:k]]) for found, _ in nearest])
            )
        actual.append(np.log1p(films["revenue"].to_numpy(dtype=float)))
    y = np.concatenate(actual)
    r2 = {k: float(r2_score(y, np.concatenate(forecasts[k]))) for k in KS}
    ci = {
        k: tuple(bootstrap_interval(y, np.concatenate(forecasts[k]), "r2", seed=seed)) for k in KS
    }
    return r2, ci


def example_comps(
    comps: ComparableFilms, population: pd.DataFrame, newest_year: int, k: int = COMPARABLES_K
) -> dict[str, list[dict]]:
    """The comps of the top-grossing film of each of the last EXAMPLE_YEARS years up to
    ``newest_year`` (as its own query: it is not its own comp)."""
    out = {}
    for year in range(newest_year - EXAMPLE_YEARS + 1, newest_year + 1):
        films = population[population["release_year"] == year]
        if films.empty:
            continue
        match = films.loc[[films["revenue"].astype(float).idxmax()]]
        title = str(match["title"].iloc[0])
        ((found, distances),) = comps.nearest(model_inputs(match), k, [title])
        out[f"{title} ({year})"] = comps.describe(found, distances, year)
    return out

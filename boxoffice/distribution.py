"""One predictive distribution of a film's revenue: every answer about the film is read from it.

    log1p(revenue) = centre + location + spread × Z

- ``centre``: the revenue pipeline's forecast (log1p USD) of the film;
- ``location`` and ``spread``: fitted on out-of-time forecasts of earlier films (training's
  forward backtest), the spread log-linear in covariates of the film and its horizon
  (``Spread``);
- ``Z``: the standardised out-of-time residuals, kept as a table of quantiles.

The revenue forecast is the distribution's median, the 80% range its 10th and 90th
percentiles, P(hit) = P(revenue > hit ratio × budget) and P(profit > 0) =
P(studio share × revenue > budget + marketing). Since every number is read from the same
distribution, the median is at least the hit ratio times the budget exactly when P(hit) is at
least 0.5: no answer can contradict another.

``YearTerm`` is how far the films released in one year move together (out-of-time forecasts
of a year are too high or too low together): a slate of films is simulated with it
(``boxoffice.slate``). Nothing here imports training or serving.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from boxoffice.kept import kept

# The covariates a spread may read, by name: what each is, computed from the film.
COVARIATES = {
    "horizon": "years between the release and the newest training film",
    "log_budget": "log1p(budget in USD)",
    "forecast": "the revenue forecast (log1p USD)",
}
# The 80% range: these percentiles of the distribution.
INTERVAL_LEVEL = 0.8
LOW, HIGH = (1 - INTERVAL_LEVEL) / 2, 1 - (1 - INTERVAL_LEVEL) / 2


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Spread(_Record):
    """log(spread) = coef[0] + Σ coef[j] × (x_j − mean_j) / scale_j over ``covariates``, the
    horizon clipped to 1 .. ``max_horizon`` (the longest horizon it was fitted on)."""

    covariates: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]  # intercept first
    max_horizon: int

    def of(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The spread of each film, from its covariates (arrays of the same length)."""
        log_spread = self.coef[0]
        for name, mean, scale, coef in zip(
            self.covariates, self.mean, self.scale, self.coef[1:], strict=True
        ):
            values = np.asarray(columns[name], dtype=float)
            if name == "horizon":
                values = np.clip(values, 1, self.max_horizon)
            log_spread = log_spread + coef * (values - mean) / scale
        return np.exp(np.asarray(log_spread, dtype=float))


class YearTerm(_Record):
    """How far out-of-time forecasts of films move together, in log1p revenue: the variance of
    the error the films of one year share is ``intercept + slope × (h − 1)`` at horizon h
    (clipped to 1 .. ``max_horizon``), at least ``floor``; of it, ``common`` is shared by every
    film one model forecasts, whatever its year (the model's drift), the rest by the films of
    the same year only."""

    intercept: float
    slope: float
    common: float
    floor: float
    max_horizon: int
    n_groups: int
    method: str

    def variance(self, horizon: Any) -> np.ndarray:
        h = np.clip(np.asarray(horizon, dtype=float), 1, self.max_horizon)
        return np.maximum(self.intercept + self.slope * (h - 1), self.floor)

    def sd(self, horizon: Any) -> np.ndarray:
        return np.sqrt(self.variance(horizon))

    def parts(self, horizon: Any) -> tuple[np.ndarray, np.ndarray]:
        """The variance shared by every film of the model and the variance shared by the films
        of one year only, at each horizon."""
        total = self.variance(horizon)
        common = np.minimum(self.common, total)
        return common, total - common


# A revenue is kept within $0 .. $1 trillion (the largest in TMDB is $2.8 billion): a model
# extrapolating far outside its training range (a linear one can) would otherwise overflow the
# conversion to USD. Every answer, explanation and slate reads the distribution so clipped, so
# none passes a hit line above the ceiling.
LOG_REVENUE_CEILING = math.log1p(1e12)


class RevenueDistribution(_Record):
    """The distribution of a film's log1p(revenue) around its forecast (see the module)."""

    design: str
    location: float
    spread: Spread
    levels: list[float]  # of the quantile table, increasing in (0, 1)
    quantiles: list[float]  # of Z at those levels, strictly increasing
    year_term: YearTerm
    n_residuals: int
    fitted_on: str

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """The levels and the quantiles of Z, read as joined linearly, with its two end
        segments carried on to levels 0 and 1 (Z's least and greatest): what every answer and
        the slate's draws read, so that a film past its residuals' range gets the P(hit) its
        draws give (down to 0, where the table's own ends held it at 1 / (2 n), a slate's draws
        at 0). Made once per distribution (read-only arrays): a micro-batch reads it five
        times, and making it from the stored lists took ~40 µs each. Kept beside the fields
        with the lists it was made from: a copy with other levels or quantiles
        (``model_copy(update=...)``, which copies what is kept) makes its own."""
        return kept(self, "_table", self._joined, self.levels, self.quantiles)

    def _joined(self) -> tuple[np.ndarray, np.ndarray]:
        levels, table = np.asarray(self.levels), np.asarray(self.quantiles)
        first = table[0] - (table[1] - table[0]) * levels[0] / (levels[1] - levels[0])
        last = table[-1] + (table[-1] - table[-2]) * (1 - levels[-1]) / (levels[-1] - levels[-2])
        joined = np.r_[0.0, levels, 1.0], np.r_[first, table, last]
        for array in joined:
            array.flags.writeable = False
        return joined

    def spreads(self, centre: Any, log_budget: Any, horizon: Any) -> np.ndarray:
        return self.spread.of({"forecast": centre, "log_budget": log_budget, "horizon": horizon})

    def quantile(self, centre: Any, spread: Any, level: float | np.ndarray) -> np.ndarray:
        """log1p(revenue) at ``level`` (a number, or one level per film)."""
        levels, table = self.table()
        z = np.interp(level, levels, table)
        return np.asarray(centre, dtype=float) + self.location + np.asarray(spread) * z

    def above(self, centre: Any, spread: Any, log_threshold: Any) -> np.ndarray:
        """P(log1p(revenue) > log_threshold) per film (``table``); 0 above the ceiling, which
        no revenue answered passes (the distribution is read clipped)."""
        levels, table = self.table()
        threshold = np.asarray(log_threshold, dtype=float)
        z = (threshold - centre - self.location) / spread
        return np.where(threshold > LOG_REVENUE_CEILING, 0.0, 1.0 - np.interp(z, table, levels))

    def normal_scale(self) -> float:
        """Z's spread in standard-normal units near its centre (its interquartile range /
        1.349): how a shared shift in log revenue maps onto Z for the slate's simulation."""
        levels, table = self.table()
        q1, q3 = np.interp([0.25, 0.75], levels, table)
        return float((q3 - q1) / 1.349)


def quantile_levels(n_levels: int) -> np.ndarray:
    """Levels (k − ½) / n for k = 1..n: the table's rows."""
    return (np.arange(1, n_levels + 1) - 0.5) / n_levels


def strictly_increasing(values: np.ndarray) -> np.ndarray:
    """A sorted table made strictly increasing (ties nudged by 1e-9 each), so that it can be
    inverted: P(hit) and the quantiles then read the same curve both ways."""
    values = np.maximum.accumulate(np.asarray(values, dtype=float))
    return values + 1e-9 * np.arange(len(values))


@dataclass(frozen=True)
class Forecasts:
    """What a distribution says of each film: its spread, log1p(revenue) at its median and at
    the ends of its 80% range, and P(hit). Arrays, one value per film."""

    spread: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    probability: np.ndarray


def hit_line(budget: Any, hit_ratio: float) -> np.ndarray:
    """The hit line in log1p USD: a film is a hit when its revenue is above hit_ratio × its
    budget (the one rule every answer, metric and table reads)."""
    return np.log1p(hit_ratio * np.asarray(budget, dtype=float))


def is_hit(revenue: Any, budget: Any, hit_ratio: float) -> np.ndarray:
    """Revenue (USD) above hit_ratio × budget (USD): the hit line, in dollars."""
    return np.asarray(revenue, dtype=float) > hit_ratio * np.asarray(budget, dtype=float)


def read_forecasts(
    distribution: RevenueDistribution,
    centre: Any,
    budget: Any,
    horizon: Any,
    hit_ratio: float,
) -> Forecasts:
    """The median, the 80% range and P(hit) of each film from its forecast (``centre``,
    log1p USD), its budget (USD) and its horizon."""
    centre = np.asarray(centre, dtype=float)
    budget = np.asarray(budget, dtype=float)
    spread = distribution.spreads(centre, np.log1p(budget), horizon)
    median = distribution.quantile(centre, spread, 0.5)
    return Forecasts(
        spread=spread,
        median=median,
        low=distribution.quantile(centre, spread, LOW),
        high=distribution.quantile(centre, spread, HIGH),
        probability=chance_above(distribution, centre, spread, median, hit_ratio * budget),
    )


def chance_above(
    distribution: RevenueDistribution, centre: Any, spread: Any, median: Any, usd: Any
) -> np.ndarray:
    """P(revenue > ``usd``) per film, at least 1/2 exactly when its median revenue (log1p
    USD), in USD as answered, is at least ``usd``: read along two paths (a quantile, and an
    inverted one), the two could round apart on the line itself (P(hit) 0.4999999999999991
    beside a median equal to the hit line)."""
    usd = np.asarray(usd, dtype=float)
    probability = distribution.above(centre, spread, np.log1p(usd))
    reaches = np.expm1(np.clip(median, 0.0, LOG_REVENUE_CEILING)) >= usd
    half = np.where(reaches, 0.5, np.nextafter(0.5, 0.0))
    return np.where(reaches, np.maximum(probability, half), np.minimum(probability, half))


def break_even_revenue(budget: Any, studio_share: Any, marketing_usd: Any) -> np.ndarray:
    """The worldwide revenue at which the studio's share pays back the budget and marketing."""
    return (np.asarray(budget, dtype=float) + marketing_usd) / studio_share


def profit_quantile(
    log_revenue: Any, budget: Any, studio_share: Any, marketing_usd: Any
) -> np.ndarray:
    """Profit (USD) at a quantile of revenue: profit rises with revenue, so its quantiles are
    those of revenue, mapped."""
    revenue = np.expm1(np.asarray(log_revenue, dtype=float))
    return studio_share * revenue - np.asarray(budget, dtype=float) - marketing_usd

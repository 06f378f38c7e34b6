"""Fit the distribution of a film's revenue around its forecast (``boxoffice.distribution``) on
out-of-time forecasts, as of an origin, for each candidate design.

As of an origin O, the forecasts known are those of the films of the ``HISTORY_YEARS`` years
before O at horizons up to ``MAX_HORIZON`` (``training.forward.history``): all a forecaster of
year O could have seen of its models' errors on later films. From their residuals
r = log1p(revenue) − forecast:

- location and spread: the Laplace likelihood of r with a constant location and
  log(spread) linear in the design's covariates (standardised), maximised with L-BFGS;
- Z: the standardised residuals (r − location) / spread, kept as a table of ``N_LEVELS``
  quantiles;
- the year term: per horizon, the variance of the mean residual of the films of one year
  forecast from one origin beyond what their number explains (method of moments on residuals
  winsorised at 1% / 99%), linear in the horizon; and the part of it that every year forecast
  from one origin shares (the model's drift).

Every design reads the same forecast and differs only in what its spread depends on
(``DESIGNS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from boxoffice.distribution import (
    Forecasts,
    RevenueDistribution,
    Spread,
    YearTerm,
    quantile_levels,
    read_forecasts,
    strictly_increasing,
)
from training.forward import MAX_HORIZON, ForwardForecasts, history

# What each candidate's spread depends on (besides a constant).
DESIGNS: dict[str, tuple[str, ...]] = {
    "horizon": ("horizon",),
    "budget": ("log_budget", "horizon"),
    "budget_and_forecast": ("log_budget", "forecast", "horizon"),
}
DESIGN_LABELS = {
    "horizon": "one spread for every film, growing with the horizon",
    "budget": "spread by the film's budget and the horizon",
    "budget_and_forecast": "spread by the film's budget, its forecast and the horizon",
}
# Covariates whose larger values may only narrow the spread (bigger films).
NARROWING = frozenset({"log_budget", "forecast"})
N_LEVELS = 400
# A year's group of films enters the year term with at least this many films.
MIN_GROUP = 20
YEAR_TERM_FLOOR = 0.05**2
# The least log(spread) the fit's objective reads (see fit_spread).
LOG_SPREAD_FLOOR = 30.0


def covariates(forecasts: ForwardForecasts, budget: np.ndarray) -> dict[str, np.ndarray]:
    """The covariates a spread may read, for each forecast (``budget``: of every population
    film, USD)."""
    return {
        "forecast": forecasts.prediction,
        "log_budget": np.log1p(budget[forecasts.row]),
        "horizon": forecasts.horizon.astype(float),
    }


def _standardise(values: np.ndarray) -> tuple[float, float]:
    mean, sd = float(np.mean(values)), float(np.std(values))
    return mean, sd if sd > 1e-9 else 1.0


def fit_spread(
    residuals: np.ndarray, columns: dict[str, np.ndarray], names: Sequence[str]
) -> tuple[float, Spread]:
    """Location and spread maximising the Laplace likelihood of the residuals."""
    residuals = np.asarray(residuals, dtype=float)
    max_horizon = int(min(MAX_HORIZON, np.max(columns["horizon"])))
    scaled, means, scales = [np.ones(len(residuals))], [], []
    for name in names:
        values = np.asarray(columns[name], dtype=float)
        if name == "horizon":
            values = np.clip(values, 1, max_horizon)
        mean, scale = _standardise(values)
        means.append(mean)
        scales.append(scale)
        scaled.append((values - mean) / scale)
    X = np.column_stack(scaled)
    n = len(residuals)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        location, coef = theta[0], theta[1:]
        error = residuals - location
        # A trial step of the line search may put a film's spread at e^-700 (exp overflows to
        # inf, the gradient to NaN, and numpy warns on the console): read below
        # e^-LOG_SPREAD_FLOOR, a spread makes the loss huge but finite, and the search backs off.
        inverse = np.exp(-np.maximum(X @ coef, -LOG_SPREAD_FLOOR))
        loss = np.mean(X @ coef + np.abs(error) * inverse)
        grad_location = -np.sum(np.sign(error) * inverse) / n
        grad_coef = X.T @ (1 - np.abs(error) * inverse) / n
        return float(loss), np.concatenate([[grad_location], grad_coef])

    start = np.zeros(1 + X.shape[1])
    start[0] = np.median(residuals)
    start[1] = np.log(np.mean(np.abs(residuals - start[0])) + 1e-9)
    # A bigger film's range never widens: with the spread never growing with the budget or the
    # forecast, P(hit) can only fall where a bigger budget lowers the forecast's multiple and
    # the film is below the hit line.
    bounds = [(None, None), (None, None)] + [
        (None, 0.0) if name in NARROWING else (None, None) for name in names
    ]
    theta = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds).x
    spread = Spread(
        covariates=list(names),
        mean=means,
        scale=scales,
        coef=[float(c) for c in theta[1:]],
        max_horizon=max_horizon,
    )
    return float(theta[0]), spread


def fit_year_term(past: ForwardForecasts, residuals: np.ndarray) -> YearTerm:
    """How much the films of one year share their forecast error, by horizon (see module)."""
    low, high = np.quantile(residuals, [0.01, 0.99])
    clipped = np.clip(residuals, low, high)
    groups, inverse = np.unique(
        np.column_stack([past.origin, past.year]), axis=0, return_inverse=True
    )
    inverse = inverse.ravel()
    n = np.bincount(inverse).astype(float)
    mean = np.bincount(inverse, clipped) / n
    variance = (np.bincount(inverse, clipped**2) - n * mean**2) / np.maximum(n - 1, 1)
    horizon = groups[:, 1] - groups[:, 0] + 1
    kept = n >= MIN_GROUP
    centred = mean - np.sum(mean[kept] * n[kept]) / max(np.sum(n[kept]), 1)
    # The drift every year of one origin shares: the mean product of the centred means of two
    # different years forecast from the same origin (no film is in both: no sampling noise).
    products = []
    for origin in np.unique(groups[kept, 0]):
        means = centred[kept & (groups[:, 0] == origin)]
        if len(means) >= 2:
            outer = np.outer(means, means)
            products.append(outer[np.triu_indices(len(means), 1)].mean())
    common = max(float(np.mean(products)), 0.0) if products else 0.0
    horizons, excess = [], []
    for h in range(1, MAX_HORIZON + 1):
        at = kept & (horizon == h)
        if at.sum() >= 3:
            horizons.append(h)
            excess.append(np.mean(centred[at] ** 2) - np.mean(variance[at] / n[at]))
    if len(horizons) >= 2:
        slope, intercept = np.polyfit(np.array(horizons) - 1.0, excess, 1)
    else:
        slope, intercept = 0.0, float(np.mean(excess)) if excess else YEAR_TERM_FLOOR
    return YearTerm(
        intercept=float(intercept),
        slope=float(max(slope, 0.0)),
        common=common,
        floor=YEAR_TERM_FLOOR,
        max_horizon=max(horizons) if horizons else 1,
        n_groups=int(kept.sum()),
        method="per horizon, the variance of the mean residual of one year's films forecast "
        "from one origin beyond what their number explains (residuals winsorised at 1% / "
        f"99%, groups of at least {MIN_GROUP} films), fitted linearly in the horizon; of it, "
        "the part every year of one origin shares: the mean product of the mean residuals "
        "of two different years forecast from the same origin",
    )


def fit_distribution(
    past: ForwardForecasts,
    y: np.ndarray,
    budget: np.ndarray,
    design: str,
    fitted_on: str,
) -> RevenueDistribution:
    """The distribution of one design fitted on out-of-time forecasts ``past`` (of films whose
    log1p revenue is ``y[row]`` and budget ``budget[row]``)."""
    residuals = y[past.row] - past.prediction
    if len(residuals) < 100:
        raise ValueError(
            f"{len(residuals)} out-of-time forecasts: too few to fit a distribution (100)"
        )
    columns = covariates(past, budget)
    location, spread = fit_spread(residuals, columns, DESIGNS[design])
    z = (residuals - location) / spread.of(columns)
    levels = quantile_levels(N_LEVELS)
    return RevenueDistribution(
        design=design,
        location=location,
        spread=spread,
        levels=[float(v) for v in levels],
        quantiles=[float(v) for v in strictly_increasing(np.quantile(z, levels))],
        year_term=fit_year_term(past, residuals),
        n_residuals=len(residuals),
        fitted_on=fitted_on,
    )


@dataclass
class DistributionFits:
    """Distributions as of each origin, fitted once and reused (the groups of the backtest
    share their origins)."""

    forecasts: ForwardForecasts  # every out-of-time forecast of one model
    y: np.ndarray  # log1p revenue of every population film
    budget: np.ndarray  # USD, of every population film
    hit_ratio: float
    _fits: dict[tuple[int, str], RevenueDistribution] = field(default_factory=dict)

    def as_of(self, origin: int, design: str) -> RevenueDistribution:
        key = (origin, design)
        if key not in self._fits:
            self._fits[key] = fit_distribution(
                history(self.forecasts, origin),
                self.y,
                self.budget,
                design,
                f"out-of-time forecasts as of {origin}",
            )
        return self._fits[key]

    def read(self, group: ForwardForecasts, design: str) -> Forecasts:
        """What each forecast of ``group`` would have answered with the distribution its
        origin had."""
        n = len(group)
        parts = {k: np.empty(n) for k in ("spread", "median", "low", "high", "probability")}
        for origin in np.unique(group.origin):
            at = group.origin == origin
            read = read_forecasts(
                self.as_of(int(origin), design),
                group.prediction[at],
                self.budget[group.row[at]],
                group.horizon[at],
                self.hit_ratio,
            )
            for name, values in parts.items():
                values[at] = getattr(read, name)
        return Forecasts(**parts)

    def quantiles(self, group: ForwardForecasts, design: str, levels: np.ndarray) -> np.ndarray:
        """log1p(revenue) at ``levels`` for each forecast of ``group`` (one row per film)."""
        out = np.empty((len(group), len(levels)))
        for origin in np.unique(group.origin):
            at = group.origin == origin
            distribution = self.as_of(int(origin), design)
            centre = group.prediction[at]
            spread = distribution.spreads(
                centre, np.log1p(self.budget[group.row[at]]), group.horizon[at]
            )
            out[at] = distribution.quantile(centre[:, None], spread[:, None], levels)
        return out


def crps(distribution_quantiles: np.ndarray, y: np.ndarray) -> float:
    """Mean continuous ranked probability score from quantiles at ``CRPS_LEVELS`` (one row per
    film): twice the mean pinball loss over the levels, which is the Brier score of
    "revenue above t" integrated over every threshold t."""
    error = y[:, None] - distribution_quantiles
    pinball = np.maximum(CRPS_LEVELS * error, (CRPS_LEVELS - 1) * error)
    return float(2 * pinball.mean())


CRPS_LEVELS = np.arange(1, 100) / 100

"""The distribution of a film's revenue around its forecast, fitted on synthetic out-of-time
residuals: its spread follows what it reads, its quantiles and probabilities are one curve, and
its year term finds a planted shared error."""

from __future__ import annotations

import numpy as np
import pytest

from training.distribution import fit_distribution, fit_year_term
from training.forward import ForwardForecasts


def _forecasts(n_years: int = 30, per_year: int = 150, seed: int = 0):
    """One origin a year, each forecasting the next ten years' films; a film's residual spread
    shrinks with its budget and grows with the horizon. Each forecast gets a row of its own
    (``row`` indexes the returned log revenues and budgets)."""
    rng = np.random.default_rng(seed)
    n_films = n_years * per_year
    year = np.repeat(np.arange(1990, 1990 + n_years), per_year)
    budget = np.exp(rng.uniform(np.log(1e6), np.log(3e8), n_films))
    origins, rows = [], []
    for origin in range(1991, 1990 + n_years):
        later = np.flatnonzero((year >= origin) & (year < origin + 10))
        origins.append(np.full(len(later), origin))
        rows.append(later)
    origin, row = np.concatenate(origins), np.concatenate(rows)
    horizon = year[row] - origin + 1
    spread = np.exp(-0.35 * (np.log(budget[row]) - 17)) * (1 + 0.04 * horizon)
    residual = rng.laplace(size=len(row)) * spread
    prediction = np.full(len(row), 18.0)
    own = np.arange(len(row))
    return ForwardForecasts(origin, own, year[row], prediction), prediction + residual, budget[row]


def test_the_spread_follows_the_budget_and_the_horizon() -> None:
    past, y, budgets = _forecasts()
    fitted = fit_distribution(past, y, budgets, "budget", "synthetic")
    names = fitted.spread.covariates
    coef = dict(zip(names, fitted.spread.coef[1:], strict=True))
    assert coef["log_budget"] < 0 < coef["horizon"]
    # The 80% range holds for small and for large films alike.
    centre = past.prediction
    spread = fitted.spreads(centre, np.log1p(budgets), past.horizon)
    low, high = (fitted.quantile(centre, spread, q) for q in (0.1, 0.9))
    covered = (y >= low) & (y <= high)
    small = budgets < np.median(budgets)
    assert covered[small].mean() == pytest.approx(0.8, abs=0.02)
    assert covered[~small].mean() == pytest.approx(0.8, abs=0.02)
    assert (high - low)[small].mean() > 1.5 * (high - low)[~small].mean()


def test_quantiles_and_probabilities_read_one_curve() -> None:
    past, observed, budgets = _forecasts(n_years=15)
    fitted = fit_distribution(past, observed, budgets, "budget_and_forecast", "synthetic")
    centre = np.array([15.0, 18.0, 21.0])
    spread = fitted.spreads(centre, np.log1p([1e6, 5e7, 3e8]), np.array([1, 4, 12]))
    for level in (0.02, 0.1, 0.5, 0.9, 0.98):
        at = fitted.quantile(centre, spread, level)
        np.testing.assert_allclose(fitted.above(centre, spread, at), 1 - level, atol=1e-9)


def test_the_year_term_finds_a_planted_shared_error() -> None:
    """Each (origin, year) group shares an error: a drift per origin (sd 0.15) plus its own
    (sd 0.2): the year term finds both, and none where there is none."""
    rng = np.random.default_rng(5)
    past, observed, _ = _forecasts(per_year=200, seed=5)
    residual = observed - past.prediction
    drift = rng.normal(0, 0.15, past.origin.max() + 1)[past.origin]
    keys = past.origin * 10_000 + past.year
    _, group = np.unique(keys, return_inverse=True)
    shared = rng.normal(0, 0.2, group.max() + 1)[group]
    planted = fit_year_term(past, residual + drift + shared)
    assert planted.sd(1) == pytest.approx(np.hypot(0.15, 0.2), abs=0.04)
    assert np.sqrt(planted.common) == pytest.approx(0.15, abs=0.04)
    none = fit_year_term(past, residual)
    assert none.sd(1) < 0.08 and none.common < 0.03**2


def test_the_quantile_table_is_made_once_and_cannot_be_changed() -> None:
    """Every answer reads one table per distribution (made once): no reader may write to it,
    and a distribution read back from its stored form is equal to the one that made it."""
    forecasts, y, budget = _forecasts(n_years=12)
    distribution = fit_distribution(forecasts, y, budget, "budget", "test")
    levels, table = distribution.table()
    assert distribution.table()[1] is table
    with pytest.raises(ValueError, match="read-only"):
        table[0] = 0.0
    assert type(distribution).model_validate(distribution.model_dump()) == distribution
    assert levels[0] == 0.0 and levels[-1] == 1.0 and np.all(np.diff(table) > 0)


def test_a_copy_with_other_quantiles_reads_its_own_table() -> None:
    forecasts, y, budget = _forecasts(n_years=12)
    distribution = fit_distribution(forecasts, y, budget, "budget", "test")
    before = distribution.table()[1]
    shifted = distribution.model_copy(update={"quantiles": [q + 1 for q in distribution.quantiles]})
    np.testing.assert_allclose(shifted.table()[1], before + 1)
    assert distribution.table()[1] is before

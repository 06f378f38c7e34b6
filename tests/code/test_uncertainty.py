"""Intervals and calibration that depend on the horizon, on synthetic numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from training.uncertainty import (
    conformal_offsets,
    expected_calibration_error,
    fit_calibration,
    fit_interval,
    fit_split_interval,
    reliability_curve,
)


def _residuals(rng: np.random.Generator, horizon: np.ndarray) -> np.ndarray:
    """Errors whose spread grows with the horizon: 1 + 0.05 per year."""
    return rng.standard_t(df=4, size=len(horizon)) * (1 + 0.05 * horizon)


def test_split_conformal_covers_fresh_draws_at_its_level() -> None:
    rng = np.random.default_rng(0)
    interval = fit_split_interval(rng.standard_t(df=4, size=2000), level=0.8)
    fresh = rng.standard_t(df=4, size=20_000)
    low, high = interval.bounds(np.zeros_like(fresh), horizon=7)
    assert np.mean((fresh >= low) & (fresh <= high)) == pytest.approx(0.8, abs=0.02)
    assert interval.widen_per_year == 0.0  # the same at every horizon


def test_an_interval_widens_with_the_horizon_and_holds_there() -> None:
    rng = np.random.default_rng(1)
    horizon = rng.integers(1, 11, 20_000)
    interval = fit_interval(_residuals(rng, horizon), horizon)
    assert interval.widen_per_year > 0
    # It never narrows below the pooled offsets: at short horizons it is on the safe side.
    for h, tolerance in (
        (1, (0.79, 0.88)),
        (6, (0.78, 0.82)),
        (10, (0.78, 0.83)),
        (14, (0.78, 0.83)),
    ):
        fresh = _residuals(rng, np.full(20_000, h))  # 14: beyond the horizons fitted on
        low, high = interval.bounds(np.zeros(20_000), np.full(20_000, h))
        coverage = np.mean((fresh >= low) & (fresh <= high))
        assert tolerance[0] <= coverage <= tolerance[1], (h, coverage)
    narrow, wide = (np.subtract(*interval.offsets(h)[::-1]) for h in (1, 14))
    assert wide > narrow


def test_conformal_needs_enough_residuals() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        conformal_offsets(np.zeros(5))


def test_ece_of_perfect_and_of_overconfident_scores() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1, 0, 0])
    assert expected_calibration_error(y, np.full(10, 0.5)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.where(y == 1, 1.0, 0.0)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(10, 0.9)) == pytest.approx(0.4)
    assert reliability_curve(y, np.full(10, 0.9)) == [(0.9, 0.5, 10)]


def _decaying(rng: np.random.Generator, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overconfident raw scores whose signal fades with the horizon, and the labels."""
    signal = rng.normal(size=len(horizon))
    truth = expit(signal * (1.0 - 0.06 * (horizon - 1)) + 0.02 * horizon)
    raw = expit(3 * signal)
    return raw, (rng.uniform(size=len(horizon)) < truth).astype(int)


def test_calibration_tempers_with_the_horizon_and_holds_there() -> None:
    rng = np.random.default_rng(2)
    horizon = rng.integers(1, 11, 20_000)
    raw, y = _decaying(rng, horizon)
    calibration = fit_calibration(raw, y, horizon, "synthetic")
    assert calibration.interaction_coef < 0  # less trust in the score further ahead
    for h in (1, 5, 10):
        fresh_raw, fresh_y = _decaying(rng, np.full(20_000, h))
        before = expected_calibration_error(fresh_y, fresh_raw)
        after = expected_calibration_error(fresh_y, calibration.apply(fresh_raw, h))
        assert after < 0.02 < before, h
    assert 0 < calibration.best_f1_threshold < 1


def test_plain_platt_ignores_the_horizon_and_keeps_the_ranking() -> None:
    rng = np.random.default_rng(3)
    raw, y = _decaying(rng, np.ones(2000, dtype=int))
    calibration = fit_calibration(raw, y, None, "validation")
    assert calibration.horizon_coef == calibration.interaction_coef == 0.0
    np.testing.assert_array_equal(
        np.argsort(raw), np.argsort(calibration.apply(raw, 1)), strict=True
    )
    np.testing.assert_array_equal(calibration.apply(raw, 1), calibration.apply(raw, 9))

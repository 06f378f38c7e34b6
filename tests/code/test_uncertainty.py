"""The two-model design's interval and calibration (kept as the comparison), on synthetic
numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from training.uncertainty import (
    conformal_offsets,
    expected_calibration_error,
    fit_calibration,
    fit_interval,
    reliability_curve,
)


def _residuals(rng: np.random.Generator, horizon: np.ndarray) -> np.ndarray:
    """Errors whose spread grows with the horizon: 1 + 0.05 per year."""
    return rng.standard_t(df=4, size=len(horizon)) * (1 + 0.05 * horizon)


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
    narrow, wide = (np.subtract(*interval.bounds(0.0, h)[::-1]) for h in (1, 14))
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
    calibration = fit_calibration(raw, y, horizon)
    assert calibration.interaction_coef < 0  # less trust in the score further ahead
    for h in (1, 5, 10):
        fresh_raw, fresh_y = _decaying(rng, np.full(20_000, h))
        before = expected_calibration_error(fresh_y, fresh_raw)
        after = expected_calibration_error(fresh_y, calibration.apply(fresh_raw, h))
        assert after < 0.02 < before, h

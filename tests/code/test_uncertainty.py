"""Conformal intervals, calibration error and calibration maps, on synthetic numbers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from boxoffice.estimators import CalibratedClassifier, raw_classifier
from training.uncertainty import (
    expected_calibration_error,
    fit_conformal,
    interval_metrics,
    reliability_curve,
)


def test_conformal_interval_covers_fresh_draws_at_its_level() -> None:
    rng = np.random.default_rng(0)
    y_pred = rng.normal(size=2000)
    y_true = y_pred + rng.standard_t(df=4, size=2000)
    interval = fit_conformal(y_true, y_pred, level=0.8)
    fresh_pred = rng.normal(size=20_000)
    fresh_true = fresh_pred + rng.standard_t(df=4, size=20_000)
    metrics = interval_metrics(interval, fresh_true, fresh_pred)
    assert metrics["coverage"] == pytest.approx(0.8, abs=0.02)
    assert interval.low < 0 < interval.high
    assert metrics["p90_over_p10"] == pytest.approx(np.exp(interval.width))


def test_conformal_needs_enough_rows() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        fit_conformal(np.zeros(5), np.zeros(5))


def test_ece_of_perfect_and_of_overconfident_scores() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1, 0, 0])
    assert expected_calibration_error(y, np.full(10, 0.5)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.where(y == 1, 1.0, 0.0)) == pytest.approx(0.0)
    assert expected_calibration_error(y, np.full(10, 0.9)) == pytest.approx(0.4)
    assert reliability_curve(y, np.full(10, 0.9)) == [(0.9, 0.5, 10)]


class _Overconfident:
    """A 'classifier' whose probabilities are pushed towards 0 and 1."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-3 * X[:, 0]))
        return np.column_stack([1 - p, p])


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_map_fixes_overconfidence(method: str) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 1))
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    raw = _Overconfident()
    calibrated = CalibratedClassifier(raw, method).fit(X[:2000], y[:2000])
    before = expected_calibration_error(y[2000:], raw.predict_proba(X[2000:])[:, 1])
    after = expected_calibration_error(y[2000:], calibrated.predict_proba(X[2000:])[:, 1])
    assert after < before / 2
    assert raw_classifier(calibrated) is raw


def test_platt_keeps_the_ranking() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 1))
    y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    base = LogisticRegression().fit(X, y)
    calibrated = CalibratedClassifier(base, "platt").fit(X, y)
    order_raw = np.argsort(base.predict_proba(X)[:, 1])
    order_cal = np.argsort(calibrated.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(order_raw, order_cal)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown calibration method"):
        CalibratedClassifier(_Overconfident(), "magic").fit(np.zeros((3, 1)), np.array([0, 1, 0]))

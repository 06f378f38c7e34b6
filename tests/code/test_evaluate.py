"""Test-score bootstrap: the vectorised resamples agree with scikit-learn's metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from training.evaluate import bootstrap_interval, bootstrap_scores


def draws(seed: int, resamples: int, n: int) -> np.ndarray:
    """The rows bootstrap_scores draws for this seed (the same generator calls)."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def test_r2_of_each_resample_is_sklearns() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(17, 2, 60)
    pred = y + rng.normal(0, 1, 60)
    scores = bootstrap_scores(y, pred, "r2", resamples=50, seed=3)
    expected = [r2_score(y[rows], pred[rows]) for rows in draws(3, 50, 60)]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_auc_of_each_resample_is_sklearns_with_ties() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    proba = np.round(np.clip(0.5 * y + rng.normal(0.25, 0.25, 80), 0, 1), 1)  # many ties
    scores = bootstrap_scores(y, proba, "roc_auc", resamples=50, seed=4)
    expected = [roc_auc_score(y[rows], proba[rows]) for rows in draws(4, 50, 80)]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)


def test_a_resample_with_one_class_is_left_out() -> None:
    y = np.array([1] * 9 + [0])  # one negative: some draws hold none
    proba = np.linspace(0.1, 0.9, 10)
    scores = bootstrap_scores(y, proba, "roc_auc", resamples=200, seed=0)
    assert np.isnan(scores).any() and np.isfinite(scores).any()
    low, high = bootstrap_interval(y, proba, "roc_auc", resamples=200, seed=0)
    assert np.isfinite([low, high]).all()


def test_interval_narrows_with_more_rows_and_is_deterministic() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, 4000)
    pred = y + rng.normal(0, 1, 4000)
    small = bootstrap_interval(y[:100], pred[:100], "r2", seed=0)
    large = bootstrap_interval(y, pred, "r2", seed=0)
    assert large[1] - large[0] < (small[1] - small[0]) / 3
    assert large[0] < r2_score(y, pred) < large[1]
    assert bootstrap_interval(y, pred, "r2", seed=0) == large


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="metric must be"):
        bootstrap_scores(np.ones(3), np.ones(3), "accuracy", resamples=2, seed=0)

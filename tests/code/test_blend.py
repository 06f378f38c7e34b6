"""The blends' linear part, computed without scikit-learn's per-call checks, gives the same
floats as scikit-learn's own scaler and linear models."""

from __future__ import annotations

import numpy as np
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.estimators import BlendClassifier, BlendRegressor


def data(n: int = 120, k: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * rng.uniform(0.5, 30, size=k) + rng.uniform(-5, 50, size=k)
    y = X @ rng.normal(size=k) / 10 + rng.normal(size=n)
    return X, y


def test_regressor_linear_part_is_scikit_learns() -> None:
    X, y = data()
    blend = BlendRegressor(XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1)).fit(X, y)
    w = blend.boosted_weight
    for rows in (slice(0, 1), slice(0, 7), slice(None)):
        part = X[rows]
        expected = w * blend.boosted_.predict(part).astype(float) + (1 - w) * blend.linear_.predict(
            blend.scaler_.transform(part)
        )
        np.testing.assert_array_equal(blend.predict(part), expected)


def test_classifier_linear_part_is_scikit_learns() -> None:
    X, y = data(seed=1)
    blend = BlendClassifier(XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1), threshold=0)
    blend.fit(X, y)
    w = blend.boosted_weight
    for rows in (slice(0, 1), slice(0, 7), slice(None)):
        part = X[rows]
        expected = w * blend.boosted_.predict(part, output_margin=True).astype(float) + (
            1 - w
        ) * blend.linear_.decision_function(blend.scaler_.transform(part))
        np.testing.assert_array_equal(blend.decision_function(part), expected)

"""The original project's final models, built its way, for comparison on both protocols.

Its four features (runtime, popularity, vote average, log budget; a missing runtime as 0),
GradientBoosting(100, 0.1, 3) for revenue and LogisticRegression(C=1) on standardised features
for the hit. One difference, so that the scores compare: the hit label uses this run's hit
ratio (2 by default), where the original used 1.5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training.evaluate import classification_metrics, regression_metrics
from training.forward import targets
from training.split import Splits


class SeedFeatures(TransformerMixin, BaseEstimator):
    """runtime (missing: 0), popularity, vote_average, log1p(budget)."""

    def fit(self, X: Any, y: Any = None) -> SeedFeatures:
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.column_stack(
            [
                np.nan_to_num(np.asarray(X["runtime"], dtype=float), nan=0.0),
                np.asarray(X["popularity"], dtype=float),
                np.asarray(X["vote_average"], dtype=float),
                np.log1p(np.asarray(X["budget"], dtype=float)),
            ]
        )


def seed_pipelines(seed: int) -> dict[str, Pipeline]:
    """The seed's revenue regressor and hit classifier, taking raw film fields."""
    return {
        "revenue": make_pipeline(
            SeedFeatures(),
            GradientBoostingRegressor(
                n_estimators=100, learning_rate=0.1, max_depth=3, random_state=seed
            ),
        ),
        "hit": make_pipeline(
            SeedFeatures(), StandardScaler(), LogisticRegression(C=1, max_iter=2000)
        ),
    }


def seed_on_original_split(
    splits: Splits, hit_ratio: float, seed: int
) -> dict[str, dict[str, Any]]:
    """The seed's models fitted on the unfiltered training part, as it did, scored on the test
    fold."""
    train, test = splits.train_unfiltered, splits.test
    models = seed_pipelines(seed)
    models["revenue"].fit(train, targets(train, "log_revenue", hit_ratio))
    models["hit"].fit(train, targets(train, "hit", hit_ratio))
    return {
        "revenue": regression_metrics(
            targets(test, "log_revenue", hit_ratio), models["revenue"].predict(test)
        ),
        "hit": classification_metrics(
            targets(test, "hit", hit_ratio), models["hit"].predict_proba(test)[:, 1], 0.5
        ),
    }

"""Candidate estimators and their search grids, one entry per model the reports compare.

Every candidate is a Pipeline whose first step is ``FilmFeatures``, so a fitted candidate takes
raw film fields. Grid keys address the final step (``model__``).

Most hit classifiers learn the binary label. ``LogRatioClassifier`` (candidate ``xgboost_roi``)
learns the continuous log revenue/budget ratio instead, which carries more information than its
sign, and turns the predicted ratio into a hit probability; its candidate says so with
``target="log_ratio"`` and is trained and cross-validated on that target (see
``training.train.train_classifiers``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBClassifier, XGBRegressor

from training.features import FilmFeatures

Grid = dict[str, list[Any]]

# What a classifier candidate is fitted on: the 0/1 hit label, or the log revenue/budget ratio.
TARGETS = ("hit", "log_ratio")


def _rows(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


class LogRatioClassifier(ClassifierMixin, BaseEstimator):
    """Hit probability from a regressor of the log revenue/budget ratio.

    ``fit(X, y)`` takes ``y`` = log(revenue / budget), the continuous quantity behind the label:
    a film is a hit (class 1) when ``y > threshold`` (``log(2)`` for "revenue > 2 × budget").
    A 0/1 label also works (it is its own "ratio" for any threshold in (0, 1)), but then the
    regressor learns nothing more than the label.

    - ``regressor_``: ``regressor`` fitted on all rows; its prediction is the film's score.
    - The probability is a logistic link on that score,
      ``P(hit) = expit(intercept_ + slope_ × (score − threshold))``, with ``intercept_`` and
      ``slope_`` fitted on out-of-fold scores (``cv`` KFold folds of ``regressor`` in ``fit``), so
      the link sees how wrong the regressor is on films it did not train on. The link is
      monotone (for ``slope_ > 0``), so the ROC-AUC is the regressor's own; the probabilities
      are calibrated again on validation downstream anyway.

    ``decision_function`` is the log-odds, an affine map of ``predict_log_ratio``; explaining
    ``regressor_`` therefore explains the classifier's score in log revenue/budget units.
    """

    def __init__(
        self,
        regressor: Any = None,
        threshold: float = math.log(2),
        cv: int = 3,
        random_state: int | None = 0,
    ) -> None:
        self.regressor = regressor
        self.threshold = threshold
        self.cv = cv
        self.random_state = random_state

    def _regressor(self) -> Any:
        return clone(self.regressor) if self.regressor is not None else XGBRegressor(n_jobs=1)

    def fit(self, X: Any, y: Any) -> LogRatioClassifier:
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or not np.isfinite(y).all():
            raise ValueError("y must be a 1-d array of finite log revenue/budget ratios")
        labels = (y > self.threshold).astype(int)
        if labels.min() == labels.max():
            raise ValueError("y has films on one side of the threshold only: cannot classify")
        # Out-of-fold scores, in a plain loop: a nested joblib Parallel (cross_val_predict)
        # would drive the caller's joblib_progress bar with its own task count.
        oof = np.empty(len(y))
        for fit_rows, score_rows in KFold(
            self.cv, shuffle=True, random_state=self.random_state
        ).split(X):
            fold = self._regressor().fit(_rows(X, fit_rows), y[fit_rows])
            oof[score_rows] = fold.predict(_rows(X, score_rows))
        link = LogisticRegression(C=1e6, max_iter=1000)
        link.fit((oof - self.threshold)[:, None], labels)
        self.slope_ = float(link.coef_[0, 0])
        self.intercept_ = float(link.intercept_[0])
        self.regressor_ = self._regressor().fit(X, y)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    @property
    def feature_importances_(self) -> np.ndarray:
        """The regressor's importances (what the reports plot)."""
        check_is_fitted(self, "regressor_")
        return self.regressor_.feature_importances_

    def predict_log_ratio(self, X: Any) -> np.ndarray:
        """The regressor's predicted log revenue/budget ratio."""
        check_is_fitted(self, "regressor_")
        return np.asarray(self.regressor_.predict(X), dtype=float)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of a hit."""
        return self.intercept_ + self.slope_ * (self.predict_log_ratio(X) - self.threshold)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


@dataclass(frozen=True)
class Candidate:
    """A model to compare: how to build it, and the grids to tune it over (empty: no tuning)."""

    name: str
    build: Callable[[int], Any]
    grid: Grid = field(default_factory=dict)
    quick_grid: Grid = field(default_factory=dict)
    scaled: bool = False
    # Classifiers only: "hit" (fitted on the 0/1 label) or "log_ratio" (fitted on
    # log(revenue / budget); the estimator takes a ``threshold`` and outputs P(hit)).
    target: str = "hit"

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")

    def pipeline(self, feature_set: str, seed: int) -> Pipeline:
        steps: list[tuple[str, Any]] = [("features", FilmFeatures(feature_set=feature_set))]
        if self.scaled:
            steps.append(("scale", StandardScaler()))
        steps.append(("model", self.build(seed)))
        return Pipeline(steps)

    def search_grid(self, quick: bool) -> Grid:
        return self.quick_grid if quick else self.grid


def _prefixed(grid: Grid) -> Grid:
    return {f"model__{key}": values for key, values in grid.items()}


def _xgb_common(seed: int) -> dict[str, Any]:
    return {
        "random_state": seed,
        "n_jobs": 1,
        "tree_method": "hist",
        "subsample": 0.8,
        "colsample_bytree": 0.8,
    }


REGRESSORS: tuple[Candidate, ...] = (
    Candidate("linear_regression", lambda seed: LinearRegression(), scaled=True),
    Candidate(
        "random_forest",
        # A third of the features per split: 3x faster than all of them, and no worse here.
        lambda seed: RandomForestRegressor(random_state=seed, n_jobs=1, max_features=0.3),
        # The seed project's grid.
        grid=_prefixed(
            {
                "n_estimators": [10, 50, 100, 200],
                "max_depth": [5, 10, 20, None],
                "min_samples_split": [2, 5, 10],
            }
        ),
        quick_grid=_prefixed({"n_estimators": [50], "max_depth": [10], "min_samples_split": [5]}),
    ),
    Candidate(
        "gradient_boosting_seed",
        # The seed project's final model, as it was.
        lambda seed: GradientBoostingRegressor(
            n_estimators=100,
            learning_rate=0.1,
            max_depth=3,
            random_state=seed,
            loss="squared_error",
        ),
    ),
    Candidate(
        "gradient_boosting",
        lambda seed: GradientBoostingRegressor(random_state=seed, subsample=0.8),
        grid=_prefixed(
            {"n_estimators": [150, 300], "learning_rate": [0.05, 0.1], "max_depth": [3]}
        ),
        quick_grid=_prefixed({"n_estimators": [50], "learning_rate": [0.1], "max_depth": [3]}),
    ),
    Candidate(
        "xgboost",
        lambda seed: XGBRegressor(**_xgb_common(seed)),
        grid=_prefixed(
            {
                "n_estimators": [400],
                "learning_rate": [0.03, 0.06],
                "max_depth": [3, 4, 6],
                "min_child_weight": [5],
            }
        ),
        quick_grid=_prefixed({"n_estimators": [100], "learning_rate": [0.1], "max_depth": [4]}),
    ),
)

CLASSIFIERS: tuple[Candidate, ...] = (
    Candidate(
        "logistic_regression",
        lambda seed: LogisticRegression(max_iter=5000),
        grid=_prefixed({"C": [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 100]}),
        quick_grid=_prefixed({"C": [0.1, 1]}),
        scaled=True,
    ),
    Candidate(
        "decision_tree",
        lambda seed: DecisionTreeClassifier(random_state=seed),
        grid=_prefixed(
            {
                "max_depth": [3, 4, 5, 6, 8, None],
                "min_samples_leaf": [5, 20, 50],
                "criterion": ["gini"],
            }
        ),
        quick_grid=_prefixed({"max_depth": [4, 6], "min_samples_leaf": [20]}),
    ),
    Candidate(
        "xgboost",
        lambda seed: XGBClassifier(**_xgb_common(seed), eval_metric="logloss"),
        grid=_prefixed(
            {
                "n_estimators": [300],
                "learning_rate": [0.03, 0.06],
                "max_depth": [2, 3, 4],
                "min_child_weight": [1, 5],
            }
        ),
        quick_grid=_prefixed({"n_estimators": [100], "learning_rate": [0.1], "max_depth": [3]}),
    ),
    Candidate(
        "xgboost_roi",
        # XGBoost on the continuous log revenue/budget ratio, a logistic link to P(hit).
        # Pseudo-Huber resists the heavy left tail (films earning a tiny share of their budget).
        lambda seed: LogRatioClassifier(
            XGBRegressor(
                **_xgb_common(seed), n_estimators=300, learning_rate=0.06, min_child_weight=5
            ),
            random_state=seed,
        ),
        grid=_prefixed(
            {
                "regressor__objective": ["reg:squarederror", "reg:pseudohubererror"],
                "regressor__max_depth": [2, 3],
            }
        ),
        quick_grid=_prefixed(
            {
                "regressor__n_estimators": [100],
                "regressor__objective": ["reg:pseudohubererror"],
                "regressor__max_depth": [3],
            }
        ),
        target="log_ratio",
    ),
)

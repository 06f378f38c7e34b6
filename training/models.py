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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.estimators import LogRatioClassifier
from boxoffice.features import FilmFeatures

Grid = dict[str, list[Any]]

# What a classifier candidate is fitted on: the 0/1 hit label, or the log revenue/budget ratio.
TARGETS = ("hit", "log_ratio")


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

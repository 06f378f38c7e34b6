"""Candidate estimators and their search grids, one entry per model the reports compare.

Every candidate is a Pipeline whose first step is ``FilmFeatures``, so a fitted candidate takes
raw film fields. Grid keys address the final step (``model__``).

Most hit classifiers learn the binary label. ``xgboost_roi`` (``LogRatioClassifier``) and
``xgboost_logistic`` (``BlendClassifier``) are fitted on the continuous log revenue/budget
ratio instead, which carries more than its sign: their candidate says so with
``target="log_ratio"``, their estimator classifies ``ratio > threshold``, and the features of
``xgboost_logistic`` learn the companies' and keywords' track record from the ratio.

The blends (``xgboost_ridge``, ``xgboost_logistic``) are what the forward backtest favoured on
the published table's selection years (trees plus a linear model extrapolate to later films
better than either), with the companies' and keywords' track record as features (target
encoding).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.estimators import BlendClassifier, BlendRegressor, LogRatioClassifier
from boxoffice.features import FilmFeatures

Grid = dict[str, list[Any]]

# The candidate families: revenue regressors (the forecast every answer is read from) and hit
# classifiers (the two-model design the distribution replaced, still tuned to compare with).
TASKS = ("revenue", "hit")

# What a classifier candidate is fitted on: the 0/1 hit label, or the log revenue/budget ratio.
TARGETS = ("hit", "log_ratio")
# Fields whose larger values never lower a blend's tree forecast (when the feature set has them).
INCREASING_FIELDS = ("budget", "vote_count")
# Fields a blend's linear part reads past the range it learned (by LINEAR_REACH): the year (a
# forecast is of later films) and those above; every other column is held at its range.
REACHING_FIELDS = ("release_year", *INCREASING_FIELDS)


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
    target_encoding: bool = False  # FilmFeatures adds the companies' and keywords' record
    quick: bool = True  # compared in the --quick profile too (the cheap or served families)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")

    def pipeline(self, feature_set: str, seed: int) -> Pipeline:
        features = FilmFeatures(feature_set=feature_set, target_encoding=self.target_encoding)
        steps: list[tuple[str, Any]] = [("features", features)]
        if self.scaled:
            steps.append(("scale", StandardScaler()))
        model = self.build(seed)
        if isinstance(model, BlendRegressor):
            numeric = features.numeric_fields()
            model.set_params(
                increasing=tuple(features.column_of(f) for f in INCREASING_FIELDS if f in numeric),
                reaching=tuple(features.column_of(f) for f in REACHING_FIELDS if f in numeric),
            )
        steps.append(("model", model))
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
        # Within the cost cap: of the seed project's grid (10-200 trees, depth 5-20 or
        # unlimited), 200 trees or an unlimited depth cost more than a served model may.
        grid=_prefixed({"n_estimators": [100], "max_depth": [20], "min_samples_split": [5, 10]}),
        quick_grid=_prefixed({"n_estimators": [50], "max_depth": [10], "min_samples_split": [5]}),
        quick=False,
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
        quick=False,
    ),
    Candidate(
        "gradient_boosting",
        lambda seed: GradientBoostingRegressor(random_state=seed, subsample=0.8),
        grid=_prefixed({"n_estimators": [300], "learning_rate": [0.1], "max_depth": [3]}),
        quick_grid=_prefixed({"n_estimators": [50], "learning_rate": [0.1], "max_depth": [3]}),
        quick=False,
    ),
    Candidate(
        "xgboost",
        lambda seed: XGBRegressor(**_xgb_common(seed)),
        grid=_prefixed(
            {
                "n_estimators": [400],
                "learning_rate": [0.03, 0.06],
                "max_depth": [4],
                "min_child_weight": [5],
            }
        ),
        quick_grid=_prefixed({"n_estimators": [100], "learning_rate": [0.1], "max_depth": [4]}),
    ),
    Candidate(
        "xgboost_ridge",
        # 0.6 x trees (monotone in budget and votes) + 0.4 x ridge, with the track record.
        lambda seed: BlendRegressor(
            XGBRegressor(
                **_xgb_common(seed),
                n_estimators=400,
                learning_rate=0.03,
                max_depth=4,
                min_child_weight=5,
            ),
            alpha=30.0,
            boosted_weight=0.6,
        ),
        # The trees' learning rates are those the plain XGBoost candidate is searched over.
        grid=_prefixed({"boosted__learning_rate": [0.03, 0.06], "alpha": [10.0, 30.0]}),
        quick_grid=_prefixed({"boosted__n_estimators": [100], "boosted__learning_rate": [0.1]}),
        target_encoding=True,
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
                "max_depth": [4, 6, 8],
                "min_samples_leaf": [20, 50],
                "criterion": ["gini"],
            }
        ),
        quick_grid=_prefixed({"max_depth": [4, 6], "min_samples_leaf": [20]}),
        quick=False,
    ),
    Candidate(
        "xgboost",
        lambda seed: XGBClassifier(**_xgb_common(seed), eval_metric="logloss"),
        grid=_prefixed(
            {
                "n_estimators": [300],
                "learning_rate": [0.03, 0.06],
                "max_depth": [4],
                "min_child_weight": [5],
            }
        ),
        quick_grid=_prefixed({"n_estimators": [100], "learning_rate": [0.1], "max_depth": [3]}),
    ),
    Candidate(
        "xgboost_roi",
        # XGBoost on the continuous log revenue/budget ratio, a logistic link to P(hit).
        lambda seed: LogRatioClassifier(
            XGBRegressor(
                **_xgb_common(seed), n_estimators=300, learning_rate=0.06, min_child_weight=5
            ),
            random_state=seed,
        ),
        grid=_prefixed({"regressor__max_depth": [2, 3]}),
        quick_grid=_prefixed({"regressor__n_estimators": [100], "regressor__max_depth": [3]}),
        target="log_ratio",
        quick=False,
    ),
    Candidate(
        "xgboost_logistic",
        # Log-odds of 0.5 x trees + 0.5 x logistic regression, with the track record.
        lambda seed: BlendClassifier(
            XGBClassifier(
                **_xgb_common(seed),
                n_estimators=300,
                learning_rate=0.03,
                max_depth=3,
                min_child_weight=5,
                eval_metric="logloss",
            ),
            C=0.1,
            boosted_weight=0.5,
            threshold=math.log(2),
        ),
        grid=_prefixed({"boosted__learning_rate": [0.03, 0.06], "C": [0.1, 1.0]}),
        quick_grid=_prefixed({"boosted__n_estimators": [100], "boosted__learning_rate": [0.1]}),
        target="log_ratio",
        target_encoding=True,
    ),
)

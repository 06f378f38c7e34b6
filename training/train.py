"""Split, compare and tune the revenue and hit models for one feature set."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib_progress import joblib_progress
from rich.console import Console
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, train_test_split

from training import config
from training.clean import POPULATION_RULES, RuleCount, apply_rules, plausibility_rules
from training.evaluate import best_f1_threshold, classification_metrics, regression_metrics
from training.features import RAW_FIELDS
from training.models import CLASSIFIERS, REGRESSORS, Candidate


def n_jobs(quick: bool) -> int:
    """Two processes for the full grids; one for --quick, where starting a pool costs more."""
    return 1 if quick else 2


@dataclass
class Splits:
    """The seed's population split 60/20/20; train/val filtered for plausibility, test not."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    test_filtered: pd.DataFrame
    rule_counts: list[RuleCount]
    n_population: int


def log_revenue(frame: pd.DataFrame) -> np.ndarray:
    return np.log1p(frame["revenue"].to_numpy(dtype=float))


def is_hit(frame: pd.DataFrame, ratio: float) -> np.ndarray:
    """1 when revenue > ratio × budget."""
    return (
        frame["revenue"].to_numpy(dtype=float) > ratio * frame["budget"].to_numpy(dtype=float)
    ).astype(int)


def make_splits(
    frame: pd.DataFrame, seed: int = config.SEED, min_usd: float = config.MIN_PLAUSIBLE_USD
) -> Splits:
    """Population rules, then the seed's two train_test_split calls, then plausibility rules."""
    log: list[RuleCount] = []
    population = apply_rules(frame, POPULATION_RULES, "all rows", log)
    full_train, test = train_test_split(population, test_size=0.2, random_state=seed)
    train, val = train_test_split(full_train, test_size=0.25, random_state=seed)
    rules = plausibility_rules(min_usd)
    train = apply_rules(train, rules, "train", log)
    val = apply_rules(val, rules, "validation", log)
    test_filtered = apply_rules(test, rules, "test (filtered copy, reported separately)", log)
    return Splits(train, val, test, test_filtered, log, len(population))


@dataclass
class CandidateResult:
    name: str
    estimator: Any
    params: dict[str, Any]
    cv_mean: float
    cv_std: float
    fit_seconds: float
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    threshold: float | None = None
    cv_table: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TaskResult:
    task: str
    feature_set: str
    candidates: list[CandidateResult]
    chosen: CandidateResult
    selection_rule: str


def _fit_candidate(
    candidate: Candidate,
    feature_set: str,
    X: pd.DataFrame,
    y: np.ndarray,
    scoring: str,
    seed: int,
    quick: bool,
    console: Console,
) -> CandidateResult:
    # Only the raw fields the pipelines read: less to ship to the worker processes.
    X = X[list(RAW_FIELDS)]
    pipeline = candidate.pipeline(feature_set, seed)
    cv = KFold(n_splits=config.CV_FOLDS, shuffle=True, random_state=seed)
    grid = candidate.search_grid(quick)
    started = time.perf_counter()
    if grid:
        search = GridSearchCV(
            pipeline, grid, cv=cv, scoring=scoring, n_jobs=n_jobs(quick), refit=True
        )
        n_fits = config.CV_FOLDS * int(np.prod([len(v) for v in grid.values()]))
        with joblib_progress(f"{feature_set} {candidate.name}", total=n_fits, console=console):
            search.fit(X, y)
        best = search.best_estimator_
        i = search.best_index_
        cv_mean = float(search.cv_results_["mean_test_score"][i])
        cv_std = float(search.cv_results_["std_test_score"][i])
        params = {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
        table = [
            {
                **{k.removeprefix("model__"): v for k, v in p.items()},
                "mean": float(m),
                "std": float(s),
            }
            for p, m, s in zip(
                search.cv_results_["params"],
                search.cv_results_["mean_test_score"],
                search.cv_results_["std_test_score"],
                strict=True,
            )
        ]
    else:
        scores = cross_val_score(pipeline, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs(quick))
        best = clone(pipeline).fit(X, y)
        cv_mean, cv_std = float(scores.mean()), float(scores.std())
        params, table = {}, []
    model_params = {
        k: v
        for k, v in best.named_steps["model"].get_params().items()
        if isinstance(v, int | float | str | bool | type(None))
    }
    return CandidateResult(
        candidate.name,
        best,
        {**model_params, **params},
        cv_mean,
        cv_std,
        time.perf_counter() - started,
        cv_table=table,
    )


def train_regressors(
    splits: Splits, feature_set: str, seed: int, quick: bool, console: Console
) -> TaskResult:
    """Compare the regressors on log1p(revenue); choose the lowest validation RMSE."""
    y_train = log_revenue(splits.train)
    results = []
    for candidate in REGRESSORS:
        result = _fit_candidate(
            candidate,
            feature_set,
            splits.train,
            y_train,
            "neg_root_mean_squared_error",
            seed,
            quick,
            console,
        )
        result.cv_mean = -result.cv_mean  # report RMSE, not its negation
        for part, frame in _eval_parts(splits):
            result.metrics[part] = regression_metrics(
                log_revenue(frame), result.estimator.predict(frame)
            )
        results.append(result)
    chosen = min(results, key=lambda r: r.metrics["validation"]["rmse"])
    return TaskResult("revenue", feature_set, results, chosen, "lowest validation RMSE")


def train_classifiers(
    splits: Splits, feature_set: str, seed: int, quick: bool, ratio: float, console: Console
) -> TaskResult:
    """Compare the hit classifiers; choose the best CV ROC-AUC, threshold = best validation F1."""
    y_train = is_hit(splits.train, ratio)
    results = []
    for candidate in CLASSIFIERS:
        result = _fit_candidate(
            candidate,
            feature_set,
            splits.train,
            y_train,
            "roc_auc",
            seed,
            quick,
            console,
        )
        val_proba = result.estimator.predict_proba(splits.val)[:, 1]
        result.threshold = best_f1_threshold(is_hit(splits.val, ratio), val_proba)
        for part, frame in _eval_parts(splits):
            proba = result.estimator.predict_proba(frame)[:, 1]
            result.metrics[part] = classification_metrics(
                is_hit(frame, ratio), proba, result.threshold
            )
        results.append(result)
    chosen = max(results, key=lambda r: r.cv_mean)
    return TaskResult("hit", feature_set, results, chosen, "highest 5-fold CV ROC-AUC")


def _eval_parts(splits: Splits) -> list[tuple[str, pd.DataFrame]]:
    return [
        ("validation", splits.val),
        ("test", splits.test),
        ("test_filtered", splits.test_filtered),
    ]

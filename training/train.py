"""Tune every candidate on forward folds, score it on the original split, and choose one.

The choice is made the way the product is used: on the development films (the labelled films
released up to the calendar's last selection year), each fold fits on the films released before
a tuning year and scores that year's films (one year ahead). Every candidate's grid is searched
on those folds, and one is chosen among those whose cost (``boxoffice.estimators.model_cost``:
tree levels a film passes through, counted, never timed) is within ``COST_CAP``; ties go to the
earlier candidate. The same data and seed give the same choice on every machine. The test years
take no part in it.

- A classifier: the best pooled ROC-AUC.
- A revenue configuration answers both questions the service is asked: its forecast is the
  centre of the one distribution that the revenue range and P(hit) are read from
  (``boxoffice.distribution``). So it is chosen on both: among the candidates whose forecast
  ranks hits as well as the best one's, within ``HIT_AUC_TOLERANCE`` (ROC-AUC of the forecast's
  margin over the hit line, log1p(hit ratio × budget), pooled over the folds), the lowest
  pooled RMSE. A forecast a little closer in RMSE that ranks hits worse would lose the P(hit)
  answer more than it gains the revenue one.

Each tuned candidate is then fitted on the original split's training part and scored on its
validation part and test fold, as the original project did: the comparison tables of the report.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib_progress import joblib_progress
from rich.console import Console
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterGrid

from boxoffice.config import FEATURE_SETS
from boxoffice.distribution import hit_line
from boxoffice.estimators import model_cost
from boxoffice.features import model_inputs
from training.calendar import Calendar
from training.evaluate import best_f1_threshold, classification_metrics, regression_metrics
from training.forward import in_chunks, targets
from training.models import CLASSIFIERS, REGRESSORS, TASKS, Candidate
from training.split import Splits

# The most a served model may cost per film: 2,500 tree levels. XGBoost's 400 trees of depth 6
# are 2,400; a 200-tree random forest grown to depth ~25 is ~5,000 (and ~5 ms per film here).
COST_CAP = 2_500
# A revenue candidate is a contender when its forecast's hit ROC-AUC is at most this far below
# the best one's: the tolerance the forward-quality targets allow an AUC (issue 17).
HIT_AUC_TOLERANCE = 0.01


def predict_timings(estimator: Any, frame: pd.DataFrame, method: str) -> dict[str, float]:
    """Median milliseconds to predict one film and 1,000 films (rows drawn from ``frame``):
    measured for the report, never a rule."""
    predict = getattr(estimator, method)
    one = frame.iloc[:1]
    thousand = frame.sample(1000, replace=True, random_state=0)
    timings = {}
    for label, rows, repeats in (("one_film", one, 5), ("thousand_films", thousand, 1)):
        predict(rows)  # warm-up
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            predict(rows)
            samples.append(1000 * (time.perf_counter() - started))
        timings[label] = float(np.median(samples))
    return timings


@dataclass
class TunedCandidate:
    """A candidate with its tuned parameters, fitted on the original split's training part."""

    candidate: Candidate
    template: Any  # the unfitted pipeline with the tuned parameters
    params: dict[str, Any]
    forward_mean: float  # RMSE (revenue) or ROC-AUC (hit) of the folds' forecasts pooled
    forward_std: float  # sd of the per-fold scores
    tune_seconds: float  # CPU seconds of its search's fits
    # A revenue candidate's: ROC-AUC of its forecast's margin over the hit line, folds pooled
    hit_auc: float | None = None
    fitted: Any = None  # on the original split's training part
    cost: int = 0
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    threshold: float = 0.5  # best F1 on validation (report only)
    predict_ms: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def eligible(self) -> bool:
        return self.cost <= COST_CAP


@dataclass
class TaskChoice:
    task: str
    feature_set: str
    candidates: list[TunedCandidate]
    chosen: TunedCandidate
    rule: str
    metric: str
    origins: tuple[int, ...]


def development_films(splits: Splits, last_year: int) -> pd.DataFrame:
    """The films the choice is made on: every labelled, plausible film released up to the last
    selection year.

    The forward folds have no use for the original split: all the films before a year are what
    a forecaster of that year would have had. (The original test fold's films of those years
    therefore take part in the choice; none of them is learned from by a model served with
    ``--holdout original``.)"""
    population = splits.population[splits.plausible]
    return population[population["release_year"] <= last_year]


def forward_folds(
    frame: pd.DataFrame, origins: tuple[int, ...]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit, score) positions: the films before each origin year, then that year's films."""
    years = frame["release_year"].to_numpy(dtype=float)
    return [(np.flatnonzero(years < o), np.flatnonzero(years == o)) for o in origins]


@contextmanager
def _progress(description: str, total: int, console: Console) -> Iterator[None]:
    """A bar over the ``total`` fits, complete when they are (joblib_progress counts whichever
    joblib loop last reported, so the end sets it right)."""
    with joblib_progress(description, total=total, console=console) as progress:
        yield
        progress.update(progress.task_ids[0], completed=total, refresh=True)


def _fit_fold(
    template: Any, params: dict[str, Any], X: pd.DataFrame, y: np.ndarray, fold: tuple
) -> np.ndarray:
    """One fold's out-of-fold forecasts: log1p revenue, or P(hit)."""
    fit_rows, score_rows = fold
    model = clone(template).set_params(**params).fit(X.iloc[fit_rows], y[fit_rows])
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X.iloc[score_rows])[:, 1]
    return model.predict(X.iloc[score_rows])


def forward_score(task: str, y_true: np.ndarray, forecasts: np.ndarray) -> float:
    """The forecasts of all the folds pooled, scored as the quality targets are: RMSE (revenue,
    lower is better), ROC-AUC (hit)."""
    if task == "revenue":
        return float(np.sqrt(np.mean((y_true - forecasts) ** 2)))
    if len(np.unique(y_true)) < 2:  # a year without a hit (or a miss): no ranking to score
        return math.nan
    return float(roc_auc_score(y_true, forecasts))


@dataclass
class _Search:
    """One candidate's grid for one (task, feature set), before its fits come back."""

    task: str
    feature_set: str
    candidate: Candidate
    pipeline: Any
    points: list[dict[str, Any]]
    y: np.ndarray  # what it learns
    y_scored: np.ndarray  # what it is scored against
    seconds: float = 0.0


def _pick(
    search: _Search, forecasts: list[np.ndarray], folds: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[dict[str, Any], float, float, list[dict[str, Any]]]:
    """From every grid point's out-of-fold forecasts: the best point's parameters, its pooled
    forward score, the sd of its per-fold scores, and the whole table."""
    task = search.task
    scored = np.concatenate([rows for _, rows in folds])
    table, pooled = [], []
    for p, params in enumerate(search.points):
        per_fold = forecasts[p * len(folds) : (p + 1) * len(folds)]
        pooled.append(forward_score(task, search.y_scored[scored], np.concatenate(per_fold)))
        fold_scores = [
            forward_score(task, search.y_scored[rows], f)
            for (_, rows), f in zip(folds, per_fold, strict=True)
        ]
        table.append(
            {
                **{k.removeprefix("model__"): v for k, v in params.items()},
                "pooled": pooled[-1],
                "fold_sd": float(np.std(fold_scores)),
            }
        )
    # The first best in grid order: ties never depend on anything but the grid.
    best = int(np.argmin(pooled) if task == "revenue" else np.argmax(pooled))
    return search.points[best], pooled[best], table[best]["fold_sd"], table


def tune(
    splits: Splits,
    calendar: Calendar,
    *,
    seed: int,
    hit_ratio: float,
    n_jobs: int,
    console: Console,
) -> dict[tuple[str, str], TaskChoice]:
    """Tune and score every candidate of every (task, feature set); choose one of each (see the
    module's docstring). All the fits of the search run in one pass over the processes."""
    quick = calendar.quick
    development = development_films(splits, calendar.development_last_year)
    origins = calendar.tuning_years
    folds = forward_folds(development, origins)
    X = model_inputs(development)
    cut = math.log(hit_ratio)
    searches = []
    for feature_set in FEATURE_SETS:
        for task in TASKS:
            for candidate in REGRESSORS if task == "revenue" else CLASSIFIERS:
                if quick and not candidate.quick:
                    continue
                kind = _learned_kind(task, candidate)
                pipeline = candidate.pipeline(feature_set, seed)
                if kind == "log_ratio":
                    pipeline.set_params(model__threshold=cut)
                grid = candidate.search_grid(quick)
                searches.append(
                    _Search(
                        task,
                        feature_set,
                        candidate,
                        pipeline,
                        list(ParameterGrid(grid)) if grid else [{}],
                        targets(development, kind, hit_ratio),
                        targets(development, _scored_kind(task), hit_ratio),
                    )
                )
    fits = [
        (k, params, fold) for k, s in enumerate(searches) for params in s.points for fold in folds
    ]
    with _progress("tuning on the forward folds", len(fits), console):
        forecasts = in_chunks(
            fits, n_jobs, lambda k, params, fold: _timed_fold(searches[k], params, X, fold)
        )
    per_search: dict[int, list[np.ndarray]] = {}
    for (k, _, _), (forecast, seconds) in zip(fits, forecasts, strict=True):
        per_search.setdefault(k, []).append(forecast)
        searches[k].seconds += seconds
    scored = np.concatenate([rows for _, rows in folds])
    hit = targets(development, "hit", hit_ratio)[scored]
    line = hit_line(development["budget"].to_numpy(dtype=float), hit_ratio)[scored]
    tuned: dict[tuple[str, str], list[TunedCandidate]] = {}
    for k, search in enumerate(searches):
        params, pooled, fold_sd, _ = _pick(search, per_search[k], folds)
        hit_auc = None
        if search.task == "revenue" and len(set(hit)) == 2:
            best = search.points.index(params)
            forecast = np.concatenate(per_search[k][best * len(folds) : (best + 1) * len(folds)])
            hit_auc = float(roc_auc_score(hit, forecast - line))
        tuned.setdefault((search.task, search.feature_set), []).append(
            TunedCandidate(
                search.candidate,
                clone(search.pipeline).set_params(**params),
                {name.removeprefix("model__"): v for name, v in params.items()},
                pooled,
                fold_sd,
                search.seconds,
                hit_auc,
            )
        )
    # Every tuned candidate fitted on the original training part (in parallel), then scored.
    everything = [(key, r) for key, results in tuned.items() for r in results]
    train = splits.train
    fitted = in_chunks(
        [(r.template, _learned_kind(key[0], r.candidate)) for key, r in everything],
        n_jobs,
        lambda template, kind: clone(template).fit(
            model_inputs(train), targets(train, kind, hit_ratio)
        ),
    )
    for (key, result), model in zip(everything, fitted, strict=True):
        result.fitted = model
        _score_on_original_split(result, key[0], splits, hit_ratio)
    return {key: _choose(key, results, origins) for key, results in tuned.items()}


def _timed_fold(
    search: _Search, params: dict[str, Any], X: pd.DataFrame, fold: tuple
) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    forecast = _fit_fold(search.pipeline, params, X, search.y, fold)
    return forecast, time.perf_counter() - started


def _scored_kind(task: str) -> str:
    """What a task's forecasts are scored against."""
    return "log_revenue" if task == "revenue" else "hit"


def _learned_kind(task: str, candidate: Candidate) -> str:
    """What a candidate learns: log revenue, the hit label or the log revenue/budget ratio."""
    return "log_revenue" if task == "revenue" else candidate.target


def _choose(
    key: tuple[str, str], tuned: list[TunedCandidate], origins: tuple[int, ...]
) -> TaskChoice:
    task, feature_set = key
    eligible = [r for r in tuned if r.eligible]
    years = ", ".join(map(str, origins))
    folds = (
        f"one year ahead, pooled over the films of {years} (each year forecast by a model "
        f"fitted on the films before it), among the candidates costing at most {COST_CAP:,} "
        "tree levels per film"
    )
    if task == "revenue":
        chosen = min(contenders(eligible), key=lambda r: r.forward_mean)
        rule = (
            "the lowest RMSE among the candidates whose forecast ranks hits (ROC-AUC of its "
            f"margin over the hit line) within {HIT_AUC_TOLERANCE} of the best one's, {folds}"
        )
        return TaskChoice(task, feature_set, tuned, chosen, rule, "rmse", origins)
    chosen = max(eligible, key=lambda r: r.forward_mean)
    return TaskChoice(task, feature_set, tuned, chosen, f"best ROC-AUC {folds}", "roc_auc", origins)


def contenders(candidates: list[TunedCandidate]) -> list[TunedCandidate]:
    """The revenue candidates whose forecast ranks hits within HIT_AUC_TOLERANCE of the best."""
    best = max(r.hit_auc or 0.0 for r in candidates)
    return [r for r in candidates if (r.hit_auc or 0.0) >= best - HIT_AUC_TOLERANCE]


def _score_on_original_split(
    result: TunedCandidate, task: str, splits: Splits, hit_ratio: float
) -> None:
    """Score the candidate fitted on the original training part: validation, test and filtered
    test; measure (for the report) how long it takes to predict."""
    result.cost = model_cost(result.fitted[-1])
    parts = (
        ("validation", splits.val),
        ("test", splits.test),
        ("test_filtered", splits.test_filtered),
    )
    if task == "revenue":
        result.predict_ms = predict_timings(result.fitted, splits.val, "predict")
        for part, frame in parts:
            result.metrics[part] = regression_metrics(
                targets(frame, "log_revenue", hit_ratio), result.fitted.predict(frame)
            )
        return
    result.predict_ms = predict_timings(result.fitted, splits.val, "predict_proba")
    val_proba = result.fitted.predict_proba(splits.val)[:, 1]
    result.threshold = best_f1_threshold(targets(splits.val, "hit", hit_ratio), val_proba)
    for part, frame in parts:
        result.metrics[part] = classification_metrics(
            targets(frame, "hit", hit_ratio),
            result.fitted.predict_proba(frame)[:, 1],
            result.threshold,
        )

"""The forward backtest: forecasts of films released after everything a model learned from.

For each origin year O, a model is fitted on the labelled films released before O (plausibility
rules applied) and forecasts every population film released in O or later (as drawn). Each
forecast has a horizon, the years between the film's release and the newest film its model
learned from (O - 1): 1 for the next year's films. These out-of-time forecasts serve three ends:

- the backtest: the films of each year forecast one year ahead (origin = their year), pooled;
  and the films of several years forecast from one origin (e.g. trained up to 2010);
- the uncertainty: intervals and calibration fitted, as of each origin, on the out-of-time
  forecasts of the films before it (``training.uncertainty``), and, for the served models, on
  those of the last films of the table;
- the comparison with the original project's models and with constant dollars.

Every fit is independent of the others and deterministic, so they run in parallel (joblib) and
give the same forecasts whatever the number of processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score, root_mean_squared_error

from boxoffice.features import RAW_FIELDS
from boxoffice.metadata import Calibration, Interval, Scores
from training.evaluate import BOOTSTRAP_RESAMPLES, bootstrap_interval
from training.split import is_hit, log_ratio, log_revenue
from training.uncertainty import (
    HISTORY_YEARS,
    MAX_HORIZON,
    calibration_metrics,
    fit_calibration,
    fit_interval,
)

TARGET_KINDS = ("log_revenue", "log_ratio", "hit")


@dataclass(frozen=True)
class ForwardJob:
    """One model to refit at every origin: an unfitted pipeline and what it learns."""

    key: tuple[str, ...]
    template: Any
    target: str  # one of TARGET_KINDS
    origins: tuple[int, ...]


@dataclass
class ForwardForecasts:
    """Out-of-time forecasts, one row per (origin, later film)."""

    origin: np.ndarray
    row: np.ndarray  # position of the film in the population frame
    year: np.ndarray
    prediction: np.ndarray  # log1p revenue (nominal), or the raw P(hit)

    @property
    def horizon(self) -> np.ndarray:
        return self.year - (self.origin - 1)

    def where(self, mask: np.ndarray) -> ForwardForecasts:
        return ForwardForecasts(
            self.origin[mask], self.row[mask], self.year[mask], self.prediction[mask]
        )

    def __len__(self) -> int:
        return len(self.row)


def targets(frame: pd.DataFrame, kind: str, hit_ratio: float) -> np.ndarray:
    if kind == "log_revenue":
        return log_revenue(frame)
    if kind == "log_ratio":
        return log_ratio(frame)
    if kind == "hit":
        return is_hit(frame, hit_ratio)
    raise ValueError(f"unknown target {kind!r}")


def _fit_and_forecast(
    job: ForwardJob, origin: int, population: pd.DataFrame, plausible: np.ndarray, hit_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    years = population["release_year"].to_numpy(dtype=float)
    train = population[(years < origin) & plausible]
    later = np.flatnonzero(years >= origin)
    model = clone(job.template).fit(train[list(RAW_FIELDS)], targets(train, job.target, hit_ratio))
    scored = population.iloc[later][list(RAW_FIELDS)]
    if job.target == "log_revenue":
        prediction = np.asarray(model.predict(scored), dtype=float)
    else:
        prediction = np.asarray(model.predict_proba(scored)[:, 1], dtype=float)
    return later, prediction


def run_forward(
    jobs: Sequence[ForwardJob],
    population: pd.DataFrame,
    plausible: np.ndarray,
    hit_ratio: float,
    n_jobs: int,
) -> dict[tuple[str, ...], ForwardForecasts]:
    """Fit every job at each of its origins (in parallel) and collect its forecasts."""
    tasks = [(job, origin) for job in jobs for origin in job.origins]
    results = in_chunks(
        tasks,
        n_jobs,
        lambda job, origin: _fit_and_forecast(job, origin, population, plausible, hit_ratio),
    )
    years = population["release_year"].to_numpy(dtype=float).astype(int)
    parts: dict[tuple[str, ...], list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for (job, origin), (rows, prediction) in zip(tasks, results, strict=True):
        parts.setdefault(job.key, []).append((origin, rows, prediction))
    out = {}
    for key, pieces in parts.items():
        rows = np.concatenate([r for _, r, _ in pieces])
        out[key] = ForwardForecasts(
            np.concatenate([np.full(len(r), o) for o, r, _ in pieces]),
            rows,
            years[rows],
            np.concatenate([p for _, _, p in pieces]),
        )
    return out


def _run_chunk(run: Callable[..., Any], chunk: list[tuple[Any, ...]]) -> list[Any]:
    return [run(*args) for args in chunk]


def in_chunks(tasks: Sequence[tuple[Any, ...]], n_jobs: int, run: Callable[..., Any]) -> list[Any]:
    """``run(*task)`` for every task, in ``n_jobs`` processes, results in the tasks' order.

    The tasks are dealt round-robin into one chunk per process: the frames they share are
    pickled once per process, not once per task (for fits of a fraction of a second, that
    pickling cost more than the fits)."""
    if n_jobs <= 1 or len(tasks) <= 1:
        return _run_chunk(run, list(tasks))
    chunks = [list(tasks[i::n_jobs]) for i in range(n_jobs)]
    done = Parallel(n_jobs=n_jobs)(delayed(_run_chunk)(run, chunk) for chunk in chunks if chunk)
    results: list[Any] = [None] * len(tasks)
    for i, chunk_results in enumerate(done):
        results[i::n_jobs] = chunk_results
    return results


def history(forecasts: ForwardForecasts, origin: int) -> ForwardForecasts:
    """The out-of-time forecasts known at ``origin``: films of the HISTORY_YEARS years before
    it, at horizons up to MAX_HORIZON."""
    mask = (
        (forecasts.year < origin)
        & (forecasts.year >= origin - HISTORY_YEARS)
        & (forecasts.horizon <= MAX_HORIZON)
    )
    return forecasts.where(mask)


def interval_as_of(forecasts: ForwardForecasts, y: np.ndarray, origin: int) -> Interval:
    past = history(forecasts, origin)
    return fit_interval(y[past.row] - past.prediction, past.horizon)


def calibration_as_of(forecasts: ForwardForecasts, y: np.ndarray, origin: int) -> Calibration:
    past = history(forecasts, origin)
    return fit_calibration(
        past.prediction, y[past.row], past.horizon, f"out-of-time forecasts as of {origin}"
    )


@dataclass
class Scored:
    """Forecasts of one group with what the served model would have answered for them."""

    forecasts: ForwardForecasts
    y: np.ndarray
    low: np.ndarray | None = None  # interval (revenue)
    high: np.ndarray | None = None
    probability: np.ndarray | None = None  # calibrated (hit)


def one_year_ahead(forecasts: ForwardForecasts, years: Sequence[int]) -> ForwardForecasts:
    return forecasts.where((forecasts.horizon == 1) & np.isin(forecasts.year, list(years)))


def from_origin(forecasts: ForwardForecasts, origin: int, years: Sequence[int]) -> ForwardForecasts:
    return forecasts.where((forecasts.origin == origin) & np.isin(forecasts.year, list(years)))


def with_uncertainty(
    task: str, group: ForwardForecasts, everything: ForwardForecasts, y_all: np.ndarray
) -> Scored:
    """Apply to a group the interval or calibration each of its origins would have had."""
    scored = Scored(group, y_all[group.row])
    if task == "revenue":
        scored.low, scored.high = np.empty(len(group)), np.empty(len(group))
    else:
        scored.probability = np.empty(len(group))
    for origin in np.unique(group.origin):
        at = group.origin == origin
        if task == "revenue":
            low, high = interval_as_of(everything, y_all, int(origin)).bounds(
                group.prediction[at], group.horizon[at]
            )
            scored.low[at], scored.high[at] = low, high
        else:
            calibration = calibration_as_of(everything, y_all, int(origin))
            scored.probability[at] = calibration.apply(group.prediction[at], group.horizon[at])
    return scored


def score(
    task: str,
    scored: Scored,
    seed: int,
    with_ci: bool = False,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Scores:
    """The backtest metrics of one group (and their 95% bootstrap intervals when asked)."""
    y, prediction = scored.y, scored.forecasts.prediction
    if task == "revenue":
        metrics = {
            "r2": float(r2_score(y, prediction)),
            "rmse": float(root_mean_squared_error(y, prediction)),
            "mae": float(mean_absolute_error(y, prediction)),
        }
        ci_inputs = {"r2": prediction, "rmse": prediction, "mae": prediction}
        if scored.low is not None:
            covered = ((y >= scored.low) & (y <= scored.high)).astype(float)
            metrics["coverage"] = float(covered.mean())
            metrics["mean_width"] = float(np.mean(scored.high - scored.low))
            ci_inputs["coverage"] = covered
    else:
        probability = scored.probability if scored.probability is not None else prediction
        metrics = {
            "roc_auc": float(roc_auc_score(y, probability)) if len(set(y)) == 2 else math.nan,
            **calibration_metrics(y, probability),
            "hit_rate": float(np.mean(y)),
            "mean_probability": float(np.mean(probability)),
        }
        ci_inputs = {"roc_auc": probability, "ece": probability, "brier": probability}
    ci = {}
    if with_ci:
        for name, values in ci_inputs.items():
            metric = "mean" if name == "coverage" else name
            low, high = bootstrap_interval(y, values, metric, resamples=resamples, seed=seed)
            ci[name] = (low, high)
    return Scores(n=len(y), metrics=metrics, ci95=ci)

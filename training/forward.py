"""The forward backtest: forecasts of films released after everything a model learned from.

For each origin year O, a model is fitted on the labelled films released before O (plausibility
rules applied) and forecasts every population film released in O or later (as drawn). Each
forecast has a horizon, the years between the film's release and the newest film its model
learned from (O - 1): 1 for the next year's films. These out-of-time forecasts serve three ends:

- the backtest: the films of each year forecast one year ahead (origin = their year), pooled;
  and the films of several years forecast from one origin (trained up to the year before them);
- the distribution of each forecast: fitted, as of each origin, on the out-of-time forecasts
  of the films before it (``training.distribution``), and, for the served models, on those of
  the table's last films;
- the comparison with the original project's models, with the two-model design and with
  constant dollars.

Every fit is independent of the others and deterministic, so they run in parallel (joblib) and
give the same forecasts whatever the number of processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from boxoffice.features import model_inputs
from training.split import is_hit, log_ratio, log_revenue

TARGET_KINDS = ("log_revenue", "log_ratio", "hit")
# As of an origin, the out-of-time forecasts known are those of the films of this many years
# before it, at horizons up to MAX_HORIZON.
HISTORY_YEARS = 10
MAX_HORIZON = 10


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

    def in_order(self) -> ForwardForecasts:
        """Sorted by origin, then film: two models forecasting the same films at the same
        origins line up row for row, and any selection keeps them lined up."""
        return self.where(np.lexsort((self.row, self.origin)))

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
    model = clone(job.template).fit(model_inputs(train), targets(train, job.target, hit_ratio))
    scored = model_inputs(population.iloc[later])
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
        ).in_order()
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


def one_year_ahead(forecasts: ForwardForecasts, years: Sequence[int]) -> ForwardForecasts:
    return forecasts.where((forecasts.horizon == 1) & np.isin(forecasts.year, list(years)))


def from_origin(forecasts: ForwardForecasts, origin: int, years: Sequence[int]) -> ForwardForecasts:
    return forecasts.where((forecasts.origin == origin) & np.isin(forecasts.year, list(years)))


def joined(parts: Sequence[ForwardForecasts]) -> ForwardForecasts:
    """The forecasts of several runs of one model, as one."""
    return ForwardForecasts(
        *(
            np.concatenate([getattr(p, a) for p in parts])
            for a in ("origin", "row", "year", "prediction")
        )
    ).in_order()

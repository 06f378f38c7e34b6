"""The forward backtest on built films whose revenues, and so whose hit rate, drift up with the
years: models that cannot extrapolate a trend (trees, like the served ones) fall behind it, and
the intervals and probabilities fitted on earlier films' out-of-time forecasts must still hold
on the later films."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from boxoffice.features import FilmFeatures
from tests.helpers.films import films
from training.forward import (
    ForwardJob,
    Scored,
    from_origin,
    interval_as_of,
    one_year_ahead,
    run_forward,
    score,
    targets,
    with_uncertainty,
)

YEARS = range(1985, 2017)
ORIGINS = tuple(range(1995, 2017))
SCORED = range(2008, 2017)


@pytest.fixture(scope="module")
def drifting() -> pd.DataFrame:
    """100 films a year; log revenue = log budget + a film's signal + 0.03 a year + noise."""
    rng = np.random.default_rng(7)
    frame = films(100 * len(YEARS))
    year = np.repeat(np.array(list(YEARS)), 100).astype(float)
    signal = 0.4 * (frame["runtime"] - 115) / 20 + 0.3 * (frame["vote_average"] - 6)
    log_revenue = np.log(frame["budget"]) + 0.4 + 0.03 * (year - 2000) + signal
    return frame.assign(
        release_year=year, revenue=np.exp(log_revenue + rng.normal(size=len(frame)) * 0.8)
    )


def _trees(task: str):
    model = (
        GradientBoostingRegressor(n_estimators=50, max_depth=2, random_state=0)
        if task == "revenue"
        else GradientBoostingClassifier(n_estimators=50, max_depth=2, random_state=0)
    )
    return make_pipeline(FilmFeatures("post_release", min_count=1), model)


def test_forward_forecasts_only_learn_from_earlier_films(drifting: pd.DataFrame) -> None:
    job = ForwardJob(
        ("revenue",),
        make_pipeline(FilmFeatures("pre_release", min_count=1), LinearRegression()),
        "log_revenue",
        (2010, 2012),
    )
    plausible = np.ones(len(drifting), dtype=bool)
    forecasts = run_forward([job], drifting, plausible, 2.0, n_jobs=1)[("revenue",)]
    assert set(forecasts.origin) == {2010, 2012}
    assert (forecasts.year >= forecasts.origin).all() and forecasts.horizon.min() == 1
    again = run_forward([job], drifting, plausible, 2.0, n_jobs=2)[("revenue",)]
    np.testing.assert_array_equal(again.prediction, forecasts.prediction)  # any processes


@pytest.fixture(scope="module")
def forecasts(drifting: pd.DataFrame) -> dict:
    jobs = [
        ForwardJob((task,), _trees(task), kind, ORIGINS)
        for task, kind in (("revenue", "log_revenue"), ("hit", "hit"))
    ]
    return run_forward(jobs, drifting, np.ones(len(drifting), dtype=bool), 2.0, n_jobs=2)


def _scored(everything, group: str):
    if group == "one year ahead":
        return one_year_ahead(everything, SCORED)
    return from_origin(everything, SCORED[0], SCORED)


@pytest.mark.parametrize("group", ["one year ahead", "trained to 2007"])
def test_intervals_hold_on_later_films_despite_drift(drifting, forecasts, group: str) -> None:
    everything, y = forecasts[("revenue",)], targets(drifting, "log_revenue", 2.0)
    films_scored = _scored(everything, group)
    metrics = score("revenue", with_uncertainty("revenue", films_scored, everything, y), 0).metrics
    assert 0.76 <= metrics["coverage"] <= 0.84, metrics


@pytest.mark.parametrize("group", ["one year ahead", "trained to 2007"])
def test_probabilities_hold_on_later_films_despite_drift(drifting, forecasts, group: str) -> None:
    everything, y = forecasts[("hit",)], targets(drifting, "hit", 2.0)
    films_scored = _scored(everything, group)
    calibrated = score("hit", with_uncertainty("hit", films_scored, everything, y), 0).metrics
    raw = score("hit", Scored(films_scored, y[films_scored.row]), 0).metrics
    assert raw["ece"] > 0.06  # trees fitted on earlier films miss the rising hit rate ...
    assert calibrated["ece"] <= 0.045, calibrated  # ... the forward calibration does not


def test_a_refit_keeps_its_interval_on_later_films_it_never_saw(drifting, forecasts) -> None:
    """What serving does, as of 2012: the pipeline refitted on every film before it, and the
    interval fitted on the earlier out-of-time forecasts (never on the refit's own residuals,
    which it learned from), scored on the films after it."""
    y = targets(drifting, "log_revenue", 2.0)
    years = drifting["release_year"].to_numpy()
    earlier, later = drifting[years < 2012], drifting[years >= 2012]
    refit = _trees("revenue").fit(earlier, y[years < 2012])
    interval = interval_as_of(forecasts[("revenue",)], y, 2012)
    horizon = later["release_year"].to_numpy() - 2011
    low, high = interval.bounds(refit.predict(later), horizon)
    covered = (y[years >= 2012] >= low) & (y[years >= 2012] <= high)
    assert 0.76 <= covered.mean() <= 0.86
    in_sample = y[years < 2012] - refit.predict(earlier)  # what an in-sample interval would see
    assert np.quantile(in_sample, 0.9) - np.quantile(in_sample, 0.1) < high[0] - low[0]

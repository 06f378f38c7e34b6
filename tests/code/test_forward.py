"""The forward backtest on built films whose revenues, and so whose hit rate, drift up with the
years: models that cannot extrapolate a trend (trees, like the served ones) fall behind it, and
the distribution fitted on earlier films' out-of-time forecasts (its 80% range and its P(hit))
must still hold on the later films."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from boxoffice.features import FilmFeatures
from tests.helpers.films import films
from training.distribution import DESIGNS, DistributionFits
from training.forward import ForwardJob, from_origin, one_year_ahead, run_forward, targets
from training.uncertainty import expected_calibration_error

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


@pytest.fixture(scope="module")
def fits(drifting, forecasts) -> DistributionFits:
    y = targets(drifting, "log_revenue", 2.0)
    return DistributionFits(forecasts[("revenue",)], y, drifting["budget"].to_numpy(), 2.0)


def _scored(everything, group: str):
    if group == "one year ahead":
        return one_year_ahead(everything, SCORED)
    return from_origin(everything, SCORED[0], SCORED)


@pytest.mark.parametrize("design", list(DESIGNS))
@pytest.mark.parametrize("group", ["one year ahead", "trained to 2007"])
def test_ranges_hold_on_later_films_despite_drift(drifting, fits, group: str, design) -> None:
    films_scored = _scored(fits.forecasts, group)
    read = fits.read(films_scored, design)
    y = fits.y[films_scored.row]
    coverage = np.mean((y >= read.low) & (y <= read.high))
    assert 0.76 <= coverage <= 0.84, coverage


@pytest.mark.parametrize("group", ["one year ahead", "trained to 2007"])
def test_p_hit_holds_on_later_films_despite_drift(drifting, forecasts, fits, group: str) -> None:
    """P(hit) read from the forecast's distribution is calibrated on later films, where the
    raw probabilities of a classifier of the same trees are not."""
    hit = targets(drifting, "hit", 2.0)
    classifier = _scored(forecasts[("hit",)], group)
    raw = expected_calibration_error(hit[classifier.row], classifier.prediction)
    assert raw > 0.06  # trees fitted on earlier films miss the rising hit rate ...
    films_scored = _scored(fits.forecasts, group)
    read = fits.read(films_scored, "budget")
    calibrated = expected_calibration_error(hit[films_scored.row], read.probability)
    assert calibrated <= 0.05 and calibrated < raw / 2  # ... the distribution much less


def test_a_refit_keeps_its_range_on_later_films_it_never_saw(drifting, fits) -> None:
    """What serving does, as of 2012: the pipeline refitted on every film before it, and the
    distribution fitted on the earlier out-of-time forecasts (never on the refit's own
    residuals, which it learned from), scored on the films after it."""
    y = fits.y
    years = drifting["release_year"].to_numpy()
    earlier, later = drifting[years < 2012], drifting[years >= 2012]
    refit = _trees("revenue").fit(earlier, y[years < 2012])
    distribution = fits.as_of(2012, "horizon")
    centre = refit.predict(later)
    spread = distribution.spreads(centre, np.log1p(later["budget"]), years[years >= 2012] - 2011)
    low, high = (distribution.quantile(centre, spread, level) for level in (0.1, 0.9))
    covered = (y[years >= 2012] >= low) & (y[years >= 2012] <= high)
    assert 0.76 <= covered.mean() <= 0.86
    in_sample = y[years < 2012] - refit.predict(earlier)  # what an in-sample range would see
    assert np.quantile(in_sample, 0.9) - np.quantile(in_sample, 0.1) < high[0] - low[0]

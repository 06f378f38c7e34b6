"""Behaviour, minimum scores and metadata of quick-trained models in a temporary store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boxoffice.config import COMPARABLES, FEATURE_SETS, TASKS
from boxoffice.metadata import read_comparables, read_metadata
from boxoffice.store import get_model, load_pipeline, resolve_run

pytestmark = pytest.mark.slow

# Loose floors for the --quick profile, one year ahead over 2011-2016 (the full profile's
# targets are checked by `train --require-targets`).
QUICK_FLOORS = {
    ("revenue", "post_release"): ("r2", 0.60),
    ("hit", "post_release"): ("roc_auc", 0.78),
    ("revenue", "pre_release"): ("r2", 0.45),
    ("hit", "pre_release"): ("roc_auc", 0.63),
}

FILM = {
    "budget": 1.5e8,
    "runtime": 130.0,
    "release_year": 2014.0,
    "release_month": 7.0,
    "popularity": 60.0,
    "vote_average": 7.2,
    "vote_count": 6000.0,
    "original_language": "en",
    "genres": ["Action", "Adventure"],
    "production_companies": ["Marvel Studios"],
    "production_countries": ["US"],
    "spoken_languages": ["en"],
    "keywords": ["superhero"],
    "title": "Example",
}


def one(**changes: object) -> pd.DataFrame:
    return pd.DataFrame([{**FILM, **changes}])


@pytest.fixture(scope="module")
def models(quick_training):
    return {(t, fs): get_model(t, fs) for t in TASKS for fs in FEATURE_SETS}


@pytest.mark.parametrize(("task", "feature_set"), list(QUICK_FLOORS))
def test_minimum_forward_scores(models, task: str, feature_set: str) -> None:
    metric, floor = QUICK_FLOORS[(task, feature_set)]
    backtest = read_metadata(models[(task, feature_set)]).backtest
    for scores in (backtest.pooled, backtest.later):
        assert scores.metrics[metric] >= floor
        assert scores.n == 785  # the films of 2011-2016, as drawn
        low, high = scores.ci95[metric]  # the bootstrap interval brackets the score
        assert low < scores.metrics[metric] < high and high - low < 0.25
    assert backtest.pooled_years == [2011, 2012, 2013, 2014, 2015, 2016]
    assert set(backtest.one_year_ahead) >= {2011, 2016}


@pytest.mark.parametrize(("task", "feature_set"), list(QUICK_FLOORS))
def test_metadata_describes_the_served_model(models, task: str, feature_set: str) -> None:
    meta = read_metadata(models[(task, feature_set)])
    assert meta.data_sha256 == "1e0584a8dd374120e4ed4f2b81f0d2bd0eb95a554708e4a350d00ed5c46d2825"
    assert meta.rows.population == 3228 and meta.rows.original_test == 646
    assert meta.fitted_on == "all_labelled" and meta.rows.fitted == 3204  # plausible films
    assert meta.newest_year == 2016 and meta.profile == "quick"
    assert meta.algorithm in meta.selection.candidates
    assert meta.selection.candidates[meta.algorithm].eligible
    assert set(meta.timings) >= {"data", "tune", "backtest", "refit", "comparables"}
    assert {c.rule for c in meta.cleaning} >= {"budget_unknown", "revenue_implausible"}
    if task == "hit":
        assert meta.threshold == 0.5 and meta.hit_ratio == 2.0
        assert 0 < meta.calibration.best_f1_threshold < 1
    if feature_set == "pre_release":
        assert not {"log_popularity", "vote_average", "log_vote_count"} & set(meta.features)


def test_the_run_includes_its_comparable_films(quick_training) -> None:
    run = resolve_run()
    comps = read_comparables(run[COMPARABLES])
    assert comps.films == 3204 and comps.default_k == 8
    assert comps.backtest_r2[8] > 0.35


def test_predictions_ignore_irrelevant_fields(models) -> None:
    pipeline = load_pipeline(models[("revenue", "post_release")])
    base = pipeline.predict(one())[0]
    assert pipeline.predict(one(title="Another title", overview="x"))[0] == base


def test_more_votes_and_budget_raise_revenue(models) -> None:
    pipeline = load_pipeline(models[("revenue", "post_release")])
    assert pipeline.predict(one(vote_count=10.0))[0] < pipeline.predict(one())[0]
    pre = load_pipeline(models[("revenue", "pre_release")])
    budgets = [1e6, 1e7, 5e7, 2e8]
    forecasts = [pre.predict(one(budget=b))[0] for b in budgets]
    assert forecasts == sorted(forecasts)


def test_missing_optional_fields_still_predict(models) -> None:
    for (task, _), model in models.items():
        pipeline = load_pipeline(model)
        frame = pd.DataFrame([{"budget": 2e7, "runtime": 95.0}])
        with pytest.warns(UserWarning, match="FilmFeatures: no column release_year"):
            out = pipeline.predict(frame) if task == "revenue" else pipeline.predict_proba(frame)
        assert np.isfinite(out).all()


def test_report_is_written(quick_training) -> None:
    report = (quick_training["reports_dir"] / "training_report.md").read_text()
    for heading in (
        "Models and the quality targets",
        "Forward backtest",
        "Constant dollars",
        "How each model was chosen",
        "The original project's split",
        "Comparable films",
        "Exploratory data analysis",
    ):
        assert heading in report
    figures = {p.name for p in (quick_training["reports_dir"] / "figures").iterdir()}
    assert {
        "backtest_revenue_by_year.png",
        "backtest_hit_by_year.png",
        "backtest_pooled.png",
        "importances.png",
        "eda_targets.png",
    } <= figures


@pytest.mark.parametrize("feature_set", ["post_release", "pre_release"])
def test_intervals_cover_later_films_near_their_level(models, feature_set: str) -> None:
    meta = read_metadata(models[("revenue", feature_set)])
    assert meta.interval.level == 0.8 and meta.interval.widen_per_year >= 0
    for scores in (meta.backtest.pooled, meta.backtest.later):
        assert 0.74 <= scores.metrics["coverage"] <= 0.86
    low, high = meta.interval.offsets(11)
    assert low < meta.interval.low_offset <= 0 < meta.interval.high_offset <= high


@pytest.mark.parametrize("feature_set", ["post_release", "pre_release"])
def test_calibration_is_fitted_forward_and_reported(models, feature_set: str) -> None:
    meta = read_metadata(models[("hit", feature_set)])
    assert 3 <= meta.calibration.max_horizon <= 10  # the longest horizon it was fitted on
    assert meta.backtest.pooled.metrics["ece"] <= 0.1
    assert "out-of-time" in meta.calibration.fitted_on


def test_model_cards_are_stored_with_the_models(models) -> None:
    for (task, _), model in models.items():
        card = (Path(model.path) / "MODEL_CARD.md").read_text()
        assert f"`{model.tag}`" in card
        assert "Known limitations" in card and "Intended use" in card
        assert "Forward backtest" in card
        assert ("Uncertainty" if task == "revenue" else "Calibration") in card
        assert read_metadata(model).explanation_method in card

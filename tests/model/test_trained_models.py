"""Behaviour, minimum scores and metadata of quick-trained models in a temporary store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boxoffice.config import FEATURE_SETS, TASKS
from boxoffice.store import get_model, load_pipeline
from training import config

pytestmark = pytest.mark.slow

# Loose floors for the --quick profile (the full profile's bar is checked by `train --require-bar`).
QUICK_FLOORS = {
    ("revenue", "post_release"): ("r2", 0.60),
    ("hit", "post_release"): ("roc_auc", 0.80),
    ("revenue", "pre_release"): ("r2", 0.42),
    ("hit", "pre_release"): ("roc_auc", 0.65),
}
METADATA_KEYS = {
    "task",
    "feature_set",
    "algorithm",
    "estimator_class",
    "params",
    "raw_fields",
    "features",
    "target",
    "selection",
    "metrics",
    "candidates",
    "hit_ratio",
    "rows",
    "cleaning",
    "data_sha256",
    "seed",
    "profile",
    "training_seconds",
    "library_versions",
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
def test_minimum_test_scores(models, task: str, feature_set: str) -> None:
    metric, floor = QUICK_FLOORS[(task, feature_set)]
    test = models[(task, feature_set)].info.metadata["metrics"]["test"]
    assert test[metric] >= floor
    assert test["n"] == 646
    low, high = test[f"{metric}_ci95"]  # the bootstrap interval brackets the score
    assert low < test[metric] < high and high - low < 0.25


@pytest.mark.parametrize(("task", "feature_set"), list(QUICK_FLOORS))
def test_metadata_is_complete(models, task: str, feature_set: str) -> None:
    meta = models[(task, feature_set)].info.metadata
    assert set(meta) >= METADATA_KEYS
    assert meta["data_sha256"] == config.DATA_SHA256
    assert meta["rows"]["population"] == 3228 and meta["rows"]["test"] == 646
    assert set(meta["metrics"]) == {"cv", "validation", "test", "test_filtered"}
    assert meta["profile"] == "quick"
    assert {c["rule"] for c in meta["cleaning"]} >= {"budget_unknown", "revenue_implausible"}
    if task == "hit":
        assert 0 < meta["threshold"] < 1 and meta["hit_ratio"] == 2.0
    if feature_set == "pre_release":
        assert not {"log_popularity", "vote_average", "log_vote_count"} & set(meta["features"])


def test_predictions_ignore_irrelevant_fields(models) -> None:
    pipeline = load_pipeline(models[("revenue", "post_release")])
    base = pipeline.predict(one())[0]
    assert pipeline.predict(one(title="Another title", overview="x"))[0] == base


def test_more_votes_and_budget_raise_revenue(models) -> None:
    pipeline = load_pipeline(models[("revenue", "post_release")])
    assert pipeline.predict(one(vote_count=10.0))[0] < pipeline.predict(one())[0]
    pre = load_pipeline(models[("revenue", "pre_release")])
    assert pre.predict(one(budget=1e6))[0] < pre.predict(one(budget=2e8))[0]


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
        "Cleaning rules",
        "post-release models",
        "pre-release models",
        "Exploratory data analysis",
    ):
        assert heading in report
    figures = {p.name for p in (quick_training["reports_dir"] / "figures").iterdir()}
    assert {
        "post_release_revenue.png",
        "post_release_hit.png",
        "eda_targets.png",
        "eda_correlations.png",
    } <= figures


@pytest.mark.parametrize("feature_set", ["post_release", "pre_release"])
def test_interval_coverage_is_near_its_level(models, feature_set: str) -> None:
    meta = models[("revenue", feature_set)].info.metadata
    assert meta["interval"]["level"] == 0.8
    assert 0.72 <= meta["interval_test"]["coverage"] <= 0.88
    assert meta["interval"]["low_offset"] < 0 < meta["interval"]["high_offset"]


@pytest.mark.parametrize("feature_set", ["post_release", "pre_release"])
def test_calibration_is_reported_and_keeps_auc(models, feature_set: str) -> None:
    meta = models[("hit", feature_set)].info.metadata
    test = meta["calibration_test"]
    assert meta["calibration"]["method"] in ("platt", "isotonic")
    assert test["ece_after"] <= 0.08
    assert test["roc_auc_after"] >= test["roc_auc_before"] - 0.01
    assert meta["threshold"] == 0.5 and 0 < meta["calibration"]["best_f1_threshold"] < 1


def test_model_cards_are_stored_with_the_models(models) -> None:
    from pathlib import Path

    for (task, _), model in models.items():
        card = (Path(model.path) / "MODEL_CARD.md").read_text()
        assert f"`{model.tag}`" in card
        assert "Known limitations" in card and "Intended use" in card
        assert ("Uncertainty" if task == "revenue" else "Calibration") in card
        assert model.info.metadata["explanation_method"] in card

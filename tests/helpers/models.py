"""Small real models fitted on built frames, and valid metadata for them: for tests that need a
Predictor or a stored model but neither the dataset nor a training run."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from boxoffice.estimators import CalibratedClassifier, LogRatioClassifier
from boxoffice.features import FilmFeatures
from boxoffice.metadata import MODEL_FORMAT, HitMetadata, RevenueMetadata, parse_metadata
from serving.predictor import LoadedModel, Predictor
from tests.helpers.films import films

RUN = "20260101-000000-test"


def _regression(n: int) -> dict[str, Any]:
    return {"rmse": 1.0, "r2": 0.5, "mae": 0.8, "n": n}


def _classification(n: int) -> dict[str, Any]:
    return {
        "roc_auc": 0.8,
        "f1": 0.7,
        "precision": 0.7,
        "recall": 0.7,
        "confusion_matrix": [[1, 1], [1, 1]],
        "classification_report": {"hit": {"precision": 0.7}, "accuracy": 0.7},
        "threshold": 0.5,
        "positive_rate": 0.5,
        "n": n,
    }


def metadata(
    task: str, feature_set: str, run: str = RUN, **changes: Any
) -> RevenueMetadata | HitMetadata:
    """Valid metadata for a (task, feature set) model: made-up scores, real structure."""
    scores = _regression if task == "revenue" else _classification
    raw: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "run": run,
        "task": task,
        "feature_set": feature_set,
        "algorithm": "xgboost",
        "estimator_class": "XGBRegressor",
        "params": {"n_estimators": 20, "max_depth": 3},
        "raw_fields": ["budget", "runtime"],
        "features": ["log_budget", "runtime"],
        "target": "log1p(revenue)" if task == "revenue" else "revenue > 2 x budget",
        "selection": "stand-in",
        "cv_grid": [],
        "predict_ms": {"one_film": 1.0, "thousand_films": 5.0},
        "metrics": {
            "cv": {"metric": "rmse", "folds": 5, "mean": 1.0, "std": 0.1},
            "validation": scores(100),
            "test": {**scores(100), f"{'r2' if task == 'revenue' else 'roc_auc'}_ci95": [0, 1]},
            "test_filtered": scores(99),
        },
        "candidates": {},
        "hit_ratio": 2.0,
        "rows": {
            "population": 500,
            "train": 300,
            "validation": 100,
            "test": 100,
            "test_filtered": 99,
        },
        "cleaning": [],
        "data_sha256": "0" * 64,
        "seed": 42,
        "profile": "quick",
        "training_seconds": 1.0,
        "library_versions": {},
        "explanation_method": "TreeSHAP",
    }
    if task == "revenue":
        interval_scores = {
            "level": 0.8,
            "coverage": 0.8,
            "mean_width_log": 2.0,
            "p90_over_p10": 7.4,
            "n": 100,
        }
        raw |= {
            "interval": {
                "level": 0.8,
                "low_offset": -1.2,
                "high_offset": 0.8,
                "n_calibration": 100,
                "method": "stand-in",
            },
            **{f"interval_{p}": interval_scores for p in ("validation", "test", "test_filtered")},
        }
    else:
        calibration_scores = {
            "ece_before": 0.05,
            "ece_after": 0.03,
            "brier_before": 0.2,
            "brier_after": 0.19,
            "roc_auc_before": 0.8,
            "roc_auc_after": 0.8,
            "reliability_before": [[0.5, 0.5, 10]],
            "reliability_after": [[0.5, 0.5, 10]],
        }
        raw |= {
            "threshold": 0.5,
            "calibration": {
                "method": "platt",
                "cv_ece_platt": 0.03,
                "cv_ece_isotonic": 0.04,
                "fitted_on": "validation",
                "best_f1_threshold": 0.4,
            },
            **{
                f"calibration_{p}": calibration_scores
                for p in ("validation", "test", "test_filtered")
            },
        }
    return parse_metadata(raw | changes)


def tiny_pipelines(feature_set: str, n: int = 240) -> tuple[Pipeline, CalibratedClassifier]:
    """A revenue pipeline and a calibrated hit classifier fitted in a second on built films."""
    data = films(n)
    rng = np.random.default_rng(1)
    log_revenue = (
        np.log1p(data["budget"]) + 0.2 * np.log1p(data["vote_count"]) + rng.normal(0, 0.8, n)
    )
    log_ratio = log_revenue - np.log1p(data["budget"])
    features = FilmFeatures(feature_set, min_count=1)
    revenue = Pipeline(
        [("features", features), ("model", XGBRegressor(n_estimators=20, max_depth=3))]
    ).fit(data, log_revenue)
    hit = Pipeline(
        [
            ("features", FilmFeatures(feature_set, min_count=1)),
            (
                "model",
                LogRatioClassifier(XGBRegressor(n_estimators=20, max_depth=3), threshold=0.4),
            ),
        ]
    ).fit(data, log_ratio)
    calibrated = CalibratedClassifier(hit, "platt").fit(data, (log_ratio > 0.4).astype(int))
    return revenue, calibrated


def tiny_predictor() -> Predictor:
    """A Predictor over tiny real models for both feature sets (no store, no server)."""
    models = {}
    for feature_set in ("post_release", "pre_release"):
        revenue, hit = tiny_pipelines(feature_set)
        for task, predictor in (("revenue", revenue), ("hit", hit)):
            version = f"boxoffice-{task}-{feature_set.replace('_', '-')}:{RUN}"
            models[(task, feature_set)] = LoadedModel(
                predictor, version, metadata(task, feature_set)
            )
    return Predictor(models)

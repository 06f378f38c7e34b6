"""Small real models fitted on built frames, and valid metadata for them: for tests that need a
Predictor or a stored model but neither the dataset nor a training run."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from boxoffice.comparables import ComparableFilms
from boxoffice.dollars import CpiTable
from boxoffice.estimators import BlendClassifier, BlendRegressor
from boxoffice.features import FilmFeatures
from boxoffice.metadata import (
    MODEL_FORMAT,
    ComparablesMetadata,
    HitMetadata,
    RevenueMetadata,
    parse_metadata,
)
from serving.predictor import LoadedComparables, LoadedModel, Predictor
from tests.helpers.films import films

RUN = "20260101-000000-test"
NEWEST_YEAR = 2015  # films() releases films in 1980-2015
CPI = CpiTable(
    source="made up for the tests",
    index={year: 100.0 * 1.03 ** (year - 1980) for year in range(1913, 2026)},
    base_year=2025,
    growth_after_last=1.03,
)


def _scores(task: str, n: int = 100) -> dict[str, Any]:
    if task == "revenue":
        metrics = {"r2": 0.5, "rmse": 1.0, "mae": 0.8, "coverage": 0.8, "mean_width": 2.5}
        return {"n": n, "metrics": metrics, "ci95": {"r2": (0.4, 0.6)}}
    metrics = {"roc_auc": 0.8, "ece": 0.04, "brier": 0.2, "hit_rate": 0.5, "mean_probability": 0.5}
    return {"n": n, "metrics": metrics, "ci95": {"roc_auc": (0.75, 0.85)}}


def metadata(
    task: str, feature_set: str, run: str = RUN, **changes: Any
) -> RevenueMetadata | HitMetadata:
    """Valid metadata for a (task, feature set) model: made-up scores, real structure."""
    scores = _scores(task)
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
        "hit_ratio": 2.0,
        "explanation_method": "TreeSHAP",
        "fitted_on": "all_labelled",
        "newest_year": NEWEST_YEAR,
        "dollars": "nominal",
        "cpi": CPI.model_dump(),
        "selection": {
            "rule": "stand-in",
            "metric": "rmse",
            "origins": [2009, 2010],
            "cost_cap": 2500,
            "candidates": {},
        },
        "original_split": {"validation": scores, "test": scores, "test_filtered": scores},
        "backtest": {
            "protocol": "stand-in",
            "origins": [2009, 2010, 2011],
            "one_year_ahead": {2011: scores},
            "pooled": scores,
            "pooled_years": [2011],
            "trained_to": 2010,
            "later": scores,
            "by_horizon": {1: scores},
            "baseline_pooled": scores,
            "baseline_later": scores,
            "dollars": {"nominal_development": scores},
            "dollars_rule": "stand-in",
        },
        "rows": {
            "population": 500,
            "fitted": 480,
            "development": 300,
            "original_train": 300,
            "original_validation": 100,
            "original_test": 100,
            "original_test_filtered": 99,
        },
        "cleaning": [],
        "data_sha256": "0" * 64,
        "seed": 42,
        "profile": "quick",
        "timings": {"tune": 1.0},
        "library_versions": {},
    }
    if task == "revenue":
        raw |= {
            "interval": {
                "level": 0.8,
                "low_offset": -1.2,
                "high_offset": 0.8,
                "widen_per_year": 0.02,
                "reference_horizon": 4.0,
                "n_residuals": 1000,
                "method": "stand-in",
            },
            "revenue_range": (1e4, 3e9),
        }
    else:
        raw |= {
            "threshold": 0.5,
            "calibration": {
                "intercept": 0.1,
                "slope": 0.9,
                "horizon_coef": 0.02,
                "interaction_coef": -0.02,
                "max_horizon": 10,
                "n_predictions": 1000,
                "fitted_on": "stand-in",
                "best_f1_threshold": 0.4,
            },
        }
    return parse_metadata(raw | changes)


def tiny_pipelines(feature_set: str, n: int = 240) -> tuple[Pipeline, Pipeline]:
    """A revenue and a hit pipeline fitted in a second on built films (the blends the full
    profile favours, with the companies' and keywords' track record)."""
    data = films(n)
    rng = np.random.default_rng(1)
    log_revenue = (
        np.log1p(data["budget"]) + 0.2 * np.log1p(data["vote_count"]) + rng.normal(0, 0.8, n)
    )
    log_ratio = log_revenue - np.log1p(data["budget"])

    def features() -> FilmFeatures:
        return FilmFeatures(feature_set, min_count=1, target_encoding=True)

    revenue = Pipeline(
        [
            ("features", features()),
            ("model", BlendRegressor(XGBRegressor(n_estimators=20, max_depth=3), increasing=(0,))),
        ]
    ).fit(data, log_revenue)
    hit = Pipeline([("features", features()), ("model", BlendClassifier(threshold=0.4))]).fit(
        data, log_ratio
    )
    return revenue, hit


def tiny_comparables() -> LoadedComparables:
    data = films(120).assign(revenue=lambda f: 2.5 * f["budget"])
    comps = ComparableFilms(CPI).fit(data)
    meta = ComparablesMetadata(
        format=MODEL_FORMAT,
        run=RUN,
        kind="comparables",
        films=len(data),
        newest_year=NEWEST_YEAR,
        default_k=8,
        weights={"budget": 2.0},
        similarity="stand-in",
        backtest_r2={8: 0.44},
        backtest_r2_ci95={8: (0.4, 0.48)},
        backtest_years=[2011],
        cpi=CPI,
        data_sha256="0" * 64,
    )
    return LoadedComparables(comps, f"boxoffice-comparables:{RUN}", meta)


def tiny_predictor() -> Predictor:
    """A Predictor over tiny real models for both feature sets (no store, no server)."""
    models = {}
    for feature_set in ("post_release", "pre_release"):
        revenue, hit = tiny_pipelines(feature_set)
        for task, pipeline in (("revenue", revenue), ("hit", hit)):
            version = f"boxoffice-{task}-{feature_set.replace('_', '-')}:{RUN}"
            models[(task, feature_set)] = LoadedModel(
                pipeline, version, metadata(task, feature_set)
            )
    return Predictor(models, tiny_comparables())

"""Small real models fitted on built frames, and valid metadata for them: for tests that need a
Predictor or a stored model but neither the dataset nor a training run."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from boxoffice.comparables import ComparableFilms
from boxoffice.distribution import RevenueDistribution, Spread, YearTerm, quantile_levels
from boxoffice.dollars import CpiTable
from boxoffice.estimators import BlendRegressor
from boxoffice.features import FilmFeatures
from boxoffice.metadata import (
    MODEL_FORMAT,
    ComparablesMetadata,
    ForecastMetadata,
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


def distribution(design: str = "budget", year_sd: float = 0.15) -> RevenueDistribution:
    """A distribution whose spread narrows with the budget and widens with the horizon, Z a
    standard normal (a table of its quantiles)."""
    levels = quantile_levels(400)
    return RevenueDistribution(
        design=design,
        location=0.1,
        spread=Spread(
            covariates=["log_budget", "horizon"],
            mean=[17.0, 3.0],
            scale=[1.5, 2.5],
            coef=[0.0, -0.15, 0.05],
            max_horizon=10,
        ),
        levels=[float(v) for v in levels],
        quantiles=[float(v) for v in norm.ppf(levels)],
        year_term=YearTerm(
            intercept=year_sd**2,
            slope=0.002,
            common=(year_sd / 2) ** 2,
            floor=0.0025,
            max_horizon=6,
            n_groups=50,
            method="stand-in",
        ),
        n_residuals=1000,
        fitted_on="stand-in",
    )


def _scores(n: int = 100) -> dict[str, Any]:
    metrics = {
        "r2": 0.5,
        "rmse": 1.0,
        "mae": 0.8,
        "coverage": 0.8,
        "mean_width": 2.5,
        "crps": 0.6,
        "roc_auc": 0.8,
        "ece": 0.04,
        "brier": 0.2,
        "hit_rate": 0.5,
        "mean_probability": 0.5,
        "contradictions": 0.0,
    }
    return {"n": n, "metrics": metrics, "ci95": {"r2": (0.4, 0.6), "roc_auc": (0.75, 0.85)}}


def _selection() -> dict[str, Any]:
    return {
        "rule": "stand-in",
        "metric": "rmse",
        "origins": [2009, 2010],
        "cost_cap": 2500,
        "candidates": {},
    }


def metadata(feature_set: str, run: str = RUN, **changes: Any) -> ForecastMetadata:
    """Valid metadata for a feature set's forecast model: made-up scores, real structure."""
    scores = _scores()
    raw: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "run": run,
        "kind": "forecast",
        "feature_set": feature_set,
        "algorithm": "xgboost",
        "estimator_class": "XGBRegressor",
        "params": {"n_estimators": 20, "max_depth": 3},
        "raw_fields": ["budget", "runtime"],
        "features": ["log_budget", "runtime"],
        "target": "log1p(revenue)",
        "hit_ratio": 2.0,
        "threshold": 0.5,
        "explanation_method": "TreeSHAP",
        "fitted_on": "all_labelled",
        "newest_year": NEWEST_YEAR,
        "dollars": "nominal",
        "credits": {"used": False, "rule": "stand-in", "cast_top_billed": 5},
        "cpi": CPI.model_dump(),
        "distribution": distribution().model_dump(),
        "design": {
            "rule": "stand-in",
            "chosen": "budget",
            "development_years": [2009, 2010],
            "development_origin": 2009,
            "candidates": {},
        },
        "selection": _selection(),
        "hit_selection": _selection(),
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
            "two_models_pooled": scores,
            "two_models_later": scores,
            "dollars": {"nominal_development": scores},
            "dollars_rule": "stand-in",
        },
        "slates": {
            "trained_to": 2010,
            "years": [2011],
            "draws": 100,
            "seed": 0,
            "method": "stand-in",
            "by_size": {},
        },
        "revenue_range_constant": (1e4, 3e9),
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
    return parse_metadata(raw | changes)


def tiny_pipeline(feature_set: str, n: int = 240, credits: bool = False) -> Pipeline:
    """A revenue pipeline fitted in a second on built films (the blend the full profile favours,
    with the companies' and keywords' track record, and with ``credits`` the directors' and the
    cast's: directors "Director 0" to "Director 9", cast "Actor 0" to "Actor 19")."""
    data = films(n)
    if credits:
        data["directors"] = [[f"Director {i % 10}"] for i in range(n)]
        data["cast"] = [[f"Actor {i % 20}", f"Actor {(i + 1) % 20}"] for i in range(n)]
    rng = np.random.default_rng(1)
    log_revenue = (
        np.log1p(data["budget"]) + 0.2 * np.log1p(data["vote_count"]) + rng.normal(0, 0.8, n)
    )
    features = FilmFeatures(feature_set, min_count=1, target_encoding=True, credits=credits)
    return Pipeline(
        [
            ("features", features),
            ("model", BlendRegressor(XGBRegressor(n_estimators=20, max_depth=3), increasing=(0,))),
        ]
    ).fit(data, log_revenue)


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


def tiny_predictor(credits: bool = False) -> Predictor:
    """A Predictor over tiny real models for both feature sets (no store, no server)."""
    models = {
        feature_set: LoadedModel(
            tiny_pipeline(feature_set, credits=credits),
            f"boxoffice-forecast-{feature_set.replace('_', '-')}:{RUN}",
            metadata(feature_set),
        )
        for feature_set in ("post_release", "pre_release")
    }
    return Predictor(models, tiny_comparables())

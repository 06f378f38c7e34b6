"""Turn validated films into predictions with the four stored pipelines.

The pipelines hold the feature engineering (``training.features.FilmFeatures``); this module only
chooses the model for each film, lays the films out as columns and formats the answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bentoml
import numpy as np

from serving.schema import FeatureSet, Film, FilmPrediction, HitResult, RevenueResult
from training.features import POST_RELEASE_FIELDS
from training.registry import load_pipeline


@dataclass
class LoadedModel:
    """A stored pipeline with what the service reports about it."""

    pipeline: Any
    version: str
    metadata: dict[str, Any]
    ranges: dict[str, tuple[float, float]]

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedModel:
        pipeline = load_pipeline(model)
        ranges = getattr(pipeline[0], "ranges_", {})
        return cls(pipeline, str(model.tag), dict(model.info.metadata), ranges)


def choose_feature_set(film: Film) -> FeatureSet:
    if film.model is not None:
        return film.model
    return "post_release" if film.has_post_release_signal else "pre_release"


def film_columns(films: Sequence[Film]) -> dict[str, list[Any]]:
    """The raw fields FilmFeatures reads, one list per field."""
    return {
        "budget": [f.budget_usd for f in films],
        "runtime": [f.runtime for f in films],
        "release_year": [f.release_date.year if f.release_date else f.release_year for f in films],
        "release_month": [f.release_date.month if f.release_date else None for f in films],
        "popularity": [f.popularity for f in films],
        "vote_average": [f.vote_average for f in films],
        "vote_count": [f.vote_count for f in films],
        "original_language": [f.original_language for f in films],
        "genres": [f.genres for f in films],
        "production_companies": [f.production_companies for f in films],
        "production_countries": [f.production_countries for f in films],
        "spoken_languages": [f.spoken_languages for f in films],
        "keywords": [f.keywords for f in films],
    }


def film_warnings(film: Film, feature_set: FeatureSet, model: LoadedModel) -> list[str]:
    """What the caller should know about how this film was scored."""
    warnings = []
    if feature_set == "post_release":
        missing = [f for f in POST_RELEASE_FIELDS if getattr(film, f) is None]
        if missing:
            warnings.append(
                f"{', '.join(missing)} not given: the post-release model used the training median"
            )
    elif film.has_post_release_signal:
        warnings.append("pre_release model chosen: popularity and votes were ignored")
    values = {
        "budget": film.budget_usd,
        "runtime": film.runtime,
        "release_year": film.release_date.year if film.release_date else film.release_year,
        "popularity": film.popularity,
        "vote_count": film.vote_count,
    }
    for name, value in values.items():
        if value is None or name not in model.ranges:
            continue
        low, high = model.ranges[name]
        if not low <= value <= high:
            warnings.append(
                f"{name} {value:g} is outside the training range "
                f"[{low:g}, {high:g}]: treat the prediction with caution"
            )
    return warnings


class Predictor:
    """The four models of one training run, and the predictions the API serves."""

    def __init__(self, models: dict[tuple[str, str], bentoml.Model]) -> None:
        self.models = {key: LoadedModel.load(model) for key, model in models.items()}

    def _grouped(self, films: Sequence[Film]) -> dict[FeatureSet, list[int]]:
        groups: dict[FeatureSet, list[int]] = {}
        for i, film in enumerate(films):
            groups.setdefault(choose_feature_set(film), []).append(i)
        return groups

    def _predict(self, task: str, films: Sequence[Film]) -> tuple[np.ndarray, list[FeatureSet]]:
        """Raw model output per film (log1p revenue, or hit probability) and the model used."""
        out = np.empty(len(films))
        used: list[FeatureSet] = ["pre_release"] * len(films)
        for feature_set, indices in self._grouped(films).items():
            pipeline = self.models[(task, feature_set)].pipeline
            columns = film_columns([films[i] for i in indices])
            if task == "revenue":
                out[indices] = pipeline.predict(columns)
            else:
                out[indices] = pipeline.predict_proba(columns)[:, 1]
            for i in indices:
                used[i] = feature_set
        return out, used

    def revenue(self, films: Sequence[Film]) -> list[RevenueResult]:
        log_revenue, used = self._predict("revenue", films)
        results = []
        for film, value, feature_set in zip(films, log_revenue, used, strict=True):
            model = self.models[("revenue", feature_set)]
            value = float(value)
            results.append(
                RevenueResult(
                    revenue=value,
                    log_revenue=value,
                    revenue_usd=math.expm1(value),
                    model=feature_set,
                    model_version=model.version,
                    warnings=film_warnings(film, feature_set, model),
                )
            )
        return results

    def hit(self, films: Sequence[Film]) -> list[HitResult]:
        probability, used = self._predict("hit", films)
        results = []
        for film, value, feature_set in zip(films, probability, used, strict=True):
            model = self.models[("hit", feature_set)]
            threshold = float(model.metadata["threshold"])
            results.append(
                HitResult(
                    probability=float(value),
                    is_hit=bool(value >= threshold),
                    threshold=threshold,
                    model=feature_set,
                    model_version=model.version,
                    warnings=film_warnings(film, feature_set, model),
                )
            )
        return results

    def both(self, films: Sequence[Film]) -> list[FilmPrediction]:
        revenue, hit = self.revenue(films), self.hit(films)
        return [
            FilmPrediction(
                index=i,
                revenue=r.revenue,
                log_revenue=r.log_revenue,
                revenue_usd=r.revenue_usd,
                probability=h.probability,
                is_hit=h.is_hit,
                threshold=h.threshold,
                model=r.model,
                revenue_model_version=r.model_version,
                hit_model_version=h.model_version,
                warnings=r.warnings,
            )
            for i, (r, h) in enumerate(zip(revenue, hit, strict=True))
        ]

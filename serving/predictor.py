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

from serving.schema import FeatureSet, Film
from training.explain import explain
from training.features import POST_RELEASE_FIELDS
from training.registry import load_pipeline
from training.uncertainty import raw_classifier


@dataclass
class LoadedModel:
    """A stored model with what the service reports about it.

    ``predictor`` is what answers (for the hit task, the calibrated classifier); ``pipeline``
    is the features + estimator pipeline inside it, which explanations decompose.
    """

    predictor: Any
    pipeline: Any
    version: str
    metadata: dict[str, Any]
    ranges: dict[str, tuple[float, float]]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedModel:
        predictor = load_pipeline(model)
        pipeline = raw_classifier(predictor)
        ranges = getattr(pipeline[0], "ranges_", {})
        return cls(predictor, pipeline, str(model.tag), dict(model.info.metadata), ranges)


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
    """The four models of one training run, and the predictions the API serves.

    Answers are plain dicts shaped like the response models in ``serving.schema``: the values
    come from the models, not from users, so building validated objects would only cost time.
    """

    def __init__(self, models: dict[tuple[str, str], bentoml.Model]) -> None:
        self.models = {key: LoadedModel.load(model) for key, model in models.items()}

    def _plan(self, films: Sequence[Film]) -> tuple[list[FeatureSet], dict[FeatureSet, list[int]]]:
        """The feature set answering each film, and the films of each feature set."""
        chosen = [choose_feature_set(film) for film in films]
        groups: dict[FeatureSet, list[int]] = {}
        for i, feature_set in enumerate(chosen):
            groups.setdefault(feature_set, []).append(i)
        return chosen, groups

    def _raw(
        self, task: str, films: Sequence[Film], groups: dict[FeatureSet, list[int]]
    ) -> tuple[np.ndarray, dict[int, dict[str, Any]]]:
        """Model output per film (log1p revenue, or calibrated hit probability), and the
        explanations of the films that asked for one."""
        out = np.empty(len(films))
        explanations: dict[int, dict[str, Any]] = {}
        for feature_set, indices in groups.items():
            model = self.models[(task, feature_set)]
            columns = film_columns([films[i] for i in indices])
            if task == "revenue":
                out[indices] = model.predictor.predict(columns)
            else:
                out[indices] = model.predictor.predict_proba(columns)[:, 1]
            wanted = [k for k, i in enumerate(indices) if films[i].explain]
            if wanted:  # only then: asking for nothing extra costs nothing
                explanation = explain(
                    model.pipeline, {c: [v[k] for k in wanted] for c, v in columns.items()}
                )
                for row, k in enumerate(wanted):
                    i = indices[k]
                    explanations[i] = explanation.for_film(row, films[i].explain_top)
        return out, explanations

    def _warnings(self, films: Sequence[Film], chosen: list[FeatureSet]) -> list[list[str]]:
        # Both tasks of a feature set were fitted on the same rows: one set of ranges.
        return [
            film_warnings(film, fs, self.models[("revenue", fs)])
            for film, fs in zip(films, chosen, strict=True)
        ]

    def _revenue_fields(self, value: float, feature_set: FeatureSet) -> dict[str, Any]:
        interval = self.models[("revenue", feature_set)].metadata["interval"]
        low, high = value + interval["low_offset"], value + interval["high_offset"]
        return {
            "revenue": value,
            "log_revenue": value,
            "revenue_usd": math.expm1(value),
            "revenue_p10_usd": math.expm1(low),
            "revenue_p90_usd": math.expm1(high),
            "log_revenue_p10": low,
            "log_revenue_p90": high,
            "interval_level": interval["level"],
        }

    def revenue(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        chosen, groups = self._plan(films)
        values, explanations = self._raw("revenue", films, groups)
        warnings = self._warnings(films, chosen)
        results = []
        for i, (value, fs) in enumerate(zip(values.tolist(), chosen, strict=True)):
            result = {
                **self._revenue_fields(value, fs),
                "model": fs,
                "model_version": self.models[("revenue", fs)].version,
                "warnings": warnings[i],
            }
            if i in explanations:
                result["explanation"] = explanations[i]
            results.append(result)
        return results

    def hit(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        chosen, groups = self._plan(films)
        values, explanations = self._raw("hit", films, groups)
        warnings = self._warnings(films, chosen)
        results = []
        for i, (value, fs) in enumerate(zip(values.tolist(), chosen, strict=True)):
            model = self.models[("hit", fs)]
            result = {
                "probability": value,
                "is_hit": value >= model.threshold,
                "threshold": model.threshold,
                "model": fs,
                "model_version": model.version,
                "warnings": warnings[i],
            }
            if i in explanations:
                result["explanation"] = explanations[i]
            results.append(result)
        return results

    def both(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        """Both forecasts per film, in order."""
        chosen, groups = self._plan(films)
        revenue, revenue_explanations = self._raw("revenue", films, groups)
        probability, hit_explanations = self._raw("hit", films, groups)
        warnings = self._warnings(films, chosen)
        versions = {
            fs: (
                self.models[("revenue", fs)].version,
                self.models[("hit", fs)].version,
                self.models[("hit", fs)].threshold,
            )
            for fs in groups
        }
        rows = []
        for i, (value, p, fs) in enumerate(
            zip(revenue.tolist(), probability.tolist(), chosen, strict=True)
        ):
            revenue_version, hit_version, threshold = versions[fs]
            row = {
                "index": i,
                **self._revenue_fields(value, fs),
                "probability": p,
                "is_hit": p >= threshold,
                "threshold": threshold,
                "model": fs,
                "revenue_model_version": revenue_version,
                "hit_model_version": hit_version,
                "warnings": warnings[i],
            }
            if i in revenue_explanations:
                row["explanation"] = {
                    "revenue": revenue_explanations[i],
                    "hit": hit_explanations[i],
                }
            rows.append(row)
        return rows

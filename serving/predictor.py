"""Turn validated films into predictions with the four stored pipelines.

The pipelines hold the feature engineering (``boxoffice.features.FilmFeatures``); this module only
chooses the model for each film, lays the films out as columns and formats the answers.
"""

from __future__ import annotations

import asyncio
import math
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import bentoml
import numpy as np

from boxoffice.estimators import raw_classifier
from boxoffice.explain import explain
from boxoffice.features import POST_RELEASE_FIELDS
from boxoffice.store import load_pipeline
from serving.schema import FeatureSet, Film


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
    language_mode: str | None  # what an original language left out is scored as

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedModel:
        predictor = load_pipeline(model)
        pipeline = raw_classifier(predictor)
        features = pipeline[0]
        return cls(
            predictor,
            pipeline,
            str(model.tag),
            dict(model.info.metadata),
            features.ranges_,
            features.language_mode_,
        )


@dataclass
class Scored:
    """What one pass over a list of films produced."""

    chosen: list[FeatureSet]
    outputs: dict[str, np.ndarray]
    explanations: dict[str, dict[int, dict[str, Any]]]
    warnings: list[list[str]]


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


# A batch call is answered this many films at a time (Predictor.batch lets the event loop run
# between slices; merge_batches joins them). Slices are also faster than one pass: 10,000 films
# take ~140 ms in slices of 2,000 against ~190 ms at once (numpy arrays that fit in cache).
BATCH_SLICE = 2000
RANGE_CHECKED = ("budget", "runtime", "release_year", "popularity", "vote_count")
# Lists that (nearly) every training film has; a list left out is scored with the typical number
# of items. Share of the training films with none: genres 0, companies 1.3%, countries 0.5%,
# keywords 3.3%. (spoken_languages only counts, and 0.2% have none: not flagged.)
LIST_WARNED = ("genres", "production_companies", "production_countries", "keywords")
# A revenue forecast is kept within $0 .. $1 trillion (the largest in TMDB is $2.8 billion): a
# model extrapolating far outside its training range (a linear one can) would otherwise
# overflow the conversion to USD.
LOG_REVENUE_CEILING = math.log1p(1e12)
CLIPPED = "the revenue forecast was outside $0 to $1 trillion and is clipped to it"


def clip_log_revenue(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts within 0 .. LOG_REVENUE_CEILING, and which ones were outside (or not a number)."""
    clipped = np.clip(np.nan_to_num(values, nan=0.0), 0.0, LOG_REVENUE_CEILING)
    return clipped, clipped != values


def _flag_missing(warnings: list[list[str]], columns: dict[str, list[Any]], message: str) -> None:
    """Append `message`, naming the fields left out (None), to each film that left any out.

    One string per pattern of missing fields: the films of a batch mostly share a few."""
    pattern = [0] * len(warnings)
    for bit, values in enumerate(columns.values()):
        for i, value in enumerate(values):
            if value is None:
                pattern[i] |= 1 << bit
    names, texts = list(columns), {}
    for i, code in enumerate(pattern):
        if code:
            text = texts.get(code)
            if text is None:
                missing = ", ".join(n for bit, n in enumerate(names) if code >> bit & 1)
                text = texts[code] = message.format(missing)
            warnings[i].append(text)


def film_warnings(
    columns: dict[str, list[Any]],
    feature_set: FeatureSet,
    ranges: dict[str, tuple[float, float]],
    language_mode: str | None = None,
) -> list[list[str]]:
    """What the caller should know about how each film was scored (vectorised over films):
    every field left out and what it was scored as, a model switch, values out of range."""
    n_films = len(columns["budget"])
    warnings: list[list[str]] = [[] for _ in range(n_films)]
    if feature_set == "post_release":
        _flag_missing(
            warnings,
            {f: columns[f] for f in POST_RELEASE_FIELDS},
            "{} not given: the post-release model used the training median",
        )
    else:
        given = [v is not None for f in POST_RELEASE_FIELDS for v in columns[f]]
        for i in np.flatnonzero(np.reshape(given, (len(POST_RELEASE_FIELDS), -1)).any(axis=0)):
            warnings[i].append("pre_release model chosen: popularity and votes were ignored")
    for i, genres in enumerate(columns["genres"]):
        if genres == []:
            warnings[i].append("no genres: no training film has none")
    _flag_missing(
        warnings,
        {f: columns[f] for f in LIST_WARNED},
        "{} not given: scored as a typical number, none in particular",
    )
    _flag_missing(
        warnings,
        {f: columns[f] for f in ("release_year", "release_month")},
        "{} not given (no release_date): scored with the training median",
    )
    if language_mode is not None:
        _flag_missing(
            warnings,
            {"original_language": columns["original_language"]},
            "{} not given: scored as " + repr(language_mode) + ", the most common",
        )
    for name in RANGE_CHECKED:
        if name not in ranges:
            continue
        low, high = ranges[name]
        values = np.array(columns[name], dtype=float)
        with np.errstate(invalid="ignore"):
            outside = (values < low) | (values > high)
        for i in np.flatnonzero(outside):
            warnings[i].append(
                f"{name} {values[i]:g} is outside the training range "
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
        # The revenue and hit pipelines of a feature set were fitted on the same rows, so their
        # FilmFeatures steps are identical: when they are, a batch is transformed once.
        self.shared_features = {
            fs: pickle.dumps(self.models[("revenue", fs)].pipeline[0])
            == pickle.dumps(self.models[("hit", fs)].pipeline[0])
            for fs in {key[1] for key in self.models}
        }

    def _plan(self, films: Sequence[Film]) -> tuple[list[FeatureSet], dict[FeatureSet, list[int]]]:
        """The feature set answering each film, and the films of each feature set."""
        chosen = [choose_feature_set(film) for film in films]
        groups: dict[FeatureSet, list[int]] = {}
        for i, feature_set in enumerate(chosen):
            groups.setdefault(feature_set, []).append(i)
        return chosen, groups

    def _run(self, films: Sequence[Film], tasks: tuple[str, ...]) -> Scored:
        """Model outputs (log1p revenue, calibrated hit probability), explanations for the
        films that asked, and warnings, for every film."""
        chosen, groups = self._plan(films)
        scored = Scored(
            chosen,
            {t: np.empty(len(films)) for t in tasks},
            {t: {} for t in tasks},
            [[] for _ in films],
        )
        clipped = np.zeros(len(films), dtype=bool)
        for feature_set, indices in groups.items():
            columns = film_columns([films[i] for i in indices])
            features = None
            for task in tasks:
                model = self.models[(task, feature_set)]
                if features is None or not self.shared_features[feature_set]:
                    features = model.pipeline[0].transform(columns)
                X = features
                for _, step in model.pipeline.steps[1:-1]:
                    X = step.transform(X)
                estimator = model.pipeline[-1]
                if task == "revenue":
                    values, outside = clip_log_revenue(estimator.predict(X))
                    scored.outputs[task][indices] = values
                    clipped[indices] = outside
                else:
                    raw = estimator.predict_proba(X)[:, 1]
                    calibrate = getattr(model.predictor, "calibrate", None)
                    scored.outputs[task][indices] = calibrate(raw) if calibrate else raw
                wanted = [k for k, i in enumerate(indices) if films[i].explain]
                if wanted:  # only then: asking for nothing extra costs nothing
                    subset = {c: [v[k] for k in wanted] for c, v in columns.items()}
                    explanation = explain(model.pipeline, subset)
                    for row, k in enumerate(wanted):
                        i = indices[k]
                        scored.explanations[task][i] = explanation.for_film(
                            row, films[i].explain_top
                        )
            first = self.models[(tasks[0], feature_set)]
            warned = film_warnings(columns, feature_set, first.ranges, first.language_mode)
            for k, warns in enumerate(warned):
                scored.warnings[indices[k]] = warns
        for i in np.flatnonzero(clipped):
            scored.warnings[i] = [*scored.warnings[i], CLIPPED]
        return scored

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
        scored = self._run(films, ("revenue",))
        results = []
        for i, (value, fs) in enumerate(
            zip(scored.outputs["revenue"].tolist(), scored.chosen, strict=True)
        ):
            result = {
                **self._revenue_fields(value, fs),
                "model": fs,
                "model_version": self.models[("revenue", fs)].version,
                "warnings": scored.warnings[i],
            }
            if i in scored.explanations["revenue"]:
                result["explanation"] = scored.explanations["revenue"][i]
            results.append(result)
        return results

    def hit(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        scored = self._run(films, ("hit",))
        results = []
        for i, (value, fs) in enumerate(
            zip(scored.outputs["hit"].tolist(), scored.chosen, strict=True)
        ):
            model = self.models[("hit", fs)]
            result = {
                "probability": value,
                "is_hit": value >= model.threshold,
                "threshold": model.threshold,
                "model": fs,
                "model_version": model.version,
                "warnings": scored.warnings[i],
            }
            if i in scored.explanations["hit"]:
                result["explanation"] = scored.explanations["hit"][i]
            results.append(result)
        return results

    def both(self, films: Sequence[Film], start: int = 0) -> dict[str, Any]:
        """Both forecasts per film, in order, with what is common to all films (model versions,
        thresholds, interval level) said once at the top: it halves the response size.
        ``start`` is the first film's index (when ``films`` is a slice of a batch)."""
        scored = self._run(films, ("revenue", "hit"))
        used = sorted(set(scored.chosen))
        models = {
            fs: {
                "revenue_model_version": self.models[("revenue", fs)].version,
                "hit_model_version": self.models[("hit", fs)].version,
                "hit_threshold": self.models[("hit", fs)].threshold,
                "interval_level": self.models[("revenue", fs)].metadata["interval"]["level"],
            }
            for fs in used
        }
        offsets = {fs: self.models[("revenue", fs)].metadata["interval"] for fs in used}
        thresholds = {fs: models[fs]["hit_threshold"] for fs in used}
        rows = []
        for i, (value, p, fs) in enumerate(
            zip(
                scored.outputs["revenue"].tolist(),
                scored.outputs["hit"].tolist(),
                scored.chosen,
                strict=True,
            )
        ):
            row = {
                "index": start + i,
                "log_revenue": value,
                "revenue_usd": math.expm1(value),
                "revenue_p10_usd": math.expm1(value + offsets[fs]["low_offset"]),
                "revenue_p90_usd": math.expm1(value + offsets[fs]["high_offset"]),
                "probability": p,
                "is_hit": p >= thresholds[fs],
                "model": fs,
                "warnings": scored.warnings[i],
            }
            if i in scored.explanations["revenue"]:
                row["explanation"] = {
                    "revenue": scored.explanations["revenue"][i],
                    "hit": scored.explanations["hit"][i],
                }
            rows.append(row)
        return {"models": models, "predictions": rows}

    async def batch(self, films: Sequence[Film]) -> dict[str, Any]:
        """``both`` for a whole batch, BATCH_SLICE films at a time, letting the event loop run
        between slices. 10,000 films at once kept it ~190 ms from reading other requests, and at
        SIGTERM uvicorn closes every connection whose request headers it has not parsed yet
        (Server.shutdown -> HttpToolsProtocol.shutdown: cycle is None -> transport.close()), so
        requests queued behind a long batch were dropped instead of answered."""
        parts = []
        for start in range(0, len(films), BATCH_SLICE):
            if start:
                await asyncio.sleep(0)
            parts.append(self.both(films[start : start + BATCH_SLICE], start))
        return merge_batches(parts)


def merge_batches(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One ``both`` answer from the answers for consecutive slices of a batch."""
    merged: dict[str, Any] = {"models": {}, "predictions": []}
    for part in parts:
        merged["models"].update(part["models"])
        merged["predictions"].extend(part["predictions"])
    merged["models"] = dict(sorted(merged["models"].items()))
    return merged

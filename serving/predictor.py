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
from boxoffice.features import LIST_FIELDS, POST_RELEASE_FIELDS, FilmFeatures, distinct_counts
from boxoffice.metadata import HitMetadata, Interval, RevenueMetadata, read_metadata
from boxoffice.store import load_pipeline
from serving.schema import FeatureSet, Film, ScenariosRequest


@dataclass(frozen=True)
class LoadedModel:
    """A stored model with what the service reports about it.

    ``predictor`` is what answers (for the hit task, the calibrated classifier); ``pipeline``
    is the features + estimator pipeline inside it, which explanations decompose.
    """

    predictor: Any
    version: str
    metadata: RevenueMetadata | HitMetadata

    @property
    def pipeline(self) -> Any:
        return raw_classifier(self.predictor)

    @property
    def features(self) -> FilmFeatures:
        return self.pipeline[0]

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedModel:
        return cls(load_pipeline(model), str(model.tag), read_metadata(model))


@dataclass
class Scores:
    """One pass of the models over a list of films: everything any answer is projected from.

    ``log_revenue`` / ``probability`` hold one value per film for the tasks that were run
    (an empty array otherwise); ``explanations`` only the films that asked for one.
    """

    feature_sets: list[FeatureSet]
    thresholds: list[float]  # of is_hit: the film's hit_threshold, or its model's default
    log_revenue: np.ndarray
    probability: np.ndarray
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
# A batch row carries the forecast and its interval in USD; the interval level and the
# thresholds are said once, in the answer's `models`.
BATCH_REVENUE_FIELDS = ("log_revenue", "revenue_usd", "revenue_p10_usd", "revenue_p90_usd")


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
    for name in LIST_FIELDS:
        lists = [items or [] for items in columns[name]]  # None: not given, not counted
        counts = np.fromiter(map(len, lists), dtype=float, count=n_films)
        distinct = distinct_counts(lists)
        for i in np.flatnonzero(distinct < counts):
            warnings[i].append(f"{name}: {counts[i] - distinct[i]:g} repeated item(s) counted once")
        if name in ranges:
            low, high = ranges[name]
            given = np.array([items is not None for items in columns[name]])
            for i in np.flatnonzero(given & ((distinct < low) | (distinct > high))):
                warnings[i].append(
                    f"{name}: {distinct[i]:g} items is outside the training range "
                    f"[{low:g}, {high:g}]: treat the prediction with caution"
                )
    return warnings


class Predictor:
    """The four models of one training run, and the predictions the API serves.

    ``score`` makes one pass of the models over the films; ``revenue``, ``hit`` and ``both``
    project its result onto the three answers. Answers are plain dicts shaped like the response
    models in ``serving.schema`` (tests/code/test_answers.py validates every shape against
    them): the values come from the models, not from users, so building validated objects on
    every request would only cost time.
    """

    def __init__(self, models: dict[tuple[str, str], LoadedModel]) -> None:
        self.models = models
        self.intervals: dict[str, Interval] = {}  # by feature set
        self.thresholds: dict[str, float] = {}
        for (task, feature_set), model in models.items():
            metadata = model.metadata
            if (metadata.task, metadata.feature_set) != (task, feature_set):
                raise ValueError(f"{model.version} is not the {task}/{feature_set} model")
            if isinstance(metadata, RevenueMetadata):
                self.intervals[feature_set] = metadata.interval
            else:
                self.thresholds[feature_set] = metadata.threshold
        # The revenue and hit pipelines of a feature set were fitted on the same rows, so their
        # FilmFeatures steps are identical: when they are, a batch is transformed once.
        self.shared_features = {
            fs: pickle.dumps(self.models[("revenue", fs)].features)
            == pickle.dumps(self.models[("hit", fs)].features)
            for fs in {key[1] for key in self.models}
        }

    @classmethod
    def from_store(cls, models: dict[tuple[str, str], bentoml.Model]) -> Predictor:
        return cls({key: LoadedModel.load(model) for key, model in models.items()})

    def _plan(self, films: Sequence[Film]) -> tuple[list[FeatureSet], dict[FeatureSet, list[int]]]:
        """The feature set answering each film, and the films of each feature set."""
        chosen = [choose_feature_set(film) for film in films]
        groups: dict[FeatureSet, list[int]] = {}
        for i, feature_set in enumerate(chosen):
            groups.setdefault(feature_set, []).append(i)
        return chosen, groups

    def score(self, films: Sequence[Film], tasks: tuple[str, ...] = ("revenue", "hit")) -> Scores:
        """Model outputs (log1p revenue, calibrated hit probability) for ``tasks``,
        explanations for the films that asked, and warnings, for every film."""
        chosen, groups = self._plan(films)
        outputs = {t: np.empty(len(films) if t in tasks else 0) for t in ("revenue", "hit")}
        scores = Scores(
            chosen,
            [
                self.thresholds[fs] if film.hit_threshold is None else film.hit_threshold
                for film, fs in zip(films, chosen, strict=True)
            ],
            outputs["revenue"],
            outputs["hit"],
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
                    features = model.features.transform(columns)
                X = features
                for _, step in model.pipeline.steps[1:-1]:
                    X = step.transform(X)
                estimator = model.pipeline[-1]
                if task == "revenue":
                    values, outside = clip_log_revenue(estimator.predict(X))
                    outputs[task][indices] = values
                    clipped[indices] = outside
                else:
                    raw = estimator.predict_proba(X)[:, 1]
                    calibrate = getattr(model.predictor, "calibrate", None)
                    outputs[task][indices] = calibrate(raw) if calibrate else raw
                wanted = [k for k, i in enumerate(indices) if films[i].explain]
                if wanted:  # only then: asking for nothing extra costs nothing
                    subset = {c: [v[k] for k in wanted] for c, v in columns.items()}
                    explanation = explain(model.pipeline, subset)
                    for row, k in enumerate(wanted):
                        i = indices[k]
                        scores.explanations[task][i] = explanation.for_film(
                            row, films[i].explain_top
                        )
            features_step = self.models[(tasks[0], feature_set)].features
            warned = film_warnings(
                columns, feature_set, features_step.ranges_, features_step.language_mode_
            )
            for k, warns in enumerate(warned):
                scores.warnings[indices[k]] = warns
        for i in np.flatnonzero(clipped):
            scores.warnings[i] = [*scores.warnings[i], CLIPPED]
        return scores

    # -- projections of one pass onto the answers -----------------------------------------
    def _revenue_part(self, scores: Scores, i: int) -> dict[str, Any]:
        """A film's revenue forecast with its interval, in log1p USD and USD."""
        value = float(scores.log_revenue[i])
        interval = self.intervals[scores.feature_sets[i]]
        low, high = interval.bounds(value)
        return {
            "log_revenue": value,
            "revenue_usd": math.expm1(value),
            "revenue_p10_usd": math.expm1(low),
            "revenue_p90_usd": math.expm1(high),
            "log_revenue_p10": low,
            "log_revenue_p90": high,
            "interval_level": interval.level,
        }

    def _hit_part(self, scores: Scores, i: int) -> dict[str, Any]:
        probability = float(scores.probability[i])
        return {"probability": probability, "is_hit": probability >= scores.thresholds[i]}

    def _single(self, scores: Scores, i: int, task: str, part: dict[str, Any]) -> dict[str, Any]:
        """One film's answer from ``/predict_revenue`` or ``/predict_hit``."""
        feature_set = scores.feature_sets[i]
        answer = {
            **part,
            "model": feature_set,
            "model_version": self.models[(task, feature_set)].version,
            "warnings": scores.warnings[i],
        }
        if i in scores.explanations[task]:
            answer["explanation"] = scores.explanations[task][i]
        return answer

    def revenue(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        scores = self.score(films, ("revenue",))
        return [
            self._single(scores, i, "revenue", {"revenue": part["log_revenue"], **part})
            for i, part in ((i, self._revenue_part(scores, i)) for i in range(len(films)))
        ]

    def hit(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        scores = self.score(films, ("hit",))
        return [
            self._single(
                scores,
                i,
                "hit",
                {**self._hit_part(scores, i), "threshold": scores.thresholds[i]},
            )
            for i in range(len(films))
        ]

    def both(self, films: Sequence[Film], start: int = 0) -> dict[str, Any]:
        """Both forecasts per film, in order, with what is common to all films (model versions,
        thresholds, interval level) said once at the top: it halves the response size.
        ``start`` is the first film's index (when ``films`` is a slice of a batch)."""
        scores = self.score(films)
        models = {
            fs: {
                "revenue_model_version": self.models[("revenue", fs)].version,
                "hit_model_version": self.models[("hit", fs)].version,
                "hit_threshold": self.thresholds[fs],
                "interval_level": self.intervals[fs].level,
            }
            for fs in sorted(set(scores.feature_sets))
        }
        rows = []
        for i, feature_set in enumerate(scores.feature_sets):
            revenue = self._revenue_part(scores, i)
            row = {
                "index": start + i,
                **{k: revenue[k] for k in BATCH_REVENUE_FIELDS},
                **self._hit_part(scores, i),
                "model": feature_set,
                "warnings": scores.warnings[i],
            }
            if i in scores.explanations["revenue"]:
                row["explanation"] = {
                    "revenue": scores.explanations["revenue"][i],
                    "hit": scores.explanations["hit"][i],
                }
            rows.append(row)
        return {"models": models, "predictions": rows}

    def scenarios(self, request: ScenariosRequest) -> dict[str, Any]:
        """Both forecasts for the base film and each scenario, from one pass of the models."""
        answer = self.both(request.films())
        forecasts = [
            {"changed": changed, **{k: v for k, v in row.items() if k != "index"}}
            for row, changed in zip(
                answer["predictions"],
                [[], *(sorted(changes.model_fields_set) for changes in request.scenarios)],
                strict=True,
            )
        ]
        return {"models": answer["models"], "base": forecasts[0], "scenarios": forecasts[1:]}

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

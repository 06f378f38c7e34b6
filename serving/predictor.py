"""Turn validated films into predictions with the stored pipelines of one training run.

The pipelines hold the feature engineering (``boxoffice.features.FilmFeatures``) and the metadata
holds the interval and the calibration (``boxoffice.metadata``); this module chooses the model
for each film, lays the films out as columns, applies the uncertainty at each film's horizon
and formats the answers.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import bentoml
import numpy as np

from boxoffice.comparables import ComparableFilms
from boxoffice.config import COMPARABLES
from boxoffice.estimators import ConstantDollarTarget
from boxoffice.explain import explain
from boxoffice.features import LIST_FIELDS, POST_RELEASE_FIELDS, FilmFeatures, distinct_counts
from boxoffice.metadata import (
    ComparablesMetadata,
    HitMetadata,
    RevenueMetadata,
    horizons,
    read_comparables,
    read_metadata,
)
from boxoffice.store import load_comparables, load_pipeline
from serving.schema import FeatureSet, Film, ScenariosRequest


@dataclass(frozen=True)
class LoadedModel:
    """A stored model with what the service reports about it: ``pipeline`` gives the raw
    forecast (log1p revenue, or the raw P(hit)), ``metadata`` its interval or calibration."""

    pipeline: Any
    version: str
    metadata: RevenueMetadata | HitMetadata

    @property
    def features(self) -> FilmFeatures:
        inner = (
            self.pipeline.pipeline_
            if isinstance(self.pipeline, ConstantDollarTarget)
            else self.pipeline
        )
        return inner[0]

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedModel:
        return cls(load_pipeline(model), str(model.tag), read_metadata(model))


@dataclass(frozen=True)
class LoadedComparables:
    films: ComparableFilms
    version: str
    metadata: ComparablesMetadata

    @classmethod
    def load(cls, model: bentoml.Model) -> LoadedComparables:
        return cls(load_comparables(model), str(model.tag), read_comparables(model))


@dataclass
class Scores:
    """One pass of the models over a list of films: everything any answer is projected from.

    ``log_revenue`` / ``probability`` hold one value per film for the tasks that were run
    (an empty array otherwise); ``explanations`` only the films that asked for one.
    """

    feature_sets: list[FeatureSet]
    thresholds: list[float]  # of is_hit: the film's hit_threshold, or its model's default
    years: np.ndarray  # the release year each film was scored as (its dollars' year)
    horizons: np.ndarray  # years after the newest film its models learned from
    log_revenue: np.ndarray
    low: np.ndarray  # the interval's ends (log1p USD)
    high: np.ndarray
    probability: np.ndarray  # calibrated at the film's horizon
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
    newest_year: int | None = None,
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
        if name == "release_year" and newest_year is not None:
            # Later than the data: a forecast, the horizon says how far; the uncertainty widens.
            with np.errstate(invalid="ignore"):
                later = values > newest_year
            for i in np.flatnonzero(later):
                warnings[i].append(
                    f"release_year {values[i]:g} is {values[i] - newest_year:g} year(s) after the "
                    f"newest training film ({newest_year}): the models extrapolate; the interval "
                    "is widened and P(hit) tempered for that horizon"
                )
            high = math.inf  # said above
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
    """The models of one training run, and the predictions the API serves.

    ``score`` makes one pass of the models over the films; ``revenue``, ``hit``, ``both`` and
    ``scenarios`` project its result onto the answers. Answers are plain dicts shaped like the
    response models in ``serving.schema`` (tests/code/test_answers.py validates every shape
    against them): the values come from the models, not from users, so building validated
    objects on every request would only cost time.
    """

    def __init__(
        self,
        models: dict[tuple[str, str], LoadedModel],
        comparables: LoadedComparables | None = None,
    ) -> None:
        self.models = models
        self.comparables = comparables
        self.revenue_meta: dict[str, RevenueMetadata] = {}  # by feature set
        self.hit_meta: dict[str, HitMetadata] = {}
        for (task, feature_set), model in models.items():
            metadata = model.metadata
            if (metadata.task, metadata.feature_set) != (task, feature_set):
                raise ValueError(f"{model.version} is not the {task}/{feature_set} model")
            if isinstance(metadata, RevenueMetadata):
                self.revenue_meta[feature_set] = metadata
            else:
                self.hit_meta[feature_set] = metadata

    @classmethod
    def from_store(cls, models: dict[tuple[str, str], bentoml.Model]) -> Predictor:
        loaded = {
            key: LoadedModel.load(model) for key, model in models.items() if key != COMPARABLES
        }
        comps = LoadedComparables.load(models[COMPARABLES]) if COMPARABLES in models else None
        return cls(loaded, comps)

    def _plan(self, films: Sequence[Film]) -> tuple[list[FeatureSet], dict[FeatureSet, list[int]]]:
        """The feature set answering each film, and the films of each feature set."""
        chosen = [choose_feature_set(film) for film in films]
        groups: dict[FeatureSet, list[int]] = {}
        for i, feature_set in enumerate(chosen):
            groups.setdefault(feature_set, []).append(i)
        return chosen, groups

    def score(self, films: Sequence[Film], tasks: tuple[str, ...] = ("revenue", "hit")) -> Scores:
        """Model outputs (log1p revenue with its interval, calibrated hit probability) for
        ``tasks`` at each film's horizon, explanations for the films that asked, and warnings."""
        n = len(films)
        chosen, groups = self._plan(films)
        scores = Scores(
            chosen,
            [
                self.hit_meta[fs].threshold if film.hit_threshold is None else film.hit_threshold
                for film, fs in zip(films, chosen, strict=True)
            ],
            np.empty(n),
            np.empty(n),
            *(np.empty(n if "revenue" in tasks else 0) for _ in range(3)),
            np.empty(n if "hit" in tasks else 0),
            {t: {} for t in tasks},
            [[] for _ in films],
        )
        clipped = np.zeros(n, dtype=bool)
        for feature_set, indices in groups.items():
            columns = film_columns([films[i] for i in indices])
            first = self.models[(tasks[0], feature_set)]
            years = first.features.release_years(columns)
            horizon = horizons(years, first.metadata.newest_year)
            scores.years[indices], scores.horizons[indices] = years, horizon
            for task in tasks:
                model = self.models[(task, feature_set)]
                if task == "revenue":
                    values, outside = clip_log_revenue(model.pipeline.predict(columns))
                    low, high = self.revenue_meta[feature_set].interval.bounds(values, horizon)
                    scores.log_revenue[indices], clipped[indices] = values, outside
                    scores.low[indices], scores.high[indices] = low, high
                else:
                    raw = model.pipeline.predict_proba(columns)[:, 1]
                    calibration = self.hit_meta[feature_set].calibration
                    scores.probability[indices] = calibration.apply(raw, horizon)
                wanted = [k for k, i in enumerate(indices) if films[i].explain]
                if wanted:  # only then: asking for nothing extra costs nothing
                    subset = {c: [v[k] for k in wanted] for c, v in columns.items()}
                    explanation = explain(model.pipeline, subset)
                    for row, k in enumerate(wanted):
                        i = indices[k]
                        scores.explanations[task][i] = explanation.for_film(
                            row, films[i].explain_top
                        )
            warned = film_warnings(
                columns,
                feature_set,
                first.features.ranges_,
                first.features.language_mode_,
                first.metadata.newest_year,
            )
            for k, warns in enumerate(warned):
                scores.warnings[indices[k]] = warns
            if "revenue" in tasks:
                for k, warning in zip(
                    indices,
                    self._beyond_revenue(feature_set, scores.log_revenue[indices]),
                    strict=True,
                ):
                    if warning:
                        scores.warnings[k].append(warning)
        for i in np.flatnonzero(clipped):
            scores.warnings[i] = [*scores.warnings[i], CLIPPED]
        return scores

    def _beyond_revenue(self, feature_set: FeatureSet, log_revenue: np.ndarray) -> list[str | None]:
        """A warning for each forecast outside the revenues of the films the models learned from."""
        low, high = self.revenue_meta[feature_set].revenue_range
        out: list[str | None] = []
        for value in np.expm1(log_revenue):
            side = "above" if value > high else "below" if value < low else None
            out.append(
                f"the revenue forecast ${value:,.0f} is {side} any training film's "
                f"(${high if side == 'above' else low:,.0f}): the model extrapolates"
                if side
                else None
            )
        return out

    # -- projections of one pass onto the answers -----------------------------------------
    def _revenue_part(self, scores: Scores, i: int) -> dict[str, Any]:
        """A film's revenue forecast with its interval, in log1p USD and USD."""
        value, low, high = (float(a[i]) for a in (scores.log_revenue, scores.low, scores.high))
        return {
            "log_revenue": value,
            "revenue_usd": math.expm1(value),
            "revenue_p10_usd": math.expm1(low),
            "revenue_p90_usd": math.expm1(high),
            "log_revenue_p10": low,
            "log_revenue_p90": high,
            "interval_level": self.revenue_meta[scores.feature_sets[i]].interval.level,
        }

    def _hit_part(self, scores: Scores, i: int) -> dict[str, Any]:
        probability = float(scores.probability[i])
        return {"probability": probability, "is_hit": probability >= scores.thresholds[i]}

    @staticmethod
    def _time_part(scores: Scores, i: int) -> dict[str, Any]:
        """When the film was scored as released, and how far that is beyond the data."""
        return {"dollars_year": int(scores.years[i]), "horizon_years": int(scores.horizons[i])}

    def _single(self, scores: Scores, i: int, task: str, part: dict[str, Any]) -> dict[str, Any]:
        """One film's answer from ``/predict_revenue`` or ``/predict_hit``."""
        feature_set = scores.feature_sets[i]
        answer = {
            **part,
            **self._time_part(scores, i),
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
                "hit_threshold": self.hit_meta[fs].threshold,
                "interval_level": self.revenue_meta[fs].interval.level,
                "newest_training_year": self.revenue_meta[fs].newest_year,
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
                **self._time_part(scores, i),
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

    def comparable_films(self, film: Film, k: int) -> dict[str, Any]:
        """The k films of the training data most like this one on its pre-release fields."""
        if self.comparables is None:
            raise RuntimeError("this run has no comparable films")
        comps = self.comparables.films
        ((found, distances),) = comps.nearest(film_columns([film]), k, [film.title])
        films = comps.describe(found, distances)
        meta = self.comparables.metadata
        return {
            "comparables_version": self.comparables.version,
            "k": k,
            "constant_dollars_year": comps.cpi.base_year,
            "median_revenue_usd": float(np.median([f["revenue_usd"] for f in films])),
            "backtest_r2": meta.backtest_r2.get(k),
            "films": films,
        }

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

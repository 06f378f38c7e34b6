"""Turn validated films into answers with the stored forecast models of one training run.

Each feature set has one model: a pipeline (``boxoffice.features.FilmFeatures`` and the
revenue estimator) gives the film's forecast, and the distribution in its metadata
(``boxoffice.distribution``) gives everything else: the median revenue, its 80% range, P(hit),
and the profit under the analyst's assumptions. This module chooses the model for each film,
lays the films out as columns, reads the distribution at each film's horizon and formats the
answers. A slate of films is simulated together (``boxoffice.slate``).
"""

from __future__ import annotations

import asyncio
import math
import operator
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, TypeVar

import bentoml
import msgspec
import numpy as np

from boxoffice import slate
from boxoffice.comparables import ComparableFilms
from boxoffice.config import (
    CAST_TOP_BILLED,
    COMPARABLES,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
    FEATURE_SETS,
    FORECAST,
)
from boxoffice.distribution import (
    INTERVAL_LEVEL,
    LOG_REVENUE_CEILING,
    RevenueDistribution,
    break_even_revenue,
    chance_above,
    profit_quantile,
    read_forecasts,
)
from boxoffice.estimators import inner_pipeline
from boxoffice.explain import BUDGET_LABEL, LOCATION_LABEL, explain, in_points
from boxoffice.features import (
    CREDIT_FIELDS,
    LIST_FIELDS,
    POST_RELEASE_FIELDS,
    FilmFeatures,
    listed,
)
from boxoffice.fields import COUNTRY_CODE_SLIPS, COUNTRY_CODES
from boxoffice.messages import some
from boxoffice.metadata import (
    ComparablesMetadata,
    ForecastMetadata,
    horizons,
    read_comparables,
    read_metadata,
)
from boxoffice.store import load_comparables, load_pipeline
from serving import jsonio
from serving.columns import (
    BATCH_SLICE,
    FilmBatch,
    NotFast,
    from_films,
    json_slices,
    no_votes,
)
from serving.names import KnownNames
from serving.schema import FeatureSet, Film, ScenariosRequest, SlateRequest

T = TypeVar("T")


@dataclass(frozen=True)
class LoadedModel:
    """A stored forecast model: ``pipeline`` gives the forecast (log1p revenue) the
    distribution in ``metadata`` is centred on."""

    pipeline: Any
    version: str
    metadata: ForecastMetadata

    @property
    def distribution(self) -> RevenueDistribution:
        return self.metadata.distribution

    @property
    def features(self) -> FilmFeatures:
        return inner_pipeline(self.pipeline)[0]

    @property
    def known_credits(self) -> dict[str, dict] | None:
        """The names each credit field's track record knows; None when the model does not
        read credits."""
        features = self.features
        if not features.credits:
            return None
        return {name: features.encodings_[name] for name in CREDIT_FIELDS}

    @property
    def reference_budget(self) -> float:
        """The budget of an average film, USD: the training films' median (P(hit)'s drivers
        start from it)."""
        return math.expm1(self.features.medians_["budget"])

    def budgets_read(self, columns: dict[str, list[Any]]) -> np.ndarray:
        """Each film's budget as the models read it: a film released after the newest training
        film is read in that year's dollars (``ReleaseYearDollars``), the others as given."""
        inner = getattr(self.pipeline, "inner_columns", None)
        read = inner(columns) if inner is not None else columns
        return np.asarray(read["budget"], dtype=float)

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
    """One pass of the models over a list of films: everything any answer is projected from
    (arrays, one value per film; log1p USD unless named otherwise)."""

    feature_sets: list[FeatureSet]
    thresholds: np.ndarray  # of is_hit: the film's hit_threshold, or its model's default
    years: np.ndarray  # the release year each film was scored as (its dollars' year)
    horizons: np.ndarray  # years after the newest film its models learned from
    budget: np.ndarray  # USD
    studio_share: np.ndarray
    marketing: np.ndarray  # USD
    centre: np.ndarray  # the forecast the distribution is centred on
    spread: np.ndarray
    median: np.ndarray
    low: np.ndarray  # the 80% range's ends
    high: np.ndarray
    probability: np.ndarray  # P(hit)
    p_profit: np.ndarray
    explanations: dict[int, dict[str, Any]]  # film -> {"revenue": ..., "hit": ...}
    warnings: list[list[str]]


# A batch call is answered BATCH_SLICE films at a time (serving.columns; Predictor.batch lets
# the event loop run between slices; merge_batches joins them).
RANGE_CHECKED = ("budget", "runtime", "release_year", "popularity", "vote_count")
# Lists that (nearly) every training film has; a list left out is scored with the typical number
# of items. Share of the training films with none: genres 0, companies 1.3%, countries 0.5%,
# keywords 3.3%. (spoken_languages only counts, and 0.2% have none: not flagged.)
LIST_WARNED = ("genres", "production_companies", "production_countries", "keywords")
CLIPPED = "the revenue forecast was outside $0 to $1 trillion and is clipped to it"


def clip_log_revenue(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts within 0 .. LOG_REVENUE_CEILING, and which ones were outside (or not a number)."""
    clipped = np.clip(np.nan_to_num(values, nan=0.0), 0.0, LOG_REVENUE_CEILING)
    return clipped, clipped != values


def _flag_missing(warnings: list[list[str]], columns: dict[str, list[Any]], message: str) -> None:
    """Append `message`, naming the fields left out (None), to each film that left any out.

    One string per pattern of missing fields: the films of a batch mostly share a few."""
    names = list(columns)
    pattern = np.zeros(len(warnings), dtype=np.int64)
    for bit, values in enumerate(columns.values()):
        pattern |= _none(values).astype(np.int64) << bit
    texts: dict[int, str] = {}
    for i in np.flatnonzero(pattern):
        code = int(pattern[i])
        text = texts.get(code)
        if text is None:
            missing = ", ".join(n for bit, n in enumerate(names) if code >> bit & 1)
            text = texts[code] = message.format(missing)
        warnings[i].append(text)


def _dollars(usd: float) -> str:
    """US dollars as an analyst reads them: $0.30, $150, $10,000, $37.5M, $1.2B, $10T."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(usd) >= scale * 0.99995:  # what rounds to 1 of the unit at 4 digits is said in it
            return f"${usd / scale:,.4g}{suffix}"
    return f"${usd:,.2f}" if abs(usd) < 1 else f"${usd:,.0f}"


def _none(values: Sequence[Any]) -> np.ndarray:
    """Where the values are None (compared in C)."""
    return np.array(list(map(operator.is_, values, repeat(None))), dtype=bool)


def _credit_warnings(
    warnings: list[list[str]],
    columns: dict[str, list[Any]],
    known: dict[str, dict] | None,
    top_billed: int = CAST_TOP_BILLED,
) -> None:
    """Credits given to models that do not read them; with models that do, credits left out
    and names the models never saw (scored as unknown; of the cast, the ``top_billed`` names
    the models read)."""
    if known is None:
        given = np.array([list(map(bool, columns[f])) for f in CREDIT_FIELDS], dtype=bool)
        for i in np.flatnonzero(given.any(axis=0)).tolist():
            names = ", ".join(f for f, g in zip(CREDIT_FIELDS, given[:, i], strict=True) if g)
            warnings[i].append(
                f"{names} given: these models learned without a credits table and do not "
                "read the cast and crew"
            )
        return
    _flag_missing(
        warnings,
        {f: columns[f] for f in CREDIT_FIELDS},
        "{} not given: scored with a typical track record, no one in particular",
    )
    for name in CREDIT_FIELDS:
        read = top_billed if name == "cast" else None
        for i, names in enumerate(columns[name]):
            if not names:
                continue
            unknown = [n for n in dict.fromkeys(names[:read]) if n not in known[name]]
            if unknown:
                warnings[i].append(
                    f"{name}: {some(unknown, 3)}: no track record in the films the models "
                    "learned from, scored as unknown"
                )


def _unknown_countries(warnings: list[list[str]], cells: Sequence[Any] | None) -> None:
    """A country code of the right shape that is no ISO 3166-1 country ('UK', 'ZZ'), said: the
    film is scored with it counted among its countries, as one the models do not tell apart."""
    if cells is None:
        return
    read = listed(cells)
    unknown = set(read.items) - COUNTRY_CODES
    if not unknown:
        return
    for code, row in zip(read.items, read.rows.tolist(), strict=True):
        if code in unknown:
            slip = f" ({COUNTRY_CODE_SLIPS[code]})" if code in COUNTRY_CODE_SLIPS else ""
            warnings[row].append(
                f"production_countries {code!r} is not an ISO 3166-1 country code{slip}: "
                "counted among the film's countries, as one the models do not tell apart"
            )


def film_warnings(
    columns: dict[str, list[Any]],
    feature_set: FeatureSet,
    ranges: dict[str, tuple[float, float]],
    language_mode: str | None = None,
    newest_year: int | None = None,
    known_credits: dict[str, dict] | None = None,
    budgets_read: np.ndarray | None = None,
    languages: Sequence[str] | None = None,
    top_billed: int = CAST_TOP_BILLED,
) -> list[list[str]]:
    """What the caller should know about how each film was scored (vectorised over films):
    every field left out and what it was scored as, a model switch, values out of range, and
    the cast and crew as read (``known_credits``: the names each credit field's track record
    knows, when the models read credits). ``budgets_read``: the budgets as the models read
    them (a film after ``newest_year`` in that year's dollars), checked against the training
    range; ``languages``: the original languages the models tell apart."""
    n_films = len(columns["budget"])
    warnings: list[list[str]] = [[] for _ in range(n_films)]
    _credit_warnings(warnings, columns, known_credits, top_billed)
    unvoted = no_votes(columns)
    if feature_set == "post_release":
        _flag_missing(
            warnings,
            {f: columns[f] for f in POST_RELEASE_FIELDS},
            "{} not given: the post-release model used the training median",
        )
        for i in np.flatnonzero(unvoted):
            warnings[i].append(
                "vote_count 0: no votes yet, and the post-release model learned from films "
                "with votes: for a film not yet out, ask for the pre_release model"
            )
    else:
        given = np.array([~_none(columns[f]) for f in POST_RELEASE_FIELDS])
        for i in np.flatnonzero(given.any(axis=0)):
            warnings[i].append(
                "vote_count 0: no votes yet (as TMDB gives a film not yet out), so the "
                "pre_release model answered: popularity and votes were ignored"
                if unvoted[i]
                else "pre_release model chosen: popularity and votes were ignored"
            )
    _flag_missing(
        warnings,
        {f: columns[f] for f in LIST_WARNED},
        "{} not given: scored as a typical number, none in particular",
    )
    _flag_missing(
        warnings,
        {f: columns[f] for f in ("release_year", "release_month")},
        "{} not given (no release_date): scored with the training median, so answered in "
        "that year's dollars at its horizon (dollars_year, horizon_years): give the release "
        "date for the film's own",
    )
    if language_mode is not None:
        _flag_missing(
            warnings,
            {"original_language": columns["original_language"]},
            "{} not given: scored as " + repr(language_mode) + ", the most common",
        )
    if languages is not None and not set(columns["original_language"]) <= {None, *languages}:
        told = ", ".join(languages)
        for i, language in enumerate(columns["original_language"]):
            if language is not None and language not in languages:
                warnings[i].append(
                    f"original_language {language!r} is not one of the languages the models "
                    f"tell apart ({told}): scored as a film in another language"
                )
    _unknown_countries(warnings, columns.get("production_countries"))
    for name in RANGE_CHECKED:
        if name not in ranges:
            continue
        low, high = ranges[name]
        said_high = high  # the range as said: a later year's own warning lifts ``high`` below
        values = np.array(columns[name], dtype=float)
        if name == "budget" and budgets_read is not None:
            given, values = values, budgets_read
        if name == "release_year" and newest_year is not None:
            # Later than the data: a forecast, the horizon says how far; the uncertainty widens.
            with np.errstate(invalid="ignore"):
                later = values > newest_year
            for i in np.flatnonzero(later):
                warnings[i].append(
                    f"release_year {values[i]:g} is {values[i] - newest_year:g} year(s) after the "
                    f"newest training film ({newest_year}): the models extrapolate; the 80% "
                    "range allows for how far the models missed that many years ahead"
                )
            high = math.inf  # said above
        with np.errstate(invalid="ignore"):
            outside = (values < low) | (values > high)
        shown = _dollars if name == "budget" else "{:g}".format
        for i in np.flatnonzero(outside):
            said = shown(values[i])
            if name == "budget" and budgets_read is not None and values[i] != given[i]:
                said = (
                    f"{shown(given[i])} (read as {said} of {newest_year}, the newest training "
                    "film's year)"
                )
            warnings[i].append(
                f"{name} {said} is outside the training range "
                f"[{shown(low)}, {shown(said_high)}]: treat the prediction with caution"
            )
    for name in LIST_FIELDS:
        lists = listed(columns[name])  # None: not given, not counted
        counts, distinct = lists.lengths.astype(float), lists.distinct
        for i in np.flatnonzero(distinct < counts):
            warnings[i].append(f"{name}: {counts[i] - distinct[i]:g} repeated item(s) counted once")
        if name in ranges:
            low, high = ranges[name]
            given = ~lists.not_given
            for i in np.flatnonzero(given & ((distinct < low) | (distinct > high))):
                warnings[i].append(
                    f"{name}: {distinct[i]:g} items is outside the training range "
                    f"[{low:g}, {high:g}]: treat the prediction with caution"
                )
    return warnings


class Predictor:
    """The models of one training run, and the answers the API serves.

    ``score`` makes one pass of the models over the films; ``revenue``, ``hit``, ``both``,
    ``scenarios`` and ``slate`` project its result onto the answers. Answers are plain dicts
    shaped like the response models in ``serving.schema`` (tests/code/test_answers.py validates
    every shape against them): the values come from the models, not from users, so building
    validated objects on every request would only cost time.
    """

    def __init__(
        self,
        models: dict[FeatureSet, LoadedModel],
        comparables: LoadedComparables | None = None,
    ) -> None:
        self.models = models
        self.comparables = comparables
        self.names = KnownNames.of_models(
            [m.features for m in models.values()]
            + ([comparables.films.features_] if comparables is not None else []),
            [m.known_credits for m in models.values()],
        )
        for feature_set, model in models.items():
            if model.metadata.feature_set != feature_set:
                raise ValueError(f"{model.version} is not the {feature_set} model")
        # Batches take turns a step at a time (``_in_turn``): with 4 batches of 10,000 films
        # in flight each running a slice whenever the loop came round, the loop answered a
        # timer ~640 ms late at the median (~135 ms with 1), measured in process.
        self._turn: asyncio.Lock | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self.model_blocks = {
            fs: {
                "model_version": model.version,
                "hit_ratio": model.metadata.hit_ratio,
                "hit_threshold": model.metadata.threshold,
                "interval_level": INTERVAL_LEVEL,
                "newest_training_year": model.metadata.newest_year,
            }
            for fs, model in models.items()
        }

    @classmethod
    def from_store(cls, models: dict[tuple[str, str], bentoml.Model]) -> Predictor:
        loaded = {
            fs: LoadedModel.load(models[(FORECAST, fs)])
            for fs in FEATURE_SETS
            if (FORECAST, fs) in models
        }
        comps = LoadedComparables.load(models[COMPARABLES]) if COMPARABLES in models else None
        return cls(loaded, comps)

    def _plan(self, batch: FilmBatch) -> tuple[list[FeatureSet], dict[FeatureSet, np.ndarray]]:
        """The feature set answering each film (its own ``model``, else post-release when it
        gives a post-release signal), and the films of each feature set."""
        chosen: list[FeatureSet] = [
            model or ("post_release" if post else "pre_release")
            for model, post in zip(batch.model, batch.post_release.tolist(), strict=True)
        ]
        groups: dict[FeatureSet, np.ndarray] = {}
        for feature_set in sorted(set(chosen)):
            groups[feature_set] = np.flatnonzero([fs == feature_set for fs in chosen])
        return chosen, groups

    def score(
        self,
        films: FilmBatch | Sequence[Film],
        studio_share: float = DEFAULT_STUDIO_SHARE,
        marketing_usd: float = DEFAULT_MARKETING_USD,
    ) -> Scores:
        """One pass of the models: each film's forecast, the distribution read at its horizon,
        its profit under its own assumptions (``studio_share`` and ``marketing_usd`` where it
        gives none), explanations for the films that asked, and warnings."""
        batch = films if isinstance(films, FilmBatch) else from_films(films)
        told = self.names.read(batch.columns)
        n = len(batch)
        chosen, groups = self._plan(batch)
        defaults = np.array([self.models[fs].metadata.threshold for fs in chosen])
        scores = Scores(
            chosen,
            np.where(np.isnan(batch.hit_threshold), defaults, batch.hit_threshold),
            *(np.empty(n) for _ in range(2)),
            batch.budget,
            np.where(np.isnan(batch.studio_share), studio_share, batch.studio_share),
            np.where(np.isnan(batch.marketing_usd), marketing_usd, batch.marketing_usd),
            *(np.empty(n) for _ in range(7)),
            {},
            [[] for _ in range(n)],
        )
        clipped = np.zeros(n, dtype=bool)
        for feature_set, indices in groups.items():
            model = self.models[feature_set]
            metadata, distribution = model.metadata, model.distribution
            group = batch if len(indices) == n else batch.take(indices)
            columns = group.columns
            years = model.features.release_years(columns)
            horizon = horizons(years, metadata.newest_year)
            centre, outside = clip_log_revenue(model.pipeline.predict(columns))
            budget = scores.budget[indices]
            read = read_forecasts(distribution, centre, budget, horizon, metadata.hit_ratio)
            break_even = break_even_revenue(
                budget, scores.studio_share[indices], scores.marketing[indices]
            )
            scores.years[indices], scores.horizons[indices] = years, horizon
            scores.centre[indices], scores.spread[indices] = centre, read.spread
            scores.median[indices] = np.clip(read.median, 0.0, LOG_REVENUE_CEILING)
            scores.low[indices] = np.clip(read.low, 0.0, LOG_REVENUE_CEILING)
            scores.high[indices] = np.clip(read.high, 0.0, LOG_REVENUE_CEILING)
            scores.probability[indices] = read.probability
            scores.p_profit[indices] = chance_above(
                distribution, centre, read.spread, read.median, break_even
            )
            clipped[indices] = outside
            wanted = np.flatnonzero(group.explain)
            if len(wanted):  # only then: asking for nothing extra costs nothing
                subset = group.take(wanted).columns
                explanation = explain(model.pipeline, subset)
                for row, k in enumerate(wanted.tolist()):
                    i = int(indices[k])
                    scores.explanations[i] = self._explained(
                        explanation.for_film(row, group.explain_top[k]), model, scores, i
                    )
            warned = film_warnings(
                columns,
                feature_set,
                model.features.ranges_,
                model.features.language_mode_,
                metadata.newest_year,
                model.known_credits,
                model.budgets_read(columns),
                model.features.languages_,
                model.features.cast_top_billed,
            )
            for k, warning in self._beyond_revenue(model, scores.median[indices], years):
                warned[k].append(warning)
            for k, i in enumerate(indices.tolist()):
                scores.warnings[i] = warned[k]
        for i in np.flatnonzero(clipped):
            scores.warnings[i].append(CLIPPED)
        for i, messages in told.items():  # how its names were read: before the rest
            scores.warnings[i][:0] = messages
        self._flag_learned_from(batch.title, scores)
        return scores

    def _flag_learned_from(self, titles: Sequence[str | None], scores: Scores) -> None:
        """A film with the title (any case) and release year of a film the models learned from
        is said to be one: its forecast is in-sample, nearer its revenue than a new film's."""
        if self.comparables is None or not any(titles):
            return
        learned = self.comparables.films.by_title_
        years = scores.years.astype(int).tolist()
        # Keys made and looked up in C (a loop over 10,000 films took 15 ms).
        keys = zip(map(str.casefold, [t or "" for t in titles]), years, strict=True)
        for i in np.flatnonzero(list(map(learned.__contains__, keys))).tolist():
            if titles[i]:
                scores.warnings[i].append(
                    f"{titles[i]!r} ({years[i]}) is a film the models learned from: "
                    "its forecast is in-sample, nearer its revenue than a new film's would be"
                )

    def _explained(
        self, revenue: dict[str, Any], model: LoadedModel, scores: Scores, i: int
    ) -> dict[str, Any]:
        """The revenue explanation up to the median (with the distribution's own shift), and
        P(hit) in probability from the same contributions."""
        shift = float(scores.median[i]) - revenue["output"]
        hit = in_points(
            revenue,
            model.distribution,
            float(scores.budget[i]),
            float(scores.horizons[i]),
            model.metadata.hit_ratio,
            model.reference_budget,
            shift,
        )
        drivers = [item["feature"] for item in hit["contributions"]]
        contributions = list(revenue["contributions"])
        if len(drivers) > len(contributions) + 1:  # the budget's driver, 0 on revenue
            budget = {"feature": BUDGET_LABEL, "contribution": 0.0}
            contributions.insert(drivers.index(BUDGET_LABEL), budget)
        revenue = {
            **revenue,
            "output": float(scores.median[i]),
            "contributions": [*contributions, {"feature": LOCATION_LABEL, "contribution": shift}],
        }
        for item in revenue["contributions"]:
            item["factor"] = math.exp(item["contribution"])
        return {"revenue": revenue, "hit": hit}

    def _beyond_revenue(
        self, model: LoadedModel, log_revenue: np.ndarray, years: np.ndarray
    ) -> list[tuple[int, str]]:
        """A warning for each forecast outside the revenues of the films the models learned
        from, compared in the same dollars (the forecast's year's): (position, text)."""
        cpi = model.metadata.cpi
        values = np.expm1(log_revenue)
        low, high = (cpi.from_constant(end, years) for end in model.metadata.revenue_range_constant)
        out = []
        for k in np.flatnonzero((values > high) | (values < low)).tolist():
            side, end = ("above", high[k]) if values[k] > high[k] else ("below", low[k])
            out.append(
                (
                    k,
                    f"the revenue forecast {_dollars(values[k])} is {side} any training film's "
                    f"({_dollars(end)} in {int(years[k])} dollars): the model extrapolates",
                )
            )
        return out

    # -- projections of one pass onto the answers -----------------------------------------
    def _answer_columns(self, scores: Scores) -> dict[str, list[Any]]:
        """Every per-film value any answer holds, one list per field (one numpy pass each).
        Profit = studio share × revenue − budget − marketing: its median and 80% range are at
        the revenue's (profit rises with revenue)."""
        share, marketing, budget = scores.studio_share, scores.marketing, scores.budget
        profit = [
            profit_quantile(values, budget, share, marketing)
            for values in (scores.median, scores.low, scores.high)
        ]
        ratios = np.array([self.models[fs].metadata.hit_ratio for fs in scores.feature_sets])
        return {
            "log_revenue": scores.median.tolist(),
            "revenue_usd": np.expm1(scores.median).tolist(),
            "revenue_p10_usd": np.expm1(scores.low).tolist(),
            "revenue_p90_usd": np.expm1(scores.high).tolist(),
            "log_revenue_p10": scores.low.tolist(),
            "log_revenue_p90": scores.high.tolist(),
            "probability": scores.probability.tolist(),
            "is_hit": (scores.probability >= scores.thresholds).tolist(),
            "threshold": scores.thresholds.tolist(),
            "hit_ratio": ratios.tolist(),
            "hit_revenue_usd": (ratios * budget).tolist(),  # the hit line (hit_line) in USD
            "profit_usd": profit[0].tolist(),
            "profit_p10_usd": profit[1].tolist(),
            "profit_p90_usd": profit[2].tolist(),
            "p_profit": scores.p_profit.tolist(),
            "break_even_revenue_usd": break_even_revenue(budget, share, marketing).tolist(),
            "studio_share": share.tolist(),
            "marketing_usd": marketing.tolist(),
            "dollars_year": scores.years.astype(int).tolist(),
            "horizon_years": scores.horizons.astype(int).tolist(),
            "model": list(scores.feature_sets),
            "model_version": [self.models[fs].version for fs in scores.feature_sets],
            "interval_level": [INTERVAL_LEVEL] * len(scores.feature_sets),
            "warnings": scores.warnings,
        }

    @staticmethod
    def _records(
        keys: tuple[str, ...], columns: dict[str, list[Any]], scores: Scores, task: str | None
    ) -> list[dict[str, Any]]:
        """One answer per film with ``keys`` in that order, and the explanation of the films
        that asked (of ``task``, or both)."""
        rows = zip(*map(columns.get, keys), strict=True)
        # Each row holds one value per key (zipped from one column per key).
        records = [dict(zip(keys, values, strict=False)) for values in rows]
        for i, explanation in scores.explanations.items():
            records[i]["explanation"] = explanation[task] if task else explanation
        return records

    def revenue(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        scores = self.score(from_films(films))
        columns = self._answer_columns(scores)
        columns["revenue"] = columns["log_revenue"]
        return self._records(REVENUE_KEYS, columns, scores, "revenue")

    def hit(self, films: Sequence[Film]) -> list[dict[str, Any]]:
        scores = self.score(from_films(films))
        return self._records(HIT_KEYS, self._answer_columns(scores), scores, "hit")

    def _rows(self, scores: Scores, start: int = 0) -> list[dict[str, Any]]:
        """Both forecasts and the profit of each film, in order (``start``: the first film's
        index in the request)."""
        columns = self._answer_columns(scores)
        columns["index"] = list(range(start, start + len(scores.feature_sets)))
        return self._records(ROW_KEYS, columns, scores, None)

    def _models(self, scores: Scores) -> dict[str, Any]:
        return {fs: self.model_blocks[fs] for fs in sorted(set(scores.feature_sets))}

    def both(self, films: Sequence[Film] | FilmBatch, start: int = 0) -> dict[str, Any]:
        """Both forecasts per film, in order, with what is common to all films (model versions,
        the hit ratio, thresholds, the range's level) said once at the top."""
        batch = films if isinstance(films, FilmBatch) else from_films(films)
        scores = self.score(batch)
        return {"models": self._models(scores), "predictions": self._rows(scores, start)}

    def scenarios(self, request: ScenariosRequest) -> dict[str, Any]:
        """Both forecasts for the base film and each scenario, from one pass of the models."""
        films = request.films()
        answer = self.both(films)
        base = films[0]
        changed = [
            sorted(k for k in changes.model_fields_set if getattr(film, k) != getattr(base, k))
            for changes, film in zip(request.scenarios, films[1:], strict=True)
        ]  # a field a scenario sets to the base's own value is not a change
        forecasts = [
            {"changed": fields, **{k: v for k, v in row.items() if k != "index"}}
            for row, fields in zip(answer["predictions"], [[], *changed], strict=True)
        ]
        return {"models": answer["models"], "base": forecasts[0], "scenarios": forecasts[1:]}

    def slate(self, request: SlateRequest) -> dict[str, Any]:
        """Each film's forecast and profit, and the slate simulated as a whole: total revenue
        and profit with their 80% ranges, the number of hits, P(total profit > 0)."""
        films = request.films
        scores = self.score(from_films(films), request.studio_share, request.marketing_usd)
        ratios = {self.models[fs].metadata.hit_ratio for fs in set(scores.feature_sets)}
        draws = slate.simulate(
            slate.SlateFilms(
                centre=scores.centre,
                spread=scores.spread,
                horizon=scores.horizons,
                release_year=scores.years,
                budget=scores.budget,
                marketing=scores.marketing,
                studio_share=scores.studio_share,
                distribution=[self.models[fs].distribution for fs in scores.feature_sets],
                hit_ratio=ratios.pop(),
            )
        )
        low, high = slate.LOW, slate.HIGH
        revenue = np.quantile(draws.revenue, [0.5, low, high])
        profit = np.quantile(draws.profit, [0.5, low, high])
        levels = np.round(np.arange(1, 20) / 20, 2)
        fewest, most = slate.hit_range(draws.hits)
        return {
            "models": self._models(scores),
            "studio_share": request.studio_share,
            "marketing_usd": request.marketing_usd,
            "films": self._rows(scores),
            "total": {
                "revenue_usd": float(revenue[0]),
                "revenue_p10_usd": float(revenue[1]),
                "revenue_p90_usd": float(revenue[2]),
                "profit_usd": float(profit[0]),
                "profit_p10_usd": float(profit[1]),
                "profit_p90_usd": float(profit[2]),
                "p_profit": float(np.mean(draws.profit > 0)),
                "profit_quantiles": [
                    {"level": float(level), "usd": float(value)}
                    for level, value in zip(levels, np.quantile(draws.profit, levels), strict=True)
                ],
                "budget_usd": float(scores.budget.sum()),
                "marketing_usd": float(scores.marketing.sum()),
            },
            "hits": {
                "expected": float(scores.probability.sum()),
                "p10": fewest,
                "p90": most,
                "at_least": [float(p) for p in slate.at_least(draws.hits, len(films))],
            },
            "simulation": {"draws": slate.N_DRAWS, "seed": slate.SEED, "method": SLATE_METHOD},
        }

    def comparable_films(self, film: Film, k: int) -> dict[str, Any]:
        """The k films of the training data most like this one on its pre-release fields."""
        if self.comparables is None:
            raise RuntimeError("this run has no comparable films")
        comps = self.comparables.films
        columns = from_films([film]).columns
        self.names.read(columns)
        ((found, distances),) = comps.nearest(columns, k, [film.title])
        dollars_year = int(comps.features_.release_years(columns)[0])
        films = comps.describe(found, distances, dollars_year)
        meta = self.comparables.metadata
        return {
            "comparables_version": self.comparables.version,
            "k": k,
            "dollars_year": dollars_year,
            "constant_dollars_year": comps.cpi.base_year,
            "median_revenue_usd": float(np.median([f["revenue_usd"] for f in films])),
            "median_revenue_usd_in_dollars_year": float(
                np.median([f["revenue_usd_in_dollars_year"] for f in films])
            ),
            "backtest_r2": meta.backtest_r2.get(k),
            "films": films,
        }

    async def _in_turn(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)``, one step of a batch (a slice laid out or scored; the answer
        written), run in its turn: the batches in flight take turns a step each, in arrival
        order (``_turns``), and the event loop runs (other requests, probes) between any two
        steps. The turn is held over a pass of the loop before the step: a lock taken and
        given back with nothing awaited between would let every batch run a step in each
        pass."""
        async with self._turns():
            await asyncio.sleep(0)
            return work(*args)

    def _turns(self) -> asyncio.Lock:
        """The lock batches take turns by, one per event loop (a worker has one; an
        asyncio.Lock serves the loop it was first waited on in)."""
        loop = asyncio.get_running_loop()
        if self._turn_loop is not loop:
            self._turn, self._turn_loop = asyncio.Lock(), loop
        return self._turn

    async def _scored(
        self, films: Sequence[Film] | FilmBatch | list[FilmBatch]
    ) -> AsyncIterator[tuple[Scores, int]]:
        """One pass of the models over a whole batch a slice at a time (the slices given, as
        ``serving.columns.json_slices`` makes them; else BATCH_SLICE films), with each slice's
        first index, each slice scored in its turn (``_in_turn``). 10,000 films at once kept
        the loop ~190 ms from reading other requests, and at SIGTERM uvicorn closes every
        connection whose request headers it has not parsed yet (Server.shutdown ->
        HttpToolsProtocol.shutdown: cycle is None -> transport.close()), so requests queued
        behind a long batch were dropped instead of answered. Batches in flight that each ran
        a slice whenever the loop came round made a request waiting for the loop (a /readyz
        probe, a single film) wait for a slice of every one of them at each of its steps; one
        that waited for whole batches made a 1-film batch wait for every batch ahead of it."""
        if isinstance(films, FilmBatch):
            slices = _slices(films)
        elif films and isinstance(films[0], FilmBatch):
            slices = films
        else:
            slices = _slices(from_films(films))
        start = 0
        for part in slices:
            yield await self._in_turn(self.score, part), start
            start += len(part)

    async def batch(self, films: Sequence[Film] | FilmBatch | list[FilmBatch]) -> dict[str, Any]:
        """``both`` for a whole batch (see ``_scored``)."""
        parts = []
        async for scores, start in self._scored(films):
            parts.append({"models": self._models(scores), "predictions": self._rows(scores, start)})
        return merge_batches(parts)

    async def batch_json(self, films: Sequence[Film] | FilmBatch | list[FilmBatch]) -> bytes:
        """``batch``'s answer as JSON, each row encoded by msgspec straight from the answer's
        columns (``_row_structs``: 10,000 rows are made and written in ~7 ms against ~18 ms as
        dicts written by orjson). A batch of one slice is answered in one turn (one step: it
        waits for one step of each batch ahead of it, not three)."""
        if isinstance(films, FilmBatch):
            films = _slices(films)
        elif not films or not isinstance(films[0], FilmBatch):
            films = _slices(from_films(films))
        if len(films) == 1:
            return await self._in_turn(self._answer_json, films[0])
        models: dict[str, Any] = {}
        rows: list[Any] = []
        async for scores, start in self._scored(films):
            models.update(self._models(scores))
            rows.extend(self._row_structs(scores, start))
        return await self._in_turn(encode_batch, models, rows)

    async def batch_from_json(self, body: bytes) -> bytes | None:
        """``batch_json`` of a /predict_batch body as it came, when the columnar path takes it
        (``serving.columns.json_slices``: each slice laid out in its turn), else None. A body
        of one slice (fewer films than BATCH_SLICE) is laid out and answered in one turn."""
        slices = json_slices(body)
        try:
            first, answer = await self._in_turn(self._opening, slices)
            if answer is not None:
                return answer
            laid_out = [first]
            while (part := await self._in_turn(next, slices, None)) is not None:
                laid_out.append(part)
        except NotFast:
            return None
        return await self.batch_json(laid_out)

    def _opening(self, slices: Iterator[FilmBatch]) -> tuple[FilmBatch, bytes | None]:
        """The first slice, and the whole answer when it is the only one (NotFast when the
        body is not one the columnar path takes)."""
        first = next(slices)
        return first, self._answer_json(first) if len(first) < BATCH_SLICE else None

    def _answer_json(self, films: FilmBatch) -> bytes:
        """``batch_json``'s answer for a batch of one slice, in one step."""
        scores = self.score(films)
        return encode_batch(self._models(scores), self._row_structs(scores))

    def _row_structs(self, scores: Scores, start: int = 0) -> list[Any]:
        """``_rows`` as ``BatchRow``s."""
        columns = self._answer_columns(scores)
        columns["index"] = range(start, start + len(scores.feature_sets))
        rows = list(map(BatchRow, *map(columns.__getitem__, ROW_KEYS)))
        for i, explanation in scores.explanations.items():
            rows[i].explanation = explanation
        return rows


def _slices(batch: FilmBatch) -> list[FilmBatch]:
    """The batch BATCH_SLICE films at a time."""
    if len(batch) <= BATCH_SLICE:
        return [batch]
    return [
        batch.take(range(start, min(start + BATCH_SLICE, len(batch))))
        for start in range(0, len(batch), BATCH_SLICE)
    ]


# The keys of each answer, in order.
REVENUE_KEYS = (
    "revenue",
    "log_revenue",
    "revenue_usd",
    "revenue_p10_usd",
    "revenue_p90_usd",
    "log_revenue_p10",
    "log_revenue_p90",
    "interval_level",
    "profit_usd",
    "profit_p10_usd",
    "profit_p90_usd",
    "p_profit",
    "break_even_revenue_usd",
    "studio_share",
    "marketing_usd",
    "dollars_year",
    "horizon_years",
    "model",
    "model_version",
    "warnings",
)
HIT_KEYS = (
    "probability",
    "is_hit",
    "threshold",
    "hit_ratio",
    "hit_revenue_usd",
    "p_profit",
    "dollars_year",
    "horizon_years",
    "model",
    "model_version",
    "warnings",
)
ROW_KEYS = (
    "index",
    "log_revenue",
    "revenue_usd",
    "revenue_p10_usd",
    "revenue_p90_usd",
    "probability",
    "is_hit",
    "threshold",
    "profit_usd",
    "profit_p10_usd",
    "profit_p90_usd",
    "p_profit",
    "break_even_revenue_usd",
    "dollars_year",
    "horizon_years",
    "model",
    "warnings",
)


# A /predict_batch row as msgspec writes it (``Predictor.batch_json``): ROW_KEYS in order, and
# the explanation of a film that asked for one (left out otherwise, as UNSET).
BatchRow = msgspec.defstruct(
    "BatchRow",
    [*((key, Any) for key in ROW_KEYS), ("explanation", Any, msgspec.UNSET)],
    module=__name__,
)


def _numpy_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_ROW_ENCODER = msgspec.json.Encoder(enc_hook=_numpy_scalar)


def encode_batch(models: dict[str, Any], rows: list[Any]) -> bytes:
    """A /predict_batch answer from its models and ``BatchRow``s: the same values as
    ``jsonio.dumps`` of it as dicts; one that would hold a null (a NaN) is written by it, as
    before."""
    answer = {"models": dict(sorted(models.items())), "predictions": rows}
    out = _ROW_ENCODER.encode(answer)
    if b"null" not in out:
        return out
    answer["predictions"] = [
        {k: v for k, v in msgspec.structs.asdict(row).items() if v is not msgspec.UNSET}
        for row in rows
    ]
    return jsonio.dumps(answer)


SLATE_METHOD = (
    "each film's draws are its own forecast's quantiles, so its figures are those of its own "
    "answer; the films rise and fall together as past forecasts of one release year, and of "
    "every year after the data, did together in the backtest (a Gaussian copula)"
)


def merge_batches(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One ``both`` answer from the answers for consecutive slices of a batch."""
    merged: dict[str, Any] = {"models": {}, "predictions": []}
    for part in parts:
        merged["models"].update(part["models"])
        merged["predictions"].extend(part["predictions"])
    merged["models"] = dict(sorted(merged["models"].items()))
    return merged

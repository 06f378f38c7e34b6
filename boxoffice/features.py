"""Feature engineering shared by training and serving.

``FilmFeatures`` turns raw film fields, as a user sends them (budget in USD, genre names, release
year and month, ...), into the numeric matrix the estimators see. It is the first step of every
saved Pipeline, so the service never re-implements a feature.
"""

from __future__ import annotations

import heapq
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from boxoffice.config import FEATURE_SETS

# The 20 genres TMDB uses; a film's genres must come from this list.
TMDB_GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Foreign",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Science Fiction",
    "TV Movie",
    "Thriller",
    "War",
    "Western",
)

POST_RELEASE_FIELDS: tuple[str, ...] = ("popularity", "vote_average", "vote_count")
PRE_RELEASE_NUMERIC: tuple[str, ...] = ("budget", "runtime", "release_year", "release_month")
LIST_FIELDS: tuple[str, ...] = (
    "genres",
    "production_companies",
    "production_countries",
    "spoken_languages",
    "keywords",
)
# Every raw field the transformer reads; anything else in the input is ignored.
RAW_FIELDS: tuple[str, ...] = (
    *PRE_RELEASE_NUMERIC,
    *POST_RELEASE_FIELDS,
    "original_language",
    *LIST_FIELDS,
)
# Numeric fields fed through log1p (heavy right tails).
LOG_FIELDS = frozenset({"budget", "popularity", "vote_count"})

FilmColumns = pd.DataFrame | Mapping[str, Sequence[Any]]


def _column(X: FilmColumns, name: str, n_rows: int) -> Sequence[Any]:
    if name in X:
        return X[name]
    return [None] * n_rows


def _cells(X: FilmColumns, name: str, n_rows: int) -> list[Any]:
    """A column as a Python list: looping over a list is several times faster than a Series."""
    values = _column(X, name, n_rows)
    if isinstance(values, list):
        return values
    return values.tolist() if isinstance(values, pd.Series) else list(values)


def _n_rows(X: FilmColumns) -> int:
    if isinstance(X, pd.DataFrame):
        return len(X)
    lengths = {len(values) for values in X.values()}
    if len(lengths) > 1:
        raise ValueError("all columns must have the same length")
    return lengths.pop() if lengths else 0


def _as_float(values: Sequence[Any]) -> np.ndarray:
    """Numbers as floats, anything unparseable (None, text) as NaN; always a fresh copy."""
    try:
        # Fast path for lists of numbers/None (the service); None becomes NaN.
        return np.array(values, dtype=float)
    except (TypeError, ValueError):
        array = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        return array.to_numpy(dtype=float, na_value=np.nan, copy=True)


def _missing(value: Any) -> bool:
    """A list cell that was not given (None/NaN), as opposed to an empty list (none)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _not_given(values: Sequence[Any]) -> np.ndarray:
    """True where a list cell was not given (None/NaN); lists, even empty ones, are given."""
    return np.fromiter(
        (type(value) is not list and _missing(value) for value in values),
        dtype=bool,
        count=len(values),
    )


def _as_list(value: Any) -> list[str]:
    if _missing(value):
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _as_lists(values: Sequence[Any]) -> list[list[str]]:
    """Each cell as a list (not copied when it is one already); None/NaN as []."""
    return [
        value if type(value) is list else [value] if type(value) is str else _as_list(value)
        for value in values
    ]


def distinct_counts(lists: Sequence[Sequence[Any]]) -> np.ndarray:
    """The number of distinct items of each list, as floats."""
    return np.fromiter(
        (len(items) if len(items) < 2 else len(set(items)) for items in lists),
        dtype=float,
        count=len(lists),
    )


def _top_values(lists: Iterable[Iterable[str]], n_top: int, min_count: int) -> list[str]:
    """The ``n_top`` values in most lists (ties by name) that are in at least ``min_count``."""
    counts = Counter(chain.from_iterable(map(set, lists)))
    frequent = [(-count, value) for value, count in counts.items() if count >= min_count]
    return [value for _, value in heapq.nsmallest(n_top, frequent)]


class FilmFeatures(TransformerMixin, BaseEstimator):
    """Raw film fields -> numeric features.

    Parameters
    ----------
    feature_set : "post_release" or "pre_release"
        "pre_release" uses only what is known before a film opens (no popularity, no votes).
    n_companies, n_keywords, n_languages, n_countries : int
        How many of the most frequent production companies, keywords, original languages and
        production countries get an indicator column of their own (learned in ``fit``).
    min_count : int
        A company, keyword, language or country needs at least this many training films.
    """

    def __init__(
        self,
        feature_set: str = "post_release",
        n_companies: int = 30,
        n_keywords: int = 40,
        n_languages: int = 8,
        n_countries: int = 10,
        min_count: int = 10,
    ):
        self.feature_set = feature_set
        self.n_companies = n_companies
        self.n_keywords = n_keywords
        self.n_languages = n_languages
        self.n_countries = n_countries
        self.min_count = min_count

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: FilmColumns, y: Any = None) -> FilmFeatures:
        self._warn_absent(X, stacklevel=3)
        return self._fit(X)

    def fit_transform(self, X: FilmColumns, y: Any = None, **fit_params: Any) -> np.ndarray:
        self._warn_absent(X, stacklevel=4)  # once, not from both fit and transform
        return self._fit(X)._transform(X)

    def _warn_absent(self, X: FilmColumns, stacklevel: int) -> None:
        """A column left out entirely (often a renamed one) is imputed for every film: say so.

        ``stacklevel`` points the warning at the caller; sklearn wraps ``transform`` and
        ``fit_transform`` (set_output), which puts one more frame between them and it.
        """
        read = (*self._numeric_fields(), "original_language", *LIST_FIELDS)
        absent = [name for name in read if name not in X]
        if absent:
            warnings.warn(
                f"FilmFeatures: no column {', '.join(absent)}; every film is scored as if "
                f"{'this field was' if len(absent) == 1 else 'these fields were'} not given",
                UserWarning,
                stacklevel=stacklevel,
            )

    def _numeric_fields(self) -> list[str]:
        post = self.feature_set == "post_release"
        return [*PRE_RELEASE_NUMERIC, *(POST_RELEASE_FIELDS if post else ())]

    def _fit(self, X: FilmColumns) -> FilmFeatures:
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(f"feature_set must be one of {FEATURE_SETS}, got {self.feature_set!r}")
        n_rows = _n_rows(X)
        if n_rows == 0:
            raise ValueError("cannot fit FilmFeatures on zero films")
        self.numeric_fields_ = self._numeric_fields()
        # Observed range of each raw number (and below, of each list's number of distinct
        # items), so callers can flag values far outside it.
        self.ranges_ = {}
        for name in self.numeric_fields_:
            raw = _as_float(_column(X, name, n_rows))
            raw = raw[np.isfinite(raw) & ((raw > 0) if name in ("budget", "runtime") else True)]
            if raw.size:
                self.ranges_[name] = (float(raw.min()), float(raw.max()))
        numeric = self._numeric(X, n_rows)
        # Imputation values for unknown numbers (on the transformed scale).
        self.medians_ = {
            name: float(np.nanmedian(col)) if np.isfinite(col).any() else 0.0
            for name, col in numeric.items()
        }
        language = [
            [v] if isinstance(v, str) else [] for v in _cells(X, "original_language", n_rows)
        ]
        cells = {name: _cells(X, name, n_rows) for name in LIST_FIELDS}
        lists = {name: _as_lists(cells[name]) for name in LIST_FIELDS}
        # A list that is not given is scored with the typical (median) number of items and no
        # item in particular; an empty list means none. (The TMDB file gives every list, so
        # these medians only matter at serving time, e.g. for the original project's clients.)
        # The range of each list's number of distinct items, like the numbers' ranges above.
        self.count_medians_ = {}
        for name in LIST_FIELDS:
            lengths = distinct_counts(lists[name])
            given = lengths[~_not_given(cells[name])]
            self.count_medians_[name] = float(np.median(given)) if given.size else 0.0
            if given.size:
                self.ranges_[name] = (float(given.min()), float(given.max()))
        # An original language that is not given is scored as the most common one (English for
        # 96% of the training films), not as "none of the frequent languages".
        spoken = Counter(items[0] for items in language if items)
        self.language_mode_ = spoken.most_common(1)[0][0] if spoken else None
        self.genres_ = list(TMDB_GENRES)
        self.languages_ = _top_values(language, self.n_languages, self.min_count)
        self.companies_ = _top_values(
            lists["production_companies"], self.n_companies, self.min_count
        )
        self.countries_ = _top_values(
            lists["production_countries"], self.n_countries, self.min_count
        )
        self.keywords_ = _top_values(lists["keywords"], self.n_keywords, self.min_count)
        self.feature_names_out_ = np.array(self._feature_names(), dtype=object)
        self.n_features_in_ = len(RAW_FIELDS)
        self.feature_names_in_ = np.array(RAW_FIELDS, dtype=object)
        return self

    def _feature_names(self) -> list[str]:
        names = [f"log_{n}" if n in LOG_FIELDS else n for n in self.numeric_fields_]
        names += ["n_genres", *(f"genre_{g}" for g in self.genres_)]
        names += [f"language_{lang}" for lang in self.languages_]
        names += ["n_companies", *(f"company_{c}" for c in self.companies_)]
        names += ["n_countries", *(f"country_{c}" for c in self.countries_)]
        names += ["n_spoken_languages"]
        names += ["n_keywords", *(f"keyword_{k}" for k in self.keywords_)]
        return names

    # -- transforming -------------------------------------------------------------------------
    def _numeric(self, X: FilmColumns, n_rows: int) -> dict[str, np.ndarray]:
        out = {}
        for name in self.numeric_fields_:
            values = _as_float(_column(X, name, n_rows))
            values[~np.isfinite(values)] = np.nan
            if name in ("runtime", "budget"):
                values[values <= 0] = np.nan  # 0 means unknown in TMDB
            if name in LOG_FIELDS:
                values = np.log1p(np.clip(values, 0, None))
            out[name] = values
        return out

    def transform(self, X: FilmColumns) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        self._warn_absent(X, stacklevel=4)
        return self._transform(X)

    def _transform(self, X: FilmColumns) -> np.ndarray:
        n_rows = _n_rows(X)
        blocks: list[np.ndarray] = []
        numeric = self._numeric(X, n_rows)
        for name in self.numeric_fields_:
            values = numeric[name]
            blocks.append(np.where(np.isnan(values), self.medians_[name], values)[:, None])
        blocks.append(self._counted(X, n_rows, "genres", self.genres_))
        languages = _cells(X, "original_language", n_rows)
        if self.language_mode_ is not None:
            languages = [self.language_mode_ if _missing(v) else v for v in languages]
        blocks.append(self._multi_hot(languages, self.languages_))
        blocks.append(self._counted(X, n_rows, "production_companies", self.companies_))
        blocks.append(self._counted(X, n_rows, "production_countries", self.countries_))
        blocks.append(self._counted(X, n_rows, "spoken_languages", []))
        blocks.append(self._counted(X, n_rows, "keywords", self.keywords_))
        return np.hstack(blocks)

    def _counted(self, X: FilmColumns, n_rows: int, name: str, vocabulary: list[str]) -> np.ndarray:
        """The number of items, then one indicator per vocabulary item; a list not given gets
        the training median count and no indicator."""
        values = _cells(X, name, n_rows)
        out = self._multi_hot(values, vocabulary, count=True)
        median = self.count_medians_[name]
        if median:
            out[_not_given(values), 0] = median
        return out

    @staticmethod
    def _multi_hot(values: Sequence[Any], vocabulary: list[str], count: bool = False) -> np.ndarray:
        lists = _as_lists(values)
        offset = 1 if count else 0
        out = np.zeros((len(lists), len(vocabulary) + offset))
        lengths = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
        if count:  # an item listed twice counts once
            out[:, 0] = distinct_counts(lists)
        if not vocabulary:
            return out
        # Every item of every film in one flat sequence, looked up in C (map, dict.get) rather
        # than in a Python loop per film: this is most of the time of a transform.
        items = list(chain.from_iterable(lists))
        index = {value: j + offset for j, value in enumerate(vocabulary)}
        columns = np.fromiter(map(index.get, items, repeat(-1)), dtype=np.intp, count=len(items))
        rows = np.repeat(np.arange(len(lists)), lengths)
        known = columns >= 0
        out[rows[known], columns[known]] = 1.0
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()


_LABELS = {
    "log_budget": "budget",
    "runtime": "runtime",
    "release_year": "release year",
    "release_month": "release month",
    "log_popularity": "popularity",
    "vote_average": "vote average",
    "log_vote_count": "vote count",
    "n_genres": "number of genres",
    "n_companies": "number of production companies",
    "n_countries": "number of production countries",
    "n_spoken_languages": "number of spoken languages",
    "n_keywords": "number of keywords",
}
_PREFIXES = {
    "genre_": "genre ",
    "language_": "original language ",
    "company_": "company ",
    "country_": "country ",
    "keyword_": "keyword ",
}


def feature_label(name: str) -> str:
    """A feature's name in the user's terms: 'log_budget' -> 'budget', 'genre_Action' ->
    'genre Action'."""
    if name in _LABELS:
        return _LABELS[name]
    for prefix, label in _PREFIXES.items():
        if name.startswith(prefix):
            return label + name.removeprefix(prefix)
    return name

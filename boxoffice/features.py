"""Feature engineering shared by training and serving.

``FilmFeatures`` turns raw film fields, as a user sends them (budget in USD, genre names, release
year and month, ...), into the numeric matrix the estimators see. It is the first step of every
saved Pipeline, so the service never re-implements a feature.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from boxoffice.config import CAST_TOP_BILLED, FEATURE_SETS
from boxoffice.dollars import CpiTable
from boxoffice.fields import (
    CREDIT_FIELDS,
    LIST_FIELDS,
    POST_RELEASE_FIELDS,
    TMDB_GENRES,
)

# The release date is read as its year, its month and its day of the week (0 Monday .. 6
# Sunday): on the published table, films dated Tuesday to Thursday (the big international
# openings) made 0.33 more in log revenue than films of the same budget and year dated Friday;
# read by both models, it raised the pre-release R² and AUC by 0.009 on the selection years.
PRE_RELEASE_NUMERIC: tuple[str, ...] = (
    "budget",
    "runtime",
    "release_year",
    "release_month",
    "release_weekday",
)
# Every raw field the transformer reads; anything else in the input is ignored.
RAW_FIELDS: tuple[str, ...] = (
    *PRE_RELEASE_NUMERIC,
    *POST_RELEASE_FIELDS,
    "original_language",
    *LIST_FIELDS,
    *CREDIT_FIELDS,
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


def _not_given_cell(value: Any) -> bool:
    return type(value) is not list and _missing(value)


def _not_given(values: Sequence[Any]) -> np.ndarray:
    """True where a list cell was not given (None/NaN); lists, even empty ones, are given."""
    if set(map(type, values)) <= _LIST_OR_NONE:  # the service's columns: `is None` in C
        return np.array(list(map(operator.is_, values, repeat(None))), dtype=bool)
    return np.fromiter(map(_not_given_cell, values), dtype=bool, count=len(values))


_LIST_OR_NONE = frozenset({list, type(None)})
_LIST = frozenset({list})
# Where each list cell was not given (None or NaN), as the feature step reads it.
not_given = _not_given


def _as_list(value: Any) -> list[str]:
    if _missing(value):
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _as_lists(values: Sequence[Any]) -> list[list[str]]:
    """Each cell as a list (not copied when it is one already); None/NaN as []."""
    return [
        value
        if type(value) is list
        else []
        if value is None
        else [value]
        if type(value) is str
        else _as_list(value)
        for value in values
    ]


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a table of films that FilmFeatures reads (a table without credits has no
    ``directors`` or ``cast``)."""
    return frame[[name for name in RAW_FIELDS if name in frame.columns]]


def distinct_counts(lists: Sequence[Sequence[Any]]) -> np.ndarray:
    """The number of distinct items of each list, as floats."""
    # map() runs the loop in C: a generator here was most of a 1,000-film transform; a list of
    # ints converts to an array faster than np.fromiter converts item by item.
    return np.array(list(map(len, map(set, lists))), dtype=float)


def _lengths(lists: Sequence[Sequence[Any]]) -> np.ndarray:
    return np.array(list(map(len, lists)), dtype=np.intp)


def _looked_up(table: Mapping[str, Any], items: list[str], default: Any, dtype: Any) -> np.ndarray:
    """Each item's value in ``table`` (``default`` for an item it lacks), looked up in C."""
    return np.array(list(map(table.get, items, repeat(default))), dtype=dtype)


class Listed:
    """A list field's cells, read once for every column made from them: each cell as a list
    (``lists``; not given: []), which were not given, each list's length and number of
    distinct items, and every item laid flat (``items``) with its film's row (``rows``)."""

    def __init__(self, cells: Sequence[Any], lists: list[list[str]] | None = None) -> None:
        types = set(map(type, cells))
        if types <= _LIST_OR_NONE:  # the service's columns: each cell a list or None
            self.not_given = np.array(list(map(operator.is_, cells, repeat(None))), dtype=bool)
            if lists is None:
                lists = list(cells) if types == _LIST else [v or [] for v in cells]
        else:
            self.not_given = _not_given(cells)
        self.lists = _as_lists(cells) if lists is None else lists
        self.lengths = _lengths(self.lists)

    @functools.cached_property
    def distinct(self) -> np.ndarray:
        return distinct_counts(self.lists)

    @functools.cached_property
    def items(self) -> list[str]:
        # Each list added to one new list in C (twice as fast as chain.from_iterable).
        return functools.reduce(operator.iadd, self.lists, [])

    @functools.cached_property
    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.lists)), self.lengths)

    def first_listed(self) -> np.ndarray | None:
        """Over ``items``: False where a list repeats an item it listed before (None when no
        list does)."""
        repeats = np.flatnonzero(self.distinct < self.lengths)
        if not len(repeats):
            return None
        keep = np.ones(len(self.items), dtype=bool)
        starts = np.cumsum(self.lengths) - self.lengths
        for i in repeats.tolist():
            seen: set[str] = set()
            for position, item in enumerate(self.lists[i], int(starts[i])):
                if item in seen:
                    keep[position] = False
                seen.add(item)
        return keep

    def columns(self, vocabulary: list[str], offset: int) -> np.ndarray:
        """Each item's indicator column: ``offset + j`` for ``vocabulary[j]``, else -1."""
        # Every item of every film in one flat sequence, looked up in C (map, dict.get) rather
        # than in a Python loop per film: this is most of the time of a transform.
        index = {value: j + offset for j, value in enumerate(vocabulary)}
        return _looked_up(index, self.items, -1, np.intp)

    def coded(self, codes: _ItemCodes) -> tuple[np.ndarray, np.ndarray]:
        """Each item's indicator column (-1: none) and encoding (NaN: none), in one lookup."""
        code = _looked_up(codes.codes, self.items, -1, np.intp)
        return codes.columns[code], codes.encodings[code]

    def indicators(self, out: np.ndarray, columns: np.ndarray) -> None:
        """Set ``out[film, column]`` to 1 for each of its items' ``columns`` (-1: none)."""
        known = columns >= 0
        out[self.rows[known], columns[known]] = 1.0


class _ItemCodes:
    """A list field's vocabulary and fitted track record in one table: a code for each item in
    either (``codes``), and each code's indicator column (``columns``, -1: none; ``offset +
    j`` for ``vocabulary[j]``) and encoding (``encodings``, NaN: none). Code -1, an item in
    neither, reads the last entry of each."""

    def __init__(self, vocabulary: list[str], table: dict[str, float], offset: int) -> None:
        self.vocabulary, self.table = vocabulary, table
        self.codes = {item: k for k, item in enumerate(dict.fromkeys([*vocabulary, *table]))}
        index = {value: j + offset for j, value in enumerate(vocabulary)}
        self.columns = np.array([*map(index.get, self.codes, repeat(-1)), -1], dtype=np.intp)
        self.encodings = np.array([*map(table.get, self.codes, repeat(np.nan)), np.nan])


# Target encoding: the lists whose items carry a track record, the name of their columns, and
# the statistics of a film's items' encodings. The credits' are encoded when ``credits``.
ENCODED_FIELDS = {"production_companies": "company", "keywords": "keyword"}
CREDIT_RECORDS = {"directors": "director", "cast": "cast"}
ENCODED_STATS = ("mean", "max", "count")


class _Items:
    """The distinct items of each film's list as integer codes, laid flat: what the target
    encoding sums, once for all the folds of a fit."""

    def __init__(self, lists: Sequence[Sequence[str]]) -> None:
        distinct = [items if len(items) < 2 else list(dict.fromkeys(items)) for items in lists]
        lengths = np.fromiter(map(len, distinct), dtype=np.intp, count=len(distinct))
        self.names: dict[str, int] = {}
        self.codes = np.fromiter(
            (
                self.names.setdefault(item, len(self.names))
                for item in chain.from_iterable(distinct)
            ),
            dtype=np.intp,
            count=int(lengths.sum()),
        )
        self.rows = np.repeat(np.arange(len(distinct)), lengths)
        self.n_films = len(distinct)

    def encodings(
        self, films: np.ndarray, target: np.ndarray, smoothing: float, min_count: int
    ) -> np.ndarray:
        """Per item code, from the films given (positions): its films' mean target shrunk
        toward their overall mean by ``smoothing`` films' worth of it, minus that mean; NaN for
        an item of fewer than ``min_count`` of those films."""
        chosen = np.zeros(self.n_films, dtype=bool)
        chosen[films] = True
        in_films = chosen[self.rows]
        codes, rows = self.codes[in_films], self.rows[in_films]
        overall = float(np.mean(target[films])) if len(films) else 0.0
        counts = np.bincount(codes, minlength=len(self.names))
        sums = np.bincount(codes, weights=target[rows], minlength=len(self.names))
        shrunk = (sums + smoothing * overall) / (counts + smoothing) - overall
        return np.where(counts >= min_count, shrunk, np.nan)

    def encode(self, films: np.ndarray, encodings: np.ndarray) -> np.ndarray:
        """For the films given (positions), from item encodings: see ``_encode``."""
        chosen = np.zeros(self.n_films, dtype=bool)
        chosen[films] = True
        in_films = chosen[self.rows]
        position = np.full(self.n_films, -1)
        position[films] = np.arange(len(films))
        return _summarise(
            position[self.rows[in_films]], encodings[self.codes[in_films]], len(films)
        )

    def table(self, encodings: np.ndarray) -> dict[str, float]:
        """The encodings of the items that have one, by item."""
        return {
            item: float(encodings[c])
            for item, c in self.names.items()
            if not np.isnan(encodings[c])
        }


def _summarise(rows: np.ndarray, values: np.ndarray, n_films: int) -> np.ndarray:
    """Per film: the mean and the largest encoding of its known items (0 without any), and how
    many of its items are known (NaN values are unknown items)."""
    known = ~np.isnan(values)
    count = np.bincount(rows[known], minlength=n_films).astype(float)
    total = np.bincount(rows[known], weights=values[known], minlength=n_films)
    largest = np.full(n_films, -np.inf)
    np.maximum.at(largest, rows[known], values[known])
    has = count > 0
    return np.column_stack(
        [np.where(has, total / np.maximum(count, 1), 0.0), np.where(has, largest, 0.0), count]
    )


class ListColumn(list):
    """A list field's cells (a column: a list) that keeps them read (``listed``), so that the
    feature step and the service's warnings read a batch's lists once. The service lays its
    batches' list fields out as these; their cells must not change once read."""

    @functools.cached_property
    def listed(self) -> Listed:
        return Listed(self)


def listed(cells: Sequence[Any]) -> Listed:
    """A column's lists read (once for a ``ListColumn``)."""
    return cells.listed if isinstance(cells, ListColumn) else Listed(cells)


def _encode(listed: Listed, values: np.ndarray) -> np.ndarray:
    """Per film, from its items' encodings (``values``, over ``listed.items``; NaN: unknown):
    the mean and the largest encoding of its known items (0 without any), and how many of its
    items are known. An item listed twice counts once (its first listing)."""
    rows = listed.rows
    keep = listed.first_listed()  # lists rarely repeat an item
    if keep is not None:
        values, rows = values[keep], rows[keep]
    return _summarise(rows, values, len(listed.lists))


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
    target_encoding : bool
        Add, for the production companies and for the keywords, the track record of the
        training films that share them: the mean, the largest and the number of the film's
        items' encoded targets, where an item's encoding is the mean target of its training
        films shrunk toward the overall mean (``te_smoothing`` films' worth of it) minus that
        mean, for items of at least ``te_min_count`` films. Needs ``y`` in ``fit``. As in
        scikit-learn's TargetEncoder, ``fit_transform`` encodes each training film from the
        other folds (``te_folds``-fold cross-fitting), so a film's own target never leaks into
        its features; ``transform`` uses every training film. A list not given is scored with
        the training films' median record (a typical film, none in particular).
    cpi : CpiTable or None
        When given, the budget is read in constant dollars of ``cpi.base_year`` (converted from
        the dollars of the film's release year).
    credits : bool
        Add the directors' and the top-billed cast's track records (``directors``; the first
        ``cast_top_billed`` names of ``cast``), encoded as the companies' are (with or without
        ``target_encoding``; needs ``y`` in ``fit`` too).
    cast_top_billed : int
        How many names of ``cast`` are read (stored with the fitted features, so that a model
        reads the cast as it learned it, whatever the constant says later).
    keyword_volume : bool or None
        Read how many keywords a film has (their number, and the number and largest of their
        track records), not only which: None reads it for "post_release" only. TMDB's keywords
        are tagged by its users after a film is out, the more the more it is watched: on the
        published table, the number of keywords goes with the votes given the revenue, the
        budget and the year (partial correlation +0.30), and not with the revenue given the
        votes (-0.05). Before release it is not known, and an analyst typing 2 keywords or 20
        would move the forecast (a horror comedy: $175M, and $252M with 18 keywords no
        training film had).
    """

    def __init__(
        self,
        feature_set: str = "post_release",
        n_companies: int = 30,
        n_keywords: int = 40,
        n_languages: int = 8,
        n_countries: int = 10,
        min_count: int = 10,
        target_encoding: bool = False,
        te_smoothing: float = 30.0,
        te_min_count: int = 2,
        te_folds: int = 5,
        cpi: CpiTable | None = None,
        credits: bool = False,
        cast_top_billed: int = CAST_TOP_BILLED,
        keyword_volume: bool | None = None,
    ):
        self.feature_set = feature_set
        self.n_companies = n_companies
        self.n_keywords = n_keywords
        self.n_languages = n_languages
        self.n_countries = n_countries
        self.min_count = min_count
        self.target_encoding = target_encoding
        self.te_smoothing = te_smoothing
        self.te_min_count = te_min_count
        self.te_folds = te_folds
        self.cpi = cpi
        self.credits = credits
        self.cast_top_billed = cast_top_billed
        self.keyword_volume = keyword_volume

    def encoded_fields(self) -> dict[str, str]:
        """The lists whose items carry a track record in this configuration, with the prefix of
        their columns."""
        return {
            **(ENCODED_FIELDS if self.target_encoding else {}),
            **(CREDIT_RECORDS if self.credits else {}),
        }

    def item_lists(self, X: FilmColumns, name: str, n_rows: int) -> list[list[str]]:
        """A list field's items as the features read them: the cast's top-billed names only."""
        lists = _as_lists(_cells(X, name, n_rows))
        if name == "cast":
            return [items[: self.cast_top_billed] for items in lists]
        return lists

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Features pickled before ``cast_top_billed`` was a parameter read CAST_TOP_BILLED;
        # before ``keyword_volume``, every model read the number of keywords.
        state.setdefault("cast_top_billed", CAST_TOP_BILLED)
        state.setdefault("keyword_volume", True)
        if "feature_names_out_" in state:
            state.setdefault("keyword_volume_", True)
        super().__setstate__(state)

    def _reads_volume(self, name: str) -> bool:
        """Whether the list ``name``'s number of items is read (see ``keyword_volume``)."""
        return name != "keywords" or self.keyword_volume_

    def _stats(self, name: str) -> list[int]:
        """The ENCODED_STATS of the track record of ``name`` that are read: the mean only of
        keywords whose volume is not read (the largest of more keywords is larger)."""
        return [0, 1, 2] if self._reads_volume(name) else [0]

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: FilmColumns, y: Any = None) -> FilmFeatures:
        self._warn_absent(X, stacklevel=3)
        return self._fit(X, y)

    def fit_transform(self, X: FilmColumns, y: Any = None, **fit_params: Any) -> np.ndarray:
        self._warn_absent(X, stacklevel=4)  # once, not from both fit and transform
        self._fit(X, y)
        if not self.encoded_fields():
            return self._transform(X)
        # Each training film's track record from the other folds only (cross-fitting).
        out = self._transform(X, with_encoding=False)
        n_rows = _n_rows(X)
        target = self._target(y, n_rows)
        blocks = []
        for name in self.encoded_fields():
            cells = _cells(X, name, n_rows)
            items = _Items(self.item_lists(X, name, n_rows))
            encoded = np.zeros((n_rows, len(ENCODED_STATS)))
            for fit_rows, encode_rows in KFold(self.te_folds, shuffle=True, random_state=0).split(
                np.arange(n_rows)
            ):
                encodings = items.encodings(fit_rows, target, self.te_smoothing, self.te_min_count)
                encoded[encode_rows] = items.encode(encode_rows, encodings)
            encoded[_not_given(cells)] = self.typical_records_[name]
            blocks.append(encoded[:, self._stats(name)])
        return np.hstack([out, *blocks])

    def _target(self, y: Any, n_rows: int) -> np.ndarray:
        if y is None:
            raise ValueError(
                "FilmFeatures: a track record (target_encoding, credits) needs y in fit"
            )
        target = np.asarray(y, dtype=float).ravel()
        if len(target) != n_rows or not np.isfinite(target).all():
            raise ValueError(f"y must hold {n_rows} finite numbers for target encoding")
        return target

    def _warn_absent(self, X: FilmColumns, stacklevel: int) -> None:
        """A column left out entirely (often a renamed one) is imputed for every film: say so.

        ``stacklevel`` points the warning at the caller; sklearn wraps ``transform`` and
        ``fit_transform`` (set_output), which puts one more frame between them and it.
        """
        read = (
            *self.numeric_fields(),
            "original_language",
            *LIST_FIELDS,
            *(CREDIT_FIELDS if self.credits else ()),
        )
        absent = [name for name in read if name not in X]
        if absent:
            warnings.warn(
                f"FilmFeatures: no column {', '.join(absent)}; every film is scored as if "
                f"{'this field was' if len(absent) == 1 else 'these fields were'} not given",
                UserWarning,
                stacklevel=stacklevel,
            )

    def numeric_fields(self) -> list[str]:
        """The numeric fields this feature set reads, in the order of its first columns."""
        post = self.feature_set == "post_release"
        return [*PRE_RELEASE_NUMERIC, *(POST_RELEASE_FIELDS if post else ())]

    def _fit(self, X: FilmColumns, y: Any = None) -> FilmFeatures:
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(f"feature_set must be one of {FEATURE_SETS}, got {self.feature_set!r}")
        n_rows = _n_rows(X)
        if n_rows == 0:
            raise ValueError("cannot fit FilmFeatures on zero films")
        self.keyword_volume_ = (
            self.feature_set == "post_release"
            if self.keyword_volume is None
            else bool(self.keyword_volume)
        )
        self.numeric_fields_ = self.numeric_fields()
        # Observed range of each raw number (and below, of each list's number of distinct
        # items), so callers can flag values far outside it.
        self.ranges_ = {}
        for name in self.numeric_fields_:
            raw = _as_float(_column(X, name, n_rows))
            raw = raw[np.isfinite(raw) & ((raw > 0) if name in ("budget", "runtime") else True)]
            if raw.size:
                self.ranges_[name] = (float(raw.min()), float(raw.max()))
        years = _as_float(_column(X, "release_year", n_rows))
        # No film with a year: every film reads the same (any constant would do).
        year_fill = float(np.nanmedian(years)) if np.isfinite(years).any() else 0.0
        numeric = self._numeric(X, n_rows, year_fill)
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
            if given.size and self._reads_volume(name):  # a number not read is not checked
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
        self.encodings_, self.typical_records_ = {}, {}
        if self.encoded_fields():
            target = self._target(y, n_rows)
            for name in self.encoded_fields():
                cells[name] = _cells(X, name, n_rows)
                items = _Items(self.item_lists(X, name, n_rows))
                every = np.arange(n_rows)
                encodings = items.encodings(every, target, self.te_smoothing, self.te_min_count)
                self.encodings_[name] = items.table(encodings)
                # A list not given is scored with a typical film's record, as its size is.
                given = ~_not_given(cells[name])
                records = items.encode(every, encodings)[given]
                self.typical_records_[name] = (
                    [float(v) for v in np.median(records, axis=0)] if len(records) else [0.0] * 3
                )
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
        names += ["n_keywords"] if self._reads_volume("keywords") else []
        names += [f"keyword_{k}" for k in self.keywords_]
        return names + self._encoded_names()

    def _encoded_names(self) -> list[str]:
        return [
            f"{prefix}_record_{ENCODED_STATS[j]}"
            for name, prefix in self.encoded_fields().items()
            for j in self._stats(name)
        ]

    def column_of(self, field: str) -> int:
        """The output column of a numeric field (known before fitting: they come first)."""
        return self.numeric_fields().index(field)

    def original_languages(self, X: FilmColumns) -> list[Any]:
        """Each film's original language as the models read it (the most common when absent)."""
        check_is_fitted(self, "medians_")
        languages = _cells(X, "original_language", _n_rows(X))
        return [self.language_mode_ if _missing(v) else v for v in languages]

    def release_years(self, X: FilmColumns) -> np.ndarray:
        """Each film's release year as the models read it (the training median when absent)."""
        check_is_fitted(self, "medians_")
        years = _as_float(_column(X, "release_year", _n_rows(X)))
        return np.where(np.isfinite(years), years, self.medians_["release_year"])

    # -- transforming -------------------------------------------------------------------------
    def _numeric(self, X: FilmColumns, n_rows: int, year_fill: float) -> dict[str, np.ndarray]:
        out = {}
        for name in self.numeric_fields_:
            values = _as_float(_column(X, name, n_rows))
            values[~np.isfinite(values)] = np.nan
            if name in ("runtime", "budget"):
                values[values <= 0] = np.nan  # 0 means unknown in TMDB
            if name == "budget" and self.cpi is not None:
                years = _as_float(_column(X, "release_year", n_rows))
                values = self.cpi.to_constant(values, np.where(np.isnan(years), year_fill, years))
            if name in LOG_FIELDS:
                values = np.log1p(np.clip(values, 0, None))
            out[name] = values
        return out

    def transform(self, X: FilmColumns) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        self._warn_absent(X, stacklevel=4)
        return self._transform(X)

    def _transform(self, X: FilmColumns, with_encoding: bool = True) -> np.ndarray:
        n_rows = _n_rows(X)
        blocks: list[np.ndarray] = []
        numeric = self._numeric(X, n_rows, self.medians_["release_year"])
        for name in self.numeric_fields_:
            values = numeric[name]
            blocks.append(np.where(np.isnan(values), self.medians_[name], values)[:, None])
        # Each list read once, for its counts, its indicators and its track record; a list
        # with both looks its items up once (_ItemCodes).
        lists = {name: listed(_cells(X, name, n_rows)) for name in LIST_FIELDS}
        encoded = self.encoded_fields() if with_encoding else {}
        vocabularies = {
            "genres": self.genres_,
            "production_companies": self.companies_,
            "production_countries": self.countries_,
            "spoken_languages": [],
            "keywords": self.keywords_,
        }
        counted, values = {}, {}
        for name, vocabulary in vocabularies.items():
            items, columns = lists[name], None
            if vocabulary and name in encoded:
                columns, values[name] = items.coded(self._item_codes(name, vocabulary))
            elif vocabulary:
                columns = items.columns(vocabulary, 1)
            counted[name] = self._counted(items, name, len(vocabulary), columns)
            if not self._reads_volume(name):
                counted[name] = counted[name][:, 1:]  # its indicators only
        blocks.append(counted.pop("genres"))
        blocks.append(self._languages(_cells(X, "original_language", n_rows)))
        blocks.extend(counted.values())
        for name in encoded:
            cells = _cells(X, name, n_rows)
            if name == "cast":  # its top-billed names only
                items = Listed(cells, self.item_lists({name: cells}, name, n_rows))
            else:
                items = lists[name] if name in lists else listed(cells)
            if name not in values:
                values[name] = _looked_up(self.encodings_[name], items.items, np.nan, float)
            record = _encode(items, values[name])
            record[items.not_given] = self.typical_records_[name]
            blocks.append(record[:, self._stats(name)])
        return np.hstack(blocks)

    def _counted(
        self, listed: Listed, name: str, n_vocabulary: int, columns: np.ndarray | None
    ) -> np.ndarray:
        """The number of items, then one indicator per vocabulary item (its items' ``columns``,
        from 1); a list not given gets the training median count and no indicator."""
        out = np.zeros((len(listed.lists), n_vocabulary + 1))
        out[:, 0] = listed.distinct  # an item listed twice counts once
        if columns is not None:
            listed.indicators(out, columns)
        median = self.count_medians_[name]
        if median:
            out[listed.not_given, 0] = median
        return out

    def _languages(self, languages: list[Any]) -> np.ndarray:
        """One indicator per frequent original language; a language not given is read as the
        most common."""
        if self.language_mode_ is not None:
            mode = self.language_mode_
            languages = [v if type(v) is str else mode if _missing(v) else v for v in languages]
        out = np.zeros((len(languages), len(self.languages_)))
        if not self.languages_:
            return out
        if set(map(type, languages)) == {str}:  # one item each
            index = {value: j for j, value in enumerate(self.languages_)}
            columns = _looked_up(index, languages, -1, np.intp)
            known = columns >= 0
            out[np.flatnonzero(known), columns[known]] = 1.0
            return out
        read = Listed(languages)
        read.indicators(out, read.columns(self.languages_, 0))
        return out

    def _item_codes(self, name: str, vocabulary: list[str]) -> _ItemCodes:
        """The vocabulary and track record of a list field in one table, made once (and again
        after a new fit: it is kept with the vocabulary and table it was made from)."""
        kept = self.__dict__.setdefault("_kept_item_codes", {})
        codes = kept.get(name)
        table = self.encodings_[name]
        if codes is None or codes.vocabulary is not vocabulary or codes.table is not table:
            codes = kept[name] = _ItemCodes(vocabulary, table, 1)
        return codes

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_kept_item_codes", None)  # made again from what is stored
        return state

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()


_LABELS = {
    "log_budget": "budget",
    "runtime": "runtime",
    "release_year": "release year",
    "release_month": "release month",
    "release_weekday": "release weekday",
    "log_popularity": "popularity",
    "vote_average": "vote average",
    "log_vote_count": "vote count",
    "n_genres": "number of genres",
    "n_companies": "number of production companies",
    "n_countries": "number of production countries",
    "n_spoken_languages": "number of spoken languages",
    "n_keywords": "number of keywords",
    "release_year_dollars": "dollars of the release year",
}
_PREFIXES = {
    "company_record_": "companies' track record, ",
    "keyword_record_": "keywords' track record, ",
    "director_record_": "directors' track record, ",
    "cast_record_": "top-billed cast's track record, ",
    "genre_": "genre ",
    "language_": "original language ",
    "company_": "company ",
    "country_": "country ",
    "keyword_": "keyword ",
}


# Indicator columns (1: the film has the genre, company, ... ; 0: it has not).
_INDICATORS = ("genre_", "language_", "company_", "country_", "keyword_")
# The list field each list's indicators are made from: a film that leaves it out (None) has
# none of them set, which its drivers say ("country US (not given)"), not "no country US".
INDICATOR_LISTS = {
    "genre_": "genres",
    "company_": "production_companies",
    "country_": "production_countries",
    "keyword_": "keywords",
}


# The features made from a list field's items (how many, their track record), by name or
# prefix: a film that leaves the list out is scored with a typical value, which its drivers say
# ("number of keywords (not given)").
LIST_FEATURES = {
    "n_genres": "genres",
    "n_companies": "production_companies",
    "n_countries": "production_countries",
    "n_spoken_languages": "spoken_languages",
    "n_keywords": "keywords",
    "company_record_": "production_companies",
    "keyword_record_": "keywords",
    "director_record_": "directors",
    "cast_record_": "cast",
}


def feature_label(name: str, value: float | None = None) -> str:
    """A feature's name in the user's terms: 'log_budget' -> 'budget', 'genre_Action' ->
    'genre Action'; an indicator the film lacks (``value`` 0) -> 'no genre Action', so that a
    driver of a film that is not a drama does not read as if it were one; an indicator of a
    list the film left out (``value`` NaN) -> 'country US (not given)', and so a count or track
    record of one ('number of keywords (not given)')."""
    left_out = value is not None and math.isnan(value)
    if name in _LABELS:
        return _LABELS[name] + (" (not given)" if left_out and name in LIST_FEATURES else "")
    for prefix, label in _PREFIXES.items():
        if name.startswith(prefix):
            if left_out and (prefix in _INDICATORS or prefix in LIST_FEATURES):
                return f"{label}{name.removeprefix(prefix)} (not given)"
            lacks = value == 0 and prefix in _INDICATORS
            return ("no " if lacks else "") + label + name.removeprefix(prefix)
    return name

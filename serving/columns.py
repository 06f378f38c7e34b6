"""Films as columns: what the models read and how each film asks to be answered, one list or
array per field (``FilmBatch``), made from the field table (``boxoffice.fields``).

Three ways in, one result:

- ``from_films``: validated ``Film`` objects (single films, scenarios, slates);
- ``from_json``: a ``/predict_batch`` body as parsed JSON, checked column by column without a
  per-film object; ``from_json_bytes``: the body's bytes decoded by msgspec straight into
  typed films (``TypedFilm``, made from the field table), then checked the same way (the
  middleware's way in; a body it cannot type is parsed into dicts as before).

The fast path takes the films the way clients send them (the API's field names, numbers, TMDB
genre names, ISO codes as written); anything else (an alias, ``log_budget``, ``release_year``,
``explain_top``, a value to normalise, a value out of bounds, an unknown field) makes it return
None, and the request goes through ``BatchRequest`` validation as before: the same 400s, and
for a valid request the same columns (tests/code/test_columns.py checks both ways in on the
published table and on the bad-input tables).
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Annotated, Any

import msgspec
import numpy as np

from boxoffice.features import ListColumn
from boxoffice.fields import (
    CREDIT_FIELDS,
    FIELDS_BY_NAME,
    FILM_FIELDS,
    LIST_FIELDS,
    MAX_LOG_BUDGET,
    MAX_YEAR,
    MIN_YEAR,
    POST_RELEASE_FIELDS,
    TMDB_GENRES,
    FilmField,
)

# The most films one /predict_batch request, and one /predict_table request, may carry.
MAX_BATCH = 10_000
MAX_TABLE_ROWS = 100_000
# A batch is answered this many films at a time (serving.predictor.Predictor.batch). Slices are
# also faster than one pass: numpy arrays, and the Python objects of the films' fields, that
# stay in the processor's cache (10,000 films are read as columns in ~52 ms in slices of 2,000
# against ~76 ms at once, and scored in ~140 ms against ~190 ms).
BATCH_SLICE = 2000
# The film's fields the models read that are not laid out as they are given: the budget
# (given as USD or as log1p of USD) and the release date (as year and month; or a year).
DERIVED = ("budget", "log_budget", "release_date", "release_year")
# The list fields, laid out as ``ListColumn``s.
LISTED = (*LIST_FIELDS, *CREDIT_FIELDS)


def model_fields(fields: tuple[FilmField, ...] = FILM_FIELDS) -> tuple[FilmField, ...]:
    """The fields laid out as given, one column each: what describes the film (before or
    after release, its cast and crew), but the derived ones."""
    return tuple(
        f for f in fields if f.phase in ("pre", "post", "credits") and f.name not in DERIVED
    )


@dataclass
class FilmBatch:
    """Films as columns. ``columns``: the raw fields FilmFeatures reads (lists of Python
    values, None where not given); the rest: how each film asks to be answered."""

    columns: dict[str, list[Any]]
    title: list[str | None]
    model: list[str | None]
    post_release: np.ndarray  # any post-release signal given
    hit_threshold: np.ndarray  # NaN: the model's default
    studio_share: np.ndarray  # NaN: the request's default
    marketing_usd: np.ndarray  # NaN: the request's default
    explain: np.ndarray  # bool
    explain_top: list[int | None]

    def __post_init__(self) -> None:
        # Each list field read once for all that reads it (the warnings, the feature step).
        for name in LISTED:
            values = self.columns.get(name)
            if values is not None and not isinstance(values, ListColumn):
                self.columns[name] = ListColumn(values)

    def __len__(self) -> int:
        return len(self.title)

    @property
    def budget(self) -> np.ndarray:
        return np.asarray(self.columns["budget"], dtype=float)

    def take(self, rows: Sequence[int]) -> FilmBatch:
        """The films at ``rows``, in that order."""
        pick = np.asarray(rows, dtype=np.intp)
        at = pick.tolist()
        return FilmBatch(
            {name: [values[i] for i in at] for name, values in self.columns.items()},
            [self.title[i] for i in at],
            [self.model[i] for i in at],
            self.post_release[pick],
            self.hit_threshold[pick],
            self.studio_share[pick],
            self.marketing_usd[pick],
            self.explain[pick],
            [self.explain_top[i] for i in at],
        )


def _floats(values: list[Any]) -> np.ndarray:
    if None not in values:  # a list of numbers converts faster without the rewrite
        return np.array(values, dtype=float)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _checked_floats(values: list[Any]) -> np.ndarray:
    try:
        return _floats(values)
    except (OverflowError, ValueError, TypeError):  # an integer beyond any float
        raise NotFast from None


def no_votes(columns: dict[str, list[Any]]) -> np.ndarray:
    """Where a film's vote_count is 0: as TMDB gives a film not yet out (with vote_average 0),
    no audience signal yet."""
    return np.array([v == 0 for v in columns["vote_count"]], dtype=bool)


def post_release_signal(columns: dict[str, list[Any]]) -> np.ndarray:
    """Whether each film gives a post-release signal, which makes the post-release model answer
    it unless it names its model: a post-release field given, and votes (``no_votes``). The
    post-release model learned from films with votes (2 of 3,204 had none) and read an upcoming
    $150M film of TMDB's, popularity 15.3 and no votes, as a $1.2M flop, P(hit) 0.000."""
    post = np.zeros(len(columns["vote_count"]), dtype=bool)
    for name in POST_RELEASE_FIELDS:
        post |= np.array(list(map(operator.is_not, columns[name], repeat(None))), dtype=bool)
    return post & ~no_votes(columns)


def from_films(films: Sequence[Any], fields: tuple[FilmField, ...] = FILM_FIELDS) -> FilmBatch:
    """The columns of validated ``Film`` objects."""
    dates = [f.release_date for f in films]
    columns: dict[str, list[Any]] = {
        "budget": [f.budget_usd for f in films],
        "release_year": [
            d.year if d else f.release_year for d, f in zip(dates, films, strict=True)
        ],
        "release_month": [d.month if d else None for d in dates],
        "release_weekday": [d.weekday() if d else None for d in dates],
        **{field.name: [getattr(f, field.name) for f in films] for field in model_fields(fields)},
    }
    return FilmBatch(
        columns,
        [f.title for f in films],
        [f.model for f in films],
        post_release_signal(columns),
        _floats([f.hit_threshold for f in films]),
        _floats([f.studio_share for f in films]),
        _floats([f.marketing_usd for f in films]),
        np.array([f.explain for f in films], dtype=bool),
        [f.explain_top for f in films],
    )


# -- the fast path --------------------------------------------------------------------------
# The fields a film may carry on it; any other key sends the request down the validated path.
FAST_FIELDS = frozenset(
    [*(f.name for f in FILM_FIELDS), *(a for f in FILM_FIELDS for a in f.aliases)]
) - {"release_year", "explain_top"}
# log1p(budget) and budget given both ways must agree to this (serving.schema checks the same).
LOG_BUDGET_TOLERANCE = 1e-3
_DATES = re.compile(r"(?:\d{4}-\d{2}-\d{2})*")
# Each code field's pattern (boxoffice.fields), as given: the fast path takes codes already in
# their case.
_CODE_PATTERNS = {f.name: re.compile(f.code.pattern) for f in FILM_FIELDS if f.code is not None}
_GENRES = frozenset(TMDB_GENRES)

_NONE = frozenset({type(None)})
_NUMBER_TYPES = frozenset({int, float, type(None)})
_WHOLE_TYPES = frozenset({int, type(None)})
_TEXT_TYPES = frozenset({str, type(None)})
_LIST_TYPES = frozenset({list, type(None)})
_BOOL = frozenset({bool})
_ALIASES = {f.name: f.aliases[0] for f in FILM_FIELDS if f.aliases}


# A fast-path source of films: a field's values by name, one per film (None where not given).
Reader = Callable[[str], list[Any]]


class NotFast(Exception):
    """This body is not one the fast path takes: validate it the usual way."""


def _numbers(
    read: Reader, field: FilmField, required: bool = False, whole: bool = False
) -> np.ndarray:
    values = read(field.name)
    types = set(map(type, values))
    if not types <= (_WHOLE_TYPES if whole else _NUMBER_TYPES):
        raise NotFast  # text, bool (strict numbers take no bool), lists; a float for a whole
    if types == _NONE:  # not given by any film
        if required:
            raise NotFast
        return np.full(len(values), np.nan)
    array = _checked_floats(values)
    given = ~np.isnan(array)
    if len(values) - int(given.sum()) != values.count(None):
        raise NotFast  # a NaN sent as a number: the validated path refuses it
    if required and not given.all():
        raise NotFast
    finite = array[given]
    if not np.isfinite(finite).all():
        raise NotFast
    ok = np.ones(len(finite), dtype=bool)
    if field.gt is not None:
        ok &= finite > field.gt
    if field.ge is not None:
        ok &= finite >= field.ge
    if field.le is not None:
        ok &= finite <= field.le
    if field.lt is not None:
        ok &= finite < field.lt
    if not ok.all():
        raise NotFast
    return array


def _texts(read: Reader, name: str, max_length: int) -> list[str | None]:
    values = read(name)
    types = set(map(type, values))
    if not types <= _TEXT_TYPES:
        raise NotFast
    if str in types and max(map(len, filter(None, values)), default=0) > max_length:
        raise NotFast
    return values


def _lists(read: Reader, field: FilmField, typed: bool = False) -> ListColumn:
    """A list field's values, read (``ListColumn.listed``) as the checks need them, which the
    feature step and the warnings then read from. ``typed``: decoded as ``TypedFilm`` types
    and bounds them (lists of non-empty texts, as many and as long as the field allows)."""
    values = ListColumn(read(field.name))
    if not typed:
        types = set(map(type, values))
        if not types <= _LIST_TYPES:
            raise NotFast
        if types == _NONE:  # not given by any film
            return values
    read = values.listed
    if not typed and read.lengths.max() > field.max_items:
        raise NotFast
    items = read.items
    if not items:
        return values
    if not typed:
        try:
            "".join(items)  # every item is text (checked in C)
        except TypeError:
            raise NotFast from None
        if "" in items or max(map(len, items)) > field.max_length:
            raise NotFast
    # Genres: canonical TMDB names (the validated path normalises their case).
    if field.name == "genres" and not set(items) <= _GENRES:
        raise NotFast
    pattern = _CODE_PATTERNS.get(field.name)
    if pattern is not None and not all(map(pattern.fullmatch, set(items))):
        raise NotFast
    # A name with spaces around it is read without them, as the validated path (serving.schema)
    # and training read it; one made only of spaces is the validated path's to refuse.
    if pattern is None and _padded(items):
        values = ListColumn([v if v is None else [x.strip() for x in v] for v in values])
        if "" in values.listed.items:
            raise NotFast
    return values


def _padded(items: list[str]) -> bool:
    """Whether a name starts or ends with a space of any kind (each distinct name compared with
    itself stripped, in C: a regex over the names joined took 2 ms for 8,000 keywords)."""
    distinct = list(set(items))
    return distinct != list(map(str.strip, distinct))


def _get(films: list[dict], name: str) -> list[Any]:
    """Each film's value of ``name`` (None where not given)."""
    return list(map(dict.get, films, repeat(name)))


def _dates(read: Reader) -> tuple[list[int | None], list[int | None], list[int | None]]:
    """Each film's release year, month and day of the week (0 Monday), None where not given."""
    values = _texts(read, "release_date", 10)
    given = [v for v in values if v is not None]
    if not given:
        return [None] * len(values), [None] * len(values), [None] * len(values)
    # Each date 10 characters long, so the dates laid end to end match the pattern repeated.
    if set(map(len, given)) != {10} or not _DATES.fullmatch("".join(given)):
        raise NotFast
    try:
        days = np.array(given, dtype="datetime64[D]")
    except ValueError:
        raise NotFast from None
    years = days.astype("datetime64[Y]").astype(int) + 1970
    if years.min() < MIN_YEAR or years.max() > MAX_YEAR:
        raise NotFast
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    weekdays = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    if len(given) == len(values):  # every film gives its date
        return years.tolist(), months.tolist(), weekdays.tolist()
    return tuple(  # type: ignore[return-value]
        [None if v is None else next(parts) for v in values]
        for parts in (iter(years.tolist()), iter(months.tolist()), iter(weekdays.tolist()))
    )


def from_json(body: Any) -> FilmBatch | None:
    """The columns of a ``/predict_batch`` body (parsed JSON) the fast path takes, else None
    (see the module)."""
    slices = from_json_slices(body, MAX_BATCH)
    return None if slices is None else slices[0]


def from_json_slices(body: Any, size: int = BATCH_SLICE) -> list[FilmBatch] | None:
    """``from_json``'s columns ``size`` films at a time, as Predictor.batch answers them: each
    slice checked and laid out on its own (its films' objects stay in cache through the
    columns' passes) and scored with what reading its lists found (``ListColumn``). A body is
    taken when every slice is: when it all is."""
    if not isinstance(body, dict) or set(body) != {"films"}:
        return None
    films = body["films"]
    if not isinstance(films, list) or not films or len(films) > MAX_BATCH:
        return None
    if set(map(type, films)) != {dict}:
        return None
    keys = set().union(*films)
    if not keys <= FAST_FIELDS:
        return None
    try:
        _one_spelling(films, keys)
        return [_fast_dicts(films[start : start + size]) for start in range(0, len(films), size)]
    except NotFast:
        return None


def _fast_dicts(films: list[dict]) -> FilmBatch:
    explain = list(map(dict.get, films, repeat("explain"), repeat(False)))
    return _fast(functools.partial(_values, films), explain)


def _column(read: Reader, field: FilmField, typed: bool) -> list[Any]:
    """A plain field's values, checked as its kind and bounds say (NotFast otherwise)."""
    if field.kind in ("number", "whole"):
        return _as_given(_numbers(read, field, field.required, field.kind == "whole"))
    if field.is_list:
        return _lists(read, field, typed)
    if field.kind == "code":
        values = _texts(read, field.name, field.max_length)
        if not all(map(_CODE_PATTERNS[field.name].fullmatch, set(values) - {None})):
            raise NotFast
        return values
    if field.kind == "text":
        return _texts(read, field.name, field.max_length)
    raise NotFast  # a kind the fast path does not check: the validated path will


def _one_spelling(films: list[dict], keys: set[str]) -> None:
    """Check that the films give each aliased field one way (a film giving both: NotFast);
    ``_values`` reads either spelling."""
    for field in FILM_FIELDS:
        for alias in field.aliases:
            both = alias in keys and field.name in keys
            if both and any(field.name in f and alias in f for f in films):
                raise NotFast


def _values(films: list[dict], name: str) -> list[Any]:
    """A field's values, read under its alias where a film uses that."""
    alias = _ALIASES.get(name)
    if alias is None:
        return _get(films, name)
    return [film[name] if name in film else film.get(alias) for film in films]


def _budgets(read: Reader) -> list[float]:
    """Each film's budget in USD: ``budget``, else expm1(``log_budget``), both agreeing."""
    field = FIELDS_BY_NAME
    budget = _numbers(read, field["budget"])
    log_budget = _numbers(read, field["log_budget"])
    has_log = ~np.isnan(log_budget)
    if np.isnan(budget[~has_log]).any():
        raise NotFast  # the validated path names the film without a budget
    if not has_log.any():
        return budget.tolist()
    if (log_budget[has_log] > MAX_LOG_BUDGET).any():
        raise NotFast
    both = has_log & ~np.isnan(budget)
    if (np.abs(np.log1p(budget[both]) - log_budget[both]) > LOG_BUDGET_TOLERANCE).any():
        raise NotFast
    out = budget.tolist()
    for i in np.flatnonzero(np.isnan(budget)).tolist():
        out[i] = math.expm1(log_budget[i])
    return out


def _fast(read: Reader, explain: list[Any], typed: bool = False) -> FilmBatch:
    """The columns of films whose fields ``read`` gives by name (None where not given), and
    whether each asks to be explained (False where not given); ``typed``: read from
    ``TypedFilm``s."""
    field = FIELDS_BY_NAME
    budget = _budgets(read)
    years, months, weekdays = _dates(read)
    if not set(map(type, explain)) <= _BOOL:  # null is not false: the validated path says so
        raise NotFast
    models = _texts(read, "model", 20)
    if not set(models) <= {None, *field["model"].choices}:
        raise NotFast
    columns: dict[str, list[Any]] = {
        "budget": budget,
        "release_year": years,
        "release_month": months,
        "release_weekday": weekdays,
        **{f.name: _column(read, f, typed) for f in model_fields()},
    }
    return FilmBatch(
        columns,
        _texts(read, "title", field["title"].max_length),
        models,
        post_release_signal(columns),
        _numbers(read, field["hit_threshold"]),
        _numbers(read, field["studio_share"]),
        _numbers(read, field["marketing_usd"]),
        np.array(explain, dtype=bool),
        [None] * len(explain),
    )


def _as_given(array: np.ndarray) -> list[float | None]:
    """Numbers back to a list, None where not given (as the validated path has them)."""
    values = array.tolist()
    if not np.isnan(array).any():
        return values
    return [None if math.isnan(v) else v for v in values]


# -- typed decoding --------------------------------------------------------------------------
# The body decoded straight into typed films by msgspec (~30% faster than parsing it into
# dicts, and no per-film dict to read a field from): each field the fast path takes, typed as
# the JSON a client sends gives it (numbers as floats, texts, lists of texts); an aliased
# field and its alias apart, as UNSET where not given, so that a film giving both is told
# apart. A body it cannot decode so (another key, another type, not JSON) is read into dicts
# as before; either way the same checks follow (``_fast``), on the same values.


def _typed(field: FilmField) -> Any:
    if field.kind == "bool":
        return bool
    if field.kind == "whole":
        return int | None
    if field.kind == "number":
        return float | None
    if field.is_list:
        name = Annotated[str, msgspec.Meta(min_length=1, max_length=field.max_length)]
        return Annotated[list[name], msgspec.Meta(max_length=field.max_items)] | None  # type: ignore[valid-type]
    return str | None


def _typed_fields() -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    for field in FILM_FIELDS:
        spelled = (field.name, *field.aliases)
        for name in spelled:
            if name not in FAST_FIELDS:
                continue
            if field.kind == "bool":
                out.append((name, bool, False))
            elif len(spelled) > 1:
                out.append((name, _typed(field) | msgspec.UnsetType, msgspec.UNSET))
            else:
                out.append((name, _typed(field), None))
    return out


TypedFilm = msgspec.defstruct(
    "TypedFilm", _typed_fields(), forbid_unknown_fields=True, gc=False, module=__name__
)
_TypedBody = msgspec.defstruct(
    "TypedBody", [("films", list[TypedFilm])], forbid_unknown_fields=True, module=__name__
)
_DECODER = msgspec.json.Decoder(_TypedBody)


def decode_films(body: bytes) -> list[Any] | None:
    """The films of a ``/predict_batch`` body as ``TypedFilm``s, or None when it is not one
    they type (see above)."""
    try:
        return _DECODER.decode(body).films
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def from_json_bytes(body: bytes, size: int = BATCH_SLICE) -> list[FilmBatch] | None:
    """``from_json_slices`` of a ``/predict_batch`` body as it came (bytes), decoded typed
    where it can be, else parsed (``serving.jsonio``); None when the fast path does not take
    it (or it is not JSON)."""
    try:
        return list(json_slices(body, size))
    except NotFast:
        return None


def json_slices(body: bytes, size: int = BATCH_SLICE) -> Iterator[FilmBatch]:
    """``from_json_bytes``'s slices one at a time (a caller may let others run between them:
    serving.predictor.Predictor.batch_from_json). The whole body is decoded with the first
    (~13 ms for 10,000 films), and a body msgspec cannot type is laid out whole there too;
    typed films are laid out a slice per step. Raises NotFast, before any slice or after
    some, when the fast path does not take the body."""
    films = decode_films(body)
    if films is None:
        from serving import jsonio

        try:
            slices = from_json_slices(jsonio.loads(body), size)
        except ValueError:
            slices = None
        if slices is None:
            raise NotFast
        yield from slices
        return
    yield from _typed_parts(films, size)


def typed_slices(films: list[Any], size: int = BATCH_SLICE) -> list[FilmBatch] | None:
    """``from_json_slices`` of typed films."""
    try:
        return list(_typed_parts(films, size))
    except NotFast:
        return None


def _typed_parts(films: list[Any], size: int) -> Iterator[FilmBatch]:
    if not films or len(films) > MAX_BATCH:
        raise NotFast
    for start in range(0, len(films), size):
        yield _fast_typed(films[start : start + size])


_TYPED_NAMES = TypedFilm.__struct_fields__
_TYPED_ALIASED = {f.name: f.aliases[0] for f in FILM_FIELDS if f.aliases and f.name in FAST_FIELDS}


def _fast_typed(films: list[Any]) -> FilmBatch:
    as_tuples = map(msgspec.structs.astuple, films)
    columns = dict(zip(_TYPED_NAMES, map(list, zip(*as_tuples, strict=True)), strict=True))
    for name, alias in _TYPED_ALIASED.items():
        columns[name] = _one_of(columns[name], columns.pop(alias))
    absent = [None] * len(films)
    return _fast(lambda name: columns.get(name, absent), columns.pop("explain"), typed=True)


def _unset_as_none(values: list[Any]) -> list[Any]:
    if msgspec.UNSET not in values:
        return values
    return [None if v is msgspec.UNSET else v for v in values]


def _one_of(values: list[Any], alias_values: list[Any]) -> list[Any]:
    """A field's values given under its name or its alias (NotFast where a film gives both);
    None where neither."""
    unset = msgspec.UNSET
    if alias_values.count(unset) == len(alias_values):  # count: in C
        return _unset_as_none(values)
    if values.count(unset) == len(values):
        return _unset_as_none(alias_values)
    if any(v is not unset and a is not unset for v, a in zip(values, alias_values, strict=True)):
        raise NotFast
    return [
        (None if a is unset else a) if v is unset else v
        for v, a in zip(values, alias_values, strict=True)
    ]

"""A CSV cell (text) as the API field it is in takes it, by the field's kind
(``serving.schema.FIELD_KINDS``): the client's ``score`` and ``slate`` and ``/predict_table``
read cells the same way. The API takes numbers strictly, and letting pandas guess a column's
type would let one blank or odd cell change every row's type.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from typing import Any

import pandas as pd

from boxoffice.config import MIN_MEDIAN_FILMS, SCORED_MEDIAN_USD
from boxoffice.csvtext import PYTHON_LIST, PYTHON_LIST_HINT
from boxoffice.fields import AMOUNT_FIELDS, SHARE_FIELDS, TMDB_LIST_KEYS
from serving.schema import FIELD_KINDS

BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
# A table's own key for its rows (TMDB's ``id``, or a catalogue's): not a film field, it is
# written back beside each row's answer (by /predict_table and the client's ``score``) to join
# the forecasts to the table.
ROW_ID = "id"
# An amount in US$ as people write it (a spreadsheet saved as CSV writes its currency format):
# a sign, a $ (or US$), the number with or without thousands commas, a k, M or B suffix (any
# case). Python's 150_000_000 too. serving/ui/slate.js reads it the same way.
_AMOUNT = re.compile(
    r"(?P<sign>[+-]?)\s*(?:US)?\$?\s*"
    r"(?P<number>\d{1,3}(?:(?:,\d{3})+|(?:_\d{3})+)(?:\.\d*)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"\s*(?P<suffix>[kKmMbB]?)",
    re.ASCII,
)
AMOUNT_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}
AMOUNT_EXAMPLES = "e.g. 150000000, $150,000,000, 150M or 1.5e8"


def near_field(name: str) -> str | None:
    """The film field a column name misspells by one letter (one left out, added, changed, or
    two swapped: 'relase_date', 'genre', 'keyword'), or None. Such a column is refused, with
    the field named, by the client, the slate page (serving/ui/slate.js, the same rule) and
    /predict_table: read as another column, the film would be forecast without the field."""
    if name in FIELD_KINDS:
        return None
    for field in FIELD_KINDS:
        if one_edit(name, field):
            return field
    return None


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one insertion, deletion, substitution or transposition of
    adjacent letters."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    if len(a) == len(b):
        return a[1:] == b[1:] or (len(a) >= 2 and a[0] == b[1] and a[1] == b[0] and a[2:] == b[2:])
    return a[1:] == b if len(a) > len(b) else a == b[1:]


# A pandas index written as a column: to_csv's is unnamed (""), and read back and written again
# it is "Unnamed: 0" (read as the column name unnamed:_0).
_INDEX_COLUMN = re.compile(r"(?:unnamed[:_ ]*\d+)?", re.IGNORECASE)


def index_hint(names: list[str]) -> str:
    """A hint naming the columns that look like a pandas index written with the table ("" when
    none), for the messages that name unknown or ignored columns."""
    found = [name for name in names if _INDEX_COLUMN.fullmatch(name.strip())]
    if not found:
        return ""
    return (
        f" ({', '.join(map(repr, found))}: the table's index, which pandas writes unless "
        "to_csv(..., index=False))"
    )


def misspelled_columns(names: list[str]) -> str | None:
    """One line naming the columns that misspell a film field ('relase_date' for
    'release_date'), or None."""
    found = [(name, near) for name in names if (near := near_field(name))]
    if not found:
        return None
    said = "; ".join(
        f"{name!r} is not a film field: did you mean {near!r}?" for name, near in found
    )
    return f"{said} (read as written, the films would be forecast without it)"


def as_list(text: str, field: str) -> list[str]:
    """A list cell from a CSV (non-empty text): a JSON list (of names or TMDB objects) or
    'a|b|c'."""
    if not text.startswith("["):
        return [part.strip() for part in text.split("|") if part.strip()]
    key = TMDB_LIST_KEYS.get(field, "name")
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        names = [item[key] if isinstance(item, dict) else item for item in items]
    except (ValueError, KeyError, TypeError) as error:
        if re.match(PYTHON_LIST, text):
            raise ValueError(f"{field}: a Python literal, not JSON ({PYTHON_LIST_HINT})") from None
        detail = f"no {error} key in an item" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{field}: not a JSON list of names or TMDB objects ({detail})") from None
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"{field}: every item must be a name (text)")
    return table_names(names)


def table_names(names: list[str]) -> list[str]:
    """A table's list of names as training reads it: each without the spaces around it, and one
    made only of spaces left out, as ``a||b`` leaves out its empty name (TMDB's table has
    keywords that are a no-break space only; the JSON API refuses such a name)."""
    return [name for name in map(str.strip, names) if name]


def number(text: str) -> float:
    """A number as a cell writes it (130, -3, 0.5, .5, 1e7), as the slate page's JavaScript
    reads it (serving/ui/slate.js: NUMBER); nan otherwise: no 1_000 or other scripts' digits,
    which Python's float() alone reads (and nan or inf, left to the caller's finiteness check).
    float() first: a pattern's match cost a 100,000-film table a quarter of a second."""
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if text.isascii() and "_" not in text else math.nan


def amount(text: str) -> float:
    """An amount in US$ from its text: 150000000, $150,000,000, 150M, $1.5B, 750k, 1.5e8
    (ValueError otherwise; its bounds are the field's, checked where the film is)."""
    text = text.strip()
    value = number(text)  # most cells: a plain number
    if math.isnan(value) and (found := _AMOUNT.fullmatch(text)):
        digits = found["sign"] + re.sub("[,_]", "", found["number"])
        value = float(digits) * AMOUNT_SUFFIXES[found["suffix"].lower()]
    if not math.isfinite(value):  # 1e400 too
        raise ValueError(f"{text[:50]!r} is not an amount ({AMOUNT_EXAMPLES})")
    return value


def budgets_in_thousands(films: list[dict[str, Any] | None]) -> str | None:
    """What a table's films are told when its budgets' median is under SCORED_MEDIAN_USD (a
    catalogue in thousands of dollars, each film otherwise scored as a micro-budget one),
    else None: said by /predict_table and the client's slate."""
    known = [
        film["budget"]
        for film in films
        if film is not None and isinstance(film.get("budget"), int | float) and film["budget"] > 0
    ]
    if len(known) < MIN_MEDIAN_FILMS or statistics.median(known) >= SCORED_MEDIAN_USD:
        return None
    return (
        f"the table's {len(known):,} budgets have a median of "
        f"${statistics.median(known):,.0f}, under ${SCORED_MEDIAN_USD:,}, which 3% of the films "
        "the models learned from cost: if the table is in thousands of dollars, write its "
        "amounts in US$ (150M or 150000000)"
    )


def cell(key: str, text: str) -> Any:
    """One CSV cell (text) as the API field `key` takes it."""
    kind = FIELD_KINDS[key]
    if kind == "list":
        return as_list(text, key)
    if key in AMOUNT_FIELDS:
        try:
            return amount(text)
        except ValueError as error:
            raise ValueError(f"{key}: {error}") from None
    if kind in ("number", "whole"):
        percent = key in SHARE_FIELDS and text.endswith("%")
        value = number(text[:-1].strip()) / 100 if percent else number(text)
        if not math.isfinite(value):  # nan, inf, 1e400
            raise ValueError(f"{key}: {text[:50]!r} is not a number")
        if kind == "whole":
            if not value.is_integer():
                raise ValueError(f"{key}: {text[:50]!r} is not a whole number")
            return int(value)
        return value
    if kind == "bool":
        try:
            return BOOLEANS[text.lower()]
        except KeyError:
            raise ValueError(f"{key}: {text[:50]!r} is not true or false") from None
    return text


def typed_frame(records: list[dict[str, Any]], columns: Any) -> pd.DataFrame:
    """Answer rows as a table to write (CSV, Parquet), whole numbers and booleans kept as such
    where a row that was not scored leaves a gap (pandas would write 2016 as 2016.0): the
    tables /predict_table, ``score`` and ``slate`` write."""
    out = pd.DataFrame(records, columns=list(columns))
    for name in out.columns:
        types = {type(row.get(name)) for row in records} - {type(None)}
        if types == {bool}:
            out[name] = out[name].astype("boolean")
        elif types == {int}:
            out[name] = out[name].astype("Int64")
    return out

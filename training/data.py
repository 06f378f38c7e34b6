"""Find, load and validate a movies table in TMDB's format, and parse its list columns.

A list column is read in the form the table writes it: TMDB's JSON list of objects (the
published table: genres as ``[{"id": 28, "name": "Action"}]``), a JSON list of names, or plain
names separated by ``|`` or by ``, `` (as other TMDB exports write them). Countries and
languages written as names (``United States of America``, ``English``) are read as the ISO codes
the service takes (``US``, ``en``), by the ISO tables of ``pycountry``; genres in any case as
TMDB names them (``science fiction`` is ``Science Fiction``), as the service reads them. A name
neither knows is kept as written (counted in the film's number of genres, countries or
languages, with no column of its own) and named in the loading notes.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import hashlib
import json
import math
import os
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from boxoffice.csvtext import (
    GZIP_MAGIC,
    PARQUET_MAGIC,
    PYTHON_LIST,
    PYTHON_LIST_HINT,
    UNREADABLE,
    column_name,
    not_csv_hint,
    read_csv_text,
)
from boxoffice.fields import (
    FILM_FIELDS,
    MAX_YEAR,
    MIN_YEAR,
    TMDB_LIST_KEYS,
    TMDB_OTHER_COLUMNS,
    joined_genres,
    tmdb_genre,
)
from training import config

if TYPE_CHECKING:
    from training.credits import LoadedCredits

# Column -> kind. "int"/"float" must parse as numbers, "date" as YYYY-MM-DD, "json" as a JSON list
# of objects, "text" is kept as it is: the film's fields TMDB's table carries (boxoffice.fields),
# and the table's own.
SCHEMA: dict[str, str] = dict(
    sorted(
        {
            **{f.tmdb_column: f.table_kind for f in FILM_FIELDS if f.tmdb_column},
            "id": "int",
            "revenue": "int",
        }.items()
    )
)
# Numeric columns that may not be empty (the others may be, and then mean "unknown").
REQUIRED_VALUES = ("popularity", "vote_average", "vote_count", "id")
# Amounts TMDB writes 0 for when unknown: an empty cell (how pandas writes a missing value) is
# read as that 0.
AMOUNTS = ("budget", "revenue")
# The numbers a film may leave empty (unknown), which the loading notes name when none gives one.
OPTIONAL_NUMBERS = tuple(
    c
    for c, kind in SCHEMA.items()
    if kind in ("int", "float") and c not in (*REQUIRED_VALUES, *AMOUNTS)
)
# Which key of each JSON object is kept (boxoffice.features).
JSON_KEYS = TMDB_LIST_KEYS


class DataError(Exception):
    """The dataset is missing or does not have the expected shape; the message says why."""


@dataclass
class LoadedData:
    """The parsed movies table with what was noticed while loading it."""

    frame: pd.DataFrame
    path: Path
    sha256: str
    malformed_json: dict[str, int] = field(default_factory=dict)
    # The names of countries, languages and genres that are not known, by column.
    unknown_names: dict[str, list[str]] = field(default_factory=dict)
    duplicate_rows: int = 0  # rows repeating an earlier row exactly, dropped
    out_of_range: dict[str, int] = field(default_factory=dict)  # values read as unknown
    credits: LoadedCredits | None = None  # joined as the frame's directors and cast
    ignored_columns: list[str] = field(default_factory=list)  # neither read nor TMDB's own
    content_sha256: str = ""  # of the films as read (``content_sha256``)

    @property
    def published(self) -> bool:
        """The published TMDB 5000 table: its file, or its films re-saved (gzip, Parquet, a
        column added or renamed to Title Case, a UTF-8 BOM)."""
        return self.sha256 == config.DATA_SHA256 or (
            self.content_sha256 == config.DATA_CONTENT_SHA256
        )


def locate_dataset(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the dataset path: ``--data``, else the env var, else data/, else ../shared/data/.

    A path the user named (option or env var) must exist: it is never silently replaced.
    """
    named = [(f"--data {explicit}", explicit)] if explicit else []
    if os.environ.get(config.DATA_ENV_VAR):
        named.append(
            (
                f"{config.DATA_ENV_VAR}={os.environ[config.DATA_ENV_VAR]}",
                os.environ[config.DATA_ENV_VAR],
            )
        )
    if named:
        label, value = named[0]
        path = Path(value)
        if path.is_file():
            return path
        if path.is_dir():
            raise DataError(f"{label}: a directory; name the movies table's CSV file in it")
        raise DataError(f"{label}: no such file. {config.DATA_SOURCE_HINT}")
    candidates = config.dataset_candidates()
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise DataError(
        f"{config.DATA_FILENAME} not found (looked in: {looked}). {config.DATA_SOURCE_HINT}"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:  # permission denied, an I/O error, ...
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from error
    return digest.hexdigest()


def _sample(frame: pd.DataFrame, mask: pd.Series, column: str, n: int = 3) -> str:
    rows = frame.loc[mask, column].head(n)
    # Row numbers as a spreadsheet shows them: header is line 1.
    return ", ".join(f"line {i + 2}: {_shortened(repr(v))}" for i, v in rows.items())


def _shortened(text: str, most: int = 60) -> str:
    return text if len(text) <= most else f"{text[: most - 1]}…"


def parse_json_list(cell: object, key: str) -> list[str] | None:
    """Parse one JSON list cell (of TMDB's objects, or of names) into the values of ``key``;
    None when the cell is malformed."""
    if _empty(cell):
        return []
    try:
        items = json.loads(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not isinstance(items, list):
        return None
    values = [item.get(key) if isinstance(item, dict) else item for item in items]
    if not all(isinstance(v, str) for v in values):
        return None
    # Names without the spaces around them, as `a|b` cells and the service read them (TMDB
    # writes some keywords with a trailing no-break space).
    return [name for name in map(str.strip, values) if name]


def _empty(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == ""


# How a list column is written: JSON, or names separated by one of these.
SEPARATORS = ("|", ", ")


def list_style(values: pd.Series) -> str:
    """ "json" when most written cells are JSON lists, else the separator of the names."""
    written = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not written:
        return "json"
    if sum(v.startswith("[") for v in written) * 2 >= len(written):
        return "json"
    return "|" if any("|" in v for v in written) else ", "


def parse_names(cell: object, separator: str) -> list[str]:
    if _empty(cell):
        return []
    return [name.strip() for name in str(cell).split(separator) if name.strip()]


def parse_list_cell(cell: object, key: str, style: str) -> list[str] | None:
    """One list cell of a column written in ``style`` (``list_style``): a cell written as a
    JSON list is read as one whatever its column's style (a table in `a|b` with rows that
    `fetch --append` or another tool wrote in TMDB's JSON); None when a JSON column's cell
    is malformed."""
    if style == "json":
        return parse_json_list(cell, key)
    if isinstance(cell, str) and cell.lstrip().startswith("["):
        parsed = parse_json_list(cell, key)
        if parsed is not None:
            return parsed
    return parse_names(cell, style)


# Countries and languages are read as ISO codes; their names are looked up in pycountry's tables.
ISO_CODES = {"production_countries": "countries", "spoken_languages": "languages"}


@functools.cache
def iso_code(name: str, table: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country, or ISO 639-1 of a language, from its name or
    its code; None when pycountry does not know it."""
    import pycountry

    if table == "countries" and re.fullmatch(r"[A-Za-z]{2}", name):
        return name.upper()
    if table == "languages" and re.fullmatch(r"[A-Za-z]{2,3}", name):
        return name.lower()
    records = pycountry.countries if table == "countries" else pycountry.languages
    try:
        record = records.lookup(name)
    except LookupError:
        if table != "countries":
            return None
        try:
            record = records.search_fuzzy(name)[0]
        except LookupError:
            return None
    code = getattr(record, "alpha_2", None)
    return code if table == "countries" else code and code.lower()


# The largest value each numeric column may hold: the bound the service puts on the field
# (boxoffice.fields). Past it, an optional value is read as unknown (and counted); a required one
# stops the load.
UPPER_BOUNDS: dict[str, float] = {
    f.tmdb_column: float(f.le if f.le is not None else f.lt)  # type: ignore[arg-type]
    for f in FILM_FIELDS
    if f.tmdb_column and (f.le is not None or f.lt is not None)
}


def validate_and_parse(
    raw: pd.DataFrame,
    unknown: dict[str, list[str]] | None = None,
    out_of_range: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Check columns and types; return the parsed frame and malformed-JSON counts per column
    (and list in ``unknown`` the country and language names pycountry does not know and the
    genres TMDB does not name, in ``out_of_range`` the optional values past their column's
    bound, read as unknown).

    Raises DataError naming the column and a sample of bad rows when a value cannot be parsed,
    or when two rows that differ share an ``id``.
    """
    missing = [c for c in SCHEMA if c not in raw.columns]
    if missing:
        optional = [
            c for c in missing if (c in JSON_KEYS and c != "genres") or c in OPTIONAL_NUMBERS
        ]
        hint = (
            f"; {', '.join(optional)} may be empty (read as unknown for every film): add "
            "such a column with empty cells to train without it"
            if optional
            else ""
        )
        # A header misspelt ("relase_date") is named with the column it most likely means.
        extra = [c for c in map(str, raw.columns) if c not in SCHEMA]
        near = [
            f"{found[0]!r} may be {name!r} misspelt"
            for name in missing
            if (found := difflib.get_close_matches(name, extra, n=1, cutoff=0.8))
        ]
        meant = f" ({', '.join(near)})" if near else ""
        raise DataError(
            f"missing column(s): {', '.join(missing)}{meant} "
            f"(expected the TMDB 5000 movies table with {', '.join(SCHEMA)}){hint}"
        )
    frame = raw.copy()
    for column, kind in SCHEMA.items():
        values = frame[column]
        present = values.notna() & (values.astype("string").str.strip() != "")
        if kind in ("int", "float"):
            parsed = pd.to_numeric(values, errors="coerce")
            bad = present & (parsed.isna() | ~np.isfinite(parsed.astype(float)))
            # An amount may hold cents ($1,234,567.89 is an amount); then its unit is checked
            # (millions written 176.000003 are told they are millions, not that they have cents).
            whole = kind == "int" and column not in AMOUNTS
            if whole:
                bad |= present & parsed.notna() & (parsed.astype(float) % 1 != 0)
            if bad.any():
                written = values[bad].astype(str)
                plain = (
                    ": write amounts as plain numbers in US$ (1234567, not $1,234,567)"
                    if column in AMOUNTS and written.str.contains(r"[$,]|\d\s*[kKmMbB]$").any()
                    else ""
                )
                raise DataError(
                    f"column {column!r}: {int(bad.sum())} value(s) are not "
                    f"{'whole ' if whole else ''}numbers{plain} "
                    f"({_sample(frame, bad, column)})"
                )
            if column in REQUIRED_VALUES and (~present).any():
                raise DataError(
                    f"column {column!r}: {int((~present).sum())} value(s) empty or written as "
                    "missing (NA, n/a, null: read as empty), on line(s) "
                    + ", ".join(str(i + 2) for i in frame.index[~present][:3])
                )
            if (parsed < 0).any():
                neg = parsed < 0
                unknown = " (0 or an empty cell is unknown)" if column in AMOUNTS else ""
                raise DataError(
                    f"column {column!r}: {int(neg.sum())} negative value(s){unknown} "
                    f"({_sample(frame, neg, column)})"
                )
            bound = UPPER_BOUNDS.get(column, np.inf)
            beyond = parsed > bound
            if beyond.any():
                if column in REQUIRED_VALUES or column in AMOUNTS:
                    raise DataError(
                        f"column {column!r}: {int(beyond.sum())} value(s) above {bound:,.0f} "
                        f"({_sample(frame, beyond, column)})"
                    )
                parsed = parsed.mask(beyond)
                if out_of_range is not None:
                    out_of_range[column] = int(beyond.sum())
            if column in AMOUNTS:
                parsed = parsed.fillna(0)
                _check_unit(frame, parsed, column)
            if column == "runtime":
                _check_minutes(frame, parsed)
            frame[column] = parsed.astype(float)
        elif kind == "date":
            parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
            bad = present & parsed.isna()
            if bad.any():
                raise DataError(
                    f"column {column!r}: {int(bad.sum())} value(s) are not dates "
                    f"YYYY-MM-DD ({_sample(frame, bad, column)})"
                )
            years = parsed.dt.year
            outside = (years < MIN_YEAR) | (years > MAX_YEAR)
            if outside.any():
                raise DataError(
                    f"column {column!r}: {int(outside.sum()):,} date(s) outside the years "
                    f"{MIN_YEAR}-{MAX_YEAR} the service takes ({_sample(frame, outside, column)})"
                )
            frame[column] = parsed
    malformed: dict[str, int] = {}
    for column, key in JSON_KEYS.items():
        style = list_style(raw[column])
        parsed_lists = frame[column].map(
            lambda cell, key=key, style=style: parse_list_cell(cell, key, style)
        )
        read: Callable[[str], str | None] | None = None
        if style != "json" and column in ISO_CODES:
            read = functools.partial(iso_code, table=ISO_CODES[column])
        elif column == "genres":
            read = tmdb_genre
            _check_joined_genres(frame, parsed_lists)
        if read is not None:
            written = {name for names in parsed_lists.dropna() for name in names}
            if unknown is not None:
                unknown[column] = sorted(name for name in written if read(name) is None)
            parsed_lists = parsed_lists.map(
                lambda names, read=read: (
                    names if names is None else [read(name) or name for name in names]
                )
            )
        bad = parsed_lists.isna()
        malformed[column] = int(bad.sum())
        _check_malformed(frame, bad, column)
        # A malformed cell affects only its row: it becomes "unknown" (None).
        frame[column] = parsed_lists.astype(object)
    _check_ids(frame)
    _check_ratio(frame)
    _check_swapped(frame)
    frame["release_year"] = frame["release_date"].dt.year.astype(float)
    frame["release_month"] = frame["release_date"].dt.month.astype(float)
    frame["release_weekday"] = frame["release_date"].dt.dayofweek.astype(float)
    return frame, malformed


def _check_unit(frame: pd.DataFrame, parsed: pd.Series, column: str) -> None:
    """DataError when the column's known amounts (above 0) are not in US$: their median under
    ``config.MIN_MEDIAN_USD`` (a table in thousands or millions of dollars), or more than
    ``config.MAX_IMPLAUSIBLE_SHARE`` of them under ``config.MIN_PLAUSIBLE_USD`` (a table
    partly in millions)."""
    known = parsed[parsed > 0]
    if len(known) and known.median() < config.MIN_MEDIAN_USD:
        raise DataError(
            f"column {column!r}: the median of its {len(known):,} known amounts is "
            f"${known.median():,.0f}, under ${config.MIN_MEDIAN_USD:,}: the table's amounts "
            "must be in US$ (as TMDB gives them), not in thousands or millions "
            f"({_sample(frame, parsed > 0, column)})"
        )
    tiny = (parsed > 0) & (parsed < config.MIN_PLAUSIBLE_USD)
    if tiny.sum() >= config.MIN_IMPLAUSIBLE_FILMS and tiny.sum() > (
        config.MAX_IMPLAUSIBLE_SHARE * len(known)
    ):
        raise DataError(
            f"column {column!r}: {int(tiny.sum()):,} of its {len(known):,} known amounts "
            f"({tiny.sum() / len(known):.0%}) are under ${config.MIN_PLAUSIBLE_USD:,}, against "
            f"under 1% in TMDB's table: part of the table is in another unit (millions or "
            f"thousands of dollars); write every amount in US$ ({_sample(frame, tiny, column)})"
        )


def _amounts(frame: pd.DataFrame, mask: pd.Series) -> str:
    """The budget and revenue of the first two films of ``mask``, by their line."""
    budget, revenue = frame["budget"], frame["revenue"]
    return ", ".join(
        f"line {i + 2}: budget {budget[i]:,.0f}, revenue {revenue[i]:,.0f}"
        for i in frame.index[mask][:2]
    )


def _check_ratio(frame: pd.DataFrame) -> None:
    """DataError when more than ``config.MAX_IMPLAUSIBLE_SHARE`` of the films with a budget
    and a revenue earned under ``config.MIN_REVENUE_RATIO`` of their budget: revenues partly in
    thousands of dollars (a $50M film read as a $50,000 one), which no single column's
    amounts show."""
    if not {"budget", "revenue"} <= set(frame.columns):
        return
    both = (frame["budget"] > 0) & (frame["revenue"] > 0)
    low = both & (frame["revenue"] < config.MIN_REVENUE_RATIO * frame["budget"])
    if low.sum() >= config.MIN_IMPLAUSIBLE_FILMS and low.sum() > (
        config.MAX_IMPLAUSIBLE_SHARE * both.sum()
    ):
        raise DataError(
            f"{int(low.sum()):,} of the {int(both.sum()):,} films with a budget and a revenue "
            f"({low.sum() / both.sum():.0%}) earned under {config.MIN_REVENUE_RATIO:.0%} of their "
            "budget, against under 1% in TMDB's table: part of the revenues (or the budgets) are "
            "in another unit (thousands of dollars?); write every amount in US$ "
            f"({_amounts(frame, low)})"
        )


def _check_swapped(frame: pd.DataFrame) -> None:
    """DataError when most films with a budget and a revenue earned less than their budget
    (more than ``config.MAX_LOSS_SHARE`` of them, 24% in TMDB's table): the two columns
    swapped, which would train models of a hit rate near 10% and an AUC near 1 in silence."""
    both = (frame["budget"] > 0) & (frame["revenue"] > 0)
    loss = both & (frame["revenue"] < frame["budget"])
    few = both.sum() < config.MIN_IMPLAUSIBLE_FILMS
    if few or loss.sum() <= config.MAX_LOSS_SHARE * both.sum():
        return
    raise DataError(
        f"{int(loss.sum()):,} of the {int(both.sum()):,} films with a budget and a revenue "
        f"({loss.sum() / both.sum():.0%}) earned less than their budget, against 24% in TMDB's "
        "table: are the 'budget' and 'revenue' columns swapped? (revenue is the worldwide box "
        f"office, budget the production cost; {_amounts(frame, loss)})"
    )


def _check_minutes(frame: pd.DataFrame, parsed: pd.Series) -> None:
    """DataError when the known runtimes' median is above ``config.MAX_MEDIAN_RUNTIME``
    minutes or under ``config.MIN_MEDIAN_RUNTIME``: runtimes in seconds or in hours, which the
    models would learn while the service reads minutes."""
    known = parsed[parsed > 0]
    if not len(known):
        return
    median = known.median()
    if median > config.MAX_MEDIAN_RUNTIME:
        bound, unit, shown = f"over {config.MAX_MEDIAN_RUNTIME}", "seconds", f"{median:,.0f}"
    elif median < config.MIN_MEDIAN_RUNTIME:
        bound, unit, shown = f"under {config.MIN_MEDIAN_RUNTIME}", "hours", f"{median:.2f}"
    else:
        return
    raise DataError(
        f"column 'runtime': the median of its {len(known):,} known runtimes is {shown}, {bound} "
        f"minutes (TMDB's table: 103): runtimes must be in minutes, as TMDB gives them, not "
        f"{unit} ({_sample(frame, parsed > 0, 'runtime')})"
    )


def _check_joined_genres(frame: pd.DataFrame, lists: pd.Series) -> None:
    """DataError when at least ``config.MIN_IMPLAUSIBLE_FILMS`` films write several TMDB genres
    as one name ("Action;Drama"): each would lose its genres (a few are said in a note)."""
    joined = lists.map(lambda names: bool(names) and any(map(joined_genres, names)))
    if joined.sum() < config.MIN_IMPLAUSIBLE_FILMS:
        return
    raise DataError(
        f"column 'genres': {int(joined.sum()):,} film(s) write several TMDB genres as one name "
        f"({_sample(frame, joined, 'genres', 2)}): separate them with | (Action|Drama) or "
        "write TMDB's JSON lists"
    )


def _check_malformed(frame: pd.DataFrame, bad: pd.Series, column: str) -> None:
    """DataError when more than ``config.MAX_MALFORMED_SHARE`` of a list column's written cells
    cannot be read (the column would be learned as unknown), saying how to write them."""
    written = frame[column].map(lambda cell: not _empty(cell))
    if not bad.any() or bad.sum() <= config.MAX_MALFORMED_SHARE * written.sum():
        return
    cells = frame.loc[bad, column].astype(str)
    quoted = cells.str.contains(PYTHON_LIST, regex=True).mean() > 0.5
    how = (
        f"they are Python literals ({PYTHON_LIST_HINT})"
        if quoted
        else "write them as TMDB's JSON lists or as names separated by |"
    )
    raise DataError(
        f"column {column!r}: {int(bad.sum()):,} of its {int(written.sum()):,} written cells "
        f"cannot be read as lists; {how} ({_sample(frame, bad, column, 2)})"
    )


def _check_ids(frame: pd.DataFrame) -> None:
    """DataError when two rows share an ``id`` (TMDB's key for a film: its credits, a fetch's
    --append and the comparable films read it); rows repeated exactly are dropped before."""
    shared = frame["id"].duplicated(keep=False)
    if shared.any():
        ids = frame.loc[shared, "id"]
        first = ids.drop_duplicates().head(3)
        examples = "; ".join(
            f"id {int(film_id)} on lines "
            + ", ".join(str(i + 2) for i in ids.index[ids == film_id][:3])
            for film_id in first
        )
        raise DataError(
            f"column 'id': {ids.nunique()} id(s) are shared by rows that differ ({examples}): "
            "keep one row per film"
        )


def read_table(path: Path, what: str = "the movies table") -> pd.DataFrame:
    """A CSV or Parquet file, either of them gzip-compressed or not, as text columns (a Parquet
    table's cells written as its CSV would write them); DataError when it cannot be read or
    holds no rows (``what``: the table it should be, for the message)."""
    try:
        data = path.read_bytes()
    except OSError as error:  # permission denied, an I/O error, ...
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from error
    if data.startswith(GZIP_MAGIC):
        data = _gunzipped(data, path)
    if data.startswith(PARQUET_MAGIC):
        raw = _parquet_as_text(data, path)
    else:
        # What the file's first bytes say it is instead (JSON, a workbook, tab-separated...) is
        # the whole message, said before reading it: the reader's complaint would only mislead
        # ("'utf-8' codec can't decode byte 0xc0"), and its reading may be slow.
        hint = not_csv_hint(data[: 1 << 16], what)
        if hint:
            raise DataError(f"{path}: not a readable CSV file{hint}")
        try:
            raw = read_csv_text(data, keep_default_na=True)
        except UNREADABLE as error:
            raise DataError(f"{path}: not a readable CSV file ({str(error).strip()})") from error
    if raw.empty:
        raise DataError(f"{path}: the file has a header but no rows")
    repeated = sorted(set(raw.columns[raw.columns.duplicated()]))
    if repeated:
        raise DataError(f"{path}: column(s) {', '.join(map(repr, repeated))} appear more than once")
    return raw


def _gunzipped(data: bytes, path: Path) -> bytes:
    """A gzip-compressed file's content (of every member, as ``gzip`` reads it), at most
    ``config.MAX_TABLE_BYTES`` of it."""
    out, rest = [], data
    room = config.MAX_TABLE_BYTES
    try:
        while rest.startswith(GZIP_MAGIC):
            member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out.append(member.decompress(rest, room + 1))
            room -= len(out[-1])
            if room < 0:
                raise DataError(
                    f"{path}: decompressed, it is larger than {config.MAX_TABLE_BYTES / 2**30:g} "
                    "GiB: is it a table of films?"
                )
            if not member.eof:
                raise DataError(f"{path}: the gzip-compressed file is cut short")
            rest = member.unused_data
    except zlib.error as error:
        raise DataError(f"{path}: not a readable gzip file ({error})") from None
    return b"".join(out)


def _parquet_as_text(data: bytes, path: Path) -> pd.DataFrame:
    """A Parquet table's cells as the CSV would write them, for the CSV's checks and readings:
    numbers as their digits (a whole float as a whole number), a list (of names, or of TMDB's
    objects) as JSON, a date as YYYY-MM-DD, an empty text or a null as missing. The unnamed
    index a pandas frame stores beside its columns is not read; a named one is a column
    (``frame.set_index("id")``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        said = str(error).strip().splitlines()[0][:200]
        raise DataError(f"{path}: not a readable Parquet file ({said})") from None
    stored = (table.schema.pandas_metadata or {}).get("index_columns", [])
    # A RangeIndex is stored as a dict (no column); another unnamed index as __index_level_0__.
    index = {name for name in stored if isinstance(name, str) and name.startswith("__index")}
    return pd.DataFrame(
        {
            name: pd.Series([_csv_cell(v) for v in column.to_pylist()], dtype=object)
            for name, column in zip(table.column_names, table.columns, strict=True)
            if name not in index
        },
        columns=[name for name in table.column_names if name not in index],
    )


def _csv_cell(value: object) -> object:
    """One Parquet cell as a CSV cell's text (NaN: missing)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return np.nan
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    if isinstance(value, datetime.date):  # a datetime is a date too: its day
        return value.isoformat()[:10]
    return str(value)


def content_sha256(frame: pd.DataFrame) -> str:
    """The sha256 of a parsed table's films as the pipeline reads them: the columns of SCHEMA,
    in the table's row order (which the splits read), each value as parsed. The same films
    written to another file (gzip, Parquet, another column beside them) have the same one."""
    columns = [c for c in SCHEMA if c in frame.columns]

    def plain(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        if value is pd.NaT:
            return None
        return value

    rows = [[plain(v) for v in row] for row in frame[columns].itertuples(index=False)]
    text = json.dumps([columns, rows], separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_movies(explicit: str | os.PathLike[str] | None = None) -> LoadedData:
    """Locate, read, validate and parse the movies table."""
    path = locate_dataset(explicit)
    sha256 = file_sha256(path)
    raw = read_table(path)
    written = [str(name) for name in raw.columns]
    raw.columns = [column_name(name) for name in written]  # "Release Date" is release_date
    same = {name for name in raw.columns if list(raw.columns).count(name) > 1}
    if same:
        said = ", ".join(repr(w) for w, n in zip(written, raw.columns, strict=True) if n in same)
        raise DataError(f"{path}: column(s) {said} name the same column")
    repeated = raw.duplicated()
    raw = raw.loc[~repeated]
    unknown: dict[str, list[str]] = {}
    out_of_range: dict[str, int] = {}
    frame, malformed = validate_and_parse(raw, unknown, out_of_range)
    return LoadedData(
        frame=frame,
        path=path,
        sha256=sha256,
        content_sha256=content_sha256(frame),
        malformed_json=malformed,
        unknown_names={k: v for k, v in unknown.items() if v},
        duplicate_rows=int(repeated.sum()),
        out_of_range=out_of_range,
        ignored_columns=[
            w or "an unnamed one (a pandas index?)"
            for w, name in zip(written, raw.columns, strict=True)
            if name not in SCHEMA and name not in TMDB_OTHER_COLUMNS
        ],
    )

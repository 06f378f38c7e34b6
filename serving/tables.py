"""``POST /predict_table``: a table of films in, the same table of answers out.

In: CSV (``text/csv``: the client's ``score`` columns, API field names; lists as JSON, TMDB's
JSON objects, or ``a|b|c``; amounts in US$ as people write them, ``$150,000,000`` or ``150M``;
an empty cell is a field not given) or Parquet
(``application/vnd.apache.parquet``: the same columns; lists as lists of text or as text), up to
``MAX_TABLE_ROWS`` films. Out: one row per film in order, the ``/predict_batch`` row's fields as
columns (``ROW_KEYS``) and an ``error`` column: a row that fails validation gets its message
there (``field: message``) and no answer; the others are scored, with the same values
``/predict_batch`` gives. A table with an ``id`` column (the rows' own key, not a film field)
gets it back after ``index``, as given. The answer is in the request's format, or JSON (a
list of row objects) when the request says ``Accept: application/json``.

Rows are checked in chunks by ``serving.columns.from_json`` (no per-film object); a chunk it
does not take is validated film by film (``Film``), which names each bad row's problem.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import json
import re
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
import pydantic_core
from pydantic import ValidationError

from boxoffice.csvtext import column_name, not_csv_hint, read_csv_text, with_longer_row_hint
from boxoffice.fields import TMDB_LIST_KEYS, TMDB_OTHER_COLUMNS
from boxoffice.messages import some
from serving.cells import (
    ROW_ID,
    budgets_in_thousands,
    cell,
    index_hint,
    misspelled_columns,
    table_names,
    typed_frame,
)
from serving.columns import MAX_BATCH, MAX_TABLE_ROWS, FilmBatch, from_films, from_json
from serving.middleware import (
    MAX_BODY,
    MIB,
    TABLE_ROUTE,
    BodyProblem,
    error_body,
    in_utf8,
    unsupported_media_type,
)
from serving.openapi import JSON
from serving.predictor import ROW_KEYS, Predictor
from serving.schema import FIELD_KINDS, Film, told_of_zero_budget

CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
FORMATS = {CSV: "csv", PARQUET: "parquet", "application/x-parquet": "parquet"}
COLUMNS = (*ROW_KEYS, "error")


def request_format(content_type: str) -> str:
    kind = FORMATS.get(content_type.split(";", 1)[0].strip().lower())
    if kind is None:
        raise BodyProblem(415, unsupported_media_type(content_type, f"{CSV} or {PARQUET}"))
    return kind


def as_utf8(body: bytes, content_type: str) -> bytes:
    """A CSV body in UTF-8: decoded from the ``charset`` its Content-Type names (a spreadsheet's
    ``windows-1252``, ``latin-1``, ...); as it is without one, or for Parquet."""
    if request_format(content_type) != "csv":
        return body
    return in_utf8(body, content_type, CSV, "invalid_table")


def _bad(message: str) -> BodyProblem:
    return BodyProblem(
        400, error_body("Bad Request: " + message, "invalid_table", ["body"], message)
    )


# -- reading -------------------------------------------------------------------------------
def read_frame(body: bytes, kind: str) -> pd.DataFrame:
    """The table, every cell as text (CSV) or as Parquet stores it; BodyProblem when it is not
    a table of films."""
    if not body:
        raise _bad("the body is empty: send a table with a header row")
    what = "CSV" if kind == "csv" else "Parquet"
    try:
        if kind == "csv":
            # At most one row past the bound is read: a small body may hold millions of rows.
            frame = read_csv_text(body, max_rows=MAX_TABLE_ROWS)
        else:
            frame = _read_parquet(body)
    except BodyProblem:
        raise
    except Exception as error:  # any reader's complaint is the client's table's
        hint = not_csv_hint(body[: 1 << 16], "a CSV body") if kind == "csv" else ""
        said = hint or f" ({str(error).strip()[:200]})"  # what it is instead, else why
        raise _bad(f"not a readable {what} table{said}") from None
    _check_columns(list(frame.columns))
    if len(frame) == 0:
        raise _bad("no rows to score")
    if len(frame) > MAX_TABLE_ROWS:
        raise _too_many_rows(f"more than {MAX_TABLE_ROWS:,}")
    frame.columns = [column_name(c) for c in frame.columns]
    # TMDB's own columns that are no film field (a table as TMDB publishes it): not read.
    return frame.drop(columns=[c for c in frame.columns if c in TMDB_OTHER_COLUMNS])


def _read_parquet(body: bytes) -> pd.DataFrame:
    """The Parquet table, its row count and columns checked from its footer before any row is
    read (a Parquet body of a few hundred KB can hold tens of millions of rows)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(io.BytesIO(body))
    rows = parquet.metadata.num_rows
    if rows > MAX_TABLE_ROWS:
        raise _too_many_rows(f"{rows:,}")
    schema = parquet.schema_arrow
    # pandas stores a frame's index beside its columns (``__index_level_0__`` for a sorted
    # frame's); read back, it is the index again, not a column.
    stored = (schema.pandas_metadata or {}).get("index_columns", [])
    index = {name for name in stored if isinstance(name, str)}  # a RangeIndex is a dict
    _check_columns([name for name in schema.names if name not in index])
    table = parquet.read()
    # The stored index is not the rows' position (a sampled frame's keeps its labels): the
    # rows are numbered from 0 as they come; an index named as a column is kept as one
    # (``df.set_index("id")``).
    frame = table.to_pandas()
    keys = [
        name
        for name in frame.index.names
        if name and (column_name(name) == ROW_ID or column_name(name) in FIELD_KINDS)
    ]
    frame = frame.reset_index(level=keys or None, drop=not keys).reset_index(drop=True)
    for name in table.column_names:
        if column_name(name) == ROW_ID:  # as stored: pandas would read 1, 2, null as floats
            frame[name] = pd.Series(table.column(name).to_pylist(), dtype=object)
            frame.attrs[ROW_ID] = table.schema.field(name).type
    return frame


def _check_columns(columns: list[str]) -> None:
    names = [column_name(c) for c in columns]
    misspelled = misspelled_columns(names)
    if misspelled:
        raise _bad(misspelled)
    unknown = [
        c for c in names if c not in FIELD_KINDS and c != ROW_ID and c not in TMDB_OTHER_COLUMNS
    ]
    if unknown:
        shown = some(unknown, 5)
        raw = [str(c) for c in columns]
        separated = next((s for s in (";", "\t") if any(s in c for c in raw)), None)
        hint = (
            f" (the header reads as one column: separated by {separated!r}? send the table "
            "comma-separated)"
            if separated and len(names) == 1
            else ""
        )
        hint = hint or index_hint(unknown)
        keys = [c for c in unknown if c.endswith(("_id", "ids")) and ROW_ID not in names]
        if keys and not hint:
            hint = f" (a key of the rows, such as {keys[0]!r}, goes in a column named {ROW_ID!r})"
        raise _bad(
            f"unknown column(s) {shown}: the columns are the API's film fields and "
            f"{ROW_ID!r} (the rows' own key){hint}"
        )
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        raise _bad(f"column(s) {some(repeated, 5)} appear more than once")


def _too_many_rows(count: str) -> BodyProblem:
    return _bad(f"{count} rows: at most {MAX_TABLE_ROWS:,} films a request")


def _cell(value: Any, name: str) -> Any:
    """One cell as the API field takes it: text as a CSV cell is read (``serving.cells``),
    Parquet's own numbers and lists as they are (ValueError naming the field otherwise)."""
    if isinstance(value, str):
        return cell(name, value.strip())
    kind = FIELD_KINDS[name]
    if isinstance(value, np.ndarray | list | tuple):
        if kind != "list":
            raise ValueError(f"{name}: a list where one value goes")
        # TMDB's objects ({"id": 28, "name": "Action"}) as Parquet's structs: their names.
        key = TMDB_LIST_KEYS.get(name, "name")
        names = [item.get(key, item) if isinstance(item, dict) else item for item in value]
        return table_names(names) if all(isinstance(n, str) for n in names) else names
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "whole" and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime):  # a Parquet timestamp column: dates only
        if value.time() != datetime.time(0):
            raise ValueError(f"{name}: {value} is a moment, not a date")
        return value.date()
    return value


def _empty(value: Any) -> bool:
    """A cell that does not give its field: None, blank text, or a missing value of any of
    Parquet's types as pandas reads them (NaN, NaT, pd.NA)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, np.ndarray | list | tuple):
        return False
    return bool(pd.isna(value))


def to_films(
    frame: pd.DataFrame, unknown_budget: set[int] | None = None
) -> tuple[list[dict[str, Any] | None], dict[int, str]]:
    """Each row as an API film (None for a row that cannot be one), and each bad row's
    problem; the rows whose budget is 0 (unknown, in TMDB's tables) added to
    ``unknown_budget``."""
    columns = list(frame.columns)
    films: list[dict[str, Any] | None] = []
    errors: dict[int, str] = {}
    cells = zip(*(frame[c].tolist() for c in columns), strict=True) if columns else None
    for i, row in enumerate(cells or [()] * len(frame)):  # a table of ids only: rows of nothing
        film: dict[str, Any] = {}
        unreadable: dict[str, str] = {}
        for name, value in zip(columns, row, strict=True):
            if _empty(value):
                continue
            try:
                converted = _cell(value, name)
            except ValueError as error:
                unreadable[name] = str(error)
                continue
            if name == "budget" and converted == 0:
                if unknown_budget is not None:
                    unknown_budget.add(i)
                continue  # 0 means unknown in TMDB's tables
            film[name] = converted
        if unreadable:
            # Every problem of the row at once: its unreadable cells, then what the API says
            # of the rest (a field only missing because its cell was unreadable is not said).
            errors[i] = "; ".join([*unreadable.values(), *_problems(film, set(unreadable))])
            films.append(None)
            continue
        films.append(film)
    return films, errors


def _problems(film: dict[str, Any], skip: Collection[str] = ()) -> list[str]:
    """What the API says of a film, one 'field: message' per problem (none: it is valid)."""
    try:
        Film.model_validate(film)
    except ValidationError as error:
        return _said(error, skip)
    except (TypeError, ValueError) as error:  # a cell of a type no field takes
        return [_unreadable(error)]
    return []


def _unreadable(error: Exception) -> str:
    return f"the row is not a film the API can read ({str(error)[:200]})"


def _said(error: ValidationError, skip: Collection[str] = ()) -> list[str]:
    """A refusal's problems, one 'field: message' each, leaving out those about the fields
    ``skip`` (whose cells were unreadable: said already)."""
    said = []
    for problem in error.errors(include_context=False, include_input=False):
        if problem["loc"] and problem["loc"][0] in skip:
            continue
        if not problem["loc"] and any(f"'{name}'" in problem["msg"] for name in skip):
            continue  # a rule across fields about one whose cell was unreadable
        where = ".".join(str(p) for p in problem["loc"])
        said.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    return said


# -- scoring -------------------------------------------------------------------------------
def _validated(films: list[dict[str, Any]]) -> tuple[list[int], FilmBatch | None, dict[int, str]]:
    """The films that validate (their positions and columns) and the others' problems."""
    batch = from_json({"films": films})
    if batch is not None:
        return list(range(len(films))), batch, {}
    good, valid, errors = [], [], {}
    for i, film in enumerate(films):
        try:
            valid.append(Film.model_validate(film))
            good.append(i)
        except ValidationError as error:  # said from this refusal, not validated again
            errors[i] = "; ".join(_said(error))
        except (TypeError, ValueError) as error:
            errors[i] = _unreadable(error)
    return good, (from_films(valid) if valid else None), errors


async def score_table(predictor: Predictor, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One answer row per table row, in order (see the module)."""
    ids = frame.pop(ROW_ID).tolist() if ROW_ID in frame.columns else None
    unknown_budget: set[int] = set()
    films, errors = await asyncio.to_thread(to_films, frame, unknown_budget)
    wrong_unit = budgets_in_thousands(films)
    rows: list[dict[str, Any]] = [{} for _ in films]
    readable = [i for i, film in enumerate(films) if film is not None]
    for start in range(0, len(readable), MAX_BATCH):
        positions = readable[start : start + MAX_BATCH]
        good, batch, problems = await asyncio.to_thread(_validated, [films[i] for i in positions])
        errors.update({positions[k]: message for k, message in problems.items()})
        if batch is None:
            continue
        answer = await predictor.batch(batch)
        for k, prediction in zip(good, answer["predictions"], strict=True):
            if wrong_unit is not None:
                prediction["warnings"].append(wrong_unit)
            rows[positions[k]] = prediction
    for i in unknown_budget & set(errors):  # a 0 read as unknown: said as the cell has it
        errors[i] = told_of_zero_budget(errors[i])
    with_longer_row_hint(errors, frame)
    return await asyncio.to_thread(_table_rows, rows, errors, ids)


def _json_id(value: Any) -> Any:
    """A row's ``id`` in a JSON answer: as given (text, a number, a boolean), a missing one as
    null, another of Parquet's types as text (a date as 2016-05-04, bytes decoded)."""
    if _empty(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


# A whole number as text, written one way only ("007" and "+7" are kept as text), and small
# enough for any JSON reader (a JavaScript number holds 15 digits exactly).
_WHOLE = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")


def _whole_ids(ids: list[Any]) -> list[Any]:
    """A CSV's ids in a JSON answer: numbers when every id given is a whole number written one
    way only (as a Parquet's integer ids are answered, so that a join on an integer key finds
    them), else as the cells give them."""
    given = [i for i in ids if not _empty(i)]
    if not given or not all(isinstance(i, str) and _WHOLE.fullmatch(i.strip()) for i in given):
        return ids
    return [None if _empty(i) else int(i) for i in ids]


def _table_rows(
    rows: list[dict[str, Any]], errors: dict[int, str], ids: list[Any] | None = None
) -> list[dict[str, Any]]:
    table = []
    for i, row in enumerate(rows):
        record = {key: row.get(key) for key in ROW_KEYS}
        record["index"] = i
        if ids is not None:
            record = {"index": i, ROW_ID: ids[i], **record}
        record["error"] = errors.get(i)
        table.append(record)
    return table


def answer_format(accept: str, kind: str) -> str:
    """The answer's media type from the Accept header: JSON, or the request's own format (no
    header, or ``*/*``): the most preferred (by q, then as listed) of those Accept allows, a
    wildcard matching either. BodyProblem 406 when it allows neither."""
    own = CSV if kind == "csv" else PARQUET
    wanted = []
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (piece.strip().lower() for piece in part.split(";"))
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0:
            wanted.append((-q, position, media))
    if not wanted:
        if accept.strip():
            raise _not_acceptable(own, accept)
        return own
    for _, _, media in sorted(wanted):
        if media in (own, "*/*") or (media.endswith("/*") and own.startswith(media[:-1])):
            return own
        if media == JSON or (media.endswith("/*") and JSON.startswith(media[:-1])):
            return JSON
    raise _not_acceptable(own, accept)


def _not_acceptable(own: str, accept: str) -> BodyProblem:
    return BodyProblem(
        406,
        error_body(
            "Not Acceptable",
            "not_acceptable",
            [],
            f"the answer is the request's format ({own}) or {JSON}; Accept asked for {accept[:80]}",
        ),
    )


async def answer(
    predictor: Predictor, body: bytes, kind: str, accept: str, content_type: str = ""
) -> tuple[bytes, str]:
    """The answer to a table and its media type. Reading, checking and writing the table run
    in a thread, the models between them on the event loop a slice at a time: the worker's
    other requests are answered meanwhile (a 100,000-row table held single films up to 2.8 s
    when it all ran on the loop)."""
    wanted = answer_format(accept, kind)  # before any work: a 406 costs nothing
    frame = await asyncio.to_thread(_read, body, kind, content_type)
    id_type = frame.attrs.get(ROW_ID)
    table = await score_table(predictor, frame)
    return await asyncio.to_thread(_written, table, kind, wanted, id_type)


def _read(body: bytes, kind: str, content_type: str) -> pd.DataFrame:
    return read_frame(as_utf8(body, content_type), kind)


def _written(
    table: list[dict[str, Any]], kind: str, wanted: str, id_type: Any = None
) -> tuple[bytes, str]:
    """The answer's bytes: JSON rows, or the request's format (a Parquet ``id`` column in its
    own type, ``id_type``)."""
    ids = [row.pop(ROW_ID) for row in table] if table and ROW_ID in table[0] else None
    if wanted == JSON:
        if ids is not None and kind == "csv":
            ids = _whole_ids(ids)
        if ids is not None:
            table = [
                {"index": row.pop("index"), ROW_ID: _json_id(i), **row}
                for row, i in zip(table, ids, strict=True)
            ]
        return pydantic_core.to_json(table), JSON
    out = typed_frame(table, COLUMNS)
    if kind == "csv":
        out["warnings"] = [json.dumps(w) if w is not None else "" for w in out["warnings"]]
        if ids is not None:
            out.insert(1, ROW_ID, ids)
        return out.to_csv(index=False).encode(), CSV
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = pa.Table.from_pandas(out, preserve_index=False)
    if ids is not None:
        written = written.add_column(1, ROW_ID, pa.array(ids, type=id_type))
    sink = io.BytesIO()
    pq.write_table(written, sink)
    return sink.getvalue(), PARQUET


# -- the contract --------------------------------------------------------------------------
def _row_model() -> Any:
    from pydantic import Field, create_model

    from serving.schema import FilmPrediction

    fields = FilmPrediction.model_fields
    definitions = {
        key: (fields[key].annotation | None, Field(None, description=fields[key].description))
        for key in ROW_KEYS
    }
    definitions = {
        "index": definitions.pop("index"),
        ROW_ID: (
            str | int | float | bool | None,
            Field(
                None,
                description=f"The row's `{ROW_ID}` as the table gives it (present only when the "
                f"table has an `{ROW_ID}` column: the rows' own key, to join the answers back); "
                "a CSV's ids are numbers in JSON when every one is a whole number.",
            ),
        ),
        **definitions,
    }
    definitions["error"] = (
        str | None,
        Field(None, description="Why the row was not scored (`field: message`); null if it was."),
    )
    return create_model(
        "TableRow",
        __doc__="One row of /predict_table's answer: the /predict_batch row's fields, or the "
        "row's error.",
        **definitions,
    )


def add_to_document(document: dict[str, Any]) -> dict[str, Any]:
    """/predict_table in the OpenAPI document (BentoML does not know it: the middleware
    answers it), with its row schema."""
    from serving.openapi import REF_PREFIX, RequestError, to_openapi30

    row = _row_model()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schema = row.model_json_schema(ref_template=REF_PREFIX + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, to_openapi30(definition))
    schemas[row.__name__] = to_openapi30(schema)
    binary = {"schema": {"type": "string", "format": "binary"}}
    error = {"content": {JSON: {"schema": {"$ref": REF_PREFIX + RequestError.__name__}}}}
    document.setdefault("paths", {})[TABLE_ROUTE] = {
        "post": {
            "summary": "Predict Table",
            "description": f"Both forecasts for a table of up to {MAX_TABLE_ROWS:,} films, as "
            "CSV or Parquet: the answer is the same table format (JSON with Accept: "
            "application/json), one row per film, the /predict_batch row's fields as columns "
            "and an `error` column for a row that was not scored. A column named `id` (the rows' "
            "own key) is written back after `index`, as given. TMDB's own columns that are no "
            f"film field ({', '.join(sorted(TMDB_OTHER_COLUMNS))}) are not read; any other "
            "column that is no film field is refused.",
            "operationId": "predict_table",
            "requestBody": {"required": True, "content": {CSV: binary, PARQUET: binary}},
            "responses": {
                "200": {
                    "description": "The films' answers, in order.",
                    "content": {
                        CSV: binary,
                        PARQUET: binary,
                        JSON: {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": REF_PREFIX + row.__name__},
                            }
                        },
                    },
                },
                "400": {"description": "Bad Request: not a table of films.", **error},
                "406": {
                    "description": "Not Acceptable: the answer is the request's format or JSON.",
                    **error,
                },
                "413": {
                    "description": "Payload Too Large: the body, decoded, is over "
                    f"{MAX_BODY['table'] // MIB} MiB.",
                    **error,
                },
                "415": {
                    "description": f"Unsupported Media Type: send {CSV} or {PARQUET}.",
                    **error,
                },
            },
        }
    }
    return document

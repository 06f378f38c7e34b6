"""A CSV table as text columns named by its header, read the same way by training (the movies
and credits tables), the client (``score``, ``slate``) and ``/predict_table``.

pandas, given data rows with one more field than the header, silently takes their first field as
the row labels and shifts every column by one (a budget read as the runtime). Here the header is
read as a row like the others, so nothing is inferred from it:

- a row may carry more fields than the header only when they are empty (a spreadsheet's trailing
  separators, dropped); a value there refuses the table, naming the row;
- a row with fewer fields has the rest empty;
- a header cell left empty over an empty column (a spreadsheet's trailing separator) is dropped;
- blank lines are skipped, before the header too, and so are rows of empty fields only (a
  spreadsheet's trailing rows, saved as ``,,,``); a field of spaces only is an empty one there.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

# Empty fields a row may carry past the header's; a row longer still is refused.
EXTRA_FIELDS = 16
# The most fields a header may have: TMDB's movies table has 20 columns.
MAX_HEADER_FIELDS = 1_000


class CsvShapeError(ValueError):
    """A row with more (non-empty) fields than the header."""


# What read_csv_text raises for a file that is not a readable CSV table (OSError aside).
UNREADABLE = (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, CsvShapeError)
_SEPARATORS = re.compile(r"[\s-]+")
# A list cell written as a Python literal: single quotes, which pandas' ``to_csv`` writes for a
# column of lists (``['Action', 'Drama']``). Not read (it is not JSON); named, with how to write
# it, by training, the client, /predict_table and the slate page (serving/ui/slate.js, from
# serving.ui's settings: the pattern reads alike in Python and JavaScript, whose \s differ).
PYTHON_LIST = r"^[ \t\r\n]*\[[ \t\r\n]*(?:\{[ \t\r\n]*)?'"
PYTHON_LIST_HINT = (
    "single quotes, as pandas writes a column of lists: write the lists as JSON (json.dumps) "
    "or as names separated by |"
)


def read_csv_text(
    source: Any, *, keep_default_na: bool = False, max_rows: int | None = None
) -> pd.DataFrame:
    """The table's cells as text, its columns named as the header writes them (a repeated name
    stays repeated). Missing cells are NaN; with ``keep_default_na``, so are empty cells and
    pandas' default NA texts ("NA", "null", ...), as ``pandas.read_csv`` reads them; without
    it, an empty cell is "". ``source``: a path, bytes or a file-like object. Raises pandas'
    errors for an unreadable file, and CsvShapeError for a row with more non-empty fields than
    the header. ``max_rows``: at most one row more than this is read (a longer table is known
    to be too long without reading it all)."""
    data = _as_bytes(source)
    _check_header(data)
    read: dict[str, Any] = {"dtype": str, "header": None, "keep_default_na": False}
    if max_rows is not None:
        read["nrows"] = max_rows + 2  # the header, and one row past the bound
    wide = False
    try:
        rows = pd.read_csv(io.BytesIO(data), **read)
        header_length = rows.shape[1]
    except pd.errors.ParserError:  # a later row longer than the first (the header): read wide
        wide = True
        header_length = pd.read_csv(io.BytesIO(data), **{**read, "nrows": 1}).shape[1]
        try:
            rows = pd.read_csv(io.BytesIO(data), **read, names=range(header_length + EXTRA_FIELDS))
        except pd.errors.ParserError as error:  # longer still: pandas names its line
            line = re.search(r"in line (\d+)", str(error))
            where = f"line {line.group(1)}" if line else "a row"
            raise CsvShapeError(_too_long(header_length, where)) from None
    names = ["" if pd.isna(v) else str(v) for v in rows.iloc[0, :header_length].tolist()]
    frame = rows.iloc[1:].reset_index(drop=True)
    longer = _longer(data, header_length, len(frame)) if wide else np.zeros(len(frame), bool)
    # A cell of spaces only is as empty as a blank one here (as the slate page's CSV reader,
    # Papa Parse's "greedy" rule, sees it): the rows are numbered alike everywhere.
    text = frame.fillna("")
    filled = ((text != "") & ~text.apply(lambda column: column.str.isspace())).to_numpy()
    past = filled[:, header_length:].any(axis=1)
    if past.any():
        raise CsvShapeError(_too_long(header_length, f"line {int(past.argmax()) + 2}"))
    width = header_length
    while width and names[width - 1] == "" and not filled[:, width - 1].any():
        width -= 1  # a header cell left empty over an empty column: a trailing separator
    frame = frame.iloc[:, :width].fillna("")
    frame.columns = names[:width]
    given = filled.any(axis=1)
    if not given.all():  # a row of empty fields only: skipped, as a blank line is
        frame = frame[given].reset_index(drop=True)
        longer = longer[given]
    frame = frame.mask(frame.isin(STR_NA_VALUES)) if keep_default_na else frame
    frame.attrs[LONGER_ROWS] = np.flatnonzero(longer).tolist()
    return frame


def column_name(header: Any) -> str:
    """A header as the field or column name it stands for: "Release Date", "release-date" and
    " release_date " are all ``release_date``, as training, the client, /predict_table and the
    slate page (serving/ui/slate.js, the same rule) read a table's header."""
    return _SEPARATORS.sub("_", str(header).strip().lower())


# How every gzip stream (RFC 1952) and every Parquet file starts; no JSON or CSV text does.
GZIP_MAGIC, PARQUET_MAGIC = b"\x1f\x8b", b"PAR1"


def not_csv_hint(head: bytes, what: str) -> str:
    """What a file's first bytes suggest it is instead of a comma-separated UTF-8 table (""
    when nothing): ``what`` names the table it should be, for the message."""
    if head.startswith(PARQUET_MAGIC):
        return f": it is a Parquet file; {what} is a CSV file"
    if head.startswith(GZIP_MAGIC):
        return ": it is gzip-compressed; decompress it first"
    if head.startswith(b"PK\x03\x04"):
        return ": it is a ZIP archive (an Excel .xlsx workbook?); save the sheet as 'CSV UTF-8'"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ": it is an old Excel or Office file (.xls); save the sheet as 'CSV UTF-8'"
    if not head.replace(b"\xef\xbb\xbf", b"").strip():  # nothing, or a byte-order mark
        return ": it is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not a character the head's end cut in two
            return ": it is not UTF-8 text; save it as UTF-8 (a spreadsheet's 'CSV UTF-8')"
    first = head.partition(b"\n")[0].decode("utf-8", "ignore").lstrip("\ufeff ")
    if first[:1] in ("[", "{"):
        return f": it looks like JSON; {what} is a CSV file"
    for name, separator in (("tabs", "\t"), ("semicolons", ";")):
        if first.count(separator) > first.count(","):
            return f": its header is separated by {name}; {what} is comma-separated"
    return ""


# What a row longer than its header is told (the slate page says the same: serving.ui).
RAGGED_HINT = (
    "check the separators and the quoting (a value holding commas, such as $40,000,000, goes "
    "in double quotes)"
)


# A row with more fields than the header whose extra ones are empty is read (a spreadsheet's
# trailing separators), but its cells may be shifted ($40,000,000 unquoted, then two empty
# optional cells): a problem found in such a row says so. read_csv_text keeps those rows'
# positions in ``frame.attrs[LONGER_ROWS]``.
LONGER_ROWS = "longer_rows"
LONGER_ROW_HINT = (
    "the row has more fields than the header (empty past its last column): " + RAGGED_HINT
)


def with_longer_row_hint(errors: dict[int, str], frame: pd.DataFrame) -> None:
    """Add LONGER_ROW_HINT to the error of each row of ``frame`` (as read_csv_text read it,
    positions unchanged) that has one and more fields than the header."""
    for i in set(frame.attrs.get(LONGER_ROWS, ())) & set(errors):
        errors[i] = f"{errors[i]}; {LONGER_ROW_HINT}"


def _longer(data: bytes, header_length: int, n_rows: int) -> np.ndarray:
    """Which of the first ``n_rows`` rows have more fields than the header (pandas, reading
    them wide, gives a missing field and an empty one alike: counted by the csv module, which
    reads quotes as pandas does; none when the two do not line up)."""
    records = csv.reader(io.StringIO(data.decode("utf-8", "replace")))
    counts = [len(record) for record in records if record][1 : n_rows + 1]
    if len(counts) != n_rows:
        return np.zeros(n_rows, bool)
    return np.array(counts) > header_length


def _check_header(data: bytes) -> None:
    """CsvShapeError when the first line has more fields than any table of films has columns:
    a JSON file read as a CSV is one line of tens of thousands of commas, which pandas took
    minutes to lay out as a header (3.5 min of CPU for TMDB's table as JSON records)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if first.count(b",") < MAX_HEADER_FIELDS:  # at most that many fields, quotes or not
        return
    fields = len(next(csv.reader([first.decode("utf-8", "replace")]), []))
    if fields > MAX_HEADER_FIELDS:
        raise CsvShapeError(
            f"its first line has {fields:,} fields, more than a table's header names "
            f"({MAX_HEADER_FIELDS:,} at most)"
        )


def _too_long(n_names: int, where: str) -> str:
    return (
        f"{where} has more fields than the header's {n_names} (a value past the last column): "
        + RAGGED_HINT
    )


def _as_bytes(source: Any) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    data = source.read()
    return data.encode() if isinstance(data, str) else data

"""A CSV table as text columns named by its header, read the same way by training (the movies
and credits tables), the client (``score``, ``slate``) and ``/predict_table``.

pandas, given data rows with one more field than the header, silently takes their first field as
the row labels and shifts every column by one (a budget read as the runtime). Here a row may
carry more fields than the header only when they are empty (a spreadsheet's trailing
separators, dropped); otherwise the table is refused, naming the line.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

# Empty fields a row may carry past the header's (more: refused as too long).
EXTRA_FIELDS = 16


class CsvShapeError(ValueError):
    """A row with more (non-empty) fields than the header."""


# What read_csv_text raises for a file that is not a readable CSV table (OSError aside).
UNREADABLE = (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, CsvShapeError)


def read_csv_text(source: Any, *, keep_default_na: bool = False) -> pd.DataFrame:
    """The table's cells as text (missing: NaN), its columns named as the header writes them
    (a repeated name stays repeated). ``source``: a path, bytes or a file-like object. Raises
    pandas' errors for an unreadable file, and CsvShapeError for a row with more non-empty
    fields than the header."""
    data = _as_bytes(source)
    header = pd.read_csv(io.BytesIO(data), dtype=str, header=None, nrows=1, keep_default_na=False)
    names = [str(name) for name in header.iloc[0].tolist()]
    read = {"dtype": str, "header": None, "skiprows": 1, "keep_default_na": keep_default_na}
    try:
        frame = pd.read_csv(io.BytesIO(data), **read)
    except pd.errors.EmptyDataError:  # a header and no rows
        return pd.DataFrame(columns=names, dtype=str)
    except pd.errors.ParserError:  # a later row longer than the first: read them all wide
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            try:
                frame = pd.read_csv(
                    io.BytesIO(data),
                    **read,
                    names=range(len(names) + EXTRA_FIELDS),
                    index_col=False,
                )
            except pd.errors.ParserWarning:  # a row longer still: pandas would drop its end
                raise CsvShapeError(_too_long(len(names), "a row")) from None
    extra = frame.iloc[:, len(names) :]
    filled = extra.notna() & (extra != "")
    if filled.to_numpy().any():
        row = int(filled.any(axis=1).to_numpy().argmax())
        raise CsvShapeError(_too_long(len(names), f"line {row + 2}"))
    frame = frame.iloc[:, : len(names)]
    frame.columns = names
    return frame


def _too_long(n_names: int, where: str) -> str:
    return (
        f"{where} has more fields than the header's {n_names} (a value past the last column): "
        "check the separators and the quoting"
    )


def _as_bytes(source: Any) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    data = source.read()
    return data.encode() if isinstance(data, str) else data

"""boxoffice.csvtext: a row longer than the header is never read shifted by one column."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from boxoffice.csvtext import CsvShapeError, read_csv_text


def read(text: str, **options) -> list[list]:
    frame = read_csv_text(io.StringIO(text), **options)
    return [list(frame.columns), *frame.to_numpy().tolist()]


def test_trailing_separators_are_dropped_not_read_as_a_shift() -> None:
    # pandas alone would take "1" and "3" as row labels and read a=2, b=""
    assert read("a,b\n1,2,\n3,4,\n") == [["a", "b"], ["1", "2"], ["3", "4"]]
    assert read("a,b\n1,2\n3,4,,,\n") == [["a", "b"], ["1", "2"], ["3", "4"]]


@pytest.mark.parametrize(("text", "line"), [("a,b\n1,2,5\n3,4\n", 2), ("a,b\n1,2\n3,4,5\n", 3)])
def test_a_value_past_the_last_column_is_refused_naming_its_line(text: str, line: int) -> None:
    with pytest.raises(CsvShapeError, match=f"line {line} has more fields than the header's 2"):
        read_csv_text(text.encode())


def test_names_stay_as_written_and_cells_as_text() -> None:
    assert read("a,a\nNA,\n") == [["a", "a"], ["NA", ""]]
    assert read('\ufeffx,y\r\n1,"p,\nq"\r\n') == [["x", "y"], ["1", "p,\nq"]]
    frame = read_csv_text(b"x,y\nNA,\n", keep_default_na=True)
    assert frame.isna().all(axis=None)
    assert read_csv_text(b"x,y\n").columns.tolist() == ["x", "y"]
    with pytest.raises(pd.errors.EmptyDataError):
        read_csv_text(b"")


def test_blank_lines_before_the_header_and_short_rows_are_read_as_pandas_would() -> None:
    assert read("\nbudget,runtime\n1,2\n") == [["budget", "runtime"], ["1", "2"]]
    assert read("a,b,c\n1,2\n") == [["a", "b", "c"], ["1", "2", ""]]
    frame = read_csv_text(b"a,b,c\n1,2\n", keep_default_na=True)
    assert frame.iloc[0, 2] != frame.iloc[0, 2]  # NaN


def test_rows_of_empty_fields_only_are_skipped_as_blank_lines_are() -> None:
    # a spreadsheet saves its trailing empty rows as ",,": no film, as a blank line is none
    assert read("a,b\n1,2\n,\n\n3,4\n,,\n") == [["a", "b"], ["1", "2"], ["3", "4"]]
    assert read("a,b\n,\n") == [["a", "b"]]
    # spaces only are no value either (the slate page's reader skips such a row, Papa Parse's
    # "greedy" rule, and the rows are numbered alike); a value with spaces around it is read
    assert read("a,b\n, \n  \n\t,\n1, 2 \n") == [["a", "b"], ["1", " 2 "]]


def test_a_headers_trailing_empty_cells_over_empty_columns_are_dropped() -> None:
    assert read("id,title,,\n1,A,,\n") == [["id", "title"], ["1", "A"]]
    assert read("a,,c\n1,2,3\n") == [["a", "", "c"], ["1", "2", "3"]]  # named by the caller


def test_a_row_far_longer_than_the_header_names_its_line() -> None:
    with pytest.raises(CsvShapeError, match=r"^line 3 has more fields than the header's 2"):
        read_csv_text(b"a,b\n1,2\n3,4" + b"," * 40 + b"5\n")


def test_a_name_made_only_of_spaces_is_left_out_as_training_leaves_it_out() -> None:
    """TMDB's table has keywords that are a no-break space only (Joe Dirt, Good bye, Lenin!):
    a table reads them as training does, and as `a||b` reads its empty name."""
    from serving.cells import as_list

    assert as_list('["zombie ", " spy"]', "keywords") == ["zombie", "spy"]
    assert as_list('[{"id": 1, "name": "zombie"}, {"id": 2, "name": "\u00a0"}]', "keywords") == [
        "zombie"
    ]
    assert as_list("zombie| |spy", "keywords") == ["zombie", "spy"]


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"PAR1\x15\x04", "it is a Parquet file"),
        (b"\x1f\x8b\x08\x00", "it is gzip-compressed"),
        (b"title,budget\n\xb7A,1e8\n", "save it as UTF-8"),
        (b"title;budget;runtime\n", "separated by semicolons"),
        (b'[{"title": "A"}]', "it looks like JSON"),
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel .xlsx workbook?"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel or Office file"),
        (b"", "it is empty"),
        (b"\xef\xbb\xbf\r\n", "it is empty"),
        ("title,budget\nAmélie,1e7\n".encode()[:-7], ""),  # a character cut at the end: UTF-8
    ],
)
def test_a_file_that_is_not_a_csv_table_is_named_for_what_it_is(head: bytes, said: str) -> None:
    from boxoffice.csvtext import not_csv_hint

    hint = not_csv_hint(head, "the table")
    assert said in hint if said else hint == ""

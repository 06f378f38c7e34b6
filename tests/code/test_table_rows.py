"""/predict_table's rows as films: a bad row names every problem it has, not only the first."""

from __future__ import annotations

import datetime
import io

import pandas as pd
import pytest

from serving.tables import COLUMNS, _validated, to_films


def test_a_row_with_an_unreadable_cell_also_names_the_rest_of_its_problems() -> None:
    frame = pd.DataFrame(
        {
            "title": ["A", "B"],
            "budget": ["1e8", "1e8"],
            "runtime": ["abc", "100"],
            "genres": ["Actoin", "Action"],
        }
    )
    films, errors = to_films(frame)
    assert films[0] is None and films[1] == {
        "title": "B",
        "budget": 1e8,
        "runtime": 100.0,
        "genres": ["Action"],
    }
    said = errors[0].split("; ")
    assert said[0] == "runtime: 'abc' is not a number"
    assert said[1].startswith("genres: unknown genre(s) 'Actoin'")
    assert not any(s.startswith("runtime: Field required") for s in said)


def test_a_film_the_api_refuses_names_each_field() -> None:
    good, batch, errors = _validated(
        [{"budget": 1e8, "runtime": -1, "genres": ["Actoin"]}, {"budget": 1e8, "runtime": 90}]
    )
    assert good == [1] and batch is not None and len(batch) == 1
    said = errors[0].split("; ")
    assert said[0] == "runtime: Input should be greater than 0"
    assert said[1].startswith("genres: unknown genre(s) 'Actoin'")


def parquet_frame(columns: dict) -> pd.DataFrame:
    """A frame as /predict_table reads it from Parquet (pyarrow, pandas' own types)."""
    from serving.tables import read_frame

    sink = io.BytesIO()
    pd.DataFrame(columns).to_parquet(sink)
    return read_frame(sink.getvalue(), "parquet")


def test_parquet_missing_values_of_every_type_are_not_given() -> None:
    """NaT (a timestamp column), pd.NA (a nullable integer) and None in text are cells left
    blank: the field is not given, and the row is scored."""
    frame = parquet_frame(
        {
            "budget": [1e8, 2e8],
            "runtime": [100.0, 110.0],
            "release_date": pd.to_datetime(["2015-06-01", None]),
            "vote_count": pd.array([1000, None], dtype="Int64"),
            "genres": ["Action|Drama", None],
        }
    )
    films, errors = to_films(frame)
    assert errors == {}
    assert films[0] == {
        "budget": 1e8,
        "runtime": 100.0,
        "release_date": datetime.date(2015, 6, 1),
        "vote_count": 1000,
        "genres": ["Action", "Drama"],
    }
    assert films[1] == {"budget": 2e8, "runtime": 110.0}
    good, batch, problems = _validated(films)
    assert good == [0, 1] and problems == {} and batch is not None


def test_a_timestamp_with_a_time_of_day_is_not_a_date() -> None:
    frame = parquet_frame(
        {"budget": [1e8], "runtime": [100.0], "release_date": pd.to_datetime(["2015-06-01 13:30"])}
    )
    films, errors = to_films(frame)
    assert films == [None]
    assert errors[0].startswith("release_date: 2015-06-01 13:30:00 is a moment")


def test_a_csv_row_longer_than_its_header_is_refused_not_shifted() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    with pytest.raises(BodyProblem) as refused:
        read_frame(b"budget,runtime\n1e7,100,5\n", "csv")
    assert refused.value.status == 400
    assert "line 2 has more fields than the header's 2" in str(refused.value.body)
    frame = read_frame(b"budget,runtime\n1e7,100,\n", "csv")  # a trailing comma: dropped
    assert frame.to_numpy().tolist() == [["1e7", "100"]]


def test_a_row_not_scored_leaves_whole_numbers_and_booleans_as_they_are() -> None:
    from serving.cells import typed_frame

    table = [
        {"index": 0, "dollars_year": 2016, "is_hit": True, "revenue_usd": 1e8, "error": None},
        {"index": 1, "dollars_year": None, "is_hit": None, "revenue_usd": None, "error": "bad"},
    ]
    out = typed_frame([{**dict.fromkeys(COLUMNS), **row} for row in table], COLUMNS)
    written = out.to_csv(index=False)
    assert ",2016," in written and "2016.0" not in written
    assert str(out["dollars_year"].dtype) == "Int64" and str(out["is_hit"].dtype) == "boolean"
    assert str(out["index"].dtype) == "Int64" and out["revenue_usd"].dtype == float


@pytest.mark.parametrize(
    ("accept", "kind", "media"),
    [
        ("", "csv", "text/csv"),
        ("*/*", "parquet", "application/vnd.apache.parquet"),
        ("application/json", "csv", "application/json"),
        ("text/*, application/json", "csv", "text/csv"),
        ("application/xml, application/json;q=0.5", "parquet", "application/json"),
        ("application/json;q=0, text/csv", "csv", "text/csv"),
        ("text/csv;q=0.1, application/json", "csv", "application/json"),
        ("application/*", "csv", "application/json"),
        ("application/*", "parquet", "application/vnd.apache.parquet"),
    ],
)
def test_the_answer_is_in_the_format_accept_asks_for(accept: str, kind: str, media: str) -> None:
    from serving.tables import answer_format

    assert answer_format(accept, kind) == media


def test_an_accept_the_table_cannot_answer_is_a_406() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import answer_format

    for accept in ("application/xml", "application/json;q=0"):
        with pytest.raises(BodyProblem) as refused:
            answer_format(accept, "csv")
        assert refused.value.status == 406 and "text/csv" in str(refused.value.body)


def test_a_table_past_the_row_bound_is_refused_before_its_rows_are_read() -> None:
    """A small body can hold millions of rows (a constant column compresses to nothing): the
    bound is checked from Parquet's footer and after one CSV row past it, not after building
    the whole table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from serving.columns import MAX_TABLE_ROWS
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    n = 5_000_000
    sink = io.BytesIO()
    pq.write_table(pa.table({"runtime": pa.repeat(pa.scalar(100.0), n)}), sink)
    body = sink.getvalue()
    assert len(body) < 200_000
    before = pa.total_allocated_bytes()
    with pytest.raises(BodyProblem) as refused:
        read_frame(body, "parquet")
    assert pa.total_allocated_bytes() - before < 1_000_000  # no column read
    assert f"{n:,} rows: at most {MAX_TABLE_ROWS:,}" in refused.value.body["error"]
    with pytest.raises(BodyProblem) as refused:
        read_frame(b"runtime\n" + b"100\n" * (3 * MAX_TABLE_ROWS), "csv")
    assert f"more than {MAX_TABLE_ROWS:,} rows" in refused.value.body["error"]
    assert len(read_frame(b"runtime\n" + b"100\n" * MAX_TABLE_ROWS, "csv")) == MAX_TABLE_ROWS


def test_a_csv_in_the_charset_its_content_type_names_is_read_in_it() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import as_utf8, read_frame

    body = "title,budget,runtime\nAmélie – 2,1e7,120\n".encode("windows-1252")
    utf8 = as_utf8(body, "text/csv; charset=windows-1252")
    assert read_frame(utf8, "csv")["title"].tolist() == ["Amélie – 2"]
    assert as_utf8(body, "text/csv") is body  # UTF-8 unless told otherwise
    with pytest.raises(BodyProblem) as refused:
        as_utf8(body, "text/csv; charset=rot13")
    assert refused.value.status == 415
    with pytest.raises(BodyProblem) as refused:
        as_utf8(b"title\n\xff\xfe\x00", "text/csv; charset=ascii")
    assert refused.value.status == 400 and "ascii" in refused.value.body["error"]


def test_a_table_separated_by_semicolons_is_named_so() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    with pytest.raises(BodyProblem) as refused:
        read_frame(b"budget;runtime\n1e8;120\n", "csv")
    assert "separated by ';'? send the table comma-separated" in refused.value.body["error"]


def test_a_parquet_of_a_sorted_frame_reads_its_index_as_an_index() -> None:
    """pandas writes a frame's index beside its columns (``__index_level_0__``); read back it
    is the index, not an unknown column."""
    from serving.tables import read_frame

    frame = pd.DataFrame({"title": ["a", "b"], "budget": [3e7, 1e8], "runtime": [100.0, 120.0]})
    sink = io.BytesIO()
    frame.sort_values("budget", ascending=False).to_parquet(sink)
    assert read_frame(sink.getvalue(), "parquet")["title"].tolist() == ["b", "a"]


def test_a_parquet_of_a_sampled_frame_keeps_each_rows_id() -> None:
    """pandas' ``to_parquet`` of a sample stores its labels as the index: the rows are read in
    the order they come, each with its own id (not the id of the row whose position its label
    names); an index named ``id`` is the rows' key."""
    from serving.tables import read_frame

    films = pd.DataFrame(
        {
            "id": [10, 20, 30, 40, 50],
            "title": ["a", "b", "c", "d", "e"],
            "budget": [1e7, 2e7, 3e7, 4e7, 5e7],
        }
    )
    for written, expected in (
        (films.iloc[[3, 0, 4]], [40, 10, 50]),  # labels 3, 0, 4
        (films.iloc[2:], [30, 40, 50]),  # labels 2, 3, 4: none is 0
        (films.iloc[[4, 1]].set_index("id"), [50, 20]),
    ):
        sink = io.BytesIO()
        written.to_parquet(sink)
        frame = read_frame(sink.getvalue(), "parquet")
        assert frame["id"].tolist() == expected
        titles = films.set_index("id").loc[expected, "title"].tolist()
        assert frame["title"].tolist() == titles and frame.index.tolist() == list(range(len(frame)))


@pytest.mark.parametrize("charset", ["punycode", "idna", "utf-7"])
def test_a_charset_that_does_not_read_the_body_is_a_400(charset: str) -> None:
    from serving.middleware import BodyProblem
    from serving.tables import as_utf8

    try:
        as_utf8(
            "title\nZoë +-\udcff\n".encode("utf-8", "surrogateescape"),
            f"text/csv; charset={charset}",
        )
    except BodyProblem as problem:
        assert problem.status == 400 and charset in problem.body["error"]


def test_an_id_column_is_read_and_written_back_after_the_index_as_given() -> None:
    """The rows' own key is not a film field: taken, not scored, and written back as typed
    ('007' stays '007'); from Parquet in its own type, nulls and all."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from serving.tables import _table_rows, _written, read_frame, to_films

    frame = read_frame(b"ID,budget,runtime\n007,1e8,100\n,2e8,90\n", "csv")
    ids = frame.pop("id").tolist()
    assert ids == ["007", ""] and list(frame.columns) == ["budget", "runtime"]
    rows = _table_rows([{"revenue_usd": 1.5e8}, {}], {1: "runtime: bad"}, ids)
    assert list(rows[0])[:3] == ["index", "id", "log_revenue"] and list(rows[0])[-1] == "error"
    written, _ = _written([dict(r) for r in rows], "csv", "text/csv")
    table = pd.read_csv(io.BytesIO(written), dtype=str, keep_default_na=False)
    assert list(table.columns[:2]) == ["index", "id"] and list(table["id"]) == ["007", ""]
    assert list(table["error"]) == ["", "runtime: bad"]
    as_json, _ = _written([dict(r) for r in rows], "csv", "application/json")
    assert [row["id"] for row in json.loads(as_json)] == ["007", None]
    # whole numbers written one way only are numbers in JSON, as a Parquet's integer ids are
    for given, expected in (
        (["41283", "", "-3", "0"], [41283, None, -3, 0]),
        (["41283", "7.0"], ["41283", "7.0"]),
        (["41283", "+7"], ["41283", "+7"]),
        (["1" * 16, "2"], ["1" * 16, "2"]),  # past what a JavaScript number holds exactly
    ):
        rows = _table_rows([{}] * len(given), {}, given)
        as_json, _ = _written([dict(r) for r in rows], "csv", "application/json")
        assert [row["id"] for row in json.loads(as_json)] == expected

    for values, kind in (([1, 2**53 + 1, None], pa.int64()), ([2**63 + 5, 1, 2], pa.uint64())):
        sink = io.BytesIO()
        pq.write_table(pa.table({"id": pa.array(values, type=kind), "budget": [1e8] * 3}), sink)
        frame = read_frame(sink.getvalue(), "parquet")
        id_type = frame.attrs["id"]
        ids = frame.pop("id").tolist()
        assert ids == values  # not floats: a null does not turn 2**53 + 1 into 2**53
        rows = _table_rows([{}] * 3, {}, ids)
        written, _ = _written([dict(r) for r in rows], "parquet", "parquet", id_type)
        back = pq.read_table(io.BytesIO(written))
        assert back.schema.field("id").type == kind and back.column("id").to_pylist() == values
        assert back.column_names[:2] == ["index", "id"]
        as_json, _ = _written([dict(r) for r in rows], "parquet", "application/json", id_type)
        assert [row["id"] for row in json.loads(as_json)] == values

    films, errors = to_films(read_frame(b"id\na\nb\n", "csv").drop(columns="id"))
    assert films == [{}, {}] and not errors  # a table of ids only: each row is a film of nothing


def test_an_unreadable_csv_says_what_it_looks_like() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    said = {}
    for name, body in (
        ("semicolons", b"budget;runtime;vote_avg\n1e8;100;6,5\n2e8;90;7,1\n"),
        ("latin-1", "title,budget\nZo\u00eb,1e8\n".encode("latin-1")),
        ("repeated", b"budget,runtime,budget,id,id\n1e8,100,2e8,1,2\n"),
    ):
        with pytest.raises(BodyProblem) as refused:
            read_frame(body, "csv")
        said[name] = refused.value.body["error"]
    # A decimal comma makes more fields than the header's one: the separator is named.
    assert said["semicolons"].endswith(
        "its header is separated by semicolons; a CSV body is comma-separated"
    )
    assert "it is not UTF-8 text" in said["latin-1"]
    assert "column(s) 'budget', 'id' appear more than once" in said["repeated"]


def test_a_zero_budget_is_said_as_the_cell_has_it() -> None:
    """0 is TMDB's unknown budget: the row is told so, not that its budget is missing."""
    import asyncio

    from serving.tables import score_table

    frame = pd.DataFrame({"budget": ["0", ""], "runtime": ["100", "100"]})
    rows = asyncio.run(score_table(None, frame))  # type: ignore[arg-type]  # nothing to score
    assert rows[0]["error"].startswith("budget: 0, which TMDB's tables write for an unknown")
    assert rows[1]["error"].startswith("budget: required: give 'budget'")


def test_tmdbs_objects_as_parquet_structs_are_read_as_their_names() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from serving.tables import read_frame

    sink = io.BytesIO()
    genres = [[{"id": 28, "name": "Action"}, {"id": 18, "name": "Drama"}], []]
    countries = [[{"iso_3166_1": "US", "name": "United States of America"}], None]
    keywords = [[{"id": 1, "name": "dirt "}, {"id": 2, "name": "\u00a0"}], []]  # as TMDB has it
    table = pa.table(
        {
            "budget": [1e8, 2e7],
            "genres": genres,
            "production_countries": countries,
            "keywords": keywords,
        }
    )
    pq.write_table(table, sink)
    films, errors = to_films(read_frame(sink.getvalue(), "parquet"))
    assert not errors and films[0]["genres"] == ["Action", "Drama"]
    assert films[0]["production_countries"] == ["US"] and films[1]["genres"] == []
    assert films[0]["keywords"] == ["dirt"]  # a name of spaces only left out, as training does


def test_tmdbs_own_columns_that_are_no_field_are_not_read() -> None:
    """A table as TMDB publishes it scores: its revenue, status, overview, ... are not read."""
    from serving.tables import read_frame

    frame = read_frame(
        b"id,budget,runtime,revenue,status,Original Title,tagline,overview,homepage\n"
        b"1,1e8,100,5e8,Released,A,t,o,http://a\n",
        "csv",
    )
    assert list(frame.columns) == ["id", "budget", "runtime"]


def test_a_column_that_is_neither_a_field_nor_the_id_is_refused() -> None:
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    with pytest.raises(BodyProblem) as refused:
        read_frame(b"id,budget,colour\n1,1e8,red\n", "csv")
    assert "unknown column(s) 'colour'" in str(refused.value.body)
    with pytest.raises(BodyProblem) as refused:
        read_frame(b"movie_id,budget\n1,1e8\n", "csv")
    assert "a key of the rows, such as 'movie_id', goes in a column named 'id'" in str(
        refused.value.body
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # pandas' to_csv with its index: an unnamed first column (read back and written again:
        # "Unnamed: 0")
        (None, "('': the table's index, which pandas writes unless to_csv(..., index=False))"),
        (",Unnamed: 0,budget\n0,0,1e7\n", "the table's index, which pandas writes unless"),
        # a TSV: the header is one column, its tabs read as underscores
        ("id\ttitle\tbudget\n1\tA\t1e7\n", "separated by '\\t'? send the table comma-separated"),
    ],
)
def test_a_header_pandas_or_a_tsv_wrote_says_how_to_write_it(text: str | None, said: str) -> None:
    from serving.middleware import BodyProblem
    from serving.tables import read_frame

    if text is None:
        text = pd.DataFrame({"budget": [1e7], "runtime": [100]}).to_csv()
    with pytest.raises(BodyProblem) as refused:
        read_frame(text.encode(), "csv")
    assert refused.value.status == 400
    assert said in refused.value.body["error"], refused.value.body


def test_a_table_in_thousands_of_dollars_is_told_so() -> None:
    """A catalogue's budgets in $ thousands (150,000 for $150M) would each be scored as a
    micro-budget film with nothing said: each film is told the table's median; a table of a
    few cheap films is not judged."""
    from serving.cells import budgets_in_thousands

    thousands = [{"budget": b} for b in (150_000, 90_000, 220_000, 45_000, 3_000_000)]
    said = budgets_in_thousands([*thousands, None, {"runtime": 90}])
    assert said is not None
    assert said.startswith("the table's 5 budgets have a median of $150,000, under $1,000,000")
    assert budgets_in_thousands(thousands[:4]) is None  # too few to judge
    assert budgets_in_thousands([{"budget": b * 1000} for b in (150_000, 90_000)] * 3) is None

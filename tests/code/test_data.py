"""Loading and validating the movies table, on small frames built here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from boxoffice.features import FilmFeatures
from boxoffice.fields import TMDB_LIST_KEYS
from training import config
from training.credits import loading_notes
from training.data import (
    SCHEMA,
    DataError,
    LoadedData,
    load_movies,
    locate_dataset,
    parse_json_list,
    validate_and_parse,
)


def film_row(**overrides: object) -> dict[str, object]:
    row = {column: "" for column in SCHEMA}
    row.update(
        {
            "budget": "1000000",
            "revenue": "3000000",
            "id": "1",
            "popularity": "1.5",
            "vote_average": "6.1",
            "vote_count": "10",
            "runtime": "100",
            "status": "Released",
            "title": "A film",
            "original_language": "en",
            "release_date": "2001-05-04",
            "genres": json.dumps([{"id": 28, "name": "Action"}]),
            "keywords": json.dumps([{"id": 1, "name": "sequel"}]),
            "production_companies": json.dumps([{"id": 2, "name": "Studio"}]),
            "production_countries": json.dumps([{"iso_3166_1": "US", "name": "USA"}]),
            "spoken_languages": json.dumps([{"iso_639_1": "en", "name": "English"}]),
        }
    )
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('[{"id": 1, "name": "Drama"}, {"id": 2, "name": "War"}]', ["Drama", "War"]),
        ("[]", []),
        (float("nan"), []),
        ("not json", None),
        ('{"name": "Drama"}', None),
        ('[{"id": 1}]', None),
        ('[{"name": 5}]', None),
        (
            '[{"name": "archeology\\u00a0"}, {"name": " spy "}, {"name": " "}]',
            ["archeology", "spy"],
        ),
    ],
)
def test_parse_json_list(cell: object, expected: list[str] | None) -> None:
    assert parse_json_list(cell, "name") == expected


def test_parse_derives_year_month_and_codes() -> None:
    frame, malformed = validate_and_parse(pd.DataFrame([film_row()]))
    assert frame.loc[0, "release_year"] == 2001
    assert frame.loc[0, "release_month"] == 5
    assert frame.loc[0, "production_countries"] == ["US"]
    assert frame.loc[0, "spoken_languages"] == ["en"]
    assert malformed["genres"] == 0


def test_a_json_cell_in_a_column_of_plain_names_is_read_as_json() -> None:
    """A table in `a|b` with rows another tool wrote in TMDB's JSON (``fetch --append``): each
    cell is read in the way it is written, not the column's majority's."""
    plain = {
        "genres": "Action|Adventure",
        "keywords": "spy|sequel",
        "production_companies": "Studio",
        "production_countries": "United States of America",
        "spoken_languages": "English",
    }
    rows = [film_row(id=str(i), **plain) for i in range(1, 4)] + [film_row(id="4")]
    frame, malformed = validate_and_parse(pd.DataFrame(rows))
    assert frame.loc[0, "genres"] == ["Action", "Adventure"]
    assert frame.loc[3, "genres"] == ["Action"] and frame.loc[3, "keywords"] == ["sequel"]
    assert frame.loc[3, "production_countries"] == ["US"] == frame.loc[0, "production_countries"]
    assert not any(malformed.values())


def test_genres_are_read_in_any_case_and_unknown_names_are_named() -> None:
    """'science fiction' is TMDB's 'Science Fiction', as the service reads it; a name TMDB does
    not give a genre ('Sci-Fi') is kept, counted among the film's genres with no column of its
    own, and named so in the notes."""
    rows = [
        film_row(id="1", genres="action|science fiction", keywords="spy"),
        film_row(id="2", genres=" Drama |Sci-Fi", keywords="spy"),
    ]
    unknown: dict[str, list[str]] = {}
    frame, _ = validate_and_parse(pd.DataFrame(rows), unknown)
    assert frame.loc[0, "genres"] == ["Action", "Science Fiction"]
    assert frame.loc[1, "genres"] == ["Drama", "Sci-Fi"]
    assert unknown["genres"] == ["Sci-Fi"]
    loaded = LoadedData(frame, Path("movies.csv"), "", unknown_names=unknown)
    assert any(
        "genres: 1 name(s) not known as TMDB genres" in n
        and "counted among the film's genres" in n
        and n.endswith(
            "'Sci-Fi'; to have the models read them, write 'Sci-Fi' as 'Science Fiction'"
        )
        for n in loading_notes(loaded)
    )
    # What the note says: the feature step counts the name and gives it no column.
    features = FilmFeatures(feature_set="pre_release", min_count=1).fit(frame)
    names = list(features.get_feature_names_out())
    X = features.transform(frame)
    assert X[1, names.index("n_genres")] == 2
    assert "genre_Sci-Fi" not in names


def test_malformed_json_affects_only_its_row() -> None:
    rows = [film_row(), film_row(id="2", genres="[{broken"), film_row(id="3")]
    frame, malformed = validate_and_parse(pd.DataFrame(rows))
    assert malformed["genres"] == 1
    assert frame.loc[1, "genres"] is None
    assert frame.loc[0, "genres"] == ["Action"] and frame.loc[2, "genres"] == ["Action"]
    assert frame.loc[1, "keywords"] == ["sequel"]


def test_missing_column_is_named() -> None:
    raw = pd.DataFrame([film_row()]).drop(columns=["revenue", "title"])
    with pytest.raises(DataError, match=r"missing column.*revenue, title \(expected .*\)$"):
        validate_and_parse(raw)
    # a list column or an optional number may be empty: the error says so (The Movies Dataset
    # keeps keywords apart)
    for column, empty in (("keywords", []), ("runtime", None)):
        raw = pd.DataFrame([film_row()]).drop(columns=[column])
        with pytest.raises(DataError, match=rf"; {column} may be empty .*with empty cells"):
            validate_and_parse(raw)
        frame, _ = validate_and_parse(raw.assign(**{column: ""}))
        assert frame.loc[0, column] == empty or pd.isna(frame.loc[0, column])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("budget", "lots", r"column 'budget': 1 value\(s\) are not numbers \(line 3: 'lots'\)"),
        ("vote_count", "1.5", "column 'vote_count'.*not whole numbers"),
        (
            "revenue",
            "$1,234,567",
            r"column 'revenue': 1 value\(s\) are not numbers: write amounts as plain numbers in "
            r"US\$ \(1234567, not \$1,234,567\) \(line 3: '\$1,234,567'\)",
        ),
        ("runtime", "long", "column 'runtime'.*not numbers.*'long'"),
        ("release_date", "2001-13-45", "column 'release_date'.*not dates.*'2001-13-45'"),
        ("revenue", "-5", "column 'revenue'.*negative"),
        ("vote_count", None, "column 'vote_count'.*empty"),
        ("budget", "2e13", r"column 'budget': 1 value\(s\) above 10,000,000,000,000.*line 3"),
        ("vote_average", "11", r"column 'vote_average': 1 value\(s\) above 10 "),
        (
            "release_date",
            "2115-07-02",  # the service's years: a table shifted a century is refused
            r"column 'release_date': 1 date\(s\) outside the years 1870-2100 the service takes "
            r"\(line 3: '2115-07-02'\)",
        ),
    ],
)
def test_bad_values_name_column_and_rows(column: str, value: object, message: str) -> None:
    raw = pd.DataFrame([film_row(), film_row(id="2", **{column: value})])
    with pytest.raises(DataError, match=message):
        validate_and_parse(raw)


def test_an_amount_may_hold_cents() -> None:
    raw = pd.DataFrame([film_row(), film_row(id="2", budget="1234567.89")])
    frame, _ = validate_and_parse(raw)
    assert frame.loc[1, "budget"] == 1234567.89


def test_empty_runtime_and_date_are_unknown_not_errors() -> None:
    frame, _ = validate_and_parse(pd.DataFrame([film_row(runtime=None, release_date=None)]))
    assert pd.isna(frame.loc[0, "runtime"]) and pd.isna(frame.loc[0, "release_year"])


def test_missing_dataset_says_where_and_how(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import training.config as config

    monkeypatch.delenv("BOXOFFICE_DATA", raising=False)
    monkeypatch.setattr(config, "dataset_candidates", lambda: [tmp_path / "a.csv"])
    with pytest.raises(DataError) as info:
        locate_dataset()
    assert str(tmp_path / "a.csv") in str(info.value)
    assert "tmdb/tmdb-movie-metadata" in str(info.value)


def test_env_var_naming_a_missing_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("BOXOFFICE_DATA", str(tmp_path / "nope.csv"))
    with pytest.raises(DataError, match=r"BOXOFFICE_DATA=.*nope.csv: no such file"):
        locate_dataset()


def test_load_movies_reads_a_small_file(tmp_path) -> None:
    path = tmp_path / "movies.csv"
    pd.DataFrame([film_row(), film_row(id="2")]).to_csv(path, index=False)
    loaded = load_movies(path)
    assert len(loaded.frame) == 2 and len(loaded.sha256) == 64


def test_unreadable_file_is_a_data_error(tmp_path) -> None:
    path = tmp_path / "movies.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError):
        load_movies(path)


def test_a_file_that_cannot_be_opened_is_a_data_error(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "movies.csv"
    pd.DataFrame([film_row()]).to_csv(path, index=False)
    real_open = Path.open

    def denied(self: Path, *args, **kwargs):  # what a file without read permission does
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(DataError, match=r"movies.csv: cannot be read \(Permission denied\)"):
        load_movies(path)


def test_an_optional_value_past_the_services_bound_is_unknown() -> None:
    out_of_range: dict[str, int] = {}
    raw = pd.DataFrame([film_row(), film_row(id="2", runtime="1e9")])
    frame, _ = validate_and_parse(raw, out_of_range=out_of_range)
    assert frame["runtime"].tolist()[0] == 100 and pd.isna(frame["runtime"].tolist()[1])
    assert out_of_range == {"runtime": 1}


def test_rows_repeated_exactly_are_dropped_and_counted(tmp_path) -> None:
    path = tmp_path / "movies.csv"
    rows = [film_row(), film_row(id="2"), film_row(), film_row(id="2")]
    pd.DataFrame(rows).to_csv(path, index=False)
    loaded = load_movies(path)
    assert loaded.frame["id"].tolist() == [1, 2] and loaded.duplicate_rows == 2


def test_an_id_shared_by_rows_that_differ_stops_the_load() -> None:
    raw = pd.DataFrame([film_row(), film_row(id="2"), film_row(title="Another film")])
    with pytest.raises(
        DataError,
        match=r"^column 'id': 1 id\(s\) are shared by rows that "
        r"differ \(id 1 on lines 2, 4\): keep one row per film$",
    ):
        validate_and_parse(raw)


def test_a_directory_named_as_the_table_is_named_so(tmp_path) -> None:
    with pytest.raises(DataError, match=r"^--data .*: a directory; name the movies table"):
        locate_dataset(tmp_path)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ('[{"id": 1, "title": "A film"}]\n', "it looks like JSON"),
        ("id\ttitle\tbudget\n1\tA\t5\n1\tB\t6\t7\n", "separated by tabs"),
        ("id;title;budget\n1;A;5\n", "separated by semicolons"),
    ],
)
def test_a_file_that_is_not_a_csv_table_is_named(tmp_path, text: str, hint: str) -> None:
    path = tmp_path / "movies.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=hint) as error:
        load_movies(path)
    assert "\n" not in str(error.value)
    # What the file is, said first: the reader's complaint about it would only mislead.
    assert str(error.value).startswith(f"{path}: not a readable CSV file: it")


def test_a_table_written_as_json_records_is_refused_before_it_is_parsed(tmp_path) -> None:
    """One line of thousands of commas: pandas took minutes to make it a header (3.5 min for
    TMDB's table as JSON records); its first line's fields are counted first."""
    from boxoffice.csvtext import MAX_HEADER_FIELDS

    records = [{"id": i, "title": f"Film {i}", "budget": 1e6, "genres": "[]"} for i in range(400)]
    path = tmp_path / "movies.csv"
    pd.DataFrame(records).to_json(path, orient="records")
    with pytest.raises(DataError, match=r"not a readable CSV file: it looks like JSON") as error:
        load_movies(path)
    assert "\n" not in str(error.value)
    from boxoffice.csvtext import CsvShapeError, read_csv_text

    with pytest.raises(CsvShapeError, match=rf"first line has 1,600 fields.*{MAX_HEADER_FIELDS:,}"):
        read_csv_text(path)
    wide = ",".join(f"c{i}" for i in range(MAX_HEADER_FIELDS)) + "\n" + "1," * 999 + "1\n"
    assert read_csv_text(wide.encode()).shape == (1, MAX_HEADER_FIELDS)  # at the bound: read


def test_a_spreadsheets_trailing_commas_are_not_a_shifted_table(tmp_path) -> None:
    """Every row ending in a comma: pandas alone would read the ids as row labels, every column
    one to the left. Here the empty field is dropped; a value there is one error line."""
    from training.data import read_table

    path = tmp_path / "movies.csv"
    path.write_text("id,title,budget\n1,A,5,\n2,B,6,\n")
    assert read_table(path).to_numpy().tolist() == [["1", "A", "5"], ["2", "B", "6"]]
    path.write_text("id,title,budget\n1,A,5\n2,B,6,7\n")
    with pytest.raises(DataError, match=r"line 3 has more fields than the header's 3") as error:
        load_movies(path)
    assert "\n" not in str(error.value)
    path.write_text("id,budget,budget\n1,5,6\n")
    with pytest.raises(DataError, match=r"column\(s\) 'budget' appear more than once"):
        load_movies(path)


def test_columns_neither_read_nor_tmdbs_own_are_named(tmp_path) -> None:
    from training.credits import loading_notes

    path = tmp_path / "movies.csv"
    rows = [
        film_row(id=str(i), overview="a film", notes="mine", **{"Unnamed: 0": str(i)})
        for i in range(3)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    loaded = load_movies(path)
    assert loaded.ignored_columns == ["notes", "Unnamed: 0"]
    assert "column(s) not read: 'notes', 'Unnamed: 0'" in loading_notes(loaded)


def test_a_number_no_film_gives_is_named_in_the_notes(tmp_path) -> None:
    from training.credits import loading_notes

    path = tmp_path / "movies.csv"
    pd.DataFrame([film_row(id=str(i), runtime="") for i in range(3)]).to_csv(path, index=False)
    said = "runtime: empty for every film: the models learn nothing from it"
    assert said in loading_notes(load_movies(path))
    pd.DataFrame([film_row(id=str(i), runtime="" if i else "90") for i in range(3)]).to_csv(
        path, index=False
    )
    assert said not in loading_notes(load_movies(path))


def test_amounts_in_thousands_are_refused_not_learned_1000_times_too_small() -> None:
    # TMDB gives US$; the same films in thousands have medians near $23,000 and $52,000
    rows = [film_row(id=str(i), budget=str(23_000 + i), revenue="52000") for i in range(5)]
    with pytest.raises(
        DataError,
        match=r"column 'budget': the median of its 5 known amounts is "
        r"\$23,002, under \$100,000: .* not in thousands or millions",
    ):
        validate_and_parse(pd.DataFrame(rows))
    rows = [film_row(id=str(i), revenue="52000") for i in range(5)]  # budgets in US$
    with pytest.raises(DataError, match=r"column 'revenue': the median"):
        validate_and_parse(pd.DataFrame(rows))
    # a few small budgets (a unit slip here and there) are the cleaning rules' to drop
    rows = [film_row(id=str(i), budget="5" if i == 0 else "20000000") for i in range(5)]
    frame, _ = validate_and_parse(pd.DataFrame(rows))
    assert frame["budget"].tolist() == [5.0] + [20e6] * 4


def films(n: int, budget: str, revenue: str, first_id: int = 0) -> list[dict]:
    return [film_row(id=str(first_id + i), budget=budget, revenue=revenue) for i in range(n)]


FINE = films(380, budget="20000000", revenue="60000000")
IN_MILLIONS = films(21, budget="20", revenue="60", first_id=1000)
IN_THOUSANDS = films(21, budget="20000000", revenue="60000", first_id=1000)


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            FINE + IN_MILLIONS,
            r"^column 'budget': 21 of its 401 known amounts \(5%\) are under \$10,000, against "
            r"under 1% in TMDB's table: part of the table is in another unit .* "
            r"\(line 382: '20', line 383: '20', line 384: '20'\)$",
        ),
        (
            FINE + IN_THOUSANDS,
            r"^21 of the 401 films with a budget and a revenue \(5%\) earned under 1% of their "
            r"budget, .*thousands of dollars\?\); write every amount in US\$ \(line 382: budget "
            r"20,000,000, revenue 60,000, line 383: ",
        ),
    ],
    ids=["budgets in millions", "revenues in thousands"],
)
def test_a_table_partly_in_another_unit_is_refused(rows: list[dict], said: str) -> None:
    """A quarter of the rows in millions of dollars trained and printed R² 0.788 (0.537 on the
    published table); 40% of the revenues in thousands saved models of AUC 0.49, without a
    word. In TMDB's table under 1% of the amounts are under $10,000, and under 1% of the films
    earned under 1% of their budget."""
    with pytest.raises(DataError, match=said):
        validate_and_parse(pd.DataFrame(rows))


def test_budget_and_revenue_swapped_are_refused() -> None:
    """The published table's columns swapped trained models of hit rate 11% and AUC 0.97 in
    silence. Most films earning less than their budget is what a swap looks like (TMDB's
    table: 24%); a third of them is a table of flops, still read."""
    earned = films(30, budget="20000000", revenue="60000000")
    lost = films(70, budget="60000000", revenue="20000000", first_id=100)
    with pytest.raises(
        DataError,
        match=r"^70 of the 100 films with a budget and a revenue \(70%\) earned less than their "
        r"budget, against 24% in TMDB's table: are the 'budget' and 'revenue' columns swapped\?",
    ):
        validate_and_parse(pd.DataFrame(earned + lost))
    frame, _ = validate_and_parse(pd.DataFrame(films(70, "20000000", "60000000") + lost[:30]))
    assert len(frame) == 100


def test_runtimes_in_seconds_are_refused() -> None:
    rows = [film_row(id=str(i), runtime=str(6000 + i)) for i in range(5)]
    with pytest.raises(
        DataError,
        match=r"^column 'runtime': the median of its 5 known runtimes is 6,002, over 300 "
        r"minutes .* not seconds \(line 2: '6000'",
    ):
        validate_and_parse(pd.DataFrame(rows))
    rows[0]["runtime"] = "13000"  # one film's slip: read, and the models hold it at their range
    validate_and_parse(pd.DataFrame([film_row(id=str(i)) for i in range(1, 5)] + rows[:1]))


def test_runtimes_in_hours_are_refused() -> None:
    rows = [film_row(id=str(i), runtime=f"{1.5 + i / 10:.2f}") for i in range(5)]
    with pytest.raises(
        DataError,
        match=r"^column 'runtime': the median of its 5 known runtimes is 1.70, under 10 "
        r"minutes .* not hours \(line 2: '1.50'",
    ):
        validate_and_parse(pd.DataFrame(rows))


def test_genres_joined_into_one_name_are_refused_saying_how_to_write_them() -> None:
    joined = [film_row(id=str(i), genres="Action;Drama") for i in range(20)]
    with pytest.raises(
        DataError,
        match=r"^column 'genres': 20 film\(s\) write several TMDB genres as one name \(line 2: "
        r"'Action;Drama'.*separate them with \| \(Action\|Drama\)",
    ):
        validate_and_parse(pd.DataFrame([*joined, film_row(id="99")]))
    # A few: kept as written, and the note says how to write them.
    frame, _ = validate_and_parse(pd.DataFrame([*joined[:2], film_row(id="99")]))
    assert frame["genres"].tolist()[:2] == [["Action;Drama"]] * 2


def test_a_misspelt_header_is_named_with_the_column_it_means() -> None:
    row = film_row()
    row["relase_date"] = row.pop("release_date")
    with pytest.raises(
        DataError,
        match=r"^missing column\(s\): release_date \('relase_date' may be "
        r"'release_date' misspelt\)",
    ):
        validate_and_parse(pd.DataFrame([row]))


def test_a_few_unit_slips_are_left_to_the_cleaning_rules() -> None:
    # 19 such films of 99, or 20 of 400 (5%): dropped one by one by the cleaning rules
    for rows in (FINE[:80] + IN_THOUSANDS[:19], FINE + IN_THOUSANDS[:20]):
        frame, _ = validate_and_parse(pd.DataFrame(rows))
        assert len(frame) == len(rows)


def test_an_empty_amount_is_unknown_as_tmdbs_0() -> None:
    frame, _ = validate_and_parse(pd.DataFrame([film_row(budget=None, revenue="")]))
    assert frame.loc[0, "budget"] == 0 and frame.loc[0, "revenue"] == 0


def test_lists_written_as_python_literals_are_refused_saying_how_to_write_them() -> None:
    literal = "[{'id': 28, 'name': 'Action'}]"  # how pandas writes a column of lists
    rows = [film_row(id=str(i), keywords=literal) for i in range(3)]
    with pytest.raises(
        DataError,
        match=r"column 'keywords': 3 of its 3 written cells cannot be "
        r"read as lists; they are Python literals .*json.dumps",
    ):
        validate_and_parse(pd.DataFrame(rows))
    # one malformed cell of three: read as unknown in its row, and counted
    rows[1]["keywords"] = rows[2]["keywords"] = json.dumps(["sequel"])
    frame, malformed = validate_and_parse(pd.DataFrame(rows))
    assert malformed["keywords"] == 1 and frame.loc[1, "keywords"] == ["sequel"]


def test_headers_are_read_as_names_and_two_spellings_of_one_are_refused(tmp_path) -> None:
    path = tmp_path / "movies.csv"
    row = film_row()
    frame = pd.DataFrame([row]).rename(columns={"budget": "Budget", "release_date": "Release Date"})
    frame.insert(0, "", "0")  # a pandas index written with the table
    frame.to_csv(path, index=False)
    loaded = load_movies(path)
    assert loaded.frame.loc[0, "budget"] == 1e6 and loaded.frame.loc[0, "release_year"] == 2001
    assert loaded.ignored_columns == ["an unnamed one (a pandas index?)"]
    frame.drop(columns=[""]).assign(budget="1000000").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column\(s\) 'Budget', 'budget' name the same column"):
        load_movies(path)


def _as_parquet_lists(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The rows as a data scientist's frame: lists of names, dates as dates, amounts as floats."""
    frame = pd.DataFrame(rows)
    for column, key in TMDB_LIST_KEYS.items():
        frame[column] = frame[column].map(lambda cell, key=key: [o[key] for o in json.loads(cell)])
    frame["release_date"] = pd.to_datetime(frame["release_date"])
    frame["budget"] = frame["budget"].astype(float)
    frame["runtime"] = pd.array([100, None], dtype="Int64")
    return frame.set_index("title")  # a named index is read as a column


@pytest.mark.parametrize("form", ["csv.gz", "parquet", "parquet.gz", "parquet of csv cells"])
def test_a_table_as_parquet_or_gzip_loads_as_its_csv(tmp_path, form: str) -> None:
    rows = [film_row(), film_row(id="2", runtime="", title="Another", genres="[]")]
    csv = tmp_path / "movies.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    path = tmp_path / "movies.data"  # what the bytes are decides, not the name
    if form == "csv.gz":
        path.write_bytes(gzip.compress(csv.read_bytes()))
    elif form == "parquet of csv cells":
        pd.DataFrame(rows).to_parquet(path)
    else:
        frame = _as_parquet_lists(rows)
        if form == "parquet":  # a sampled frame's unnamed index is stored: not a column
            frame.reset_index().set_axis([7, 3]).to_parquet(path)
            assert "__index_level_0__" in pq.read_schema(path).names
        else:
            frame.to_parquet(path)
            path.write_bytes(gzip.compress(path.read_bytes()))
    expected, loaded = load_movies(csv), load_movies(path)
    columns = sorted(expected.frame.columns)
    pd.testing.assert_frame_equal(
        loaded.frame[columns].sort_values("id").reset_index(drop=True),
        expected.frame[columns].reset_index(drop=True),
        check_dtype=False,
    )
    assert loaded.frame.loc[loaded.frame["id"] == 1, "genres"].item() == ["Action"]
    assert pd.isna(loaded.frame.loc[loaded.frame["id"] == 2, "runtime"].item())


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PAR1 not a parquet file", r"not a readable Parquet file \("),
        (gzip.compress(b"id,title\n1,A\n" * 50)[:30], "the gzip-compressed file is cut short"),
        (b"\x1f\x8b\x08\x00 not deflate", r"not a readable gzip file \("),
        (gzip.compress(b"id,title\n" + b"1,A\n" * 10_000), "decompressed, it is larger than"),
    ],
)
def test_a_broken_parquet_or_gzip_file_is_named(
    tmp_path, monkeypatch: pytest.MonkeyPatch, content: bytes, said: str
) -> None:
    monkeypatch.setattr(config, "MAX_TABLE_BYTES", 20_000)  # the bomb: 40 KB unpacked
    path = tmp_path / "movies.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=said) as error:
        load_movies(path)
    assert "\n" not in str(error.value) and str(error.value).startswith(str(path))

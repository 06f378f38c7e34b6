"""Through the real server: /predict_table round trips CSV, Parquet and JSON with the answers
/predict_batch gives; gzip bodies are decoded, a gzip bomb refused at once, other encodings
refused; the columnar /predict_batch answers as the validated one; bad requests leave one line
each in the log, and no traceback."""

from __future__ import annotations

import gzip
import io
import json
import time

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boxoffice.csvtext import LONGER_ROW_HINT
from serving.openapi import JSON
from serving.schema import EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.bad_input import BAD_FILMS

pytestmark = pytest.mark.slow

FILMS = [
    EXAMPLE_PRE_RELEASE_FILM,
    {"runtime": 118.0, "popularity": 28.67, "vote_average": 5.7, "budget": 35e6},
    {**EXAMPLE_PRE_RELEASE_FILM, "genres": ["Horror"], "budget": 8e6, "title": "Small"},
]
# Budgets as people write them too ($150,000,000, 35M): read as the client reads them.
CSV = """title,budget,runtime,genres,release_date,original_language,production_companies,popularity
An untitled sequel,"$150,000,000",130,Action|Adventure,2027-07-02,en,Marvel Studios,
A bad row,150000000,-3,Action,2027-07-02,en,,
Old,35M,118,"[{""id"": 18, ""name"": ""Drama""}]",2001-05-04,en,"[""A"", ""B""]",28.67
"""


def batch_rows(http: httpx.Client, films: list[dict]) -> list[dict]:
    response = http.post("/predict_batch", json={"films": films})
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


def test_the_columnar_batch_answers_as_the_validated_one(http: httpx.Client) -> None:
    fast = batch_rows(http, FILMS)
    # `vote_avg` (an alias) sends the same films down BentoML's validated path
    aliased = [
        {("vote_avg" if k == "vote_average" else k): v for k, v in film.items()} for film in FILMS
    ]
    assert fast == batch_rows(http, aliased)


def test_csv_in_csv_out_equals_the_batch_answers(http: httpx.Client) -> None:
    response = http.post("/predict_table", content=CSV, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert list(table["index"]) == [0, 1, 2]
    assert table.loc[1, "error"].startswith("runtime: Input should be greater than 0")
    assert table.loc[0, "error"] == "" and table.loc[1, "revenue_usd"] == ""
    expected = batch_rows(
        http,
        [
            {
                k: v
                for k, v in EXAMPLE_PRE_RELEASE_FILM.items()
                if k not in ("keywords", "production_countries")
            }
            | {"production_companies": ["Marvel Studios"]},
            {
                "title": "Old",
                "budget": 35e6,
                "runtime": 118,
                "genres": ["Drama"],
                "release_date": "2001-05-04",
                "original_language": "en",
                "production_companies": ["A", "B"],
                "popularity": 28.67,
            },
        ],
    )
    for row, answer in zip((0, 2), expected, strict=True):
        assert float(table.loc[row, "revenue_usd"]) == pytest.approx(
            answer["revenue_usd"], rel=1e-12
        )
        assert float(table.loc[row, "probability"]) == pytest.approx(
            answer["probability"], rel=1e-12
        )
        assert json.loads(table.loc[row, "warnings"]) == answer["warnings"]
        assert table.loc[row, "model"] == answer["model"]


def test_an_id_column_comes_back_beside_the_same_answers(http: httpx.Client) -> None:
    headers = {"content-type": "text/csv", "accept": "application/json"}
    header, *rows = CSV.strip("\n").split("\n")
    keyed = "\n".join([f"id,{header}", *(f"k-{i},{row}" for i, row in enumerate(rows))])
    plain = http.post("/predict_table", content=CSV, headers=headers).json()
    answer = http.post("/predict_table", content=keyed, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [list(row)[:2] for row in answer.json()] == [["index", "id"]] * 3
    assert [row.pop("id") for row in answer.json()] == ["k-0", "k-1", "k-2"]
    assert [{k: v for k, v in row.items() if k != "id"} for row in answer.json()] == plain
    ids_only = http.post("/predict_table", content="id\na\nb\n", headers=headers).json()
    assert [(row["id"], row["error"].split(":")[0]) for row in ids_only] == [
        ("a", "runtime"),
        ("b", "runtime"),
    ]


def test_a_row_longer_than_the_header_by_empty_fields_says_so_beside_its_problems(
    http: httpx.Client,
) -> None:
    """An amount's commas unquoted shift a row's cells; its extra fields, empty, are read (a
    spreadsheet's trailing separators), so its problems say what may have shifted it."""
    headers = {"content-type": "text/csv", "accept": "application/json"}
    body = (
        "title,budget,runtime,genres,release_date,marketing_usd,studio_share\n"
        "Shifted,$40,000,000,100,Drama,2027-03-05,,\n"
        "Fine,40000000,100,Drama,2027-03-05,,\n"
        "Short,40000000,-1,Drama,2027-03-05\n"
    )
    answer = http.post("/predict_table", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    shifted, fine, short = (row["error"] for row in answer.json())
    assert "is not an amount" in shifted and shifted.endswith(LONGER_ROW_HINT)
    assert fine is None
    assert short is not None and LONGER_ROW_HINT not in short  # no more fields than the header


def test_parquet_and_json_answers(http: httpx.Client) -> None:
    frame = pd.DataFrame(
        {
            "budget": [150e6, 35e6],
            "runtime": [130.0, 118.0],
            "genres": [["Action", "Adventure"], ["Drama"]],
            "release_date": ["2026-07-03", "2001-05-04"],
            "vote_count": [None, 5000.0],
        }
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame), sink)
    parquet = sink.getvalue()
    kind = {"content-type": "application/vnd.apache.parquet"}
    response = http.post("/predict_table", content=parquet, headers=kind)
    assert response.status_code == 200, response.text
    answer = pq.read_table(io.BytesIO(response.content)).to_pandas()
    as_json = http.post(
        "/predict_table", content=parquet, headers={**kind, "accept": "application/json"}
    )
    rows = as_json.json()
    expected = batch_rows(
        http,
        [
            {
                "budget": 150e6,
                "runtime": 130.0,
                "genres": ["Action", "Adventure"],
                "release_date": "2026-07-03",
            },
            {
                "budget": 35e6,
                "runtime": 118.0,
                "genres": ["Drama"],
                "release_date": "2001-05-04",
                "vote_count": 5000.0,
            },
        ],
    )
    for i, row in enumerate(expected):
        assert answer.loc[i, "revenue_usd"] == pytest.approx(row["revenue_usd"], rel=1e-12)
        assert rows[i]["revenue_usd"] == pytest.approx(row["revenue_usd"], rel=1e-12)
        assert rows[i]["error"] is None and list(answer.loc[i, "warnings"]) == row["warnings"]


def test_table_refusals_are_one_clear_4xx(http: httpx.Client) -> None:
    cases = [
        ({"content-type": "application/json"}, b"{}", 415, "text/csv"),
        ({"content-type": "text/csv"}, b"", 400, "empty"),
        ({"content-type": "text/csv"}, b"budget,colour\n1,red\n", 400, "unknown column"),
        (
            {"content-type": "text/csv"},
            b"budget,runtime,relase_date\n1e8,100,2027-01-01\n",
            400,
            "'relase_date' is not a film field: did you mean 'release_date'?",
        ),
        ({"content-type": "application/vnd.apache.parquet"}, b"PAR1 not really", 400, "Parquet"),
    ]
    for headers, body, status, words in cases:
        response = http.post("/predict_table", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert words in json.dumps(response.json())


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "TRACE"])
def test_another_method_on_the_table_route_is_405(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/predict_table")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/predict_batch", "/predict_revenue", "/predict_table"])
def test_gzip_bodies_are_decoded(http: httpx.Client, path: str) -> None:
    if path == "/predict_table":
        body, kind = CSV.encode(), "text/csv"
    else:
        body = json.dumps({"films": FILMS} if path == "/predict_batch" else EXAMPLE_FILM).encode()
        kind = "application/json"
    plain = http.post(path, content=body, headers={"content-type": kind})
    zipped = http.post(
        path,
        content=gzip.compress(body),
        headers={"content-type": kind, "content-encoding": "gzip"},
    )
    assert zipped.status_code == plain.status_code == 200, zipped.text
    assert zipped.content == plain.content


def test_a_gzip_bomb_gets_413_at_once(http: httpx.Client) -> None:
    bomb = gzip.compress(b" " * (1 << 30), compresslevel=9)  # 1 GiB of spaces, ~1 MiB sent
    for path in ("/predict_batch", "/predict_table"):
        kind = "text/csv" if path == "/predict_table" else "application/json"
        started = time.perf_counter()
        response = http.post(
            path, content=bomb, headers={"content-type": kind, "content-encoding": "gzip"}
        )
        assert response.status_code == 413, response.text
        assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "path", ["/predict_scenarios", "/predict_slate", "/comparable_films", "/predict_batch"]
)
def test_every_json_api_bounds_its_body_and_names_an_undeclared_gzip(
    http: httpx.Client, path: str
) -> None:
    """BentoML reads a body whole: the middleware reads each JSON API's, within 32 MiB."""
    body = json.dumps({"film": EXAMPLE_FILM, "films": [EXAMPLE_FILM]}).encode()
    padded = body + b" " * (33 << 20)
    response = http.post(path, content=padded, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "32 MiB" in response.text, response.text[:300]
    response = http.post(
        path, content=gzip.compress(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "Content-Encoding: gzip" in response.text


def test_a_json_body_in_the_charset_its_content_type_names_is_read_in_it(
    http: httpx.Client,
) -> None:
    film = {**EXAMPLE_FILM, "title": "Amélie – 2"}
    text = json.dumps({"films": [film]}, ensure_ascii=False)
    utf8 = http.post("/predict_batch", content=text.encode(), headers={"content-type": JSON})
    latin = http.post(
        "/predict_batch",
        content=text.encode("windows-1252"),
        headers={"content-type": f"{JSON}; charset=windows-1252"},
    )
    assert latin.status_code == utf8.status_code == 200, latin.text
    assert latin.json() == utf8.json()
    unknown = http.post(
        "/predict_revenue", content=b"{}", headers={"content-type": f"{JSON}; charset=rot13"}
    )
    assert unknown.status_code == 415 and "charset" in unknown.json()["error"]


def test_the_original_projects_health_probe_is_answered(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == http.get("/readyz").status_code == 200


def test_another_encoding_gets_415_naming_gzip(http: httpx.Client) -> None:
    response = http.post(
        "/predict_revenue",
        content=json.dumps(EXAMPLE_FILM).encode(),
        headers={"content-type": "application/json", "content-encoding": "br"},
    )
    assert response.status_code == 415 and "gzip" in response.json()["detail"][0]["msg"]


def test_bad_requests_leave_one_line_each_and_no_traceback(server_url, http: httpx.Client) -> None:
    log = server_url.log_path
    before = log.read_text(errors="replace")
    for film, _ in BAD_FILMS[:10]:
        assert http.post("/predict_revenue", json=film).status_code == 400
        assert http.post("/predict_batch", json={"films": [film]}).status_code == 400
    response = http.post("/predict_batch", json={"films": [{"runtime": -1, "budget": 1e6}]})
    assert response.json()["error"] == "1 validation error in the request body"
    assert "IODescriptor" not in response.text
    # Refused by the service's own middleware: a table without rows, an encoding, a media type.
    table = http.post(
        "/predict_table", content=b"title,budget\n", headers={"content-type": "text/csv"}
    )
    assert table.status_code == 400
    encoded = http.post(
        "/predict_revenue",
        content=json.dumps(EXAMPLE_FILM).encode(),
        headers={"content-type": "application/json", "content-encoding": "br"},
    )
    assert encoded.status_code == 415
    assert (
        http.post(
            "/predict_revenue", content=b"x", headers={"content-type": "text/plain"}
        ).status_code
        == 415
    )
    # One line per refusal (24), and nothing else of them. The workers write to the log on
    # their own: read it until the 24 are there (another worker's start-up line may be too).
    deadline = time.monotonic() + 10
    while True:
        added = log.read_text(errors="replace")[len(before) :]
        said = [line for line in added.splitlines() if " POST /" in line]
        if len(said) >= 24 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "Traceback" not in added
    assert "ValidationError" not in added
    assert len(said) == 24, added
    # A refusal of the whole body says why (a film's says its loc).
    for line in ("POST /predict_table 400: body: no rows to score", "POST /predict_revenue 415"):
        assert line in added, added
    assert added.count("POST /predict_revenue 415") == 2, added

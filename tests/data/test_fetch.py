"""`python -m training fetch` against a local server answering in TMDB's formats, built from
rows of the published table (bench/fake_tmdb.py): no test reaches the network."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pandas as pd
import pytest
from typer.testing import CliRunner

from bench.fake_tmdb import API_KEY, TOKEN, FakeTmdb, serving
from training import fetch as tmdb
from training.cli import app
from training.credits import load_credits
from training.data import load_movies

KEY = tmdb.Auth({"api_key": API_KEY}, {})
READ_COLUMNS = (
    "budget",
    "revenue",
    "runtime",
    "popularity",
    "vote_average",
    "vote_count",
    "release_date",
    "original_language",
    "title",
    "genres",
    "keywords",
    "production_companies",
    "production_countries",
    "spoken_languages",
)


@pytest.fixture(scope="module")
def published(dataset_path) -> pd.DataFrame:
    return pd.read_csv(dataset_path, dtype=str, keep_default_na=False)


def released(rows: pd.DataFrame, first: str, last: str, min_votes: int = 20) -> pd.DataFrame:
    votes = pd.to_numeric(rows["vote_count"])
    return rows[
        (rows["release_date"] >= first) & (rows["release_date"] <= last) & (votes >= min_votes)
    ]


def run(first: str, last: str, out, url: str, **options):
    return asyncio.run(
        tmdb.fetch(
            tmdb.parse_day(first, end=False),
            tmdb.parse_day(last, end=True),
            out,
            auth=options.pop("auth", KEY),
            api_url=url,
            rate=options.pop("rate", 1000.0),
            **options,
        )
    )


def test_the_tables_read_back_as_the_published_rows(published, tmp_path) -> None:
    fake = FakeTmdb(published)
    with serving(fake) as url:
        result = run("2015", "2015", tmp_path, url)
    expected = released(published, "2015-01-01", "2015-12-31")
    assert result.films == len(expected) == fake.counts["movie"]
    expected.to_csv(tmp_path / "expected.csv", index=False)
    read = [
        load_movies(path).frame.set_index("id").sort_index()[list(READ_COLUMNS)]
        for path in (result.movies, tmp_path / "expected.csv")
    ]
    pd.testing.assert_frame_equal(*read)
    credits = load_credits(result.credits).frame
    assert set(credits.index) == set(read[0].index.astype(int))
    assert all(len(d) == 1 for d in credits["directors"])
    assert all(len(c) == 8 for c in credits["cast"])


def test_a_range_over_the_page_limit_is_split_and_drops_no_film(published, tmp_path) -> None:
    fake = FakeTmdb(published, max_page=3)  # 60 films a query
    with serving(fake) as url:
        result = run("2014", "2015", tmp_path, url, max_page=3)
    expected = released(published, "2014-01-01", "2015-12-31")
    assert len(expected) > 5 * 60
    assert result.films == len(expected)
    ids = pd.read_csv(result.movies)["id"]
    assert ids.is_unique and set(ids) == set(expected["id"].astype(int))
    assert fake.counts["discover"] > len(expected) / 20  # first pages of the parts split


def test_a_429_is_waited_out_and_retried(published, tmp_path) -> None:
    fake = FakeTmdb(published, refuse_first=3, refuse_wait=0)
    with serving(fake) as url:
        result = run("2016-01-01", "2016-03-31", tmp_path, url)
    assert fake.counts["429"] == 3 and result.counts.rate_limited == 3
    assert result.films == len(released(published, "2016-01-01", "2016-03-31"))


def test_retries_run_out_with_one_line(published, tmp_path) -> None:
    fake = FakeTmdb(published, refuse_first=100, refuse_wait=0)
    with (
        serving(fake) as url,
        pytest.raises(tmdb.FetchError, match=r"rate limit .* after 5 retries"),
    ):
        run("2016", "2016", tmp_path, url)
    assert fake.counts["429"] == tmdb.MAX_RETRIES + 1


def test_a_server_that_does_not_answer_is_named_by_its_address(
    published, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(tmdb, "FIRST_BACKOFF", 0.001)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(tmdb.FetchError) as error:
        run("2016", "2016", tmp_path, f"http://127.0.0.1:{port}/3/")
    said = str(error.value)
    assert f"http://127.0.0.1:{port}/3/discover/movie:" in said and "\n" not in said


def test_an_interrupted_run_resumes_without_fetching_again(
    published, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(tmdb, "FIRST_BACKOFF", 0.001)
    expected = released(published, "2013-01-01", "2013-12-31")
    broken = FakeTmdb(published, down_after=50)
    with serving(broken) as url, pytest.raises(tmdb.FetchError, match="server error"):
        run("2013", "2013", tmp_path, url)
    assert not (tmp_path / tmdb.MOVIES_FILE).exists()  # no half table
    cached = sum(1 for _ in (tmp_path / tmdb.CACHE_DIR / "details.jsonl").open())
    assert cached == 50
    healthy = FakeTmdb(published)
    with serving(healthy) as url:
        result = run("2013", "2013", tmp_path, url)
    assert healthy.counts["discover"] == 0  # the query's ids were cached too
    assert healthy.counts["movie"] == len(expected) - 50
    assert result.cached == 50 and result.films == len(expected)


def test_append_merges_by_tmdb_id_without_duplicates(published, tmp_path) -> None:
    with serving(FakeTmdb(published)) as url:
        first = run("2012", "2012", tmp_path, url)
        with pytest.raises(tmdb.FetchError, match="exists: --append"):
            run("2012", "2013", tmp_path, url)
        second = run("2012", "2013", tmp_path, url, append=True)
    assert second.replaced == first.films
    movies = pd.read_csv(second.movies)
    credits = pd.read_csv(second.credits)
    assert movies["id"].is_unique and credits["movie_id"].is_unique
    assert len(movies) == len(released(published, "2012-01-01", "2013-12-31"))


def test_a_refused_or_missing_key_is_one_line(published, tmp_path) -> None:
    with serving(FakeTmdb(published)) as url:
        with pytest.raises(tmdb.FetchError, match="TMDB refused the key: Invalid API key"):
            run("2016", "2016", tmp_path, url, auth=tmdb.Auth({"api_key": "wrong"}, {}))
        bearer = tmdb.Auth.from_env({tmdb.TOKEN_ENV: TOKEN})
        assert run("2016-01-01", "2016-02-28", tmp_path / "t", url, auth=bearer).films > 0
    with pytest.raises(tmdb.FetchError, match="no TMDB key: set TMDB_API_KEY"):
        tmdb.Auth.from_env({})


def test_a_range_without_films_writes_nothing(published, tmp_path) -> None:
    with (
        serving(FakeTmdb(published)) as url,
        pytest.raises(tmdb.FetchError, match="TMDB has no film released from 1800-01-01"),
    ):
        run("1800", "1801", tmp_path / "out", url)
    assert not (tmp_path / "out" / tmdb.MOVIES_FILE).exists()


def test_the_command_fails_with_one_error_line(published, tmp_path, monkeypatch) -> None:
    runner = CliRunner()
    monkeypatch.delenv(tmdb.KEY_ENV, raising=False)
    monkeypatch.delenv(tmdb.TOKEN_ENV, raising=False)
    args = ["fetch", "--from", "2016", "--to", "2016", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.startswith("error: no TMDB key") and "Traceback" not in result.output
    monkeypatch.setenv(tmdb.KEY_ENV, "wrong")
    with serving(FakeTmdb(published)) as url:
        refused = runner.invoke(app, [*args, "--api-url", url])
        monkeypatch.setenv(tmdb.KEY_ENV, API_KEY)
        fetched = runner.invoke(app, [*args, "--api-url", url, "--to", "2016-02-01"])
    assert refused.exit_code == 1 and "error: TMDB refused the key" in refused.output
    assert fetched.exit_code == 0, fetched.output
    assert "films written to" in fetched.output
    assert (
        dt.date(2016, 2, 1)
        >= pd.to_datetime(pd.read_csv(tmp_path / tmdb.MOVIES_FILE)["release_date"]).max().date()
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2020", "--to", "2010"], "--to 2010-12-31 is before --from 2020-01-01"),
        (["--from", "20x6"], "'20x6' is neither a year (2017) nor a date (2017-06-30)"),
        (["--api-url", "not-a-url"], "--api-url 'not-a-url' is not an http(s) URL"),
    ],
)
def test_a_bad_range_or_url_is_a_refused_value_before_anything_is_written(
    tmp_path, monkeypatch, capsys, extra: list[str], message: str
) -> None:
    """Exit 2 and one `error:` line, as for any flag the command refuses."""
    from boxoffice.cli import run

    monkeypatch.setenv(tmdb.KEY_ENV, API_KEY)
    out = tmp_path / "out"
    args = ["fetch", "--from", "2016", "--to", "2016", "--out", str(out), *extra]
    monkeypatch.setattr("sys.argv", ["training", *args])
    with pytest.raises(SystemExit) as exited:
        run(app, "python -m training")
    said = capsys.readouterr().err
    assert exited.value.code == 2 and said.startswith(f"error: Invalid value: {message}"), said
    assert len(said.strip().splitlines()) == 1 and not out.exists()

"""Schema and ranges of the real TMDB CSV (skipped when it is not on this machine)."""

from __future__ import annotations

import pandas as pd
import pytest

from boxoffice.fields import TMDB_GENRES
from training import config
from training.clean import POPULATION_RULES, apply_rules
from training.data import load_movies


@pytest.fixture(scope="module")
def movies(dataset_path):
    return load_movies(dataset_path)


def test_published_file(movies) -> None:
    assert movies.sha256 == config.DATA_SHA256
    assert movies.content_sha256 == config.DATA_CONTENT_SHA256 and movies.published
    assert len(movies.frame) == 4803


def test_the_published_table_re_saved_is_still_it(dataset_path, tmp_path) -> None:
    """Gzip, Parquet, a Title Case header and a column more: the same films, the same table
    (the quality targets hold); a film changed is another table."""
    frame = pd.read_csv(dataset_path)
    frame.to_csv(tmp_path / "movies.csv.gz", index=False)
    frame.to_parquet(tmp_path / "movies.parquet")
    renamed = frame.rename(columns={"release_date": "Release Date"}).assign(source="tmdb")
    renamed.to_csv(tmp_path / "renamed.csv", index=False)
    for name in ("movies.csv.gz", "movies.parquet", "renamed.csv"):
        loaded = load_movies(tmp_path / name)
        assert loaded.sha256 != config.DATA_SHA256 and loaded.published, name
    frame.loc[0, "revenue"] += 1
    frame.to_csv(tmp_path / "changed.csv", index=False)
    assert not load_movies(tmp_path / "changed.csv").published


def test_no_malformed_json(movies) -> None:
    assert movies.malformed_json == dict.fromkeys(movies.malformed_json, 0)


def test_ranges(movies) -> None:
    frame = movies.frame
    assert (frame["budget"] >= 0).all() and (frame["revenue"] >= 0).all()
    assert frame["vote_average"].between(0, 10).all()
    assert frame["runtime"].dropna().between(0, 400).all()
    assert frame["release_year"].dropna().between(1910, 2020).all()
    assert frame["release_month"].dropna().between(1, 12).all()
    assert frame["runtime"].isna().sum() == 2 and frame["release_year"].isna().sum() == 1


def test_known_quirks_are_as_documented(movies) -> None:
    frame = movies.frame
    assert (frame["budget"] == 0).sum() == 1037
    assert (frame["revenue"] == 0).sum() == 1427
    assert ((frame["budget"] > 0) & (frame["budget"] < config.MIN_PLAUSIBLE_USD)).sum() > 10


def test_genres_come_from_the_tmdb_list(movies) -> None:
    seen = {genre for genres in movies.frame["genres"] for genre in genres}
    assert seen == set(TMDB_GENRES)


def test_seed_population_has_3228_rows(movies) -> None:
    assert len(apply_rules(movies.frame, POPULATION_RULES, "all", [])) == 3228


def test_the_published_table_as_parquet_loads_the_same_films(movies, dataset_path, tmp_path):
    """A data scientist's Parquet of the table (lists of names, dates as dates) trains on the
    same films as the CSV."""
    import json

    import pandas as pd

    from boxoffice.fields import TMDB_LIST_KEYS

    frame = pd.read_csv(dataset_path)
    for column, key in TMDB_LIST_KEYS.items():
        frame[column] = frame[column].map(lambda cell, key=key: [o[key] for o in json.loads(cell)])
    frame["release_date"] = pd.to_datetime(frame["release_date"])
    frame.sample(frac=1, random_state=0).to_parquet(tmp_path / "movies.parquet")
    loaded = load_movies(tmp_path / "movies.parquet").frame.sort_values("id")
    expected = movies.frame.sort_values("id")
    pd.testing.assert_frame_equal(
        loaded[expected.columns].reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
    )

"""Schema and ranges of the real TMDB CSV (skipped when it is not on this machine)."""

from __future__ import annotations

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
    assert len(movies.frame) == 4803


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

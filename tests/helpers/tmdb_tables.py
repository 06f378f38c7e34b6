"""Movies and credits tables in TMDB 5000's CSV format, built from a seed (no real data).

A film's log revenue follows its budget, its genre and noise; with ``directors="planted"`` its
director adds an effect shared by all of the director's films (a track record worth learning),
with ``"random"`` the same directors are drawn but revenue ignores them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

GENRES = ("Action", "Comedy", "Drama", "Horror", "Animation", "Thriller")
GENRE_EFFECT = {"Action": 0.3, "Comedy": 0.0, "Drama": -0.3, "Horror": 0.2, "Animation": 0.5}
COMPANIES = ("Big Studio", "Mid Studio", "Small Co", "Indie House")


def movies_and_credits(
    first_year: int,
    last_year: int,
    per_year: int = 80,
    seed: int = 0,
    directors: str = "random",
    director_effect: float = 1.0,
    films_per_director: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The movies table and its credits table (TMDB 5000 columns, JSON list cells)."""
    rng = np.random.default_rng(seed)
    years = np.repeat(np.arange(first_year, last_year + 1), per_year)
    n = len(years)
    log_budget = rng.normal(16.8, 1.0, n)
    genre = rng.choice(GENRES, n)
    n_directors = max(n // films_per_director, 1)
    effect = rng.normal(0.0, director_effect, n_directors)
    director = rng.integers(0, n_directors, n)
    log_revenue = (
        2.0
        + 0.95 * log_budget
        + np.array([GENRE_EFFECT.get(g, 0.0) for g in genre])
        + rng.normal(0.0, 0.7, n)
    )
    if directors == "planted":
        log_revenue = log_revenue + effect[director]
    ids = np.arange(1, n + 1) * 7
    months = rng.integers(1, 13, n)
    days = rng.integers(1, 29, n)
    movies = pd.DataFrame(
        {
            "budget": np.round(np.exp(log_budget)).astype(np.int64),
            "genres": [json.dumps([{"id": 28, "name": g}]) for g in genre],
            "homepage": "",
            "id": ids,
            "keywords": [
                json.dumps([{"id": 1, "name": "sequel"}] if i % 5 == 0 else []) for i in range(n)
            ],
            "original_language": "en",
            "original_title": [f"Film {i}" for i in ids],
            "overview": "",
            # A weak post-release echo of the revenue.
            "popularity": np.round(
                10 * np.exp(0.3 * (log_revenue - 17.0) + rng.normal(0.0, 0.8, n)), 3
            ),
            "production_companies": [
                json.dumps([{"name": COMPANIES[i % len(COMPANIES)], "id": i % len(COMPANIES)}])
                for i in range(n)
            ],
            "production_countries": json.dumps(
                [{"iso_3166_1": "US", "name": "United States of America"}]
            ),
            "release_date": [
                f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(years, months, days, strict=True)
            ],
            "revenue": np.round(np.exp(log_revenue)).astype(np.int64),
            "runtime": rng.integers(85, 150, n),
            "spoken_languages": json.dumps([{"iso_639_1": "en", "name": "English"}]),
            "status": "Released",
            "tagline": "",
            "title": [f"Film {i}" for i in ids],
            "vote_average": np.round(rng.uniform(4, 8.5, n), 1),
            "vote_count": rng.integers(20, 5000, n),
        }
    )
    credits = pd.DataFrame(
        {
            "movie_id": ids,
            "title": movies["title"],
            "cast": [
                json.dumps(
                    [
                        {
                            "cast_id": k,
                            "character": "",
                            "gender": 0,
                            "id": int(a),
                            "name": f"Actor {a}",
                            "order": k,
                        }
                        for k, a in enumerate(rng.integers(0, n // 2, 6))
                    ]
                )
                for _ in range(n)
            ],
            "crew": [
                json.dumps(
                    [
                        {
                            "department": "Writing",
                            "job": "Screenplay",
                            "name": f"Writer {d}",
                            "id": 1,
                        },
                        {
                            "department": "Directing",
                            "job": "Director",
                            "name": f"Director {d}",
                            "id": 2,
                        },
                    ]
                )
                for d in director
            ],
        }
    )
    return movies, credits


def write_tables(
    directory: Path, movies: pd.DataFrame, credits: pd.DataFrame | None = None
) -> tuple[Path, Path | None]:
    """Write the tables as TMDB 5000's file names in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    movies_path = directory / "tmdb_5000_movies.csv"
    movies.to_csv(movies_path, index=False)
    credits_path = None
    if credits is not None:
        credits_path = directory / "tmdb_5000_credits.csv"
        credits.to_csv(credits_path, index=False)
    return movies_path, credits_path

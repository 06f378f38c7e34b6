"""Small frames of films built in the tests (the real CSV is only read by tests/data)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def films(n: int = 30) -> pd.DataFrame:
    """``n`` films with every raw field FilmFeatures reads, plus a title."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "budget": rng.uniform(1e6, 1e8, n),
            "runtime": rng.uniform(80, 150, n),
            "release_year": rng.integers(1980, 2016, n).astype(float),
            "release_month": rng.integers(1, 13, n).astype(float),
            "release_weekday": (np.arange(n) % 7).astype(float),
            "popularity": rng.uniform(0, 50, n),
            "vote_average": rng.uniform(3, 9, n),
            "vote_count": rng.integers(0, 5000, n).astype(float),
            "original_language": ["en"] * (n - 5) + ["fr"] * 5,
            "genres": [["Action", "Comedy"] if i % 2 else ["Drama"] for i in range(n)],
            "production_companies": [["Big Studio"] if i % 3 else ["Small Co"] for i in range(n)],
            "production_countries": [["US"]] * n,
            "spoken_languages": [["en", "fr"]] * n,
            "keywords": [["sequel"] if i % 4 == 0 else [] for i in range(n)],
            "title": [f"Film {i}" for i in range(n)],
        }
    )

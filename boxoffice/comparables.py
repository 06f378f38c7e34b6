"""Comparable films ("comps"): the films of the training data most like a given one, on what is
known before release.

A film is placed in a space of its standardised pre-release fields, weighted: log budget in
constant dollars (× 2), runtime and release year (× 0.5), its genres (one-hot, divided by the
square root of how many it has, so a film with many genres is not far from everything),
whether its original language is English, and the 30 most frequent production companies and
40 keywords (× 0.5). The comps are its nearest films by Euclidean distance; the similarity
shown is 1 / (1 + distance). The backtest measures how well the median revenue of a film's
comps, drawn only from earlier films, forecasts it (``training.comparables``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from boxoffice.config import DEFAULT_HIT_RATIO
from boxoffice.distribution import is_hit
from boxoffice.dollars import CpiTable
from boxoffice.features import FilmFeatures

WEIGHTS = {"budget": 2.0, "runtime": 0.5, "release_year": 0.5, "company": 0.5, "keyword": 0.5}
# What each comp carries besides its place in the space.
FILM_COLUMNS = ("title", "release_year", "budget", "revenue", "genres")


@dataclass
class ComparableFilms:
    """The films comps are drawn from, placed in the similarity space."""

    cpi: CpiTable
    hit_ratio: float = DEFAULT_HIT_RATIO

    def fit(self, films: pd.DataFrame) -> ComparableFilms:
        """``films``: the raw fields FilmFeatures reads, plus title, budget and revenue."""
        self.features_ = FilmFeatures("pre_release", n_companies=30, n_keywords=40).fit(films)
        names = list(self.features_.get_feature_names_out())
        self.genre_columns_ = [i for i, n in enumerate(names) if n.startswith("genre_")]
        self.item_columns_ = [
            i for i, n in enumerate(names) if n.startswith(("company_", "keyword_"))
        ]
        self.numeric_columns_ = [names.index("runtime"), names.index("release_year")]
        matrix = self.features_.transform(films)
        log_budget = self._log_budget(films)
        self.scale_ = {
            "budget": (float(log_budget.mean()), float(log_budget.std()) or 1.0),
            **{
                name: (float(matrix[:, j].mean()), float(matrix[:, j].std()) or 1.0)
                for name, j in zip(("runtime", "release_year"), self.numeric_columns_, strict=True)
            },
        }
        self.space_ = self._place(films, matrix, log_budget)
        self.films_ = {
            "title": films["title"].astype(str).tolist(),
            "release_year": films["release_year"].to_numpy(dtype=int),
            "budget": films["budget"].to_numpy(dtype=float),
            "revenue": films["revenue"].to_numpy(dtype=float),
            "genres": [list(g) for g in films["genres"]],
        }
        self.by_title_: dict[tuple[str, int], list[int]] = {}
        for j, (title, year) in enumerate(
            zip(self.films_["title"], self.films_["release_year"], strict=True)
        ):
            self.by_title_.setdefault((title.casefold(), int(year)), []).append(j)
        return self

    def _log_budget(self, films: Mapping[str, Sequence[Any]] | pd.DataFrame) -> np.ndarray:
        years = self.features_.release_years(films)
        budget = np.asarray(films["budget"], dtype=float)
        return np.log(np.clip(self.cpi.to_constant(budget, years), 1.0, None))

    def _place(
        self,
        films: Mapping[str, Sequence[Any]] | pd.DataFrame,
        matrix: np.ndarray,
        log_budget: np.ndarray,
    ) -> np.ndarray:
        mean, sd = self.scale_["budget"]
        blocks = [WEIGHTS["budget"] * (log_budget - mean) / sd]
        for name, j in zip(("runtime", "release_year"), self.numeric_columns_, strict=True):
            mean, sd = self.scale_[name]
            blocks.append(WEIGHTS[name] * (matrix[:, j] - mean) / sd)
        genres = matrix[:, self.genre_columns_]
        genres = genres / np.sqrt(np.clip(genres.sum(axis=1, keepdims=True), 1, None))
        languages = self.features_.original_languages(films)
        english = np.array([lang == "en" for lang in languages], dtype=float)
        items = WEIGHTS["company"] * matrix[:, self.item_columns_]
        return np.column_stack([*blocks, genres, english, items])

    def place(self, films: Mapping[str, Sequence[Any]] | pd.DataFrame) -> np.ndarray:
        """Films (raw fields) in the similarity space."""
        return self._place(films, self.features_.transform(films), self._log_budget(films))

    def nearest(
        self,
        films: Mapping[str, Sequence[Any]] | pd.DataFrame,
        k: int,
        titles: Sequence[str | None] | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each film, the positions of its k nearest films and their distances, nearest
        first; a film of the table with the same title (any case) and release year as the one
        asked about is left out of its own comps."""
        points = self.place(films)
        years = self.features_.release_years(films)
        found = []
        for i, point in enumerate(points):
            d = np.sqrt(((self.space_ - point) ** 2).sum(axis=1))
            title = titles[i] if titles is not None else None
            if title:
                d[self.by_title_.get((title.casefold(), int(years[i])), [])] = np.inf
            order = np.argsort(d, kind="stable")[:k]
            order = order[np.isfinite(d[order])]
            found.append((order, d[order]))
        return found

    def describe(
        self, found: np.ndarray, distances: np.ndarray, dollars_year: float
    ) -> list[dict[str, Any]]:
        """The comps at these positions as the API answers them, in order: in dollars of each
        film's own year, of ``dollars_year`` (the asking film's: its forecast's basis) and
        constant dollars."""
        films = self.films_
        years = films["release_year"][found]
        budgets, revenues = films["budget"][found], films["revenue"][found]
        budgets_constant = self.cpi.to_constant(budgets, years)
        revenues_constant = self.cpi.to_constant(revenues, years)
        at_year = np.full(len(found), dollars_year)
        budgets_then = self.cpi.from_constant(budgets_constant, at_year)
        revenues_then = self.cpi.from_constant(revenues_constant, at_year)
        return [
            {
                "title": films["title"][j],
                "release_year": int(years[i]),
                "budget_usd": float(budgets[i]),
                "revenue_usd": float(revenues[i]),
                "budget_usd_in_dollars_year": float(budgets_then[i]),
                "revenue_usd_in_dollars_year": float(revenues_then[i]),
                "budget_usd_constant": float(budgets_constant[i]),
                "revenue_usd_constant": float(revenues_constant[i]),
                "revenue_to_budget": float(revenues[i] / budgets[i]),
                "is_hit": bool(is_hit(revenues[i], budgets[i], self.hit_ratio)),
                "genres": list(films["genres"][j]),
                "similarity": 1.0 / (1.0 + float(distances[i])),
            }
            for i, j in enumerate(found)
        ]

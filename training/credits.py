"""Find, load and validate a credits table in TMDB's format, and join it to the movies table.

The table is Kaggle's ``tmdb_5000_credits.csv`` (or the one ``python -m training fetch``
writes): ``movie_id``, ``title``, ``cast`` and ``crew``, the last two JSON lists of TMDB's
credit objects. The models read, per film, its directors (the crew whose ``job`` is
``Director``, in the table's order) and its cast by billing (``order``); a ``cast`` written as
plain names (JSON, or separated by ``|`` or ``, ``) is read in the order written.

It is found by ``--credits``, else beside the movies table (``CREDITS_FILENAMES``); without one
every film's ``directors`` and ``cast`` are "not given" and the models do not read them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boxoffice.fields import joined_genres, suggested_genre
from boxoffice.messages import some
from training.data import (
    OPTIONAL_NUMBERS,
    DataError,
    LoadedData,
    file_sha256,
    list_style,
    parse_names,
    read_table,
)
from training.split import Splits

# Looked for beside the movies table, in this order: Kaggle's name, then fetch's.
CREDITS_FILENAMES = ("tmdb_5000_credits.csv", "tmdb_credits.csv")
CREDITS_COLUMNS = ("movie_id", "cast", "crew")


@dataclass
class LoadedCredits:
    """Each film's directors and cast (names, in billing order), by TMDB id."""

    frame: pd.DataFrame  # index: movie_id; columns: directors, cast (lists, None if unreadable)
    path: Path
    sha256: str
    malformed: dict[str, int]


def locate_credits(explicit: str | os.PathLike[str] | None, movies: Path) -> Path | None:
    """``--credits PATH`` (which must exist), else a credits table beside the movies table,
    else None."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise DataError(f"--credits {explicit}: no such file")
        return path
    for name in CREDITS_FILENAMES:
        if (movies.parent / name).is_file():
            return movies.parent / name
    return None


def _objects(cell: object) -> list | None:
    """A JSON list cell; None when it is not one."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == "":
        return []
    try:
        items = json.loads(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return items if isinstance(items, list) else None


def cast_names(cell: object, style: str) -> list[str] | None:
    """The cast's names by billing order (TMDB's ``order``), or as written when plain names."""
    if style != "json":
        return parse_names(cell, style)
    items = _objects(cell)
    if items is None:
        return None
    if all(isinstance(item, str) for item in items):
        return list(items)
    if not all(isinstance(item, dict) and isinstance(item.get("name"), str) for item in items):
        return None
    billed = sorted(
        enumerate(items),
        key=lambda pair: (
            pair[1]["order"] if isinstance(pair[1].get("order"), int) else len(items),
            pair[0],
        ),
    )
    return [item["name"] for _, item in billed]


def director_names(cell: object) -> list[str] | None:
    """The names of the crew whose job is Director, in the order listed."""
    items = _objects(cell)
    if items is None or not all(isinstance(item, dict) for item in items):
        return None
    return [
        item["name"]
        for item in items
        if item.get("job") == "Director" and isinstance(item.get("name"), str)
    ]


def parse_credits(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    missing = [c for c in CREDITS_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)} (expected TMDB's credits table "
            f"with {', '.join(CREDITS_COLUMNS)}, as tmdb_5000_credits.csv)"
        )
    ids = pd.to_numeric(raw["movie_id"], errors="coerce")
    bad = ids.isna() | (ids % 1 != 0)
    if bad.any():
        sample = ", ".join(repr(v) for v in raw.loc[bad, "movie_id"].head(3))
        raise DataError(
            f"{path}: column 'movie_id': {int(bad.sum())} value(s) are not TMDB ids ({sample})"
        )
    style = list_style(raw["cast"])
    frame = pd.DataFrame(
        {
            "directors": raw["crew"].map(director_names),
            "cast": raw["cast"].map(lambda cell: cast_names(cell, style)),
        },
    )
    frame.index = ids.astype(np.int64).rename("movie_id")
    frame = frame[~frame.index.duplicated(keep="first")]
    malformed = {name: int(frame[name].isna().sum()) for name in ("directors", "cast")}
    return frame, malformed


def load_credits(path: Path) -> LoadedCredits:
    raw = read_table(path, "the credits table")
    frame, malformed = parse_credits(raw, path)
    return LoadedCredits(frame, path, file_sha256(path), malformed)


def join_credits(movies: pd.DataFrame, credits: LoadedCredits | None) -> pd.DataFrame:
    """The movies with their ``directors`` and ``cast`` (None where the credits table has no
    row for a film, or none is given)."""
    if credits is None:
        return movies.assign(directors=None, cast=None)
    joined = credits.frame.reindex(movies["id"].astype(np.int64).to_numpy())
    return movies.assign(
        **{
            name: [v if isinstance(v, list) else None for v in joined[name]]
            for name in ("directors", "cast")
        }
    )


def with_credits(loaded: LoadedData, explicit: str | os.PathLike[str] | None) -> LoadedData:
    """The loaded movies joined to their credits table (``--credits``, or the one beside them),
    or with no credits when there is none."""
    path = locate_credits(explicit, loaded.path)
    credits = load_credits(path) if path is not None else None
    frame = join_credits(loaded.frame, credits)
    if credits is not None and not frame["directors"].notna().any():
        raise DataError(
            f"{credits.path}: none of its movie_id values is the id of a film in "
            f"{loaded.path.name}: is it the credits table of another movies table?"
        )
    return replace(loaded, frame=frame, credits=credits)


def _genre_suggestions(names: list[str]) -> str:
    """The TMDB genres the first unknown names most likely mean, to write them as such."""
    pairs = [
        (name, "|".join(joined) if (joined := joined_genres(name)) else suggested_genre(name))
        for name in names[:5]
    ]
    said = [f"{name!r} as {genre!r}" for name, genre in pairs if genre]
    return f"; to have the models read them, write {', '.join(said)}" if said else ""


def loading_notes(loaded: LoadedData) -> list[str]:
    """What the loader noticed that a user should hear about."""
    notes = [
        f"{column}: {len(names)} name(s) not known as "
        f"{'TMDB genres' if column == 'genres' else 'ISO codes'}, kept as written (counted "
        f"among the film's {column}, with no column of their own): {some(names, 5)}"
        + (_genre_suggestions(names) if column == "genres" else "")
        for column, names in loaded.unknown_names.items()
    ]
    if loaded.ignored_columns:
        notes.append(f"column(s) not read: {some(loaded.ignored_columns, 8)}")
    # An optional number no film gives: the models learn nothing from it, yet the service
    # requires a runtime of every film (a table with its runtimes emptied trained in silence).
    notes += [
        f"{column}: empty for every film: the models learn nothing from it"
        for column in OPTIONAL_NUMBERS
        if column in loaded.frame and loaded.frame[column].isna().all()
    ]
    if loaded.duplicate_rows:
        notes.append(f"{loaded.duplicate_rows:,} row(s) repeating an earlier row exactly, dropped")
    notes += [
        f"{column}: {n:,} value(s) above the service's bound, read as unknown"
        for column, n in loaded.out_of_range.items()
    ]
    notes += [
        f"{column}: {n:,} cell(s) that are not a list, read as unknown"
        + (" (the film has no genres: not modelled)" if column == "genres" else "")
        for column, n in loaded.malformed_json.items()
        if n
    ]
    if loaded.credits is None:
        notes.append(
            "no credits table (--credits, or tmdb_5000_credits.csv beside the movies): "
            "the models do not read the cast and crew"
        )
    else:
        table = loaded.credits
        notes.append(
            f"credits: {table.path} (sha256 {table.sha256[:12]}…), "
            f"{int(loaded.frame['directors'].notna().sum()):,} of {len(loaded.frame):,} films "
            "credited"
            + "".join(
                f"; {n} unreadable {name} cell(s)" for name, n in table.malformed.items() if n
            )
        )
    return notes


def _credited(population: pd.DataFrame) -> pd.Series:
    if "directors" not in population:
        return pd.Series(False, index=population.index)
    return population["directors"].map(bool) | population["cast"].map(bool)


def films_credited(splits: Splits) -> int:
    """Population films with directors or cast given."""
    return int(_credited(splits.population).sum())


# The credits are tried only when they cover at least this share of the films the choice's
# forecasts learn from and are scored on (those up to the last tuning year): a table of a few
# new films gives every film of those years a typical track record, and the R² a model with
# those columns gains or loses there is noise (0.007 with 4 credited films of 2016, above the
# 0.005 margin).
MIN_CREDITED_SHARE = 0.5


def credited_share(splits: Splits, last_year: int) -> float:
    """The share of population films released up to ``last_year`` with credits given."""
    population = splits.population
    up_to = population["release_year"] <= last_year
    return float(_credited(population)[up_to].mean()) if up_to.any() else 0.0


def credits_line(feature_set: str, scores: dict[str, Any], used: bool) -> str:
    def r2(key: str) -> str:
        return f"{scores[key].metrics['r2']:.3f}"

    return (
        f"{feature_set} credits: one year ahead R² without / with, tuning years "
        f"{r2('without_development')} / {r2('with_development')}, test years "
        f"{r2('without_tested')} / {r2('with_tested')}: {'read' if used else 'not read'}"
    )

"""Command-line client for a running forecaster: `python -m serving.client --help`.

`examples` sends the original project's five example films; `score` sends a CSV of films through
/predict_batch and writes the predictions to a CSV; `slate` forecasts the films of a CSV as one
slate (/predict_slate); `scenarios` forecasts one film under a range of budgets and release dates
(/predict_scenarios); `comps` lists the films most like it (/comparable_films).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import gzip
import inspect
import io
import json
import math
import os
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from boxoffice.cli import fail, run
from boxoffice.config import (
    COMPARABLES_K,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
    MAX_COMPARABLES_K,
    MIN_PLAUSIBLE_USD,
)
from boxoffice.csvtext import (
    UNREADABLE,
    column_name,
    not_csv_hint,
    read_csv_text,
    with_longer_row_hint,
)
from boxoffice.fields import (
    AMOUNT_FIELDS,
    FILM_FIELDS,
    MAX_USD,
    MIN_STUDIO_SHARE,
    TMDB_OTHER_COLUMNS,
    FilmField,
)
from boxoffice.messages import too_small, unit_slip
from serving.cells import (
    ROW_ID,
    amount,
    as_list,
    budgets_in_thousands,
    cell,
    index_hint,
    misspelled_columns,
    typed_frame,
)
from serving.columns import MAX_TABLE_ROWS
from serving.schema import (
    EXCLUSIVE_FIELDS,
    FIELD_KINDS,
    MAX_SCENARIOS,
    MAX_SLATE,
    Film,
    SlateFilm,
    told_of_zero_budget,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Send films to a running box-office forecaster.",
)
# Not a terminal and no $COLUMNS: rich would cut tables at 80 columns; give them room.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120)

# The original api_client's five films (runtime, popularity, vote_avg, log_budget).
SEED_FILMS: list[dict[str, float]] = [
    {"runtime": 102.0, "popularity": 14.793177, "vote_avg": 7.5, "log_budget": 15.894952},
    {"runtime": 118.0, "popularity": 28.670477, "vote_avg": 5.7, "log_budget": 17.370859},
    {"runtime": 112.0, "popularity": 9.969624, "vote_avg": 6.3, "log_budget": 16.38046},
    {"runtime": 110.0, "popularity": 46.078371, "vote_avg": 5.9, "log_budget": 17.453097},
    {"runtime": 127.0, "popularity": 21.685719, "vote_avg": 6.7, "log_budget": 17.909855},
]
# The original project's curl example (TMDB field names).
SEED_CURL_FILM = {
    "budget": 10000000,
    "popularity": 12.3,
    "runtime": 120,
    "vote_average": 7.8,
    "vote_count": 5000,
}


def _url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as error:
        raise typer.BadParameter(f"{value!r}: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise typer.BadParameter(f"{value!r}: expected http(s)://host[:port]")
    return value


UrlOption = Annotated[str, typer.Option(help="Base URL of the service.", callback=_url)]


def _amount(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_usd(value, allow_zero=True)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _share(text: str | None) -> float | None:
    """A share of the box office: a fraction (0.45) or a percentage (45%), as a CSV cell."""
    if text is None:
        return None
    try:
        value = cell("studio_share", text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number (0.45, or 45%)") from None
    if not MIN_STUDIO_SHARE <= value <= 1:
        raise typer.BadParameter(
            f"{text} is not a share from {MIN_STUDIO_SHARE:g} to 1"
            # 45 meant as 45% (a percentage already, 150%, is only out of range)
            + (f" ({text}% is {value / 100:g})" if 1 < value <= 100 and "%" not in text else "")
        )
    return value


StudioShareOption = Annotated[
    str | None,
    typer.Option(
        callback=_share,
        help="The share of the box office that reaches the studio (0.45, or 45%), for films "
        f"that give none (the service's default: {DEFAULT_STUDIO_SHARE:g}).",
        rich_help_panel="Assumptions",
    ),
]
MarketingOption = Annotated[
    str | None,
    typer.Option(
        "--marketing",
        callback=_amount,
        help="Marketing spend per film beside its budget (20M, 1.5e7), for films that give none "
        f"(the service's default: {DEFAULT_MARKETING_USD:g}).",
        rich_help_panel="Assumptions",
    ),
]


def assumptions(film: dict[str, Any], share: float | None, marketing: float | None) -> dict:
    """The film with the assumptions given as options where it gives none of its own."""
    extra = {}
    if share is not None and "studio_share" not in film:
        extra["studio_share"] = share
    if marketing is not None and "marketing_usd" not in film:
        extra["marketing_usd"] = marketing
    return {**film, **extra}


class ServiceError(Exception):
    """A request the service did not answer usably; ``reached`` is False when no connection
    could be made at all (refused, or no answer to the connection attempt)."""

    def __init__(self, message: str, reached: bool) -> None:
        super().__init__(message)
        self.reached = reached


def _refusal(response: httpx.Response, shown: int = 3) -> str:
    """Why the service refused a request: each `detail` entry as `loc: msg` (the service's 400
    and 415 bodies), or the start of the body when it has none."""
    try:
        detail = response.json()["detail"]
        parts = []
        for entry in detail[:shown]:
            where = ".".join(str(part) for part in entry["loc"])
            message = str(entry["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
    except (ValueError, KeyError, TypeError):
        return response.text[:500]
    if not parts:
        return response.text[:500]
    more = f" (and {len(detail) - shown} more)" if len(detail) > shown else ""
    return "; ".join(parts) + more


def _send(client: httpx.Client, path: str, **request: Any) -> Any:
    """POST to the service; its JSON answer, or ServiceError saying why not."""
    try:
        response = client.post(path, **request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise ServiceError(f"cannot reach {client.base_url}{path}: {error}", False) from None
    except httpx.HTTPError as error:  # connected, then a read timeout, a dropped connection...
        raise ServiceError(f"{path} failed: {error!r}", True) from None
    if response.status_code != 200:
        hint = ""
        if response.status_code in (404, 405) and client.base_url.path.strip("/"):
            # The page's or the docs' address given as the service's (http://host:3000/ui).
            hint = (
                f" (--url {str(client.base_url).rstrip('/')}: is that the service's base URL? "
                f"The APIs answer at its root, e.g. {client.base_url.copy_with(raw_path=b'/')})"
            )
        raise ServiceError(
            f"{path} answered {response.status_code}: {_refusal(response)}{hint}", True
        )
    try:
        return response.json()
    except ValueError:
        raise ServiceError(
            f"{path} answered 200 but not JSON: {response.text[:200]!r}", True
        ) from None


def _request(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return _send(client, path, json=body)


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return _request(client, path, body)
    except ServiceError as error:
        fail(str(error))


@app.command()
def examples(url: UrlOption = "http://localhost:3000") -> None:
    """Score the original project's five example films and print a verdict for each."""
    table = Table(title=f"Forecasts from {url}")
    for column in ("film", "budget", "revenue", "80% interval", "P(hit)", "verdict", "model"):
        table.add_column(column, justify="right", no_wrap=True)
    with httpx.Client(base_url=url, timeout=30) as client:
        for i, film in enumerate(SEED_FILMS, start=1):
            revenue = _post(client, "/predict_revenue", film)
            hit = _post(client, "/predict_hit", film)
            table.add_row(
                str(i),
                f"${math.expm1(film['log_budget']) / 1e6:.1f}M",
                f"${math.expm1(revenue['revenue']) / 1e6:.1f}M",
                f"${revenue['revenue_p10_usd'] / 1e6:.0f}-{revenue['revenue_p90_usd'] / 1e6:.0f}M",
                chance(hit["probability"], ".3f"),
                "Hit" if hit["is_hit"] else "Not a hit",  # the model's own threshold
                revenue["model"].removesuffix("_release"),
            )
    console.print(table)


def read_films_csv(source: Path | io.StringIO) -> pd.DataFrame:
    """A CSV of films, every cell as its text; column names read as field names
    (``boxoffice.csvtext.column_name``: "Release Date" is release_date)."""
    try:
        # Only an empty cell is missing: "NA" is Namibia, or a title. A repeated name is seen
        # as written (pandas would rename it "budget.1").
        frame = read_csv_text(source).fillna("")
    except UNREADABLE as error:
        hint = ""
        if isinstance(source, Path):
            with source.open("rb") as handle:
                hint = not_csv_hint(handle.read(1 << 16), "the table of films")
        # What the file is instead says it all; else the reader's own words.
        raise ValueError(f"not a readable CSV{hint or f' ({str(error).strip()})'}") from None
    except OSError as error:  # permission denied, a directory, an I/O error
        raise ValueError(f"cannot be read ({error.strerror or error})") from None
    names = [column_name(name) for name in frame.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"column(s) {', '.join(duplicated)} appear more than once")
    misspelled = misspelled_columns(names)
    if misspelled:
        raise ValueError(misspelled)
    frame.columns = names
    if frame.empty:
        raise ValueError("no rows to score")
    return frame


# Columns of the CSV that `score` writes back beside each film's row and answers: its key
# (TMDB's `id`, or one of the user's) and its title.
KEPT_COLUMNS = (ROW_ID, "title")


def film_columns(frame: pd.DataFrame) -> list[str]:
    """The CSV's columns that are API film fields."""
    return [c for c in frame.columns if c in FIELD_KINDS]


def rows_to_films(
    frame: pd.DataFrame, model: type[BaseModel] = Film
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Turn CSV rows (text cells) into API film objects, checked as ``model`` (a slate's films
    are dated: ``SlateFilm``); return them and the row errors."""
    films, errors = [], {}
    for i, row in enumerate(frame[film_columns(frame)].to_dict(orient="records")):
        film: dict[str, Any] = {}
        zero_budget = False
        try:
            for key, text in row.items():
                if not isinstance(text, str) or not text.strip():
                    continue  # an empty cell: the field is not given
                value = cell(key, text.strip())
                _check_plausible(key, text, value)
                zero_budget = zero_budget or (key == "budget" and value == 0)
                if not (key == "budget" and value == 0):
                    film[key] = value  # budget 0 means unknown in TMDB
            model.model_validate(film)
        except (ValueError, ValidationError, KeyError, TypeError) as error:
            first = error.errors()[0] if isinstance(error, ValidationError) else None
            where = ".".join(str(p) for p in first["loc"]) if first and first["loc"] else ""
            message = first["msg"].removeprefix("Value error, ") if first else str(error)
            said = f"{where}: {message}" if where else message
            errors[i] = told_of_zero_budget(said) if zero_budget else said
            film = {}
        films.append(film)
    with_longer_row_hint(errors, frame)
    return films, errors


@app.command()
def score(
    csv_path: Annotated[
        Path,
        typer.Argument(
            help="CSV of films (API field names as columns; lists as JSON or a|b|c).",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[Path, typer.Option(help="Where to write the predictions CSV.")] = Path(
        "predictions.csv"
    ),
    url: UrlOption = "http://localhost:3000",
    chunk_size: Annotated[
        int,
        typer.Option(min=1, max=MAX_TABLE_ROWS, help="Films per /predict_table call."),
    ] = 10_000,
    studio_share: StudioShareOption = None,
    marketing: MarketingOption = None,
) -> None:
    """Score every film of a CSV through /predict_table (gzip-encoded CSV), with a progress bar.

    Rows that are not valid films are named in the output's error column (the service checks
    each row). A chunk the service refuses or fails puts its reason in the error column of its
    rows, and the rest are still sent (unless the service cannot be reached at all); the output
    is always written. The exit code is 1 when a chunk failed or no row could be scored."""
    if out.is_dir():
        fail(f"--out {out}: is a directory; give a file name")
    if not out.parent.is_dir():
        fail(f"--out {out}: the directory {out.parent} does not exist")
    try:
        frame = read_films_csv(csv_path)
    except ValueError as error:
        fail(f"{csv_path}: {error}")
    fields = film_columns(frame)
    if not fields:
        fail(
            f"{csv_path}: none of the columns {list(frame.columns)[:10]} is a film field "
            f"(expected e.g. budget, runtime, genres; a comma-separated file)"
        )
    ignored = [c for c in frame.columns if c not in fields and c not in KEPT_COLUMNS]
    if ignored:
        shown = ", ".join(repr(str(c)) for c in ignored[:20])
        console.print(f"columns that are not film fields, ignored: {shown}{index_hint(ignored)}")
    sent = with_assumptions(frame[fields], studio_share, marketing)
    # A row whose film fields are all empty (only its id, or columns that are no field) is no
    # film: said here, not sent (the service skips a row of empty fields, as a blank line).
    empty = (sent.apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    results: dict[int, dict[str, Any]] = {
        int(i): {"error": "no film field given"} for i in np.flatnonzero(empty)
    }
    positions = np.flatnonzero(~empty).tolist()  # the rows sent, in order
    failed: dict[int, str] = {}  # rows of chunks the service did not answer
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with httpx.Client(base_url=url, timeout=300) as client, progress:
        task = progress.add_task("scoring", total=len(positions))
        for start in range(0, len(positions), chunk_size):
            at = positions[start : start + chunk_size]
            try:
                rows = _table_request(client, sent.iloc[at])
            except ServiceError as error:
                if not error.reached:  # the service is gone: do not wait on every other chunk
                    failed.update(dict.fromkeys(positions[start:], str(error)))
                    break
                failed.update(dict.fromkeys(at, str(error)))
                continue
            finally:
                progress.advance(task, len(at))
            results.update(zip(at, rows, strict=True))
    # A value typed in the wrong unit (unit_slip): the service refuses a budget under the floor
    # and scores the rest with a warning; the client names the unit slip, beside any other
    # problem of the row.
    for i, reason in implausible_rows(sent).items():
        if i in results:
            key = reason.split(":", 1)[0]
            others = [
                part
                for part in str(results[i].get("error") or "").split("; ")
                if part and not part.startswith(f"{key}:")
            ]
            results[i] = {"error": "; ".join([reason, *others])}
    scored_rows = [score_row(i, results.get(i, {}), failed) for i in range(len(sent))]
    out_frame = typed_frame(scored_rows, scored_rows[0])
    for position, name in enumerate((c for c in KEPT_COLUMNS if c in frame.columns), 1):
        out_frame.insert(position, name, frame[name])  # to join the forecasts back
    try:
        out_frame.to_csv(out, index=False)
    except OSError as error:
        fail(f"--out {out}: cannot write it ({error.strerror or error})")
    scored = sum(1 for row in results.values() if not row.get("error"))
    invalid = {i: row["error"] for i, row in results.items() if row.get("error")}
    console.print(
        f"{scored:,} films scored, {len(invalid):,} skipped as invalid, {len(failed):,} not "
        f"scored by the service (see the error column) -> {out}"
    )
    if failed:
        fail(f"{len(failed):,} rows were not scored; the first reason: {failed[min(failed)]}")
    if not scored:
        fail(f"no row of {csv_path} is a valid film; the first error: {invalid[min(invalid)]}")


def with_assumptions(
    frame: pd.DataFrame, share: float | None, marketing: float | None
) -> pd.DataFrame:
    """The rows with the assumptions given as options where a row gives none of its own."""
    frame = frame.copy()
    for column, value in (("studio_share", share), ("marketing_usd", marketing)):
        if value is None:
            continue
        if column not in frame.columns:
            frame[column] = repr(float(value))
        else:
            empty = frame[column].str.strip() == ""
            frame.loc[empty, column] = repr(float(value))
    return frame


def _table_request(client: httpx.Client, chunk: pd.DataFrame) -> list[dict[str, Any]]:
    """One /predict_table call: the rows as gzip-encoded CSV, the answers as JSON rows."""
    body = gzip.compress(chunk.to_csv(index=False).encode(), compresslevel=5)
    headers = {
        "content-type": "text/csv",
        "content-encoding": "gzip",
        "accept": "application/json",
    }
    rows = _send(client, "/predict_table", content=body, headers=headers)
    if not isinstance(rows, list) or len(rows) != len(chunk):
        raise ServiceError(
            f"/predict_table did not answer {len(chunk)} rows: {str(rows)[:200]}", True
        )
    return rows


def score_row(i: int, answer: dict[str, Any], failed: dict[int, str]) -> dict[str, Any]:
    """One output row: the film's answer, or why it has none."""
    error = answer.get("error") or (f"not scored: {failed[i]}" if i in failed else "")
    return {
        "row": i + 1,  # as slate and the page number them: the CSV's first film is 1
        "error": error,
        # Every amount is in the dollars of this year, this many years after the newest film
        # the models learned from.
        "dollars_year": answer.get("dollars_year"),
        "horizon_years": answer.get("horizon_years"),
        "revenue_usd": answer.get("revenue_usd"),
        "revenue_p10_usd": answer.get("revenue_p10_usd"),
        "revenue_p90_usd": answer.get("revenue_p90_usd"),
        "log_revenue": answer.get("log_revenue"),
        "hit_probability": answer.get("probability"),
        "is_hit": answer.get("is_hit"),
        "hit_threshold": answer.get("threshold"),  # is_hit: hit_probability at least this
        **{key: answer.get(key) for key in PROFIT_KEYS},
        "model": answer.get("model"),
        "warnings": WARNINGS_JOINED.join(answer.get("warnings") or []),  # as slate writes them
    }


PROFIT_KEYS = (
    "profit_usd",
    "profit_p10_usd",
    "profit_p90_usd",
    "p_profit",
    "break_even_revenue_usd",
)


# --------------------------------------------------------------------------- a slate of films


# How a film's warnings are written in one cell of the slate's table (as the page writes them).
WARNINGS_JOINED = " | "


def slate_rows(
    frame: pd.DataFrame,
    films: list[dict[str, Any]],
    errors: dict[int, str],
    answer: dict[str, Any] | None,
    valid: list[int],
) -> list[dict[str, Any]]:
    """One row per CSV row: the film's forecast and profit, or why it was left out."""
    by_row = dict(zip(valid, answer["films"], strict=True)) if answer else {}
    titles = frame["title"].tolist() if "title" in frame.columns else [""] * len(films)
    # The rows' own key, when the CSV has one: written back after the row number.
    ids = frame[ROW_ID].tolist() if ROW_ID in frame.columns else None
    rows = []
    for i in range(len(films)):
        prediction = by_row.get(i, {})
        rows.append(
            {
                "row": i + 1,  # as the page numbers them: the CSV's first film is 1
                **({ROW_ID: ids[i]} if ids is not None else {}),
                "title": titles[i],
                "error": errors.get(i, ""),
                "release_date": films[i].get("release_date"),
                "budget_usd": films[i].get("budget", _budget_of_log(films[i].get("log_budget"))),
                # a film's own assumptions, else the slate's
                **{
                    key: films[i].get(key, answer[key]) if prediction else None
                    for key in ("marketing_usd", "studio_share")
                },
                "dollars_year": prediction.get("dollars_year"),
                "revenue_usd": prediction.get("revenue_usd"),
                "revenue_p10_usd": prediction.get("revenue_p10_usd"),
                "revenue_p90_usd": prediction.get("revenue_p90_usd"),
                "hit_probability": prediction.get("probability"),
                "is_hit": prediction.get("is_hit"),
                "hit_threshold": prediction.get("threshold"),
                **{key: prediction.get(key) for key in PROFIT_KEYS},
                "model": prediction.get("model"),
                # " | ": a warning may itself hold "; ".
                "warnings": WARNINGS_JOINED.join(prediction.get("warnings", [])),
            }
        )
    return rows


def _budget_of_log(log_budget: float | None) -> float | None:
    """A budget given as log1p(USD), in USD (None when not given)."""
    return None if log_budget is None else math.expm1(log_budget)


def slate_tables(
    rows: list[dict[str, Any]], answer: dict[str, Any], title: str
) -> tuple[Table, list[str]]:
    """The films' table and the slate's totals, as the page shows them."""
    table = Table(title=title, title_justify="left")
    columns = (
        "#",
        "title",
        "budget",
        "revenue",
        "80% range",
        "P(hit)",
        "profit 80% range",
        "P(profit)",
        "warnings",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("title",) else "right")
    for row in rows:
        if row["error"]:  # said in full below the table, where it has the width
            table.add_row(str(row["row"]), row["title"], "", "[red]left out[/red]", *[""] * 5)
            continue
        table.add_row(
            str(row["row"]),
            row["title"],
            usd(row["budget_usd"]) if row["budget_usd"] else "-",
            usd(row["revenue_usd"]),
            f"{usd(row['revenue_p10_usd'])} to {usd(row['revenue_p90_usd'])}",
            chance(row["hit_probability"], ".0%"),
            f"{usd(row['profit_p10_usd'])} to {usd(row['profit_p90_usd'])}",
            chance(row["p_profit"], ".0%"),
            str(row["warnings"].count(WARNINGS_JOINED) + 1) if row["warnings"] else "",
        )
    total, hits = answer["total"], answer["hits"]
    at_least = hits["at_least"]
    shown = [k for k in range(1, len(at_least)) if at_least[k] >= 0.005][:12]
    notes = [
        f"total revenue {usd(total['revenue_usd'])} (80%: {usd(total['revenue_p10_usd'])} to "
        f"{usd(total['revenue_p90_usd'])}); budgets {usd(total['budget_usd'])}, marketing "
        f"{usd(total['marketing_usd'])}",
        f"total profit {usd(total['profit_usd'])} (80%: {usd(total['profit_p10_usd'])} to "
        f"{usd(total['profit_p90_usd'])}); P(total profit > 0) {chance(total['p_profit'], '.0%')}",
        f"hits: {hits['expected']:.1f} expected (80%: {hits['p10']} to {hits['p90']}); "
        + ", ".join(f"P(≥{k}) {at_least[k]:.0%}" for k in shown),
        f"assumptions: studio share {answer['studio_share']:g}, marketing "
        f"{usd(answer['marketing_usd'])} per film unless a film gives its own; each film in USD "
        "of its release year",
        "models: "
        + ", ".join(f"{fs} ({m['model_version']})" for fs, m in answer["models"].items()),
        *(f"row {row['row']} left out: {row['error']}" for row in rows if row["error"]),
        *(f"row {row['row']} warns: {row['warnings']}" for row in rows if row["warnings"]),
    ]
    return table, notes


@app.command()
def slate(
    csv_path: Annotated[
        Path,
        typer.Argument(
            help="CSV of the slate's films (the columns of `score`).",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Also write the films' table as CSV here.")
    ] = None,
    url: UrlOption = "http://localhost:3000",
    studio_share: StudioShareOption = None,
    marketing: MarketingOption = None,
) -> None:
    """Forecast the films of a CSV as one slate (/predict_slate): each film's revenue, P(hit)
    and profit, and the slate's total revenue and profit, number of hits and P(total profit >
    0). Rows that are not valid films are named and left out; the rest are scored."""
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        fail(f"--out {out}: give a file name in an existing directory")
    try:
        frame = read_films_csv(csv_path)
    except ValueError as error:
        fail(f"{csv_path}: {error}")
    if not film_columns(frame):
        fail(f"{csv_path}: none of the columns {list(frame.columns)[:10]} is a film field")
    films, errors = rows_to_films(frame, SlateFilm)
    if (wrong_unit := budgets_in_thousands(films)) is not None:
        console.print(f"{csv_path}: {wrong_unit}", soft_wrap=True, highlight=False, markup=False)
    valid = [i for i in range(len(films)) if i not in errors]
    if not valid:
        fail(f"no row of {csv_path} is a valid film; the first error: {errors[min(errors)]}")
    if len(valid) > MAX_SLATE:
        fail(f"{len(valid):,} films: a slate holds at most {MAX_SLATE}")
    body: dict[str, Any] = {"films": [films[i] for i in valid]}
    if studio_share is not None:
        body["studio_share"] = studio_share
    if marketing is not None:
        body["marketing_usd"] = marketing
    with httpx.Client(base_url=url, timeout=60) as client:
        answer = _post(client, "/predict_slate", body)
    try:
        rows = slate_rows(frame, films, errors, answer, valid)
        table, notes = slate_tables(rows, answer, f"Slate of {len(valid)} films from {url}")
    except (KeyError, TypeError, ValueError) as error:
        fail(f"/predict_slate answered 200 but not with a slate ({error!r})")
    console.print(table)
    for line in notes:
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    if errors:
        console.print(f"{len(errors)} row(s) left out as invalid (each named above)")
    if out is not None:
        try:
            typed_frame(rows, rows[0]).to_csv(out, index=False)
        except OSError as error:
            fail(f"--out {out}: cannot write it ({error.strerror or error})")
        console.print(f"table written to {out}")


# --------------------------------------------------------------------------- one film, asked about

# Options that replace a field the --film file gives the other way (the service refuses both).
REPLACES = dict(EXCLUSIVE_FIELDS) | {"vote_average": "vote_avg"}


def parse_usd(text: str, allow_zero: bool = False) -> float:
    """An amount in USD as a table's cell writes it (serving.cells.amount: 20M, $2.5B, 750k,
    1.5e8, $150,000,000); a budget is above 0, a marketing spend (``allow_zero``) may be 0."""
    value = amount(text)
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= MAX_USD):  # amount() gives a finite number
        least = "at least $0" if allow_zero else "above $0"
        raise ValueError(f"{text!r}: an amount must be {least} and at most ${MAX_USD:.0e}")
    if 0 < value < MIN_PLAUSIBLE_USD:
        raise ValueError(f"{text!r} is {too_small(value)}")
    return value


# The client refuses a row's value typed in the wrong unit (boxoffice.messages.unit_slip: an
# amount in US$ under MIN_PLAUSIBLE_USD, 150 meant as $150M; a budget of $1 billion or more; a
# runtime in hours or seconds), where the API itself only warns (or, for a budget under the
# floor, refuses it without naming the unit).


def _check_plausible(key: str, text: str, value: Any) -> None:
    reason = _implausible(key, text, value)
    if reason:
        raise ValueError(reason)


def _implausible(key: str, text: str, value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return unit_slip(key, text.strip(), float(value))


def implausible_rows(frame: pd.DataFrame) -> dict[int, str]:
    """The rows with a value typed in the wrong unit (``unit_slip``), with the reason (a cell
    that is not a number is left to the service to name)."""
    found: dict[int, str] = {}
    for key in (k for k in (*AMOUNT_FIELDS, "runtime") if k in frame.columns):
        for i, text in enumerate(frame[key].tolist()):
            try:
                reason = _implausible(key, text, cell(key, text.strip()))
            except ValueError:  # blank, or not a number
                continue
            if reason:
                found.setdefault(i, reason)
    return found


def parse_budgets(text: str) -> list[float]:
    """`MIN:MAX:N` (N budgets evenly spaced, both ends included) or a comma list of amounts."""
    if ":" not in text:
        budgets = [parse_usd(part) for part in text.split(",") if part.strip()]
        if not budgets:
            raise ValueError(f"{text!r}: no budget (give MIN:MAX:N or a comma list)")
        return list(dict.fromkeys(budgets))
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"{text!r}: expected MIN:MAX:N, e.g. 20M:200M:10")
    low, high = parse_usd(parts[0]), parse_usd(parts[1])
    try:
        n_budgets = int(parts[2])
    except ValueError:
        raise ValueError(f"{text!r}: N ({parts[2]!r}) is not a whole number") from None
    if not 2 <= n_budgets <= MAX_SCENARIOS:
        raise ValueError(f"{text!r}: N must be 2 to {MAX_SCENARIOS}")
    if low >= high:
        raise ValueError(f"{text!r}: MIN must be below MAX")
    step = (high - low) / (n_budgets - 1)
    return [round(low + i * step) for i in range(n_budgets)]


def parse_months(text: str) -> list[int]:
    """Months 1-12 as a comma list of numbers and ranges: `1-12`, `6,7,11-12`."""
    months: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise ValueError(f"{part!r} is not a month 1-12 or a range like 6-8") from None
        if not 1 <= low <= high <= 12:
            raise ValueError(f"{part!r} is not a month 1-12 or a range like 6-8")
        months += range(low, high + 1)
    if not months:
        raise ValueError(f"{text!r}: no month")
    return list(dict.fromkeys(months))


def parse_date(text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError(f"{text!r} is not a date ({error})") from None


def parse_dates(text: str) -> list[str]:
    """A comma list of YYYY-MM-DD dates."""
    dates = [parse_date(part).isoformat() for part in text.split(",") if part.strip()]
    if not dates:
        raise ValueError(f"{text!r}: no date")
    return list(dict.fromkeys(dates))


def parse_names(text: str, field: str) -> list[str]:
    """A list option: comma-separated names, or |-separated (for names with a comma), or a
    JSON list; an empty text is an empty list (none)."""
    if text.strip().startswith("[") or "|" in text:
        return as_list(text.strip(), field)
    return [part.strip() for part in text.split(",") if part.strip()]


def read_film_json(source: str) -> dict[str, Any]:
    """A film as a JSON object, from a file or `-` (stdin)."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        raise ValueError(f"cannot be read ({error.strerror or error})") from None
    try:
        film = json.loads(text)
    except ValueError as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(film, dict):
        raise ValueError(f"expected a JSON object (one film), got {type(film).__name__}")
    # A row of TMDB's table as JSON (pandas' ``to_json`` of a row) is a film too: its own
    # columns (id, revenue, status, ...) are not read, its lists are TMDB's JSON text.
    for key in (ROW_ID, *TMDB_OTHER_COLUMNS):
        film.pop(key, None)
    for key, value in film.items():
        if FIELD_KINDS.get(key) == "list" and isinstance(value, str):
            film[key] = as_list(value.strip(), key) if value.strip() else []
    return film


# The film fields a command takes as options (those the field table gives an option's help),
# by the option's parameter name.
def option_fields(fields: tuple[FilmField, ...] = FILM_FIELDS) -> dict[str, FilmField]:
    return {(field.option or field.name): field for field in fields if field.option_help}


OPTION_FIELDS = option_fields()


def film_from_options(film_file: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The film to send: the --film file's fields, then the options given (by option name;
    text options parsed); an option replaces the file's field of the same meaning. ValueError
    names the option at fault."""
    film = {}
    if film_file is not None:
        try:
            film = read_film_json(film_file)
        except ValueError as error:
            raise ValueError(f"--film {film_file}: {error}") from None
    for name, value in options.items():
        if value is None:
            continue
        key = OPTION_FIELDS[name].name if name in OPTION_FIELDS else name
        try:
            if key == "budget":
                value = parse_usd(value)
            elif FIELD_KINDS.get(key) == "list":
                value = parse_names(value, key)
        except ValueError as error:
            raise ValueError(f"--{name.replace('_', '-')}: {error}") from None
        film.pop(REPLACES.get(key, ""), None)
        film[key] = value
    if not film:
        raise ValueError(
            "no film: give --film FILE or the film's fields (at least --budget and --runtime)"
        )
    return film


def _option_type(name: str, field: FilmField) -> type:
    """Numbers as numbers (whole ones as integers); the budget as text (150M), and the rest as
    text, parsed later."""
    if name == "budget":
        return str
    return {"number": float, "whole": int}.get(field.kind, str)


def film_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command one option per film field of the field table (``OPTION_FIELDS``), in the
    help's "The film" panel, after its own parameters; it receives them as ``film_options``
    (by parameter name), for ``_film``."""
    hints = typing.get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name != "film_options"
    ]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                _option_type(name, field) | None,
                typer.Option(field.cli_option, help=field.option_help, rich_help_panel="The film"),
            ],
        )
        for name, field in OPTION_FIELDS.items()
    ]

    @functools.wraps(command)
    def wrapper(**arguments: Any) -> Any:
        options = {name: arguments.pop(name) for name in OPTION_FIELDS}
        return command(**arguments, film_options=options)

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def _film(film_file: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The film of a command with ``film_options``: its --film file and its options."""
    try:
        return film_from_options(film_file, options)
    except ValueError as error:
        fail(str(error))


def usd(value: float) -> str:
    """Three significant digits or so: $81.7M, $142M, $2.05B, $750K, -$103M (the sign before
    the $, as the page writes it; parse_usd reads a positive one back); $999.6M is $1.00B."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    units = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for at, (limit, suffix) in enumerate(units):
        if value >= limit:
            scaled = value / limit
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            if at and round(scaled, digits) >= 1000:  # rounds up to the next unit
                (limit, suffix), digits = units[at - 1], 2
                scaled = value / limit
            return f"{sign}${scaled:.{digits}f}{suffix}"
    return f"{sign}${value:.0f}"


def chance(p: float, spec: str) -> str:
    """A probability in the format ``spec`` (".3f", ".0%"); one under 0.5 that would round to
    it reads "<0.500", "<50%", so that it never reads as the line its verdict falls short of
    (the page's ``percent`` does the same)."""
    text = format(p, spec)
    return "<" + text if p < 0.5 and text == format(0.5, spec) else text


FilmFileOption = Annotated[
    str | None,
    typer.Option(
        "--film",
        help="A film as a JSON object (API field names, or a row of TMDB's table), from a "
        "file or - for stdin; the options below override its fields.",
        rich_help_panel="The film",
    ),
]


# --------------------------------------------------------------------------- scenarios


def base_budget(film: dict[str, Any]) -> float | None:
    """The film's budget in USD, however it is given (None when it is not)."""
    if isinstance(film.get("budget"), int | float):
        return float(film["budget"])
    if isinstance(film.get("log_budget"), int | float):
        return math.expm1(film["log_budget"])
    return None


def month_dates(film: dict[str, Any], months: list[int]) -> list[str]:
    """The film's release date moved to each month of its year, on the day nearest its day of
    the month (or the month's last) that falls on its day of the week: the models read the
    weekday too (the page's month chart moves a date the same way)."""
    if isinstance(film.get("release_date"), str):
        try:
            base = parse_date(film["release_date"])
        except ValueError as error:
            raise ValueError(f"the film's release_date: {error}") from None
    elif isinstance(film.get("release_year"), int):
        base = dt.date(film["release_year"], 1, 1)
    else:
        raise ValueError("a month sweep needs the film's --release-date")
    return [_on_weekday(base, m).isoformat() for m in months]


def _on_weekday(base: dt.date, month: int) -> dt.date:
    """The day of ``month`` (of ``base``'s year) on ``base``'s weekday nearest its day."""
    last = calendar.monthrange(base.year, month)[1]
    wanted = min(base.day, last)
    shift = (base.weekday() - dt.date(base.year, month, wanted).weekday()) % 7
    day = wanted + (shift if shift <= 3 else shift - 7)
    return dt.date(base.year, month, day + 7 if day < 1 else day - 7 if day > last else day)


def scenario_changes(
    film: dict[str, Any], budgets: list[float] | None, dates: list[str] | None
) -> list[dict[str, Any]]:
    """Every budget with every release date (the film's own where a sweep is not given), as
    changes to the film; the film itself is left out (it is the base)."""
    own_budget, own_date = base_budget(film), film.get("release_date")
    changes = []
    for date in dates or [None]:
        for budget in budgets or [None]:
            change: dict[str, Any] = {}
            if budget is not None and not (
                own_budget is not None and math.isclose(budget, own_budget, rel_tol=1e-6)
            ):
                change["budget"] = budget
            if date is not None and date != own_date:
                change["release_date"] = date
            if change:
                changes.append(change)
    return changes


def _parsed(option: str, parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(f"{option}: {error}") from None


def sweep(
    film: dict[str, Any], budgets: str | None, release_dates: str | None, months: str | None
) -> list[dict[str, Any]]:
    """The scenarios the sweep options ask for (ValueError naming the option if they are bad)."""
    if months is not None and release_dates is not None:
        raise ValueError("give --release-dates or --months, not both")
    if budgets is None and release_dates is None and months is None:
        raise ValueError("nothing to try: give --budgets, --release-dates or --months")
    budget_list = _parsed("--budgets", parse_budgets, budgets) if budgets is not None else None
    date_list = None
    if release_dates is not None:
        date_list = _parsed("--release-dates", parse_dates, release_dates)
    elif months is not None:
        date_list = _parsed("--months", lambda text: month_dates(film, parse_months(text)), months)
    changes = scenario_changes(film, budget_list, date_list)
    if not changes:
        raise ValueError("every scenario is the film itself: give other budgets or dates")
    if len(changes) > MAX_SCENARIOS:
        raise ValueError(
            f"{len(changes)} scenarios (budgets x dates): at most {MAX_SCENARIOS} per request"
        )
    return changes


def scenario_rows(
    film: dict[str, Any], changes: list[dict[str, Any]], answer: dict[str, Any]
) -> list[dict[str, Any]]:
    """The base film's row and each scenario's, with the budget and date each was scored with,
    sorted by date then budget."""
    budget, date = base_budget(film), film.get("release_date")
    rows = [{"base": True, "budget": budget, "release_date": date, **answer["base"]}]
    forecasts = answer["scenarios"]
    if len(forecasts) != len(changes):
        raise ValueError(f"{len(forecasts)} forecasts for {len(changes)} scenarios")
    for change, forecast in zip(changes, forecasts, strict=True):
        rows.append(
            {
                "base": False,
                "budget": change.get("budget", budget),
                "release_date": change.get("release_date", date),
                **forecast,
            }
        )
    return sorted(rows, key=lambda row: (row["release_date"] or "", row["budget"] or 0.0))


def scenarios_table(
    film: dict[str, Any], rows: list[dict[str, Any]], answer: dict[str, Any], title: str
) -> tuple[Table, list[str]]:
    """The table of forecasts and the lines said once below it."""
    by_date = len({row["release_date"] for row in rows}) > 1
    years = sorted({row["dollars_year"] for row in rows})
    table = Table(title=title, title_justify="left")
    columns = ["", "budget", *(["release date"] if by_date else []), "revenue", "80% range"]
    columns += ["P(hit)", "verdict", "P(profit)", "horizon (y)"]
    columns += ["USD of"] if len(years) > 1 else []
    for column in (*columns, "warnings"):
        table.add_column(column, justify="left" if column in ("", "verdict") else "right")
    for row in rows:
        cells = ["base" if row["base"] else "", usd(row["budget"])]
        cells += [row["release_date"] or "-"] if by_date else []
        cells += [
            usd(row["revenue_usd"]),
            f"{usd(row['revenue_p10_usd'])}-{usd(row['revenue_p90_usd'])}",
            chance(row["probability"], ".3f"),
            "Hit" if row["is_hit"] else "Not a hit",
            chance(row["p_profit"], ".3f"),
            str(row["horizon_years"]),
        ]
        cells += [str(row["dollars_year"])] if len(years) > 1 else []
        table.add_row(*cells, str(len(row["warnings"])), style="bold" if row["base"] else None)
    models = answer["models"]
    threshold = film.get("hit_threshold") or "/".join(
        f"{m['hit_threshold']:.2f}" for m in models.values()
    )
    ratio = "/".join(f"{m['hit_ratio']:g}" for m in models.values())
    base_row = next(row for row in rows if row["base"])
    notes = [
        f"USD of {years[0]} (the release year)"
        if len(years) == 1
        else "USD of each row's release year",
        f"a hit: revenue above {ratio} × the budget; verdict: Hit when P(hit) >= {threshold}, "
        "which is the revenue forecast at least that",
        f"P(profit): studio share {film.get('studio_share', DEFAULT_STUDIO_SHARE):g} of the "
        "revenue above budget + marketing "
        f"({usd(film.get('marketing_usd', DEFAULT_MARKETING_USD))}); the base "
        f"film breaks even at {usd(base_row['break_even_revenue_usd'])}",
        "models: " + ", ".join(f"{fs} ({m['model_version']})" for fs, m in models.items()),
    ]
    base = next(row for row in rows if row["base"])
    if base["warnings"]:
        notes.append(f"the base film's warnings ({len(base['warnings'])}):")
        notes += [f"  - {warning}" for warning in base["warnings"]]
    return table, notes


@app.command()
@film_options
def scenarios(
    budgets: Annotated[
        str | None,
        typer.Option(
            help="Budgets to try: MIN:MAX:N (N evenly spaced, both ends included), e.g. "
            "20M:200M:10, or a comma list: 50M,1.2e8,150000000."
        ),
    ] = None,
    release_dates: Annotated[
        str | None, typer.Option(help="Release dates to try, comma-separated YYYY-MM-DD.")
    ] = None,
    months: Annotated[
        str | None,
        typer.Option(help="Release months to try in the film's release year: 1-12 or 6,7,11-12."),
    ] = None,
    film_file: FilmFileOption = None,
    studio_share: StudioShareOption = None,
    marketing: MarketingOption = None,
    url: UrlOption = "http://localhost:3000",
    film_options: dict[str, Any] | None = None,
) -> None:
    """Forecast a film under other budgets and release dates, in one /predict_scenarios call.

    Every budget is tried with every release date (the film's own where a sweep is not given);
    the base film's row is marked. Revenue, its 80% range, P(hit) and the verdict per row."""
    film = assumptions(_film(film_file, film_options or {}), studio_share, marketing)
    try:
        changes = sweep(film, budgets, release_dates, months)
    except ValueError as error:
        fail(str(error))
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = _post(client, "/predict_scenarios", {"film": film, "scenarios": changes})
    try:
        rows = scenario_rows(film, changes, answer)
        table, notes = scenarios_table(
            film, rows, answer, f"Scenarios for {film.get('title') or 'the film'} from {url}"
        )
    except (KeyError, TypeError, ValueError) as error:
        fail(f"/predict_scenarios answered 200 but not with forecasts ({error!r})")
    console.print(table)
    for line in notes:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


# --------------------------------------------------------------------------- comparable films


def comps_table(answer: dict[str, Any], title: str) -> tuple[Table, list[str]]:
    """The comparable films, most similar first, in dollars of the film's year (its forecast's
    basis), and the lines said once below them."""
    year = answer["dollars_year"]
    table = Table(title=title, title_justify="left")
    columns = (
        "#", "title", "year", f"budget ({year} $)", f"revenue ({year} $)", "revenue/budget",
        "hit", "similarity",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("title", "hit") else "right")
    for i, comp in enumerate(answer["films"], start=1):
        table.add_row(
            str(i),
            comp["title"],
            str(comp["release_year"]),
            usd(comp["budget_usd_in_dollars_year"]),
            usd(comp["revenue_usd_in_dollars_year"]),
            f"{comp['revenue_to_budget']:.2f}x",
            "yes" if comp["is_hit"] else "no",
            f"{comp['similarity']:.3f}",
        )
    notes = [
        f"median revenue of the {len(answer['films'])} films: "
        f"{usd(answer['median_revenue_usd_in_dollars_year'])} (in USD of {year}, the film's "
        "forecast's dollars, by the CPI-U)"
    ]
    if answer.get("backtest_r2") is not None:
        notes.append(
            f"as a forecast of later films, the median of {answer['k']} comps scored "
            f"R² {answer['backtest_r2']:.3f} (forward backtest)"
        )
    notes.append(f"comparable films: {answer['comparables_version']}")
    return table, notes


@app.command()
@film_options
def comps(
    k: Annotated[
        int, typer.Option("--k", min=1, max=MAX_COMPARABLES_K, help="How many comparable films.")
    ] = COMPARABLES_K,
    film_file: FilmFileOption = None,
    url: UrlOption = "http://localhost:3000",
    film_options: dict[str, Any] | None = None,
) -> None:
    """The k films of the training data most like this one before release (/comparable_films),
    with their budget, revenue and whether each was a hit, and their median revenue."""
    film = _film(film_file, film_options or {})
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = _post(client, "/comparable_films", {**film, "k": k})
    try:
        table, notes = comps_table(
            answer, f"Films like {film.get('title') or 'this one'}, from {url}"
        )
    except (KeyError, TypeError, ValueError) as error:
        fail(f"/comparable_films answered 200 but not with films ({error!r})")
    console.print(table)
    for line in notes:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


if __name__ == "__main__":
    run(app, "python -m serving.client")

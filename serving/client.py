"""Command-line client for a running forecaster: `python -m serving.client --help`.

`examples` sends the original project's five example films; `score` sends a CSV of films through
/predict_batch and writes the predictions to a CSV.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import pandas as pd
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from serving.schema import MAX_BATCH, Film

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Send films to a running box-office forecaster.",
)
console = Console()

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
LIST_FIELDS = (
    "genres",
    "production_companies",
    "production_countries",
    "spoken_languages",
    "keywords",
)
# TMDB's JSON objects carry names or ISO codes: which key the API expects for each list.
TMDB_KEYS = {"production_countries": "iso_3166_1", "spoken_languages": "iso_639_1"}

# CSV cells are read as text and converted here: the API takes numbers strictly, and letting
# pandas guess a column's type would let one blank or odd cell change every row's type.
NUMBER_FIELDS = {
    "runtime",
    "budget",
    "log_budget",
    "popularity",
    "vote_average",
    "vote_avg",
    "vote_count",
}
WHOLE_NUMBER_FIELDS = {"release_year", "explain_top"}
BOOL_FIELDS = {"explain": {"true": True, "1": True, "false": False, "0": False}}


def _url(value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as error:
        raise typer.BadParameter(f"{value!r}: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise typer.BadParameter(f"{value!r}: expected http(s)://host[:port]")
    return value


UrlOption = Annotated[str, typer.Option(help="Base URL of the service.", callback=_url)]


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code=1)


class ServiceError(Exception):
    """A request the service did not answer usably; ``reached`` is False when no connection
    could be made at all (refused, or no answer to the connection attempt)."""

    def __init__(self, message: str, reached: bool) -> None:
        super().__init__(message)
        self.reached = reached


def _request(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = client.post(path, json=body)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise ServiceError(f"cannot reach {client.base_url}{path}: {error}", False) from None
    except httpx.HTTPError as error:  # connected, then a read timeout, a dropped connection...
        raise ServiceError(f"{path} failed: {error!r}", True) from None
    if response.status_code != 200:
        raise ServiceError(f"{path} answered {response.status_code}: {response.text[:500]}", True)
    try:
        return response.json()
    except ValueError:
        raise ServiceError(
            f"{path} answered 200 but not JSON: {response.text[:200]!r}", True
        ) from None


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return _request(client, path, body)
    except ServiceError as error:
        _fail(str(error))


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
                f"{hit['probability']:.3f}",
                "Hit" if hit["is_hit"] else "Not a hit",  # the model's own threshold
                revenue["model"].removesuffix("_release"),
            )
    console.print(table)


def _as_list(text: str, field: str) -> list[str]:
    """A list cell from a CSV (non-empty text): a JSON list (of names or TMDB objects) or
    'a|b|c'."""
    if not text.startswith("["):
        return [part.strip() for part in text.split("|") if part.strip()]
    key = TMDB_KEYS.get(field, "name")
    try:
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("not a list")
        names = [item[key] if isinstance(item, dict) else item for item in items]
    except (ValueError, KeyError, TypeError) as error:
        detail = f"no {error} key in an item" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"{field}: not a JSON list of names or TMDB objects ({detail})") from None
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"{field}: every item must be a name (text)")
    return names


def _cell(key: str, text: str) -> Any:
    """One CSV cell (text) as the API field `key` takes it."""
    if key in LIST_FIELDS:
        return _as_list(text, key)
    if key in NUMBER_FIELDS or key in WHOLE_NUMBER_FIELDS:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{key}: {text[:50]!r} is not a number") from None
        if key in WHOLE_NUMBER_FIELDS:
            if not number.is_integer():
                raise ValueError(f"{key}: {text[:50]!r} is not a whole number")
            return int(number)
        return number
    if key in BOOL_FIELDS:
        try:
            return BOOL_FIELDS[key][text.lower()]
        except KeyError:
            raise ValueError(f"{key}: {text[:50]!r} is not true or false") from None
    return text


def read_films_csv(source: Path | io.StringIO) -> pd.DataFrame:
    """A CSV of films, every cell as its text; column names stripped and lower-cased."""
    try:
        # Only an empty cell is missing: "NA" is Namibia, or a title. The header is read as a
        # row so that a repeated name is seen as written (pandas would rename it "budget.1").
        rows = pd.read_csv(source, dtype=str, keep_default_na=False, header=None)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"not a readable CSV ({str(error).strip()})") from None
    except OSError as error:  # permission denied, a directory, an I/O error
        raise ValueError(f"cannot be read ({error.strerror or error})") from None
    names = [str(name).strip().lower() for name in rows.iloc[0]]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"column(s) {', '.join(duplicated)} appear more than once")
    frame = rows.iloc[1:].reset_index(drop=True)
    frame.columns = names
    if frame.empty:
        raise ValueError("no rows to score")
    return frame


def film_columns(frame: pd.DataFrame) -> list[str]:
    """The CSV's columns that are API film fields."""
    known = set(Film.model_fields) | {"vote_avg"}
    return [c for c in frame.columns if c in known]


def rows_to_films(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Turn CSV rows (text cells) into API film objects; return them and the row errors."""
    films, errors = [], {}
    for i, row in enumerate(frame[film_columns(frame)].to_dict(orient="records")):
        film: dict[str, Any] = {}
        try:
            for key, text in row.items():
                if not isinstance(text, str) or not text.strip():
                    continue  # an empty cell: the field is not given
                value = _cell(key, text.strip())
                if not (key == "budget" and value == 0):
                    film[key] = value  # budget 0 means unknown in TMDB
            Film.model_validate(film)
        except (ValueError, ValidationError, KeyError, TypeError) as error:
            first = error.errors()[0] if isinstance(error, ValidationError) else None
            where = ".".join(str(p) for p in first["loc"]) if first and first["loc"] else ""
            message = first["msg"].removeprefix("Value error, ") if first else str(error)
            errors[i] = f"{where}: {message}" if where else message
            film = {}
        films.append(film)
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
        int, typer.Option(min=1, max=MAX_BATCH, help="Films per /predict_batch call.")
    ] = 1000,
) -> None:
    """Score every film of a CSV through /predict_batch, with a progress bar.

    Rows that are not valid films are skipped and named in the output's error column. A batch
    the service refuses or fails puts its reason in the error column of its rows, and the rest
    are still sent (unless the service cannot be reached at all); the output is always written.
    The exit code is 1 when a batch failed or no row could be scored."""
    if out.is_dir():
        _fail(f"--out {out}: is a directory; give a file name")
    if not out.parent.is_dir():
        _fail(f"--out {out}: the directory {out.parent} does not exist")
    try:
        frame = read_films_csv(csv_path)
    except ValueError as error:
        _fail(f"{csv_path}: {error}")
    fields = film_columns(frame)
    if not fields:
        _fail(
            f"{csv_path}: none of the columns {list(frame.columns)[:10]} is a film field "
            f"(expected e.g. budget, runtime, genres; a comma-separated file)"
        )
    ignored = [c for c in frame.columns if c not in fields]
    if ignored:
        console.print(f"columns that are not film fields, ignored: {', '.join(ignored[:20])}")
    films, errors = rows_to_films(frame)
    valid = [i for i in range(len(films)) if i not in errors]
    results: dict[int, dict[str, Any]] = {}
    failed: dict[int, str] = {}  # rows of batches the service did not answer
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with httpx.Client(base_url=url, timeout=120) as client, progress:
        task = progress.add_task("scoring", total=len(valid))
        for start in range(0, len(valid), chunk_size):
            indices = valid[start : start + chunk_size]
            try:
                body = _request(client, "/predict_batch", {"films": [films[i] for i in indices]})
                predictions = body.get("predictions") if isinstance(body, dict) else None
                if not isinstance(predictions, list) or len(predictions) != len(indices):
                    raise ServiceError(
                        f"/predict_batch did not answer {len(indices)} predictions for "
                        f"{len(indices)} films: {str(body)[:200]}",
                        True,
                    )
            except ServiceError as error:
                if not error.reached:  # the service is gone: do not wait on every other batch
                    failed.update(dict.fromkeys(valid[start:], str(error)))
                    break
                failed.update(dict.fromkeys(indices, str(error)))
                continue
            finally:
                progress.advance(task, len(indices))
            for i, prediction in zip(indices, predictions, strict=True):
                results[i] = prediction
    rows = []
    for i in range(len(films)):
        prediction = results.get(i, {})
        rows.append(
            {
                "row": i,
                "error": errors.get(i) or (f"not scored: {failed[i]}" if i in failed else ""),
                "revenue_usd": prediction.get("revenue_usd"),
                "revenue_p10_usd": prediction.get("revenue_p10_usd"),
                "revenue_p90_usd": prediction.get("revenue_p90_usd"),
                "log_revenue": prediction.get("log_revenue"),
                "hit_probability": prediction.get("probability"),
                "is_hit": prediction.get("is_hit"),
                "model": prediction.get("model"),
                "warnings": "; ".join(prediction.get("warnings", [])),
            }
        )
    out_frame = pd.DataFrame(rows)
    if "title" in frame.columns:
        out_frame.insert(1, "title", frame["title"])
    try:
        out_frame.to_csv(out, index=False)
    except OSError as error:
        _fail(f"--out {out}: cannot write it ({error.strerror or error})")
    console.print(
        f"{len(results):,} films scored, {len(errors):,} skipped as invalid, {len(failed):,} not "
        f"scored by the service (see the error column) -> {out}"
    )
    if failed:
        _fail(f"{len(failed):,} rows were not scored; the first reason: {failed[min(failed)]}")
    if not results:
        _fail(f"no row of {csv_path} is a valid film; the first error: {errors[min(errors)]}")


if __name__ == "__main__":
    app(prog_name="python -m serving.client")

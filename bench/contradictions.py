"""How often a running service's revenue forecast and verdict disagree, on the table's films.

    .venv/bin/python -m bench.contradictions --url http://localhost:3000 [--data PATH]

Sends every labelled film released after ``--after`` (default 1990) through /predict_batch, as
a client would (its pre-release fields, and with the post-release signals too), and counts the
films whose forecast is at least the hit ratio times the budget while P(hit) < 0.5, or the
reverse. Works against any version of the service that answers /predict_batch (a hit ratio the
answer does not state is taken as 2).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import httpx
import numpy as np
import typer

from boxoffice.config import DEFAULT_HIT_RATIO, MIN_PLAUSIBLE_USD
from training.data import DataError, load_movies
from training.split import make_splits

app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])
PRE_RELEASE = (
    "budget",
    "runtime",
    "genres",
    "release_date",
    "original_language",
    "production_companies",
    "production_countries",
    "keywords",
)
POST_RELEASE = ("popularity", "vote_average", "vote_count")


def films_of(frame: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    films = []
    for row in frame.to_dict(orient="records"):
        film: dict[str, Any] = {}
        for name in fields:
            value = row[name]
            if name == "release_date":
                film[name] = value.date().isoformat()
            elif isinstance(value, list | str):
                film[name] = value
            elif value is not None and not (isinstance(value, float) and math.isnan(value)):
                film[name] = float(value)
        films.append(film)
    return films


@app.command()
def main(
    url: Annotated[str, typer.Option(help="Base URL of the service.")] = "http://localhost:3000",
    data: Annotated[str | None, typer.Option(help="The movies table.")] = None,
    after: Annotated[int, typer.Option(help="Films released after this year.")] = 1990,
) -> None:
    try:
        count(url, data, after)
    except DataError as error:
        raise SystemExit(f"error: {error}") from None
    except httpx.HTTPError as error:
        raise SystemExit(
            f"error: {url}/predict_batch did not answer ({error}): start the service first "
            "(make serve) or give its --url"
        ) from None


def count(url: str, data: str | None, after: int) -> None:
    splits = make_splits(load_movies(data).frame)
    population = splits.population
    films = population[(population["release_year"] > after) & (population["runtime"] > 0)]
    plausible = films["budget"] >= MIN_PLAUSIBLE_USD  # the API refuses a smaller budget
    refused, films = int((~plausible).sum()), films[plausible]
    budget = films["budget"].to_numpy(dtype=float)
    print(
        f"{len(films):,} labelled films released after {after} ({refused} with a budget under "
        f"${MIN_PLAUSIBLE_USD:,}, which the API refuses, left out)"
    )
    with httpx.Client(base_url=url, timeout=120) as client:
        for label, fields in (
            ("pre-release", PRE_RELEASE),
            ("post-release", PRE_RELEASE + POST_RELEASE),
        ):
            body = client.post("/predict_batch", json={"films": films_of(films, fields)})
            body.raise_for_status()
            answer = body.json()
            ratio = {
                fs: m.get("hit_ratio", DEFAULT_HIT_RATIO) for fs, m in answer["models"].items()
            }
            rows = answer["predictions"]
            revenue = np.array([r["revenue_usd"] for r in rows])
            p = np.array([r["probability"] for r in rows])
            line = np.array([ratio[r["model"]] for r in rows]) * budget
            disagree = (revenue >= line) != (p >= 0.5)
            print(
                f"{label}: {disagree.sum():,} of {len(rows):,} films ({disagree.mean():.1%}) have "
                "a forecast and a verdict that disagree"
            )


if __name__ == "__main__":
    app()

"""Time `python -m training fetch` of N films from the local TMDB stand-in at its rate limit,
against the floor: the requests it must make (discover pages and one per film) at that limit,
plus 10% (issue 18).

    .venv/bin/python -m bench.fetch                     # 1,000 films at 100 requests/s
    .venv/bin/python -m bench.fetch --films 1000 --rate 40 --rounds 3

The stand-in (bench/fake_tmdb.py, in its own process) serves the published table's films,
limits the rate with a token bucket (burst 5) and answers 429 beyond it; the fetch is told the
same rate. The range
is the N latest films of the table (no vote floor), into a fresh directory each round.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from bench.fake_tmdb import API_KEY, PAGE_SIZE, serving_process
from training import fetch as tmdb
from training.data import DataError, locate_dataset

MARGIN = 1.10
console = Console(width=None if sys.stdout.isatty() else 120)
app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    films: Annotated[int, typer.Option(min=20, help="films to fetch")] = 1000,
    rate: Annotated[float, typer.Option(min=1, help="the server's limit, requests/s")] = 100.0,
    rounds: Annotated[int, typer.Option(min=1, max=10)] = 1,
    data: Annotated[Path | None, typer.Option(help="the TMDB CSV the stand-in serves")] = None,
) -> None:
    try:
        path = locate_dataset(data)
        published = pd.read_csv(path, dtype=str, keep_default_na=False)
    except DataError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    dated = published[published["release_date"] != ""].sort_values(["release_date", "id"])
    chosen = dated.tail(films)
    first, last = chosen["release_date"].iloc[0], chosen["release_date"].iloc[-1]
    in_range = dated[(dated["release_date"] >= first) & (dated["release_date"] <= last)]
    requests = math.ceil(len(in_range) / PAGE_SIZE) + len(in_range)
    floor = requests / rate
    table = Table(title=f"fetch of {len(in_range):,} films ({first} to {last}) at {rate:g} req/s")
    for column in ("round", "seconds", "requests", "429s", "floor s", "ratio", f"≤ {MARGIN}"):
        table.add_column(column, justify="right")
    seconds = []
    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as out, serving_process(str(path), rate) as fake:
            url, counts = fake
            result = asyncio.run(
                tmdb.fetch(
                    tmdb.parse_day(first, end=False),
                    tmdb.parse_day(last, end=True),
                    Path(out),
                    auth=tmdb.Auth({"api_key": API_KEY}, {}),
                    api_url=url,
                    min_votes=0,
                    rate=rate,
                )
            )
            refused = counts()["429"]
        assert result.films == len(in_range), (result.films, len(in_range))
        seconds.append(result.seconds)
        ratio = result.seconds / floor
        table.add_row(
            str(round_),
            f"{result.seconds:.2f}",
            f"{result.counts.requests:,}",
            str(refused),
            f"{floor:.2f}",
            f"{ratio:.3f}",
            "[green]yes[/]" if ratio <= MARGIN else "[red]no[/]",
        )
    console.print(table)
    console.print(
        f"median {statistics.median(seconds):.2f} s against the floor {floor:.2f} s "
        f"({requests:,} requests at {rate:g}/s): {statistics.median(seconds) / floor:.3f}×"
    )


if __name__ == "__main__":
    app(prog_name="bench.fetch")

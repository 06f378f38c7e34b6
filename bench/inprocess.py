"""Where a /predict_batch request's time goes, in process, beside the fitted estimators' own
time on the same films (issue 19: a 1,000-film request within 2 × the estimators'), and
/predict_table's films per second at 100,000 films in CSV and in Parquet, over HTTP.

    .venv/bin/python -m bench.inprocess                # the newest run in $BENTOML_HOME
    .venv/bin/python -m bench.inprocess --films 10000

The request is what the middleware does for a body the columnar path takes: decode the JSON
into typed films (serving.columns.decode_films: msgspec), lay them out as columns
(serving.columns.typed_slices), score it (Predictor.score: the feature step, the estimator, the
distribution, the warnings), make the answer's rows (Predictor._row_structs) and write it
(serving.predictor.encode_batch: msgspec). The estimators alone: each answering model's last
step (XGBoost and ridge blend) on the feature matrix of its films, slice by slice as the
request scores them, computed beforehand. Medians of ``--repeats`` runs, with the garbage
collector set as a worker sets it (serving.worker.settle_gc).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 120)
INPROCESS_RATIO_TARGET = 2.0


def median_ms(
    run: Callable[..., Any], repeats: int, fresh: Callable[[], Any] | None = None
) -> tuple[float, Any]:
    """The median time of ``run()``; with ``fresh``, of ``run(fresh())``, its input made anew
    (untimed) for each run: a batch keeps what reading its lists found (ListColumn), which a
    request reads once."""
    times, result = [], None
    for _ in range(repeats):
        given = () if fresh is None else (fresh(),)
        started = time.perf_counter()
        result = run(*given)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), result


def inprocess(body: dict[str, Any], repeats: int = 30) -> dict[str, float]:
    """The request's steps and the estimators' own time, in ms (medians)."""
    from boxoffice.estimators import inner_pipeline
    from boxoffice.store import resolve_run
    from serving.columns import decode_films, from_json_bytes, typed_slices
    from serving.predictor import Predictor, encode_batch
    from serving.worker import settle_gc

    predictor = Predictor.from_store(resolve_run())
    settle_gc()  # as the worker does (service.py)
    raw = json.dumps(body, separators=(",", ":")).encode()
    loop = asyncio.new_event_loop()

    def request() -> bytes:
        slices = from_json_bytes(raw)
        assert slices is not None, "the columnar path refused the body"
        return loop.run_until_complete(predictor.batch_json(slices))

    figures: dict[str, float] = {}
    request()  # warm-up
    figures["request"], _ = median_ms(request, repeats)
    figures["parse"], parsed = median_ms(lambda: decode_films(raw), repeats)
    assert parsed is not None, "the body was not decoded into typed films"
    # Each step over the request's slices (serving.columns.BATCH_SLICE films each), as it does.
    figures["columns"], _ = median_ms(lambda: typed_slices(parsed), repeats)
    figures["score"], scores = median_ms(
        lambda slices: [predictor.score(part) for part in slices],
        repeats,
        lambda: typed_slices(parsed),
    )
    figures["answers"], rows = median_ms(
        lambda: [row for part in scores for row in predictor._row_structs(part)], repeats
    )
    figures["serialize"], _ = median_ms(lambda: encode_batch({}, rows), repeats)
    estimators = features = 0.0
    for part in typed_slices(parsed) or []:
        _, groups = predictor._plan(part)
        for feature_set, rows_of in groups.items():
            pipeline = inner_pipeline(predictor.models[feature_set].pipeline)
            ms, X = median_ms(
                pipeline[:-1].transform, repeats, lambda p=part, r=rows_of: p.take(r).columns
            )
            features += ms
            ms, _ = median_ms(lambda p=pipeline, x=X: p[-1].predict(x), repeats)
            estimators += ms
    figures["feature step"] = features
    figures["estimators"] = estimators
    loop.close()
    return figures


def table_bodies(films: list[dict[str, Any]], n: int) -> dict[str, bytes]:
    """n films (cycled) as the client's CSV and as Parquet."""
    rows = [films[i % len(films)] for i in range(n)]
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, list)).any():
            frame[column] = frame[column].map(lambda v: "|".join(v) if isinstance(v, list) else "")
    csv = frame.to_csv(index=False).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(pd.DataFrame(rows)), sink)
    return {"text/csv": csv, "application/vnd.apache.parquet": sink.getvalue()}


def tables(url: str, films: list[dict[str, Any]], n: int, repeats: int = 3) -> dict[str, Any]:
    """/predict_table at n films, in each format (gzip-encoded), answered in the same format."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        for media, body in table_bodies(films, n).items():
            zipped = gzip.compress(body, compresslevel=5)
            headers = {"content-type": media, "content-encoding": "gzip"}
            seconds = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.post("/predict_table", content=zipped, headers=headers)
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"/predict_table {media}: {response.status_code} {response.text[:300]}"
                    )
            best = statistics.median(seconds)
            out[media] = {
                "films": n,
                "body_mib": round(len(body) / 2**20, 1),
                "gzip_mib": round(len(zipped) / 2**20, 1),
                "seconds": round(best, 2),
                "films_per_s": round(n / best),
            }
    return out


def print_inprocess(figures: dict[str, float], films: int) -> None:
    table = Table(title=f"in process: one {films:,}-film /predict_batch request (medians, ms)")
    table.add_column("step")
    table.add_column("ms", justify="right")
    for key in ("parse", "columns", "score", "answers", "serialize"):
        table.add_row(key, f"{figures[key]:.2f}")
    table.add_row("  of which the feature step", f"{figures['feature step']:.2f}")
    table.add_row("  of which the estimators", f"{figures['estimators']:.2f}")
    table.add_row("the whole request", f"{figures['request']:.2f}")
    console.print(table)
    ratio = figures["request"] / figures["estimators"]
    console.print(
        f"request {figures['request']:.2f} ms = {ratio:.2f}x the estimators' own "
        f"{figures['estimators']:.2f} ms; target <= {INPROCESS_RATIO_TARGET:g}x: "
        f"{'met' if ratio <= INPROCESS_RATIO_TARGET else 'MISSED'}"
    )


def print_tables(figures: dict[str, Any]) -> None:
    table = Table(title="/predict_table over HTTP (gzip-encoded body, answered in its format)")
    for column in ("format", "films", "body MiB", "gzip MiB", "seconds", "films/s"):
        table.add_column(column, justify="right")
    for media, f in figures.items():
        table.add_row(
            media,
            f"{f['films']:,}",
            str(f["body_mib"]),
            str(f["gzip_mib"]),
            str(f["seconds"]),
            f"{f['films_per_s']:,}",
        )
    console.print(table)


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    films: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    repeats: Annotated[int, typer.Option(min=1, max=200)] = 30,
) -> None:
    import random

    from bench.run import real_batches

    body = real_batches(random.Random(42), films, 1)[0]
    figures = inprocess(body, repeats)
    print_inprocess(figures, films)
    np.set_printoptions(precision=3)


if __name__ == "__main__":
    app(prog_name="bench.inprocess")

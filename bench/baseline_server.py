"""Baseline server for the benchmark: what the original FastAPI server did per request.

The project we replace served its models with FastAPI + one uvicorn worker. Per request it
validated a pydantic body with four features, built a one-row pandas DataFrame from it and
called a scikit-learn GradientBoostingRegressor's ``predict`` inside an ``async def`` handler
(so the prediction runs on the event loop). This module does the same, so that
``bench/run.py`` has a like-for-like reference to compare the BentoML service against.

The models are fitted at start-up on the TMDB CSV, whose path comes from ``--data`` or the
``BOXOFFICE_DATA`` environment variable:

* rows with budget > 0 and revenue > 0;
* features runtime, popularity, vote_average (renamed vote_avg), log1p(budget) (log_budget);
* regression target log1p(revenue);
* /predict_hit: LogisticRegression(C=1) on the same features, "hit" = revenue > 1.5 x budget.

``--workers 2`` runs two uvicorn workers (the original ran one); ``--floor`` reads every POST's
JSON body and answers a constant (no model): the floor of a JSON API on FastAPI + uvicorn.

Not in the original: ``GET /health`` (readiness probe for the harness) and
``POST /predict_batch`` (``{"films": [...]}``, one DataFrame for the whole list) so that the
batch scenario can also be run against a plain FastAPI server.

Run:  python bench/baseline_server.py --data PATH/tmdb_5000_movies.csv --port 8000
  or: BOXOFFICE_DATA=PATH uvicorn bench.baseline_server:app --port 8000   (from the repo root)
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

FEATURES = ["runtime", "popularity", "vote_avg", "log_budget"]
DATA_ENV = "BOXOFFICE_DATA"
MAX_BATCH = 10_000

STATE: dict[str, Any] = {}


class FilmFeature(BaseModel):
    runtime: float
    popularity: float
    vote_avg: float
    log_budget: float


class FilmBatch(BaseModel):
    films: list[FilmFeature] = Field(min_length=1, max_length=MAX_BATCH)


def load_training_frame(path: str) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Features, log1p(revenue) and the hit label from the TMDB movies CSV."""
    df = pd.read_csv(path, usecols=["budget", "revenue", "runtime", "popularity", "vote_average"])
    df = df[(df["budget"] > 0) & (df["revenue"] > 0)].dropna(
        subset=["runtime", "popularity", "vote_average"]
    )
    x = pd.DataFrame(
        {
            "runtime": df["runtime"].astype(float),
            "popularity": df["popularity"].astype(float),
            "vote_avg": df["vote_average"].astype(float),
            "log_budget": np.log1p(df["budget"].astype(float)),
        }
    )[FEATURES]
    y_revenue = np.log1p(df["revenue"].astype(float))
    y_hit = (df["revenue"] > 1.5 * df["budget"]).astype(int)
    return x, y_revenue, y_hit


def fit_models(path: str) -> None:
    t0 = time.perf_counter()
    x, y_revenue, y_hit = load_training_frame(path)
    regressor = GradientBoostingRegressor(
        n_estimators=100, learning_rate=0.1, max_depth=3, random_state=42
    ).fit(x, y_revenue)
    classifier = LogisticRegression(C=1, max_iter=1000).fit(x, y_hit)
    STATE.update(
        regressor=regressor,
        classifier=classifier,
        n_rows=len(x),
        fit_seconds=round(time.perf_counter() - t0, 3),
    )


@asynccontextmanager
async def lifespan(_: FastAPI):
    path = os.environ.get(DATA_ENV)
    if not path:
        raise RuntimeError(f"set {DATA_ENV} (or pass --data) to the TMDB movies CSV")
    fit_models(path)
    yield
    STATE.clear()


app = FastAPI(title="boxoffice baseline (original-style FastAPI server)", lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok", "rows": STATE.get("n_rows"), "fit_seconds": STATE.get("fit_seconds")}


# The handlers are `async def` with a blocking predict on purpose: that is what the original did.
@app.post("/predict_revenue")
async def predict_revenue(request: FilmFeature) -> dict[str, float]:
    x = pd.DataFrame([request.model_dump()])
    y_pred = STATE["regressor"].predict(x)
    return {"revenue": float(y_pred[0])}


@app.post("/predict_hit")
async def predict_hit(request: FilmFeature) -> dict[str, float]:
    x = pd.DataFrame([request.model_dump()])
    y_pred = STATE["classifier"].predict_proba(x)[0, 1]
    return {"probability": float(y_pred)}


@app.post("/predict_batch")
async def predict_batch(request: FilmBatch) -> dict[str, list[float]]:
    x = pd.DataFrame([film.model_dump() for film in request.films])
    y_pred = STATE["regressor"].predict(x)
    return {"revenue": [float(v) for v in y_pred]}


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help=f"TMDB movies CSV (default: ${DATA_ENV})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (the original ran 1)"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="answer every POST with a constant, no model: the HTTP floor of FastAPI + uvicorn",
    )
    args = parser.parse_args(argv)
    if args.floor:
        uvicorn.run(
            "bench.baseline_server:floor",
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=False,
            log_level="warning",
        )
        return
    if args.data:
        os.environ[DATA_ENV] = args.data
    if not os.environ.get(DATA_ENV):
        parser.error(f"give --data or set {DATA_ENV}")
    if not os.path.isfile(os.environ[DATA_ENV]):
        parser.error(f"data file not found: {os.environ[DATA_ENV]}")
    uvicorn.run(
        "bench.baseline_server:app",  # an import string: uvicorn starts --workers copies
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=True,  # uvicorn's default, as the original ran
        log_level="info",
    )


# The HTTP floor: what FastAPI + uvicorn cost with nothing behind them: the body read as JSON
# (as any JSON API must), a constant answer.
floor = FastAPI()


@floor.get("/health")
async def floor_health() -> dict[str, str]:
    return {"status": "ok"}


@floor.post("/{path:path}")
async def floor_answer(path: str, body: dict[str, Any]) -> dict[str, float]:
    return {"revenue": 0.0}


if __name__ == "__main__":
    main()

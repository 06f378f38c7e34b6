"""A local stand-in for TMDB's v3 API, answering in its documented formats from rows of a
movies table in TMDB 5000's format (and its credits table, or credits made up from each film's
id when none is given). For the tests and the benchmark of ``python -m training fetch``: no
test reaches the network.

It serves ``GET /3/discover/movie`` (``primary_release_date.gte/.lte``, ``vote_count.gte``,
``page``; 20 films a page, at most ``max_page`` pages of one query, ``total_pages`` counting
them all as TMDB does) and ``GET /3/movie/{id}?append_to_response=keywords,credits``; it takes
the key as ``api_key`` or as ``Authorization: Bearer``, refuses any other with TMDB's 401 body,
and limits the rate with a token bucket (429 with ``Retry-After``, TMDB's ``status_code`` 25).
It can also answer 429 to its first requests, and 503 once it has answered a number of films.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_KEY = "test-key"
TOKEN = "test-token"
PAGE_SIZE = 20
LIST_COLUMNS = (
    "genres",
    "keywords",
    "production_companies",
    "production_countries",
    "spoken_languages",
)


@dataclass
class FakeTmdb:
    """The fake's data and behaviour; ``counts`` tallies what it answered."""

    movies: pd.DataFrame  # TMDB 5000's columns, cells as text
    credits: pd.DataFrame | None = None  # movie_id, title, cast, crew
    rate: float | None = None  # requests a second (token bucket); None: no limit
    burst: float = 5.0
    max_page: int = 500
    refuse_first: int = 0  # answer 429 to this many first requests ...
    refuse_wait: float = 1.0  # ... asking to wait this many seconds
    down_after: int | None = None  # answer 503 to every film after this many
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        movies = self.movies.copy()
        movies["_id"] = movies["id"].astype(int)
        movies["_votes"] = pd.to_numeric(movies["vote_count"], errors="coerce").fillna(0)
        movies["_date"] = movies["release_date"].fillna("")
        self.table = movies.sort_values(["_date", "_id"]).reset_index(drop=True)
        self.rows = {int(r["_id"]): r for r in self.table.to_dict(orient="records")}
        self.cast_crew = {}
        if self.credits is not None:
            for r in self.credits.to_dict(orient="records"):
                self.cast_crew[int(r["movie_id"])] = (json.loads(r["cast"]), json.loads(r["crew"]))
        self.tokens, self.filled = self.burst, time.monotonic()
        self.lock = threading.Lock()

    # -- the gate every request passes -----------------------------------------------------
    def _refused(self, request: Request) -> JSONResponse | None:
        self.counts["requests"] += 1
        key = request.query_params.get("api_key")
        bearer = request.headers.get("authorization", "")
        if key != API_KEY and bearer != f"Bearer {TOKEN}":
            self.counts["401"] += 1
            return JSONResponse(
                {
                    "status_code": 7,
                    "status_message": "Invalid API key: You must be granted a valid key.",
                    "success": False,
                },
                status_code=401,
            )
        with self.lock:
            if self.counts["requests"] <= self.refuse_first:
                return self._too_many(self.refuse_wait, at_least=0)
            if self.rate is not None:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.filled) * self.rate)
                self.filled = now
                if self.tokens < 1:
                    return self._too_many((1 - self.tokens) / self.rate)
                self.tokens -= 1
        return None

    def _too_many(self, wait: float, at_least: int = 1) -> JSONResponse:
        self.counts["429"] += 1
        return JSONResponse(
            {
                "success": False,
                "status_code": 25,
                "status_message": "Your request count (#) is over the allowed limit of (40).",
            },
            status_code=429,
            headers={"Retry-After": str(max(at_least, math.ceil(wait)))},
        )

    # -- the endpoints ---------------------------------------------------------------------
    async def discover(self, request: Request) -> JSONResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        self.counts["discover"] += 1
        q = request.query_params
        table = self.table
        if "primary_release_date.gte" in q:
            table = table[table["_date"] >= q["primary_release_date.gte"]]
        if "primary_release_date.lte" in q:
            table = table[
                (table["_date"] <= q["primary_release_date.lte"]) & (table["_date"] != "")
            ]
        if "vote_count.gte" in q:
            table = table[table["_votes"] >= float(q["vote_count.gte"])]
        page = int(q.get("page", "1"))
        if not 1 <= page <= self.max_page:
            return JSONResponse(
                {
                    "success": False,
                    "status_code": 22,
                    "status_message": f"Invalid page: Pages start at 1 and max at "
                    f"{self.max_page}. They are expected to be an integer.",
                },
                status_code=400,
            )
        part = table.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return JSONResponse(
            {
                "page": page,
                "results": [_summary(r) for r in part.to_dict(orient="records")],
                "total_pages": max(1, math.ceil(len(table) / PAGE_SIZE)),
                "total_results": len(table),
            }
        )

    async def movie(self, request: Request) -> JSONResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if self.down_after is not None and self.counts["movie"] >= self.down_after:
            self.counts["503"] += 1
            return JSONResponse({"status_message": "Service unavailable"}, status_code=503)
        movie_id = int(request.path_params["movie_id"])
        row = self.rows.get(movie_id)
        if row is None:
            return JSONResponse(
                {
                    "success": False,
                    "status_code": 34,
                    "status_message": "The resource you requested could not be found.",
                },
                status_code=404,
            )
        self.counts["movie"] += 1
        return JSONResponse(self._details(row))

    def _details(self, row: dict[str, Any]) -> dict[str, Any]:
        lists = {
            c: json.loads(row[c]) if isinstance(row[c], str) and row[c] else []
            for c in LIST_COLUMNS
        }
        cast, crew = self.cast_crew.get(row["_id"]) or made_up_credits(row["_id"])
        return {
            "adult": False,
            "backdrop_path": None,
            "belongs_to_collection": None,
            "budget": _int(row["budget"]),
            "genres": lists["genres"],
            "homepage": _text(row.get("homepage")),
            "id": row["_id"],
            "imdb_id": None,
            "original_language": _text(row.get("original_language")),
            "original_title": _text(row.get("original_title")),
            "overview": _text(row.get("overview")),
            "popularity": _float(row["popularity"]),
            "poster_path": None,
            "production_companies": [
                {**c, "logo_path": None, "origin_country": ""}
                for c in lists["production_companies"]
            ],
            "production_countries": lists["production_countries"],
            "release_date": _text(row.get("release_date")),
            "revenue": _int(row["revenue"]),
            "runtime": _int(row["runtime"]),
            "spoken_languages": [
                {**s, "english_name": s.get("name", "")} for s in lists["spoken_languages"]
            ],
            "status": _text(row.get("status")),
            "tagline": _text(row.get("tagline")),
            "title": _text(row.get("title")),
            "video": False,
            "vote_average": _float(row["vote_average"]),
            "vote_count": _int(row["vote_count"]),
            "keywords": {"keywords": lists["keywords"]},
            "credits": {
                "cast": [{"adult": False, "known_for_department": "Acting", **c} for c in cast],
                "crew": [{"adult": False, **c} for c in crew],
            },
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/3/discover/movie", self.discover),
                Route("/3/movie/{movie_id:int}", self.movie),
            ]
        )


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    genres = json.loads(row["genres"]) if isinstance(row["genres"], str) and row["genres"] else []
    return {
        "adult": False,
        "genre_ids": [g["id"] for g in genres],
        "id": row["_id"],
        "original_language": _text(row.get("original_language")),
        "original_title": _text(row.get("original_title")),
        "popularity": _float(row["popularity"]),
        "release_date": _text(row.get("release_date")),
        "title": _text(row.get("title")),
        "video": False,
        "vote_average": _float(row["vote_average"]),
        "vote_count": _int(row["vote_count"]),
    }


def made_up_credits(movie_id: int) -> tuple[list[dict], list[dict]]:
    """Credits in TMDB's format, made up from the id (when no credits table is given)."""
    cast = [
        {
            "cast_id": k,
            "character": f"Role {k}",
            "credit_id": f"c{movie_id}-{k}",
            "gender": k % 3,
            "id": (movie_id * 31 + k * 7) % 5003,
            "name": f"Actor {(movie_id * 31 + k * 7) % 5003}",
            "order": k,
        }
        for k in range(8)
    ]
    crew = [
        {
            "credit_id": f"d{movie_id}",
            "department": "Directing",
            "gender": 2,
            "id": 100_000 + movie_id % 997,
            "job": "Director",
            "name": f"Director {movie_id % 997}",
        },
        {
            "credit_id": f"w{movie_id}",
            "department": "Writing",
            "gender": 1,
            "id": 200_000 + movie_id % 1499,
            "job": "Screenplay",
            "name": f"Writer {movie_id % 1499}",
        },
    ]
    return cast, crew


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _float(value: Any) -> float:
    number = pd.to_numeric(value, errors="coerce")
    return 0.0 if pd.isna(number) else float(number)


def _int(value: Any) -> int:
    return int(_float(value))


@contextlib.contextmanager
def serving(fake: FakeTmdb) -> Iterator[str]:
    """The fake on a free local port, in a thread; yields its API URL (``.../3``)."""
    config = uvicorn.Config(fake.app(), host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake TMDB server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/3"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serving_process(data: str, rate: float | None) -> Iterator[tuple[str, Any]]:
    """The fake in its own process (so that the client's work never delays the server's
    clock, as it would share a GIL in one process); yields its API URL and a function giving
    its counts (read at the end, from its /counts answer)."""
    import subprocess
    import sys

    import httpx

    from bench.harness import free_port

    port = free_port()
    command = [sys.executable, "-m", "bench.fake_tmdb", "--data", data, "--port", str(port)]
    if rate is not None:
        command += ["--rate", str(rate)]
    child = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/counts", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the fake TMDB server did not start")
            time.sleep(0.1)
        yield f"{url}/3", lambda: Counter(httpx.get(f"{url}/counts", timeout=5).json())
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a movies table in TMDB 5000's format")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=None, help="requests a second")
    args = parser.parse_args()
    fake = FakeTmdb(pd.read_csv(args.data, dtype=str, keep_default_na=False), rate=args.rate)
    app = fake.app()

    async def counts(request: Request) -> JSONResponse:
        return JSONResponse(dict(fake.counts))

    app.add_route("/counts", counts)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="error", lifespan="off")


if __name__ == "__main__":
    main()

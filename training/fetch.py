"""Fetch a movies table and its credits table from TMDB's v3 API, in TMDB 5000's formats.

``python -m training fetch --from 2017 --to 2024 --out data/tmdb`` writes
``tmdb_movies.csv`` (the columns of ``tmdb_5000_movies.csv``) and ``tmdb_credits.csv`` (those of
``tmdb_5000_credits.csv``) in the out directory:

1. **Discover** (``/discover/movie``) lists the films released in the range (by primary release
   date, with at least ``--min-votes`` votes), 20 a page. TMDB serves at most ``MAX_PAGE``
   pages of one query, so a range whose query has more is split in two, and again, until each
   part fits: no film is dropped.
2. **Details** (``/movie/{id}?append_to_response=keywords,credits``): one request per film
   gives its row of both tables.

Requests are paced just under ``--rate`` a second (TMDB's ceiling is about 40-50 and may change); a
429 pauses every request for its ``Retry-After`` and is retried, as is a 5xx or a dropped
connection, at most ``MAX_RETRIES`` times each, after which the run stops with one line. Each
film's details, and each finished discover query, are appended to a cache in
``<out>/.tmdb-cache/`` as they arrive: an interrupted run, rerun, fetches only what it lacks.
``--append`` merges the films into the tables already in the out directory, one row per TMDB id
(the fetched row wins).

The key is read from the environment, never from a file: ``TMDB_API_KEY`` (a v3 key, sent as
the ``api_key`` parameter) or ``TMDB_API_TOKEN`` (an API read access token, sent as
``Authorization: Bearer``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from boxoffice.csvtext import read_csv_text
from training.config import FETCH_CONNECTIONS, FETCH_MIN_VOTES, FETCH_RATE, TMDB_API_URL

KEY_ENV = "TMDB_API_KEY"
TOKEN_ENV = "TMDB_API_TOKEN"
MOVIES_FILE = "tmdb_movies.csv"
CREDITS_FILE = "tmdb_credits.csv"
CACHE_DIR = ".tmdb-cache"
# TMDB answers at most this many pages (of 20 films) of one discover query.
MAX_PAGE = 500
MAX_RETRIES = 5
# Requests are paced this far under --rate, at most BURST at once.
HEADROOM = 0.97
BURST = 2.0
# Seconds to wait for one answer; a 5xx or a dropped connection waits this long, doubling.
TIMEOUT = 30.0
FIRST_BACKOFF = 0.5

MOVIE_COLUMNS = (
    "budget",
    "genres",
    "homepage",
    "id",
    "keywords",
    "original_language",
    "original_title",
    "overview",
    "popularity",
    "production_companies",
    "production_countries",
    "release_date",
    "revenue",
    "runtime",
    "spoken_languages",
    "status",
    "tagline",
    "title",
    "vote_average",
    "vote_count",
)
CREDIT_COLUMNS = ("movie_id", "title", "cast", "crew")
# The keys of each list's objects in TMDB 5000's tables, in its order.
LIST_KEYS = {
    "genres": ("id", "name"),
    "keywords": ("id", "name"),
    "production_companies": ("name", "id"),
    "production_countries": ("iso_3166_1", "name"),
    "spoken_languages": ("iso_639_1", "name"),
    "cast": ("cast_id", "character", "credit_id", "gender", "id", "name", "order"),
    "crew": ("credit_id", "department", "gender", "id", "job", "name"),
}


class FetchError(Exception):
    """The fetch cannot go on; the message says why in one line."""


# -- what to fetch ------------------------------------------------------------------------------
def parse_day(text: str, end: bool) -> dt.date:
    """A year (its first or last day) or a date YYYY-MM-DD."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 12, 31) if end else dt.date(int(text), 1, 1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FetchError(f"{text!r} is neither a year (2017) nor a date (2017-06-30)") from None


def check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise FetchError(f"--to {end} is before --from {start}")


def api_base(url: str) -> str:
    """``--api-url`` without a trailing slash; FetchError unless it is an http(s) URL."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"--api-url {url!r} is not an http(s) URL (TMDB's: {TMDB_API_URL})")
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Auth:
    """How requests carry the key."""

    params: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Auth:
        environ = dict(os.environ if environ is None else environ)
        if environ.get(KEY_ENV, "").strip():
            return cls({"api_key": environ[KEY_ENV].strip()}, {})
        if environ.get(TOKEN_ENV, "").strip():
            return cls({}, {"Authorization": f"Bearer {environ[TOKEN_ENV].strip()}"})
        raise FetchError(
            f"no TMDB key: set {KEY_ENV} (a v3 API key) or {TOKEN_ENV} (an API read access "
            "token), from https://www.themoviedb.org/settings/api"
        )


# -- the cache ----------------------------------------------------------------------------------
class Cache:
    """What earlier runs fetched, in ``<out>/.tmdb-cache/``: each film's details (one JSON line
    each, keyed by id; ``null`` for a film TMDB no longer has) and each finished discover query's
    ids. Lines are appended and flushed as they arrive; an unfinished last line is ignored."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.details_path = directory / "details.jsonl"
        self.queries_path = directory / "discover.jsonl"
        self.details: dict[int, dict[str, Any] | None] = {
            int(r["id"]): r["details"] for r in _read_lines(self.details_path)
        }
        self.queries: dict[str, list[int]] = {
            r["query"]: r["ids"] for r in _read_lines(self.queries_path)
        }
        self._details_file = self.details_path.open("a", encoding="utf-8")
        self._queries_file = self.queries_path.open("a", encoding="utf-8")

    def add_details(self, movie_id: int, details: dict[str, Any] | None) -> None:
        self.details[movie_id] = details
        _append(self._details_file, {"id": movie_id, "details": details})

    def add_query(self, query: str, ids: list[int]) -> None:
        self.queries[query] = ids
        _append(self._queries_file, {"query": query, "ids": ids})

    def close(self) -> None:
        self._details_file.close()
        self._queries_file.close()


def _read_lines(path: Path) -> Iterable[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except ValueError:
                continue  # the line a stopped run was writing


def _append(handle: Any, record: dict[str, Any]) -> None:
    handle.write(json.dumps(record, separators=(",", ":")) + "\n")
    handle.flush()


# -- the client ---------------------------------------------------------------------------------
class Pacer:
    """A token bucket for all the connections together: ``HEADROOM × rate`` requests a second,
    at most ``BURST`` at once. Bounding the burst matters: after a stall of the event loop an
    unbounded pacer sends the missed requests at once, and a server counting them in a short
    window refuses them; counting from the bucket rather than from each send keeps sleep's
    overshoot from adding up. A 429's Retry-After holds every request back."""

    def __init__(self, rate: float) -> None:
        self.rate = HEADROOM * rate
        self.tokens = 1.0
        self.stamp = 0.0  # when ``tokens`` was counted (the event loop's clock)
        self.lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(BURST, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    async def wait(self) -> None:
        """Until this request may go (one waiter at a time)."""
        loop = asyncio.get_running_loop()
        async with self.lock:
            if not self.stamp:
                self.stamp = loop.time()
            self._refill(loop.time())
            while self.tokens < 1 or loop.time() < self.stamp:
                delay = max(self.stamp - loop.time(), (1 - self.tokens) / self.rate)
                await asyncio.sleep(delay)
                self._refill(loop.time())
            self.tokens -= 1

    def hold(self, seconds: float) -> None:
        """No request for ``seconds`` (a 429's Retry-After), then the pace again."""
        self.stamp = max(self.stamp, asyncio.get_running_loop().time() + seconds)
        self.tokens = 0.0


def retry_after(response: httpx.Response) -> float:
    """Seconds a 429 asks to wait (Retry-After in seconds, or as an HTTP date); 1 if absent."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return 1.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        return max((when - dt.datetime.now(when.tzinfo)).total_seconds(), 0.0)
    return 1.0


@dataclass
class Counts:
    requests: int = 0
    rate_limited: int = 0
    retried: int = 0


@dataclass
class Tmdb:
    """An httpx client for TMDB's v3 API: paced, retrying 429s, 5xx and dropped connections a
    bounded number of times, failing with one line."""

    client: httpx.AsyncClient
    auth: Auth
    pacer: Pacer
    in_flight: asyncio.Semaphore  # one per connection: a paced request is sent at once
    counts: Counts = field(default_factory=Counts)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The JSON answer; None for a 404 (a film TMDB no longer has)."""
        backoff = FIRST_BACKOFF
        for attempt in range(MAX_RETRIES + 1):
            try:
                async with self.in_flight:
                    await self.pacer.wait()
                    self.counts.requests += 1
                    response = await self.client.get(
                        path,
                        params={**(params or {}), **self.auth.params},
                        headers=self.auth.headers,
                    )
            except httpx.TransportError as error:
                problem = (
                    f"{type(error).__name__} ({error})" if str(error) else type(error).__name__
                )
                if attempt == MAX_RETRIES:
                    url = str(self.client.base_url).rstrip("/") + path  # httpx ends it with /
                    raise FetchError(f"{url}: {problem}, {MAX_RETRIES} retries spent") from None
                await asyncio.sleep(backoff)
                backoff *= 2
                self.counts.retried += 1
                continue
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise FetchError(f"{response.url.path}: the answer is not JSON") from None
            if response.status_code == 404 and path.startswith("/movie/"):
                return None
            if response.status_code in (401, 403):
                raise FetchError(f"TMDB refused the key: {_status_message(response)}")
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == MAX_RETRIES:
                    what = "rate limit" if response.status_code == 429 else "server error"
                    raise FetchError(
                        f"{response.url.path}: {what} ({response.status_code}: "
                        f"{_status_message(response)}) after {MAX_RETRIES} retries; try a lower "
                        "--rate, or rerun later (what was fetched is kept)"
                    )
                self.counts.retried += 1
                if response.status_code == 429:
                    self.counts.rate_limited += 1
                    self.pacer.hold(retry_after(response))
                else:
                    await asyncio.sleep(backoff)
                    backoff *= 2
                continue
            hint = (
                f": is --api-url the API's root, as TMDB's {TMDB_API_URL} (its version included)?"
                if response.status_code == 404
                else ""
            )
            raise FetchError(
                f"{response.url.path}: HTTP {response.status_code} ({_status_message(response)})"
                + hint
            )
        raise AssertionError("unreachable")


def _status_message(response: httpx.Response) -> str:
    """TMDB's own words for an error (its JSON ``status_message``), else the body's start."""
    try:
        return str(response.json()["status_message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200].strip() or response.reason_phrase


# -- discover -----------------------------------------------------------------------------------
def _query_key(start: dt.date, end: dt.date, min_votes: int) -> str:
    return f"{start.isoformat()}..{end.isoformat()} votes>={min_votes}"


async def discover(
    tmdb: Tmdb, start: dt.date, end: dt.date, min_votes: int, cache: Cache, max_page: int
) -> list[int]:
    """The ids of the films released from ``start`` to ``end`` (primary release date), each
    query small enough for TMDB's page limit (split in two until it is)."""
    key = _query_key(start, end, min_votes)
    if key in cache.queries:
        return cache.queries[key]
    params = {
        "primary_release_date.gte": start.isoformat(),
        "primary_release_date.lte": end.isoformat(),
        "vote_count.gte": min_votes,
        "sort_by": "primary_release_date.asc",
        "include_adult": "false",
        "include_video": "false",
    }
    first = await tmdb.get("/discover/movie", {**params, "page": 1})
    pages = int(first.get("total_pages", 1)) if first else 1
    if pages > max_page:
        if start == end:
            raise FetchError(
                f"more than {max_page} pages of films released on {start} have "
                f"{min_votes}+ votes: raise --min-votes"
            )
        middle = start + (end - start) // 2
        halves = await asyncio.gather(
            discover(tmdb, start, middle, min_votes, cache, max_page),
            discover(tmdb, middle + dt.timedelta(days=1), end, min_votes, cache, max_page),
        )
        ids = [*halves[0], *halves[1]]
    else:
        rest = await asyncio.gather(
            *(tmdb.get("/discover/movie", {**params, "page": p}) for p in range(2, pages + 1))
        )
        ids = [int(r["id"]) for page in (first, *rest) if page for r in page.get("results", [])]
    ids = list(dict.fromkeys(ids))
    cache.add_query(key, ids)
    return ids


# -- the tables ---------------------------------------------------------------------------------
def _objects(items: Any, keys: tuple[str, ...]) -> str:
    """A list of TMDB objects as TMDB 5000 writes it: JSON, with its keys only."""
    items = items if isinstance(items, list) else []
    return json.dumps(
        [{k: item.get(k) for k in keys} for item in items if isinstance(item, dict)],
        ensure_ascii=False,
    )


def _number(value: Any) -> Any:
    return "" if value is None else value


def movie_row(details: dict[str, Any]) -> dict[str, Any]:
    """A film's row of the movies table, from its details."""
    keywords = (details.get("keywords") or {}).get("keywords", [])
    row = {column: details.get(column) for column in MOVIE_COLUMNS}
    for column in ("genres", "production_companies", "production_countries", "spoken_languages"):
        row[column] = _objects(details.get(column), LIST_KEYS[column])
    row["keywords"] = _objects(keywords, LIST_KEYS["keywords"])
    for column in ("budget", "revenue", "runtime", "popularity", "vote_average", "vote_count"):
        row[column] = _number(row[column])
    for column in ("homepage", "overview", "tagline", "release_date", "status", "title"):
        row[column] = row[column] or ""
    return row


def credits_row(details: dict[str, Any]) -> dict[str, Any]:
    """A film's row of the credits table, from its details."""
    credits = details.get("credits") or {}
    return {
        "movie_id": details["id"],
        "title": details.get("title") or "",
        "cast": _objects(credits.get("cast"), LIST_KEYS["cast"]),
        "crew": _objects(credits.get("crew"), LIST_KEYS["crew"]),
    }


def write_tables(
    out: Path, films: list[dict[str, Any]], append: bool
) -> tuple[Path, Path, int, int]:
    """Write (or with ``append`` merge into) the two tables; their paths, the films written and
    how many of them were already there."""
    movies_path, credits_path = out / MOVIES_FILE, out / CREDITS_FILE
    movies = pd.DataFrame([movie_row(f) for f in films], columns=list(MOVIE_COLUMNS))
    credits = pd.DataFrame([credits_row(f) for f in films], columns=list(CREDIT_COLUMNS))
    replaced = 0
    if append:
        old_movies = _existing(movies_path, MOVIE_COLUMNS)
        old_credits = _existing(credits_path, CREDIT_COLUMNS)
        new_ids = set(movies["id"].astype(str))
        replaced = int(old_movies["id"].astype(str).isin(new_ids).sum())
        movies = pd.concat([old_movies[~old_movies["id"].astype(str).isin(new_ids)], movies])
        credits = pd.concat(
            [old_credits[~old_credits["movie_id"].astype(str).isin(new_ids)], credits]
        )
    for frame, path in ((movies, movies_path), (credits, credits_path)):
        partial = path.with_name(path.name + ".partial")
        frame.to_csv(partial, index=False)
        partial.replace(path)  # never half a table under the real name
    return movies_path, credits_path, len(films), replaced


def _existing(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=list(columns))
    try:
        frame = read_csv_text(path)
    except (OSError, ValueError) as error:
        raise FetchError(f"--append: {path} cannot be read ({error})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FetchError(
            f"--append: {path} is not a table in TMDB 5000's format (no {', '.join(missing)})"
        )
    return frame


# -- the run ------------------------------------------------------------------------------------
@dataclass
class FetchResult:
    movies: Path
    credits: Path
    films: int  # films written by this run
    replaced: int  # of which already in the appended tables
    fetched: int  # films whose details this run requested
    cached: int  # films whose details an earlier run had fetched
    gone: int  # listed by discover, no longer at TMDB (404)
    counts: Counts
    seconds: float


async def fetch(
    start: dt.date,
    end: dt.date,
    out: Path,
    *,
    auth: Auth,
    api_url: str = TMDB_API_URL,
    append: bool = False,
    min_votes: int = FETCH_MIN_VOTES,
    rate: float = FETCH_RATE,
    connections: int = FETCH_CONNECTIONS,
    max_page: int = MAX_PAGE,
    progress: Callable[[int, int], None] | None = None,
) -> FetchResult:
    """Fetch the films released from ``start`` to ``end`` into ``out`` (see the module)."""
    check_range(start, end)
    base_url = api_base(api_url)
    if not append and (out / MOVIES_FILE).exists():
        raise FetchError(
            f"{out / MOVIES_FILE} exists: --append to merge the films into it, or choose "
            "another --out"
        )
    loop = asyncio.get_running_loop()
    started = loop.time()
    cache = Cache(out / CACHE_DIR)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, limits=limits) as client:
            tmdb = Tmdb(client, auth, Pacer(rate), asyncio.Semaphore(connections))
            ids = await discover(tmdb, start, end, min_votes, cache, max_page)
            missing = [i for i in ids if i not in cache.details]
            done = 0
            if progress:
                progress(done, len(missing))
            queue: asyncio.Queue[int] = asyncio.Queue()
            for movie_id in missing:
                queue.put_nowait(movie_id)

            async def worker() -> None:
                nonlocal done
                while not queue.empty():
                    movie_id = queue.get_nowait()
                    details = await tmdb.get(
                        f"/movie/{movie_id}",
                        {"append_to_response": "keywords,credits"},
                    )
                    cache.add_details(movie_id, details)
                    done += 1
                    if progress:
                        progress(done, len(missing))

            tasks = [asyncio.create_task(worker()) for _ in range(max(connections, 1))]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        cache.close()
    films = [cache.details[i] for i in ids if cache.details.get(i)]
    if not films:
        raise FetchError(
            f"TMDB has no film released from {start} to {end} with at least {min_votes} "
            "vote(s): no table written"
        )
    out.mkdir(parents=True, exist_ok=True)
    movies, credits, written, replaced = write_tables(out, films, append)
    return FetchResult(
        movies,
        credits,
        written,
        replaced,
        fetched=len(missing),
        cached=len(ids) - len(missing),
        gone=sum(1 for i in ids if cache.details.get(i) is None),
        counts=tmdb.counts,
        seconds=loop.time() - started,
    )

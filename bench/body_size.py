"""How large a /predict_batch body of 10,000 films is: `python -m bench.body_size` (uses the
dataset; sizes deploy/ingress.yaml's proxy-body-size, see deploy/README.md).

The films are the dataset's rows as `python -m serving.client score` sends them (every column
the API takes: numbers, date, language, title and all four lists plus spoken languages; rows
the service would refuse, e.g. without a budget, left out). Each batch is measured in two JSON
spellings: httpx's (compact, UTF-8; the client's) and Python's `json.dumps` defaults (spaces,
non-ASCII escaped as \\uXXXX; the larger of the common ones). Then the largest body the request
model's own bounds allow, to show they bound nothing a proxy could use.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from serving.client import read_films_csv, rows_to_films
from serving.schema import MAX_BATCH, Film
from training.data import locate_dataset

MIB = 2**20


def compact(body: Any) -> int:
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def spaced(body: Any) -> int:
    return len(json.dumps(body).encode())


def batch_of(films: list[dict[str, Any]]) -> dict[str, Any]:
    return {"films": [films[i % len(films)] for i in range(MAX_BATCH)]}


def widest_film() -> dict[str, Any]:
    """Every field at the longest the request model accepts (ASCII)."""
    name = "x" * 200
    film = {
        "runtime": 99_999.99999999999,
        "budget": 9_999_999_999_999.998,
        "popularity": 999_999_999_999.9999,
        "vote_average": 9.999999999999998,
        "vote_count": 999_999_999_999.9999,
        "genres": ["Science Fiction"] * 20,
        "release_date": "2000-01-01",
        "original_language": "eng",
        "production_companies": [name] * 200,
        "keywords": [name] * 200,
        "title": "x" * 500,
        "explain": True,
        "explain_top": 200,
        "model": "post_release",
    }
    Film.model_validate(film)  # the model accepts it
    # Country and language codes are checked after the body is read: 200 long names each
    # still have to travel before the 400.
    return {**film, "production_countries": [name] * 200, "spoken_languages": [name] * 200}


def main() -> None:
    films = [film for film in rows_to_films(read_films_csv(locate_dataset(None)))[0] if film]
    sizes = sorted(compact(film) for film in films)
    print(
        f"{len(films):,} dataset films the service accepts; bytes per film (compact): mean "
        f"{statistics.mean(sizes):.0f}, median {sizes[len(sizes) // 2]}, "
        f"p99 {sizes[int(0.99 * len(sizes))]}, max {sizes[-1]}"
    )
    by_size = sorted(films, key=spaced, reverse=True)
    largest = by_size[0]
    rows = [
        ("10,000 dataset films (cycled)", batch_of(films)),
        ("10,000 from the largest 10%", batch_of(by_size[: len(films) // 10])),
        (
            f"10,000 x the largest film ({len(largest.get('keywords', []))} keywords)",
            batch_of([largest]),
        ),
    ]
    for label, body in rows:
        print(
            f"{label:42s} compact {compact(body) / MIB:6.2f} MiB   "
            f"json.dumps {spaced(body) / MIB:6.2f} MiB"
        )
    widest = compact({"films": [widest_film()]}) * MAX_BATCH
    print(f"{'10,000 x the widest film the model allows':42s} compact {widest / MIB:8,.0f} MiB")


if __name__ == "__main__":
    main()

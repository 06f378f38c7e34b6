"""Batches take turns, and let the event loop run between their steps.

A worker answers every request on one event loop. A batch is decoded, laid out and scored a
slice at a time, the loop running between slices; two batches in flight take turns (one is
scored, then the next), so that a request waiting for the loop (a /readyz probe, a single film)
waits for one slice, not one slice of every batch in flight at each of its steps. Checked by the
order of events, not by timing: tiny real models on built films.
"""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from serving import columns
from serving.predictor import Predictor
from serving.schema import EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.models import tiny_predictor

SLICE = 3


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return tiny_predictor()


def body(n: int, title: str) -> bytes:
    return json.dumps({"films": [{**EXAMPLE_PRE_RELEASE_FILM, "title": title}] * n}).encode()


def test_batches_take_turns_and_the_loop_runs_between_slices(predictor, monkeypatch) -> None:
    monkeypatch.setattr("serving.predictor.json_slices", lambda b: columns.json_slices(b, SLICE))
    events: list[str] = []
    score = predictor.score

    def recorded(films, *args, **kwargs):
        events.append(f"score {films.title[0]}")
        return score(films, *args, **kwargs)

    monkeypatch.setattr(predictor, "score", recorded)

    async def ticker(done: asyncio.Event) -> None:
        while not done.is_set():
            events.append("tick")
            await asyncio.sleep(0)

    async def main() -> list[bytes | None]:
        done = asyncio.Event()
        ticks = asyncio.create_task(ticker(done))
        answers = await asyncio.gather(
            predictor.batch_from_json(body(3 * SLICE, "A")),
            predictor.batch_from_json(body(2 * SLICE, "B")),
        )
        done.set()
        await ticks
        return answers

    answers = asyncio.run(main())
    scored = [e for e in events if e != "tick"]
    assert scored == ["score A"] * 3 + ["score B"] * 2  # B waits for A's turn to end
    # Between any two slices scored, the loop ran other tasks.
    at = [i for i, e in enumerate(events) if e != "tick"]
    assert all(b - a > 1 for a, b in itertools.pairwise(at)), events
    for answer, n in zip(answers, (3 * SLICE, 2 * SLICE), strict=True):
        assert answer is not None and len(json.loads(answer)["predictions"]) == n
    # Each answer is the one it would be alone.
    alone = asyncio.run(predictor.batch_from_json(body(2 * SLICE, "B")))
    assert answers[1] == alone


def test_a_body_the_columnar_path_does_not_take_is_left_to_validation(predictor) -> None:
    refused = json.dumps({"films": [{**EXAMPLE_PRE_RELEASE_FILM, "runtime": "long"}]}).encode()
    assert asyncio.run(predictor.batch_from_json(refused)) is None
    assert asyncio.run(predictor.batch_from_json(b"not json")) is None
    # The turn is given back: the next batch is answered.
    assert asyncio.run(predictor.batch_from_json(body(2, "C"))) is not None

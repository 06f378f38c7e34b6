"""Batches take turns a step at a time, and let the event loop run between steps.

A worker answers every request on one event loop. A batch is laid out and scored a slice at a
time; the batches in flight take turns a step each, the loop running between any two steps, so
that a request waiting for the loop (a /readyz probe, a single film) waits for one step, not one
of every batch in flight at each of its own steps, and a small batch waits for a step of each
batch ahead of it, not for the whole of them. Checked by the order of events, not by timing:
tiny real models on built films.
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


def test_batches_take_turns_a_step_at_a_time(predictor, monkeypatch) -> None:
    events: list[str] = []

    def recorded_slices(body: bytes):
        for part in columns.json_slices(body, SLICE):
            events.append(f"lay out {part.title[0]}")
            yield part

    monkeypatch.setattr("serving.predictor.json_slices", recorded_slices)
    monkeypatch.setattr("serving.predictor.BATCH_SLICE", SLICE)
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
            predictor.batch_from_json(body(1, "C")),
        )
        done.set()
        await ticks
        return answers

    answers = asyncio.run(main())
    steps = [e for e in events if e != "tick"]
    assert steps.count("score A") == 3 and steps.count("score B") == 2
    # The loop ran between any two steps, of one batch or of two: one step per pass of the
    # loop, however many batches are in flight (C's one step lays it out and scores it).
    one_step = {"score C": "lay out C"}
    at = [
        i
        for i, e in enumerate(events)
        if e != "tick" and not (e in one_step and events[i - 1] == one_step[e])
    ]
    assert all(b - a > 1 for a, b in itertools.pairwise(at)), " ".join(events)
    # Turns by step, not by batch: the 1-film batch C (laid out and scored in one step) is
    # answered before A's last slice is scored, and B before A's.
    assert steps.index("score C") < len(steps) - 1 - steps[::-1].index("score A"), steps
    assert steps.index("score B") < len(steps) - 1 - steps[::-1].index("score A"), steps
    for answer, n in zip(answers, (3 * SLICE, 2 * SLICE, 1), strict=True):
        assert answer is not None and len(json.loads(answer)["predictions"]) == n
    # Each answer is the one it would be alone, in another event loop.
    alone = asyncio.run(predictor.batch_from_json(body(2 * SLICE, "B")))
    assert answers[1] == alone


def test_a_body_the_columnar_path_does_not_take_is_left_to_validation(predictor) -> None:
    refused = json.dumps({"films": [{**EXAMPLE_PRE_RELEASE_FILM, "runtime": "long"}]}).encode()
    assert asyncio.run(predictor.batch_from_json(refused)) is None
    assert asyncio.run(predictor.batch_from_json(b"not json")) is None
    # The turn is given back: the next batch is answered.
    assert asyncio.run(predictor.batch_from_json(body(2, "C"))) is not None

"""The columnar batch path gives what the validated path gives: the same columns and answers
for every film it takes (the published table, as the client sends it), and it takes no film the
validated path refuses (the bad-input tables), so those keep their 400s."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from pydantic import ValidationError

from serving.client import read_films_csv, rows_to_films
from serving.columns import FilmBatch, from_films, from_json, from_json_slices
from serving.schema import BatchRequest
from tests.helpers.bad_input import BAD_BATCHES, BAD_FILMS
from tests.helpers.models import tiny_predictor

GOOD = {"runtime": 100, "budget": 1e6}


def assert_same(fast: FilmBatch, validated: FilmBatch) -> None:
    assert fast.columns.keys() == validated.columns.keys()
    for name, values in validated.columns.items():
        assert fast.columns[name] == values, name
    assert fast.title == validated.title and fast.model == validated.model
    for name in ("post_release", "hit_threshold", "studio_share", "marketing_usd", "explain"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(validated, name), name)


@pytest.fixture(scope="module")
def published(dataset_path) -> list[dict]:
    films, _ = rows_to_films(read_films_csv(dataset_path))
    return [film for film in films if film]


def test_the_published_films_lay_out_as_the_validated_path_lays_them_out(published) -> None:
    body = {"films": published[:10_000]}
    fast = from_json(body)
    assert fast is not None, "the fast path refused the client's own films"
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))


def test_the_answers_are_the_same_to_1e9(published) -> None:
    predictor = tiny_predictor()
    body = {
        "films": [
            {**film, "hit_threshold": 0.3, "studio_share": 0.4} if i % 7 == 0 else film
            for i, film in enumerate(published[:3000])
        ]
    }
    fast = asyncio.run(predictor.batch(from_json(body)))
    slow = asyncio.run(predictor.batch(BatchRequest.model_validate(body).films))
    assert fast["models"] == slow["models"]
    for a, b in zip(fast["predictions"], slow["predictions"], strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert value == pytest.approx(b[key], rel=1e-9, abs=1e-9), key
            else:
                assert value == b[key], key


def test_slices_are_the_batch_a_slice_at_a_time_and_answer_alike(published) -> None:
    body = {"films": published[:2500]}
    whole = from_json(body)
    slices = from_json_slices(body, 1000)
    assert [len(part) for part in slices] == [1000, 1000, 500]
    for k, part in enumerate(slices):
        assert_same(part, whole.take(range(1000 * k, 1000 * k + len(part))))
    predictor = tiny_predictor()
    assert asyncio.run(predictor.batch(slices)) == asyncio.run(predictor.batch(whole))
    # A film the fast path does not take, in the last slice only: no slice is taken.
    refused = {"films": [*published[:2000], {**GOOD, "log_budget": 99}]}
    assert from_json(refused) is None and from_json_slices(refused, 1000) is None


@pytest.mark.parametrize(("film", "_"), BAD_FILMS)
def test_a_bad_film_is_never_taken(film, _) -> None:
    body = {"films": [GOOD, film]}
    with pytest.raises(ValidationError):
        BatchRequest.model_validate(body)
    assert from_json(body) is None


@pytest.mark.parametrize(("body", "_"), BAD_BATCHES)
def test_a_bad_batch_is_never_taken(body, _) -> None:
    assert from_json(body) is None


@pytest.mark.parametrize(
    "film",
    [
        {"runtime": 100, "budget": 1e6, "release_year": 2010},
        {"runtime": 100, "budget": 1e6, "explain": True, "explain_top": 3},
        {"runtime": 100, "budget": 1e6, "genres": ["action", "Action"]},  # to normalise
        {"runtime": 100, "budget": 1e6, "production_countries": ["us"]},
        {"runtime": 100, "budget": 1e6, "original_language": "EN"},
    ],
)
def test_what_needs_normalising_goes_the_validated_way(film) -> None:
    body = {"films": [GOOD, film]}
    BatchRequest.model_validate(body)  # valid ...
    assert from_json(body) is None  # ... but left to the validated path


def test_the_original_clients_spellings_are_taken() -> None:
    """vote_avg and log_budget, as the original project's clients send them."""
    body = {
        "films": [
            {"runtime": 118.0, "popularity": 28.67, "vote_avg": 5.7, "log_budget": 17.370859},
            {"runtime": 100, "budget": 1e6, "log_budget": 13.815512, "vote_average": 6.0},
            {"runtime": 100, "budget": 2e6},
        ]
    }
    fast = from_json(body)
    assert fast is not None
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))


def test_explanations_and_options_are_taken() -> None:
    body = {
        "films": [
            {**GOOD, "explain": True, "model": "post_release", "hit_threshold": 0.7},
            {**GOOD, "marketing_usd": 0, "studio_share": 1, "title": "T"},
        ]
    }
    fast = from_json(body)
    assert fast is not None
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))

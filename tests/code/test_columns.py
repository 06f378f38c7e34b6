"""The columnar batch path gives what the validated path gives: the same columns and answers
for every film it takes (the published table, as the client sends it), and it takes no film the
validated path refuses (the bad-input tables), so those keep their 400s. Both ways into it
are held to this: the body parsed into dicts, and the body's bytes decoded into typed films."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from pydantic import ValidationError

from serving.client import read_films_csv, rows_to_films
from serving.columns import (
    MAX_BATCH,
    FilmBatch,
    decode_films,
    from_films,
    from_json,
    from_json_bytes,
    from_json_slices,
)
from serving.schema import BatchRequest, Film
from tests.helpers.bad_input import BAD_BATCHES, BAD_FILMS
from tests.helpers.models import tiny_predictor

GOOD = {"runtime": 100, "budget": 1e6}


def typed(body: object) -> FilmBatch | None:
    """The batch of a body sent as bytes and decoded into typed films; None when the fast path
    does not take it."""
    slices = from_json_bytes(json.dumps(body).encode(), MAX_BATCH)
    return None if slices is None else slices[0]


@pytest.fixture(params=["dicts", "typed"])
def take(request):
    """The fast path, one way in or the other."""
    return from_json if request.param == "dicts" else typed


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


def test_the_published_films_lay_out_as_the_validated_path_lays_them_out(published, take) -> None:
    body = {"films": published[:10_000]}
    assert decode_films(json.dumps(body).encode()) is not None, "not decoded typed"
    fast = take(body)
    assert fast is not None, "the fast path refused the client's own films"
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))


def test_the_answers_are_the_same_to_1e9(published, take) -> None:
    predictor = tiny_predictor()
    body = {
        "films": [
            {**film, "hit_threshold": 0.3, "studio_share": 0.4} if i % 7 == 0 else film
            for i, film in enumerate(published[:3000])
        ]
    }
    fast = asyncio.run(predictor.batch(take(body)))
    slow = asyncio.run(predictor.batch(BatchRequest.model_validate(body).films))
    assert fast["models"] == slow["models"]
    for a, b in zip(fast["predictions"], slow["predictions"], strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert value == pytest.approx(b[key], rel=1e-9, abs=1e-9), key
            else:
                assert value == b[key], key


def test_the_written_answer_holds_the_answers_values(published) -> None:
    """What /predict_batch sends (rows written by msgspec) is ``batch``'s answer, value for
    value, explanations included; an answer holding a NaN is written as before (jsonio)."""
    from serving import jsonio
    from serving.predictor import BatchRow, encode_batch

    predictor = tiny_predictor()
    body = {
        "films": [
            {**film, "explain": True} if i % 50 == 0 else film
            for i, film in enumerate(published[:2500])
        ]
    }
    slices = from_json_slices(body, 1000)
    written = json.loads(asyncio.run(predictor.batch_json(slices)))
    answer = asyncio.run(predictor.batch(slices))
    assert written == json.loads(jsonio.dumps(answer))
    assert sum("explanation" in row for row in written["predictions"]) == 50
    row = BatchRow(*(answer["predictions"][0][key] for key in BatchRow.__struct_fields__[:-1]))
    row.profit_usd = float("nan")
    expected = {**answer["predictions"][0], "profit_usd": float("nan")}
    expected.pop("explanation")
    assert encode_batch({}, [row]) == jsonio.dumps({"models": {}, "predictions": [expected]})


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
    assert from_json_bytes(json.dumps(refused).encode(), 1000) is None
    typed_slices = from_json_bytes(json.dumps(body).encode(), 1000)
    assert [len(part) for part in typed_slices] == [1000, 1000, 500]
    for part, same in zip(typed_slices, slices, strict=True):
        assert_same(part, same)


@pytest.mark.parametrize(("film", "_"), BAD_FILMS)
def test_a_bad_film_is_never_taken(film, _, take) -> None:
    body = {"films": [GOOD, film]}
    with pytest.raises(ValidationError):
        BatchRequest.model_validate(body)
    assert take(body) is None


@pytest.mark.parametrize(("body", "_"), BAD_BATCHES)
def test_a_bad_batch_is_never_taken(body, _, take) -> None:
    assert take(body) is None


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
def test_what_needs_normalising_goes_the_validated_way(film, take) -> None:
    body = {"films": [GOOD, film]}
    BatchRequest.model_validate(body)  # valid ...
    assert take(body) is None  # ... but left to the validated path


def test_the_original_clients_spellings_are_taken(take) -> None:
    """vote_avg and log_budget, as the original project's clients send them."""
    body = {
        "films": [
            {"runtime": 118.0, "popularity": 28.67, "vote_avg": 5.7, "log_budget": 17.370859},
            {"runtime": 100, "budget": 1e6, "log_budget": 13.815512, "vote_average": 6.0},
            {"runtime": 100, "budget": 2e6},
        ]
    }
    fast = take(body)
    assert fast is not None
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))


def test_explanations_and_options_are_taken(take) -> None:
    body = {
        "films": [
            {**GOOD, "explain": True, "model": "post_release", "hit_threshold": 0.7},
            {**GOOD, "marketing_usd": 0, "studio_share": 1, "title": "T"},
        ]
    }
    fast = take(body)
    assert fast is not None
    assert_same(fast, from_films(BatchRequest.model_validate(body).films))


@pytest.mark.parametrize(
    "film",
    [
        {"runtime": 100, "budget": 1e6, "vote_average": 6.0, "vote_avg": 6.0},
        {"runtime": 100, "budget": 1e6, "vote_average": None, "vote_avg": 6.0},
        {"runtime": 100, "budget": 1e6, "explain": None},
    ],
)
def test_a_field_given_both_ways_or_a_null_explain_is_left_to_the_validated_path(
    film, take
) -> None:
    assert take({"films": [GOOD, film]}) is None


def test_bytes_that_are_not_typed_json_are_parsed_as_before() -> None:
    """An integer beyond 64 bits for a number, NaN, a body that is not JSON."""
    huge = b'{"films": [{"runtime": 100, "budget": 123456789012345678901234567890}]}'
    assert from_json_bytes(huge) is None  # beyond the budget's bounds, either way
    assert from_json_bytes(b'{"films": [{"runtime": NaN, "budget": 1}]}') is None
    # NaN for an optional number is not "not given": the validated path refuses it.
    for field in ("popularity", "hit_threshold", "studio_share", "marketing_usd"):
        body = b'{"films": [{"runtime": 100, "budget": 1e8, "%s": NaN}]}' % field.encode()
        assert from_json_bytes(body) is None, field
    assert from_json_bytes(b"not json") is None
    assert from_json_bytes(b'{"films": [], "x": 1}') is None


def test_a_budget_past_the_bound_is_refused_given_either_way(take) -> None:
    """log1p of a budget over the bound is over log_budget's bound: one limit, two spellings."""
    import math

    from boxoffice.fields import MAX_USD

    for film in (
        {"budget": 1.05e13, "runtime": 120},
        {"log_budget": math.log1p(1.05e13), "runtime": 120},
    ):
        with pytest.raises(ValidationError):
            BatchRequest.model_validate({"films": [film]})
        assert take({"films": [film]}) is None
    edge = {"log_budget": math.log1p(MAX_USD), "runtime": 120}
    assert BatchRequest.model_validate({"films": [edge]}) and take({"films": [edge]}) is not None


def test_names_with_spaces_around_them_are_read_without(take) -> None:
    """'archeology\\u00a0' in JSON is 'archeology', as in a CSV's `a|b` and in training."""
    padded = {**GOOD, "keywords": ["archeology\u00a0", " spy"], "production_companies": ["A "]}
    (film,) = BatchRequest.model_validate({"films": [padded]}).films
    assert film.keywords == ["archeology", "spy"] and film.production_companies == ["A"]
    assert_same(take({"films": [padded, GOOD]}), from_films([film, Film.model_validate(GOOD)]))
    blank = {**GOOD, "keywords": ["\u00a0"]}
    with pytest.raises(ValidationError, match="only of spaces"):
        BatchRequest.model_validate({"films": [blank]})
    assert take({"films": [blank]}) is None  # the validated path's 400

"""The request contract: every bad film and batch is refused, naming the field (and the film's
index in a batch), by the same models the service validates JSON bodies with. Milliseconds per
row; the live server sends a few rows of each class (tests/service/test_http.py)."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from serving.schema import (
    EXAMPLE_FILM,
    EXAMPLE_PRE_RELEASE_FILM,
    BatchRequest,
    Film,
    ScenariosRequest,
)
from tests.helpers.bad_input import BAD_BATCHES, BAD_FILMS, BAD_SCENARIOS, error_text


@pytest.mark.parametrize(("film", "message"), BAD_FILMS)
def test_bad_film_is_refused_naming_the_field(film: dict, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Film.model_validate_json(json.dumps(film))
    assert re.search(message, error_text(refused.value.errors())), refused.value


@pytest.mark.parametrize(("films", "message"), BAD_BATCHES)
def test_bad_batch_is_refused_naming_the_index(films: list, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        BatchRequest.model_validate_json(json.dumps({"films": films}))
    assert re.search(message, error_text(refused.value.errors())), refused.value


@pytest.mark.parametrize("film", [EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM])
def test_the_documented_examples_are_valid(film: dict) -> None:
    Film.model_validate(film)


@pytest.mark.parametrize(("scenarios", "message"), BAD_SCENARIOS)
def test_bad_scenario_is_refused_naming_its_index_and_field(scenarios: list, message: str) -> None:
    body = {"film": EXAMPLE_PRE_RELEASE_FILM, "scenarios": scenarios}
    with pytest.raises(ValidationError) as refused:
        ScenariosRequest.model_validate_json(json.dumps(body))
    assert re.search(message, error_text(refused.value.errors())), refused.value


@pytest.mark.parametrize(
    "changes", [{"runtime": "x"}, {"genres": ["Horor"]}, {"budget_typo": 1}, {"runtime": -5}]
)
def test_a_bad_scenario_is_told_its_own_error_alone(changes: dict) -> None:
    """A change needs no budget: its own error is not joined by 'budget required' (the film
    it makes keeps the base film's budget)."""
    body = {"film": EXAMPLE_PRE_RELEASE_FILM, "scenarios": [changes]}
    with pytest.raises(ValidationError) as refused:
        ScenariosRequest.model_validate_json(json.dumps(body))
    errors = refused.value.errors()
    assert len(errors) == 1 and errors[0]["loc"][:3] == ("scenarios", 0, next(iter(changes)))


def test_a_scenario_given_one_way_replaces_the_base_given_the_other() -> None:
    body = {
        "film": {"runtime": 100, "log_budget": 16.0, "release_year": 2010},
        "scenarios": [{"budget": 1e8, "release_date": "2027-12-18"}],
    }
    base, changed = ScenariosRequest.model_validate_json(json.dumps(body)).films()
    assert (base.log_budget, base.release_year) == (16.0, 2010)
    assert (changed.budget, changed.log_budget, changed.release_year) == (1e8, None, None)


def test_a_language_given_by_name_asks_for_its_code() -> None:
    with pytest.raises(ValidationError) as refused:
        Film.model_validate({"budget": 1e8, "runtime": 100, "original_language": "English"})
    (error,) = refused.value.errors()
    assert error["loc"] == ("original_language",)
    assert error["msg"] == "'English' is not an ISO 639-1 code such as 'en'"


def test_genres_written_as_one_item_are_pointed_at() -> None:
    with pytest.raises(ValidationError) as refused:
        Film.model_validate({"budget": 1e8, "runtime": 100, "genres": ["Drama, Comedy"]})
    said = refused.value.errors()[0]["msg"]
    assert "'Drama, Comedy' holds several: give each as its own item" in said
    with pytest.raises(ValidationError) as refused:
        Film.model_validate({"budget": 1e8, "runtime": 100, "genres": ["Dramma"]})
    assert "holds several" not in refused.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    ("genres", "said"),
    [
        (["Comedey"], "unknown genre(s) 'Comedey' (did you mean 'Comedy'?); expected TMDB genres"),
        (["Horrer", "Dramma"], "(did you mean 'Horror', 'Drama'?)"),
        (["science fction"], "(did you mean 'Science Fiction'?)"),
        (["Sci-Fi"], "unknown genre(s) 'Sci-Fi' (did you mean 'Science Fiction'?)"),  # IMDb's
        (["Western film"], "unknown genre(s) 'Western film'; expected TMDB genres"),  # none near
    ],
)
def test_a_misspelt_genre_is_told_the_genre_it_most_likely_means(
    genres: list[str], said: str
) -> None:
    with pytest.raises(ValidationError) as error:
        Film.model_validate({**EXAMPLE_PRE_RELEASE_FILM, "genres": genres})
    assert said in error.value.errors()[0]["msg"]

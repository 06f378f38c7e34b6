"""What an answer says about how a film was scored: fields left out, repeats, sizes and values
outside what the models were trained on. Tiny real models, no server."""

from __future__ import annotations

import numpy as np
import pytest

from serving.predictor import Predictor
from serving.schema import EXAMPLE_PRE_RELEASE_FILM, Film
from tests.helpers.models import tiny_predictor


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return tiny_predictor()


def warnings_for(predictor: Predictor, **changes: object) -> list[str]:
    film = Film.model_validate({**EXAMPLE_PRE_RELEASE_FILM, **changes})
    return predictor.revenue([film])[0]["warnings"]


def test_two_hundred_identical_keywords_are_one_keyword_and_say_so(predictor) -> None:
    warned = warnings_for(predictor, budget=10_000_000, keywords=["sequel"] * 200)
    assert "keywords: 199 repeated item(s) counted once" in warned
    assert not any("outside the training range" in w for w in warned if "keywords" in w)


def test_a_list_larger_than_any_training_film_is_flagged(predictor) -> None:
    """Where its number is read: the post-release model reads how many keywords, the
    pre-release one only which."""
    many = [f"keyword {i}" for i in range(150)]
    warned = warnings_for(predictor, keywords=many, popularity=10.0, vote_count=100)
    # the tiny models' training films have 0 or 1 keyword
    assert (
        "keywords: 150 items is outside the training range [0, 1]: treat the prediction "
        "with caution" in warned
    )
    assert not any(w.startswith("keywords: 150") for w in warnings_for(predictor, keywords=many))


def test_a_film_inside_every_range_has_no_range_warning(predictor) -> None:
    warned = warnings_for(
        predictor,
        budget=5e7,
        release_date="2010-05-01",
        keywords=["sequel"],
        production_companies=["Big Studio"],
    )
    assert not any("outside the training range" in w for w in warned), warned


def test_names_given_to_models_without_credits_are_said_to_be_unread(predictor) -> None:
    warned = warnings_for(predictor, directors=["Someone"], cast=["A", "B"])
    assert (
        "directors, cast given: these models learned without a credits table and do not read "
        "the cast and crew" in warned
    )
    assert not any("directors" in w for w in warnings_for(predictor))


def test_with_credits_unknown_names_and_names_left_out_are_flagged() -> None:
    with_credits = tiny_predictor(credits=True)
    warned = warnings_for(
        with_credits,
        directors=["Director 3", "Nobody Known"],
        cast=["Actor 1", "New Face", "Actor 2", "Actor 3", "Actor 4", "Sixth Billed"],
    )
    assert (
        "directors: 'Nobody Known': no track record in the films the models learned from, "
        "scored as unknown" in warned
    )
    # Only the top-billed five are read: the sixth name is not flagged.
    assert any(w.startswith("cast: 'New Face': no track record") for w in warned), warned
    assert not any("Sixth Billed" in w for w in warned)
    left_out = warnings_for(with_credits)
    assert (
        "directors, cast not given: scored with a typical track record, no one in particular"
        in left_out
    )
    known = warnings_for(with_credits, directors=["Director 3"], cast=["Actor 1"])
    assert not any("directors" in w or "cast" in w for w in known), known


def test_a_budget_out_of_range_is_said_in_dollars(predictor) -> None:
    """A budget past the films the models learned from is named in dollars."""
    from serving.predictor import _dollars

    warned = warnings_for(predictor, budget=5e9)
    assert any(w.startswith("budget $5B is outside the training range [$") for w in warned)
    amounts = (0.3, 150, 10_000, 37.5e6, 395_900_000, 999_999_999.9, 1.2e9, 9.9996e12, 1e13)
    assert [_dollars(v) for v in amounts] == [
        "$0.30",
        "$150",
        "$10,000",
        "$37.5M",
        "$395.9M",
        "$1B",
        "$1.2B",
        "$10T",
        "$10T",
    ]


def test_a_language_the_models_do_not_tell_apart_is_named(predictor) -> None:
    told = predictor.models["pre_release"].features.languages_
    assert "en" in told and "zz" not in told
    english = warnings_for(predictor, original_language="en")
    assert not any("original_language" in w for w in english)
    warned = warnings_for(predictor, original_language="zz")
    assert any(
        w.startswith("original_language 'zz' is not one of the languages the models tell apart")
        and w.endswith("scored as a film in another language")
        for w in warned
    ), warned


def test_a_country_code_that_is_no_country_is_named(predictor) -> None:
    assert not any(
        w.startswith("production_countries '")
        for w in warnings_for(predictor, production_countries=["GB", "SU"])
    )
    warned = warnings_for(predictor, production_countries=["US", "UK", "ZZ"])
    said = [w for w in warned if w.startswith("production_countries '")]
    assert said == [
        "production_countries 'UK' is not an ISO 3166-1 country code (the United Kingdom's code "
        "is 'GB'): counted among the film's countries, as one the models do not tell apart",
        "production_countries 'ZZ' is not an ISO 3166-1 country code: counted among the film's "
        "countries, as one the models do not tell apart",
    ]


def test_a_later_films_budget_is_checked_as_the_models_read_it() -> None:
    """A film after the newest training film is read in that year's dollars: its budget is
    checked against the training range as read, and the warning says both amounts."""
    from serving.predictor import film_warnings

    columns = {
        "budget": [395.9e6, 600e6],
        "release_year": [2027, 2027],
        "release_month": [7, 7],
        "original_language": ["en", "en"],
        **{name: [[], []] for name in ("genres", "production_companies", "keywords")},
        **{name: [[], []] for name in ("production_countries", "spoken_languages")},
        **{name: [None, None] for name in ("directors", "cast", "runtime")},
        **{name: [None, None] for name in ("popularity", "vote_average", "vote_count")},
    }
    warned = film_warnings(
        columns,
        "pre_release",
        {"budget": (1e4, 380e6)},
        newest_year=2016,
        budgets_read=np.array([280e6, 424e6]),
    )
    assert not any("budget" in w for w in warned[0]), warned[0]
    assert (
        "budget $600M (read as $424M of 2016, the newest training film's year) is outside the "
        "training range [$10,000, $380M]: treat the prediction with caution" in warned[1]
    )


def test_a_year_before_the_training_films_says_their_range() -> None:
    """A later year has its own warning; an earlier one is said against the years learned
    from (not "[1916, inf]")."""
    from serving.predictor import film_warnings

    columns = {
        "budget": [5e7, 5e7],
        "release_year": [1900, 2027],
        "release_month": [7, 7],
        "original_language": ["en", "en"],
        **{name: [[], []] for name in ("genres", "production_companies", "keywords")},
        **{name: [[], []] for name in ("production_countries", "spoken_languages")},
        **{name: [None, None] for name in ("directors", "cast", "runtime")},
        **{name: [None, None] for name in ("popularity", "vote_average", "vote_count")},
    }
    warned = film_warnings(columns, "pre_release", {"release_year": (1916, 2016)}, newest_year=2016)
    assert (
        "release_year 1900 is outside the training range [1916, 2016]: treat the prediction "
        "with caution" in warned[0]
    )
    assert not any("outside the training range" in w for w in warned[1])
    assert any(w.startswith("release_year 2027 is 11 year(s) after") for w in warned[1])


def test_a_film_the_models_learned_from_is_said_to_be_in_sample(predictor) -> None:
    """Scored again, a training film (its title in any case and its year) is flagged: its
    forecast is nearer its revenue than a new film's; another year or title is not."""
    from tests.helpers.films import films

    first = films(120).iloc[0]
    year = int(first["release_year"])
    date = f"{year}-06-01"
    said = warnings_for(predictor, title=first["title"].upper(), release_date=date)
    assert f"{first['title'].upper()!r} ({year}) is a film the models learned from" in " ".join(
        said
    )
    for other in ({"title": "Film 9999", "release_date": date}, {"title": first["title"]}):
        assert not any(
            "is a film the models learned from" in w for w in warnings_for(predictor, **other)
        )


def test_a_film_without_votes_is_answered_as_one_not_yet_out(predictor) -> None:
    """TMDB gives a film not yet out vote_count 0 and vote_average 0 (and a popularity): no
    audience signal, so the pre-release model answers it, the same way whichever way the film
    comes in, and says why; a film that asks for the post-release model is told."""
    import asyncio
    import json

    upcoming = {**EXAMPLE_PRE_RELEASE_FILM, "popularity": 15.3, "vote_average": 0, "vote_count": 0}
    single = predictor.revenue([Film.model_validate(upcoming)])[0]
    assert single["model"] == "pre_release"
    assert any(w.startswith("vote_count 0: no votes yet") for w in single["warnings"])
    alone = predictor.revenue([Film.model_validate(EXAMPLE_PRE_RELEASE_FILM)])[0]
    assert single["revenue_usd"] == alone["revenue_usd"]
    body = json.dumps({"films": [upcoming, {**upcoming, "vote_count": 12}]}).encode()
    rows = json.loads(asyncio.run(predictor.batch_from_json(body)))["predictions"]
    assert [row["model"] for row in rows] == ["pre_release", "post_release"]
    assert rows[0]["warnings"] == single["warnings"]
    asked = warnings_for(predictor, **{**upcoming, "model": "post_release"})
    assert any("ask for the pre_release model" in w for w in asked)

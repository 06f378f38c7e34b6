"""One definition of a film: a field added to a copy of the field table appears in the request
schema, the columns the models read, the client's options and CSV columns, the page's form and
the movies table's schema."""

from __future__ import annotations

import datetime as dt

from boxoffice.fields import COUNTRY_CODES, FILM_FIELDS, ISO_3166, FilmField, FormInput
from serving.client import option_fields
from serving.columns import from_films, model_fields
from serving.schema import field_kinds, film_model
from serving.ui import STATIC_DIR, render_index

SEQUEL = FilmField(
    "sequel_number",
    "number",
    "pre",
    "Which sequel the film is (0: an original).",
    ge=0,
    le=50,
    tmdb_column="sequel_number",
    option_help="Which sequel: 0 for an original.",
    form=FormInput("Sequel number", hint="0 for an original."),
)
FIELDS = (*FILM_FIELDS, SEQUEL)


def test_a_new_field_is_in_the_schema_with_its_bounds() -> None:
    film = film_model(FIELDS)
    schema = film.model_json_schema()["properties"]["sequel_number"]
    assert schema["description"] == SEQUEL.description
    assert (
        film.model_validate({"runtime": 90, "budget": 1e6, "sequel_number": 2}).sequel_number == 2
    )
    invalid = film.model_validate
    try:
        invalid({"runtime": 90, "budget": 1e6, "sequel_number": 99})
    except ValueError as error:
        assert "sequel_number" in str(error)
    else:
        raise AssertionError("the bound did not hold")


def test_a_new_field_is_a_column_the_models_read() -> None:
    film = film_model(FIELDS).model_validate(
        {"runtime": 90, "budget": 1e6, "sequel_number": 3, "release_date": dt.date(2020, 5, 1)}
    )
    assert SEQUEL in model_fields(FIELDS)
    assert from_films([film], FIELDS).columns["sequel_number"] == [3.0]


def test_a_new_field_is_a_client_option_and_a_csv_column() -> None:
    options = option_fields(FIELDS)
    assert options["sequel_number"].cli_option == "--sequel-number"
    assert field_kinds(film_model(FIELDS))["sequel_number"] == "number"


def test_a_new_field_is_in_the_form() -> None:
    page = render_index((STATIC_DIR / "index.html").read_text(encoding="utf-8"), FIELDS)
    assert '<input id="sequel_number" name="sequel_number" type="number"' in page
    assert '<p class="hint" id="sequel_number-hint">0 for an original.</p>' in page


def test_a_new_field_with_a_tmdb_column_is_in_the_movies_schema() -> None:
    schema = {f.tmdb_column: f.table_kind for f in FIELDS if f.tmdb_column}
    assert schema["sequel_number"] == "float"


def test_a_new_list_of_codes_is_checked_by_its_rule() -> None:
    """A list of codes reads each code in its rule's case and refuses one that is not a code,
    with no validator of its own."""
    filmed_in = FilmField("filmed_in", "codes", "pre", "ISO 3166-1 codes.", code=ISO_3166)
    film = film_model((*FILM_FIELDS, filmed_in))
    base = {"runtime": 90, "budget": 1e6}
    assert film.model_validate({**base, "filmed_in": ["nz", " gb"]}).filmed_in == ["NZ", "GB"]
    try:
        film.model_validate({**base, "filmed_in": ["New Zealand"]})
    except ValueError as error:
        assert ISO_3166.expected in str(error) and "filmed_in" in str(error)
    else:
        raise AssertionError("a name passed as a code")


def test_the_country_codes_are_pycountrys_current_and_former_ones() -> None:
    import pycountry

    former = {c.alpha_2 for c in pycountry.historic_countries if getattr(c, "alpha_2", None)}
    assert {c.alpha_2 for c in pycountry.countries} | former == COUNTRY_CODES
    assert {"US", "GB", "SU", "YU", "CS"} <= COUNTRY_CODES and "UK" not in COUNTRY_CODES

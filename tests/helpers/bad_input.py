"""Bad films and batches, each with the message its error must carry.

tests/code/test_schema.py checks every row against the request models (milliseconds each);
tests/service/test_http.py sends a few of each class through a real server.
"""

from __future__ import annotations

from typing import Any


def error_text(errors: list[dict[str, Any]]) -> str:
    """Pydantic's error list (as BentoML's 400 body carries it in `detail`) as one line."""
    return " ".join(f"{list(e['loc'])} {e['msg']}" for e in errors)


BAD_FILMS = [
    ({"runtime": "long", "budget": 1e6}, r"\['runtime'\].*valid number"),
    ({"runtime": True, "budget": 1e6}, r"\['runtime'\].*valid number"),
    ({"budget": 1e6}, r"\['runtime'\] Field required"),
    ({"runtime": 100}, r"\['budget'\] required: give 'budget'"),
    # Both told at once: the budget's rule is not left until the fields pass.
    ({"genres": ["Drama"]}, r"\['runtime'\] Field required \['budget'\] required: give"),
    ({"runtime": -5}, r"\['runtime'\].*greater than 0 \['budget'\] required: give"),
    ({"runtime": -5, "budget": 1e6}, r"\['runtime'\].*greater than 0"),
    ({"runtime": 100, "budget": -1}, r"\['budget'\].*-1 is not a budget: an amount in US\$"),
    ({"runtime": 100, "budget": 0}, r"\['budget'\].*0 is TMDB's 'unknown'"),
    ({"runtime": 100, "budget": 1e6, "popularity": -2}, r"\['popularity'\]"),
    ({"runtime": 100, "budget": 1e6, "vote_avg": 11}, r"\['vote_avg'\].*less than or equal"),
    ({"runtime": 100, "budget": 1e6, "log_budget": 12}, r"'budget' 1e\+06 and 'log_budget' 12"),
    ({"runtime": 100, "budget": 150}, r"\[.budget.\].*150 is \$150, under \$10,000, which no film"),
    ({"runtime": 100, "log_budget": 5}, r"\['log_budget'\].*greater than or equal to 9.21"),
    ({"runtime": 100, "log_budget": 99}, r"not a log1p of USD"),
    ({"runtime": 100, "budget": 1e6, "genres": ["Actoin"]}, r"\['genres'\].*unknown genre"),
    (
        {"runtime": 100, "budget": 1e6, "original_language": "english"},
        r"\['original_language'\] 'english' is not an ISO 639-1 code",
    ),
    ({"runtime": 100, "budget": 1e6, "genres": "Action"}, r"\['genres'\].*valid array"),
    ({"runtime": 100, "budget": 1e6, "model": "latest"}, r"\['model'\].*post_release"),
    ({"runtime": 100, "budget": 1e6, "release_date": "2021-02-30"}, r"\['release_date'\]"),
    (
        {"runtime": 100, "budget": 1e6, "release_date": "2020-01-01", "release_year": 2019},
        r"disagree",
    ),
    ({"runtime": 100, "budget": 1e6, "release_year": 3000}, r"\['release_year'\]"),
    ({"runtime": 100, "budget": 1e6, "vote_average": 9, "vote_avg": 1}, r"not both"),
    ({"runtime": 100, "budget": 1e6, "explain_top": 3}, r"'explain_top' needs"),
    ({"runtime": 100, "budget": 1e6, "release_date": 1209600}, r"\['release_date'\].*YYYY"),
    ({"runtime": 100, "budget": 1e6, "release_date": "1209600"}, r"\['release_date'\].*YYYY"),
    ({"runtime": 100, "budget": 1e6, "release_date": "20100501"}, r"\['release_date'\].*YYYY"),
    ({"runtime": 100, "budget": 1e6, "release_date": "0001-01-01"}, r"year 1 is outside"),
    ({"runtime": 100, "budget": 1e6, "production_countries": ["USA"]}, r"'USA' is not a two-"),
    ({"runtime": 100, "budget": 1e6, "spoken_languages": ["klingon"]}, r"'klingon' is not a"),
    ({"runtime": 100, "budget": 1e6, "production_countries": ["us", "ß"]}, r"'ß' is not a two-"),
    (
        {"runtime": 100, "budget": 1e6, "production_countries": ["US, GB"]},
        r"'US, GB' is not a two-.*holds several.*separated by \|",
    ),
    (
        {"runtime": 100, "budget": 1e6, "release_date": "2027-05-01 00:00:00"},
        r"\['release_date'\].*give the date alone, '2027-05-01'",
    ),
    ({"runtime": 100, "budget": 1e6, "genres": ["x" * 100]}, r"unknown genre\(s\) 'xxx+…;"),
    ({"runtime": 100, "budget": 1e6, "vote_count_typo": 5}, r"\['vote_count_typo'\].*Extra"),
    ({"runtime": 1e308, "budget": 1e6}, r"\['runtime'\].*less than or equal"),
    ({"runtime": 100, "budget": 1e300}, r"\['budget'\].*less than or equal"),
    ({"runtime": 100, "budget": 1e6, "popularity": 1e300}, r"\['popularity'\]"),
    ({"runtime": 100, "budget": 1e6, "studio_share": 0}, r"\['studio_share'\].*greater than or"),
    ({"runtime": 100, "budget": 1e6, "studio_share": 5e-324}, r"\['studio_share'\]"),
    ({"runtime": 100, "budget": 1e6, "studio_share": 1.2}, r"\['studio_share'\].*less than or"),
    ({"runtime": 100, "budget": 1e6, "marketing_usd": -1}, r"\['marketing_usd'\].*-1 is negative"),
]

BAD_BATCHES = [
    ([], r"\['films'\].*at least 1"),
    (
        [{"runtime": 100, "budget": 1e6}] * 10_001,
        r"\['films'\].*10,001 films: at most 10,000.*POST /predict_table",
    ),
    (
        [{"runtime": 100, "budget": 1e6}, {"runtime": 0, "budget": 1e6}],
        r"\['films', 1, 'runtime'\].*greater than 0",
    ),
    ([{"runtime": 100, "budget": 1e6}] * 3 + [{"runtime": 100}], r"\['films', 3, 'budget'\]"),
]

# Scenario requests on EXAMPLE_PRE_RELEASE_FILM: the error names the scenario's index and field.
BAD_SCENARIOS = [
    ([], r"\['scenarios'\].*at least 1"),
    ([{}] * 501, r"\['scenarios'\].*at most 500"),
    ([{"budget": 1e6}, {"budget": -1}], r"\[.scenarios., 1, .budget.\].*not a budget"),
    ([{}, {}, {"genres": ["Actoin"]}], r"\['scenarios', 2, 'genres'\].*unknown genre"),
    ([{"release_date": "2027-13-01"}], r"\['scenarios', 0, 'release_date'\]"),
    ([{"budget_typo": 5}], r"\['scenarios', 0, 'budget_typo'\].*Extra"),
    ([{"explain": True}], r"\['scenarios', 0\].*'explain' is not available"),
    ([{"budget": 1e6, "log_budget": 12}], r"\['scenarios', 0, 'log_budget'\].*disagree"),
]

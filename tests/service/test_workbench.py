"""The analyst's APIs against a real server: scenarios, comparable films, and forecasts that say
how far beyond the data they reach."""

from __future__ import annotations

import re

import httpx
import pytest

from serving.schema import EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.bad_input import BAD_SCENARIOS, error_text

pytestmark = pytest.mark.slow

AVATAR = {
    "title": "Avatar",
    "budget": 237_000_000,
    "runtime": 162,
    "release_date": "2009-12-10",
    "genres": ["Action", "Adventure", "Fantasy", "Science Fiction"],
    "original_language": "en",
    "production_countries": ["US", "GB"],
}


def test_scenarios_answer_the_base_and_each_change_in_order(http: httpx.Client) -> None:
    body = {
        "film": EXAMPLE_PRE_RELEASE_FILM,
        "scenarios": [
            {"budget": 40_000_000},
            {"release_date": "2028-12-18"},
            {"genres": ["Horror"]},
        ],
    }
    answer = http.post("/predict_scenarios", json=body).json()
    base, scenarios = answer["base"], answer["scenarios"]
    assert base["changed"] == [] and [s["changed"] for s in scenarios] == [
        ["budget"],
        ["release_date"],
        ["genres"],
    ]
    assert scenarios[0]["revenue_usd"] < base["revenue_usd"]  # a smaller budget, less revenue
    assert (
        scenarios[1]["horizon_years"] > base["horizon_years"]
        and scenarios[1]["dollars_year"] == 2028
    )
    single = http.post("/predict_revenue", json=EXAMPLE_PRE_RELEASE_FILM).json()
    assert base["log_revenue"] == pytest.approx(single["revenue"], abs=1e-9)
    assert set(answer["models"]) == {"pre_release"}


@pytest.mark.parametrize(("scenarios", "message"), [BAD_SCENARIOS[2], BAD_SCENARIOS[5]])
def test_a_bad_scenario_is_400_naming_its_index_and_field(
    http: httpx.Client, scenarios: list, message: str
) -> None:
    body = {"film": EXAMPLE_PRE_RELEASE_FILM, "scenarios": scenarios}
    response = http.post("/predict_scenarios", json=body)
    assert response.status_code == 400
    assert re.search(message, error_text(response.json()["detail"])), response.text


def test_comparable_films_are_the_most_similar_first(http: httpx.Client) -> None:
    answer = http.post("/comparable_films", json={**EXAMPLE_PRE_RELEASE_FILM, "k": 5}).json()
    films = answer["films"]
    assert answer["k"] == 5 and len(films) == 5
    similarities = [f["similarity"] for f in films]
    assert similarities == sorted(similarities, reverse=True) and 0 < similarities[-1] <= 1
    for film in films:
        assert film["is_hit"] == (film["revenue_usd"] > 2 * film["budget_usd"])
        assert film["revenue_to_budget"] == pytest.approx(film["revenue_usd"] / film["budget_usd"])
    default = http.post("/comparable_films", json=EXAMPLE_PRE_RELEASE_FILM).json()
    assert default["k"] == 8 and len(default["films"]) == 8


def test_a_film_of_the_data_is_not_its_own_comp(http: httpx.Client) -> None:
    films = http.post("/comparable_films", json={**AVATAR, "k": 10}).json()["films"]
    assert ("Avatar", 2009) not in {(f["title"], f["release_year"]) for f in films}
    untitled = http.post("/comparable_films", json={**AVATAR, "title": None, "k": 10}).json()
    assert ("Avatar", 2009) in {(f["title"], f["release_year"]) for f in untitled["films"]}


@pytest.mark.parametrize("k", [0, 51, "8", 2.5])
def test_a_bad_k_is_400(http: httpx.Client, k: object) -> None:
    response = http.post("/comparable_films", json={**EXAMPLE_PRE_RELEASE_FILM, "k": k})
    assert response.status_code == 400 and "'k'" in error_text(response.json()["detail"])


def test_a_film_years_ahead_says_so_and_gets_a_wider_interval(http: httpx.Client) -> None:
    near = http.post(
        "/predict_revenue", json={**EXAMPLE_PRE_RELEASE_FILM, "release_date": "2016-07-01"}
    )
    far = http.post(
        "/predict_revenue", json={**EXAMPLE_PRE_RELEASE_FILM, "release_date": "2030-07-01"}
    )
    near, far = near.json(), far.json()
    assert (near["horizon_years"], far["horizon_years"]) == (0, 14)
    assert far["dollars_year"] == 2030
    width = lambda a: a["log_revenue_p90"] - a["log_revenue_p10"]  # noqa: E731
    assert width(far) > width(near)
    assert any("14 year(s) after the newest training film" in w for w in far["warnings"])


SLATE = [
    EXAMPLE_PRE_RELEASE_FILM,
    {**EXAMPLE_PRE_RELEASE_FILM, "budget": 40_000_000, "genres": ["Comedy"], "title": "B"},
    {**EXAMPLE_PRE_RELEASE_FILM, "budget": 75_000_000, "genres": ["Animation"], "title": "C"},
]


def test_a_slate_is_its_films_and_their_totals(http: httpx.Client) -> None:
    body = {"films": SLATE, "studio_share": 0.55, "marketing_usd": 25_000_000}
    answer = http.post("/predict_slate", json=body).json()
    assert (answer["studio_share"], answer["marketing_usd"]) == (0.55, 25_000_000)
    batch = http.post(
        "/predict_batch",
        json={"films": [{**f, "studio_share": 0.55, "marketing_usd": 25_000_000} for f in SLATE]},
    ).json()
    assert answer["films"] == batch["predictions"]
    hits, total = answer["hits"], answer["total"]
    assert hits["expected"] == pytest.approx(sum(f["probability"] for f in answer["films"]))
    at_least = hits["at_least"]
    assert len(at_least) == 4 and at_least[0] == 1 and at_least == sorted(at_least, reverse=True)
    assert total["revenue_p10_usd"] < total["revenue_usd"] < total["revenue_p90_usd"]
    assert total["marketing_usd"] == 75_000_000
    assert http.post("/predict_slate", json=body).json() == answer  # seeded: the same answer
    # A film dated by its year alone is a slate's film too.
    dated_by_year = {k: v for k, v in SLATE[1].items() if k != "release_date"}
    body = {"films": [SLATE[0], {**dated_by_year, "release_year": 2027}]}
    assert http.post("/predict_slate", json=body).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"films": SLATE, "studio_share": 0}, "studio_share"),
        ({"films": SLATE, "studio_share": 1.5}, "studio_share"),
        ({"films": SLATE, "marketing_usd": -1}, "marketing_usd"),
        ({"films": []}, "films"),
        ({"films": [SLATE[0]] * 501}, "films"),
        ({"films": [SLATE[0], {**SLATE[1], "studio_share": 2}]}, r"films\.1\.studio_share"),
        ({"films": [SLATE[0], {**SLATE[1], "runtime": -5}]}, r"films\.1\.runtime"),
        # Undated, a film would be scored in the training films' median year's dollars and
        # added to the others'.
        ({"films": [SLATE[0], {**SLATE[1], "release_date": None}]}, r"films\.1\.release_date"),
    ],
)
def test_a_bad_slate_is_400_naming_the_field(http: httpx.Client, body: dict, field: str) -> None:
    response = http.post("/predict_slate", json=body)
    assert response.status_code == 400, response.text
    locs = [".".join(map(str, d["loc"])) for d in response.json()["detail"]]
    assert any(re.search(field, loc) for loc in locs), locs


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"studio_share": 0}, "studio_share"), ({"marketing_usd": -1e6}, "marketing_usd")],
)
def test_bad_assumptions_on_a_film_are_400(http: httpx.Client, changes: dict, field: str) -> None:
    response = http.post("/predict_revenue", json={**EXAMPLE_PRE_RELEASE_FILM, **changes})
    assert response.status_code == 400
    assert field in error_text(response.json()["detail"])


def test_a_budget_sweep_never_contradicts_itself(http: httpx.Client) -> None:
    """The page's sweep: every budget's forecast and verdict agree, and P(hit) falls where the
    forecast's multiple falls below the hit line."""
    budgets = [EXAMPLE_PRE_RELEASE_FILM["budget"] * 2 ** (k / 5) for k in range(-10, 11)]
    body = {"film": EXAMPLE_PRE_RELEASE_FILM, "scenarios": [{"budget": b} for b in budgets]}
    answer = http.post("/predict_scenarios", json=body).json()
    ratio = answer["models"]["pre_release"]["hit_ratio"]
    points = answer["scenarios"]
    for budget, point in zip(budgets, points, strict=True):
        assert (point["revenue_usd"] >= ratio * budget) == point["is_hit"]
        assert point["p_profit"] == point["probability"]
    multiples = [p["revenue_usd"] / b for p, b in zip(points, budgets, strict=True)]
    for k in range(1, len(points)):
        if multiples[k] < multiples[k - 1] and multiples[k] < ratio:
            assert points[k]["probability"] <= points[k - 1]["probability"] + 1e-12

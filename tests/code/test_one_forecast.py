"""One forecast per film: every answer about a film is read from one distribution, so none can
contradict another; profit follows the analyst's assumptions; a slate is simulated from the
same distributions. Tiny real models on built films, no server."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from boxoffice import slate
from boxoffice.config import DEFAULT_STUDIO_SHARE
from serving.predictor import Predictor
from serving.schema import EXAMPLE_PRE_RELEASE_FILM, Film, SlateRequest, SlateResult
from tests.helpers.films import films as built_films
from tests.helpers.models import tiny_predictor


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return tiny_predictor()


def varied(n: int = 400) -> list[Film]:
    """Films of every budget from $1M to $400M, with and without post-release signals, in and
    beyond the training years."""
    frame = built_films(n)
    rng = np.random.default_rng(3)
    out = []
    for i, row in enumerate(frame.to_dict(orient="records")):
        film = {
            "budget": float(np.exp(rng.uniform(np.log(1e6), np.log(4e8)))),
            "runtime": row["runtime"],
            "genres": row["genres"],
            "release_year": int(rng.integers(1990, 2030)),
            "production_companies": row["production_companies"],
            "keywords": row["keywords"],
        }
        if i % 2:
            film |= {
                "popularity": row["popularity"],
                "vote_average": row["vote_average"],
                "vote_count": row["vote_count"],
            }
        out.append(Film.model_validate(film))
    return out


def test_no_film_gets_a_forecast_and_a_verdict_that_disagree(predictor) -> None:
    """The median is at least the hit ratio × the budget exactly when P(hit) ≥ 0.5."""
    films = varied()
    answer = predictor.both(films)
    ratio = {fs: m["hit_ratio"] for fs, m in answer["models"].items()}
    agree = [
        (row["revenue_usd"] >= ratio[row["model"]] * film.budget) == (row["probability"] >= 0.5)
        for row, film in zip(answer["predictions"], films, strict=True)
    ]
    assert all(agree)
    below = sum(row["probability"] < 0.5 for row in answer["predictions"])
    assert 10 <= below <= len(films) - 10  # both sides are exercised


def test_p_profit_is_p_hit_at_the_default_assumptions(predictor) -> None:
    films = varied(100)
    for row, film in zip(predictor.both(films)["predictions"], films, strict=True):
        assert row["p_profit"] == row["probability"]
        assert row["break_even_revenue_usd"] == 2 * film.budget  # the hit line
    hits = predictor.hit(varied(20))
    assert all(answer["p_profit"] == answer["probability"] for answer in hits)


def test_profit_rises_with_the_studio_share_and_falls_with_marketing(predictor) -> None:
    base = Film.model_validate(EXAMPLE_PRE_RELEASE_FILM)
    shares = [base.model_copy(update={"studio_share": s}) for s in (0.3, 0.5, 0.7, 1.0)]
    spends = [base.model_copy(update={"marketing_usd": m}) for m in (0, 2e7, 8e7, 2e8)]
    for films, rising in ((shares, True), (spends, False)):
        answers = predictor.revenue(films)
        for key in ("profit_usd", "profit_p10_usd", "profit_p90_usd", "p_profit"):
            values = [a[key] for a in answers]
            assert values == sorted(values, reverse=not rising), key
            assert len(set(values)) == len(values), key
        for film, a in zip(films, answers, strict=True):
            share = film.studio_share or DEFAULT_STUDIO_SHARE
            marketing = film.marketing_usd or 0.0
            assert a["break_even_revenue_usd"] == pytest.approx((film.budget + marketing) / share)
            assert a["profit_usd"] == pytest.approx(
                share * a["revenue_usd"] - film.budget - marketing
            )
            # P(profit > 0) ≥ 0.5 exactly when the median revenue breaks even.
            assert (a["p_profit"] >= 0.5) == (a["revenue_usd"] >= a["break_even_revenue_usd"])
            assert a["profit_p10_usd"] < a["profit_usd"] < a["profit_p90_usd"]


def test_explanations_add_up_to_the_answers(predictor) -> None:
    film = Film.model_validate({**EXAMPLE_PRE_RELEASE_FILM, "explain": True})
    revenue, hit = predictor.revenue([film])[0], predictor.hit([film])[0]
    explained = revenue["explanation"]
    total = explained["base"] + sum(c["contribution"] for c in explained["contributions"])
    assert total == pytest.approx(revenue["log_revenue"], abs=1e-6)  # the median, not the raw model
    factors = math.prod(c["factor"] for c in explained["contributions"])
    assert math.expm1(explained["base"]) * factors == pytest.approx(
        revenue["revenue_usd"], rel=1e-3
    )
    points = hit["explanation"]
    assert points["units"] == "probability"
    total = points["base"] + sum(c["contribution"] for c in points["contributions"])
    assert total == pytest.approx(hit["probability"], abs=1e-9)
    # The same drivers, in the same order, on both views.
    assert [c["feature"] for c in points["contributions"]] == [
        c["feature"] for c in explained["contributions"]
    ]


def test_p_hits_budget_driver_says_what_the_budget_does_to_p_hit(predictor) -> None:
    """P(hit) starts from an average film, at the training films' median budget; the budget's
    driver moves the hit line to the film's, so a budget that lowers P(hit) (its forecast
    rises less than the revenue a hit needs) is a driver against a hit."""
    reference = predictor.models["pre_release"].reference_budget
    base = {**EXAMPLE_PRE_RELEASE_FILM, "explain": True}
    for factor in (0.2, 5.0, 20.0):
        film = Film.model_validate({**base, "budget": reference * factor})
        at_reference = Film.model_validate({**base, "budget": reference})
        answer, typical = predictor.hit([film, at_reference])
        points = answer["explanation"]
        assert points["reference_budget_usd"] == pytest.approx(reference)
        driver = next(c for c in points["contributions"] if c["feature"] == "budget")
        change = answer["probability"] - typical["probability"]
        assert np.sign(driver["contribution"]) == np.sign(change), factor


def _slate(n: int = 40, **assumptions: float) -> SlateRequest:
    return SlateRequest.model_validate(
        {"films": [f.model_dump() for f in varied(n)], **assumptions}
    )


def test_a_slates_film_gives_every_post_release_field_or_none() -> None:
    """Some of them alone would be read with the others at the training median, and added to
    the slate's totals: refused at the first one missing, beside the film's other problems."""
    dated = {**EXAMPLE_PRE_RELEASE_FILM, "release_date": "2027-07-02"}
    SlateRequest.model_validate(
        {"films": [dated, {**dated, "popularity": 20.0, "vote_average": 7.0, "vote_count": 900}]}
    )
    Film.model_validate({**dated, "vote_average": 7.0})  # one film of /predict_batch: a warning
    undated = {k: v for k, v in dated.items() if k != "release_date"}
    with pytest.raises(ValidationError) as refused:
        SlateRequest.model_validate({"films": [dated, {**undated, "vote_average": 7.0}]})
    said = {e["loc"]: e["msg"] for e in refused.value.errors()}
    assert set(said) == {("films", 1, "release_date"), ("films", 1, "popularity")}
    assert said[("films", 1, "popularity")].startswith(
        "vote_average given without the other post-release fields"
    )
    # beside a field's own error too, and read under the original clients' alias (vote_avg)
    bad_genre = {**undated, "genres": ["Sci-Fi"], "vote_avg": 7.0}
    with pytest.raises(ValidationError) as refused:
        SlateRequest.model_validate({"films": [bad_genre]})
    said = {e["loc"]: e["msg"] for e in refused.value.errors()}
    assert set(said) == {
        ("films", 0, "genres"),
        ("films", 0, "release_date"),
        ("films", 0, "popularity"),
    }
    # a post-release field's own error is not told the rule besides
    with pytest.raises(ValidationError) as refused:
        SlateRequest.model_validate({"films": [{**dated, "vote_average": 11.0}]})
    assert [e["loc"] for e in refused.value.errors()] == [("films", 0, "vote_average")]


def test_a_slate_answer_matches_its_model_and_its_films(predictor) -> None:
    request = _slate(40, studio_share=0.55, marketing_usd=1e7)
    answer = predictor.slate(request)
    TypeAdapter(SlateResult).validate_python(answer, strict=True)
    hits = answer["hits"]
    at_least = hits["at_least"]
    assert len(at_least) == 41 and at_least[0] == 1.0
    assert all(a >= b for a, b in itertools.pairwise(at_least))  # non-increasing
    assert hits["expected"] == pytest.approx(sum(f["probability"] for f in answer["films"]))
    # The simulated count's mean is the same number, up to the simulation's error.
    assert sum(at_least[1:]) == pytest.approx(hits["expected"], abs=0.15)
    assert hits["p10"] <= hits["expected"] <= hits["p90"]
    total = answer["total"]
    assert total["revenue_p10_usd"] < total["revenue_usd"] < total["revenue_p90_usd"]
    assert total["budget_usd"] == pytest.approx(sum(f.budget for f in request.films))
    assert total["marketing_usd"] == pytest.approx(40 * 1e7)
    # Each film in the slate is answered as /predict_batch answers it under the same assumptions.
    alone = predictor.both(
        [f.model_copy(update={"studio_share": 0.55, "marketing_usd": 1e7}) for f in request.films]
    )["predictions"]
    assert answer["films"] == alone
    assert predictor.slate(request) == answer  # the same slate, the same answer


def test_a_films_own_marketing_overrides_the_slates(predictor) -> None:
    films = [f.model_dump() for f in varied(10)][:3]
    films[1]["marketing_usd"] = 5e7
    answer = predictor.slate(SlateRequest.model_validate({"films": films, "marketing_usd": 1e6}))
    budgets = [f["budget"] for f in films]
    assert [f["break_even_revenue_usd"] for f in answer["films"]] == pytest.approx(
        [(b + m) / DEFAULT_STUDIO_SHARE for b, m in zip(budgets, (1e6, 5e7, 1e6), strict=True)]
    )


def test_the_year_term_widens_a_slates_range(predictor) -> None:
    """Films of one year move together: their total's range is wider than independent films'
    would be, and the number of hits' spread too; each film's own P(hit) is unchanged."""
    request = _slate(60)
    scores = predictor.score(request.films)
    films = slate.SlateFilms(
        centre=scores.centre,
        spread=scores.spread,
        horizon=scores.horizons,
        release_year=np.full(60, 2014.0),
        budget=scores.budget,
        marketing=scores.marketing,
        studio_share=scores.studio_share,
        distribution=[predictor.models[fs].distribution for fs in scores.feature_sets],
        hit_ratio=2.0,
    )
    shared, independent = (slate.simulate(films, shared=s) for s in (True, False))
    width = {
        name: np.subtract(*np.quantile(np.log(draws.revenue), [0.9, 0.1]))
        for name, draws in (("shared", shared), ("independent", independent))
    }
    assert width["shared"] > 1.1 * width["independent"]
    assert np.std(shared.hits) > np.std(independent.hits)
    assert np.mean(shared.hits) == pytest.approx(np.mean(independent.hits), rel=0.05)


def test_a_slate_of_one_film_totals_that_films_answer(predictor) -> None:
    """Each film's draws are its own distribution's quantiles: a one-film slate's total, its
    chance of a profit and of a hit are the film's own (to 1 / draws), on one screen alike."""
    for film in varied(12):
        answer = predictor.slate(SlateRequest.model_validate({"films": [film.model_dump()]}))
        row, total = answer["films"][0], answer["total"]
        assert total["revenue_usd"] == pytest.approx(row["revenue_usd"], rel=1e-3)
        assert total["revenue_p10_usd"] == pytest.approx(row["revenue_p10_usd"], rel=1e-3)
        assert total["revenue_p90_usd"] == pytest.approx(row["revenue_p90_usd"], rel=1e-3)
        assert total["profit_usd"] == pytest.approx(row["profit_usd"], rel=1e-3, abs=1e3)
        assert total["p_profit"] == pytest.approx(row["p_profit"], abs=1.5 / slate.N_DRAWS)
        at_least_one = answer["hits"]["at_least"][1]
        assert at_least_one == pytest.approx(row["probability"], abs=1.5 / slate.N_DRAWS)


def test_past_its_residuals_range_a_films_p_hit_is_its_slates(predictor) -> None:
    """A film whose hit line nears or passes the top of Z's table (a budget of billions): its
    P(hit) comes from the same reading of the table as a slate's draws, so its slate agrees
    (the table's ends had held P(hit) at 1 / (2 n) while the draws gave 0 hits)."""
    levels, _ = predictor.models["pre_release"].distribution.table()
    floor = 1 / (2 * (len(levels) - 2))  # the least P(hit) the table's own levels gave
    probabilities = []
    for budget in np.geomspace(1e9, 1e10, 25):
        film = {"budget": budget, "runtime": 100, "genres": ["Documentary"], "release_year": 2014}
        answer = predictor.slate(SlateRequest.model_validate({"films": [film] * 20}))
        p = answer["films"][0]["probability"]
        probabilities.append(p)
        assert answer["hits"]["expected"] == pytest.approx(20 * p)
        assert sum(answer["hits"]["at_least"][1:]) == pytest.approx(20 * p, abs=20 / slate.N_DRAWS)
        one = predictor.slate(SlateRequest.model_validate({"films": [film]}))
        assert one["hits"]["at_least"][1] == pytest.approx(p, abs=1.5 / slate.N_DRAWS)
    assert any(0 < p < floor for p in probabilities) and 0.0 in probabilities


def test_on_the_hit_line_the_verdict_follows_the_median(predictor) -> None:
    """A line exactly at the median revenue (in USD, as answered) is reached: P ≥ 0.5; a line
    one step above it is not: P < 0.5, however the two readings of the curve round."""
    from boxoffice.distribution import LOG_REVENUE_CEILING, chance_above, read_forecasts

    model = predictor.models["pre_release"]
    centre = np.linspace(14.0, 20.0, 2001)
    budget = np.full_like(centre, 5e7)
    read = read_forecasts(model.distribution, centre, budget, np.zeros_like(centre), 2.0)
    median_usd = np.expm1(np.clip(read.median, 0.0, LOG_REVENUE_CEILING))
    at = chance_above(model.distribution, centre, read.spread, read.median, median_usd)
    above = chance_above(
        model.distribution, centre, read.spread, read.median, np.nextafter(median_usd, np.inf)
    )
    assert (at >= 0.5).all() and (above < 0.5).all()
    assert np.abs(at - 0.5).max() < 1e-6 and np.abs(above - 0.5).max() < 1e-6


def test_a_repeated_genre_counts_once_and_is_said(predictor) -> None:
    base = {"budget": 1e8, "runtime": 120, "release_year": 2014}
    once, twice = predictor.both(
        [
            Film.model_validate({**base, "genres": ["Action"]}),
            Film.model_validate({**base, "genres": ["Action", "action"]}),
        ]
    )["predictions"]
    assert twice["revenue_usd"] == once["revenue_usd"]
    assert "genres: 1 repeated item(s) counted once" in twice["warnings"]
    assert not any("repeated" in w for w in once["warnings"])


def test_drivers_of_a_list_left_out_say_so(predictor) -> None:
    """A list the film leaves out is scored with a typical count and track record: its drivers
    say '(not given)'; an empty list is given (none), and its drivers are plain."""
    base = {"budget": 5e6, "runtime": 100, "genres": ["Drama"], "release_year": 2014}
    left_out, empty = (
        predictor.revenue([Film.model_validate({**base, "explain": True, **extra})])[0]
        for extra in ({}, {"keywords": [], "production_companies": []})
    )
    said = [c["feature"] for c in left_out["explanation"]["contributions"]]
    plain = [c["feature"] for c in empty["explanation"]["contributions"]]
    assert not any(f.startswith("number of keywords") for f in said + plain)  # pre-release
    counts = [
        f
        for f in said
        if f.startswith(("companies' track record", "number of production companies"))
    ]
    assert counts and all(f.endswith("(not given)") for f in counts)
    assert not any("(not given)" in f for f in plain if "keyword" in f or "compan" in f)


def test_a_slate_answers_the_same_in_any_order(predictor) -> None:
    """The draws follow the films, not where they are listed: a slate reordered totals the same."""
    request = _slate(30, marketing_usd=2e6)
    answer = predictor.slate(request)
    order = np.random.default_rng(5).permutation(30)
    shuffled = request.model_copy(update={"films": [request.films[i] for i in order]})
    again = predictor.slate(shuffled)
    # Equal to the last digits that a sum in another order keeps.
    assert _close(again["total"], answer["total"])
    assert _close(again["hits"], answer["hits"])
    assert [f["index"] for f in again["films"]] == list(range(30))
    unindexed = [{k: v for k, v in f.items() if k != "index"} for f in answer["films"]]
    assert _close(
        [{k: v for k, v in f.items() if k != "index"} for f in again["films"]],
        [unindexed[i] for i in order],
    )


def _close(a: object, b: object) -> bool:
    """Equal answers, their numbers to 12 significant digits."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return a == b

"""Every answer the predictor builds matches the response model the API documents.

The service serialises the predictor's dicts itself (validating them on every request would
cost more than the models), so this is where their shape is checked: single and batch answers,
with and without explanations, from both feature sets, against the response models with
extra keys forbidden. No server, no trained run: tiny real models on built films.
"""

from __future__ import annotations

import math

import pytest
from pydantic import TypeAdapter

from serving.predictor import Predictor
from serving.schema import (
    EXAMPLE_FILM,
    EXAMPLE_PRE_RELEASE_FILM,
    BatchResult,
    Film,
    HitResult,
    RevenueResult,
    ScenariosRequest,
    ScenariosResult,
)
from tests.helpers.models import tiny_predictor

FILMS = {
    "post_release": Film.model_validate(EXAMPLE_FILM),
    "pre_release": Film.model_validate(EXAMPLE_PRE_RELEASE_FILM),
}


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return tiny_predictor()


def films(feature_set: str, explain: bool, n: int = 3) -> list[Film]:
    changes = {"explain": True, "explain_top": 4} if explain else {}
    return [FILMS[feature_set].model_copy(update=changes)] * n


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize("feature_set", ["post_release", "pre_release"])
def test_single_answers_match_their_models(predictor, feature_set: str, explain: bool) -> None:
    for answer in predictor.revenue(films(feature_set, explain)):
        TypeAdapter(RevenueResult).validate_python(answer, strict=True)
        assert answer["model"] == feature_set and ("explanation" in answer) == explain
        assert answer["revenue"] == answer["log_revenue"]
        assert answer["revenue_p10_usd"] < answer["revenue_usd"] < answer["revenue_p90_usd"]
    for answer in predictor.hit(films(feature_set, explain)):
        TypeAdapter(HitResult).validate_python(answer, strict=True)
        assert answer["is_hit"] == (answer["probability"] >= answer["threshold"])
        assert ("explanation" in answer) == explain


@pytest.mark.parametrize("explain", [False, True])
def test_batch_answer_matches_its_model(predictor, explain: bool) -> None:
    batch = films("post_release", explain, 2) + films("pre_release", False, 2)
    answer = predictor.both(batch, start=10)
    TypeAdapter(BatchResult).validate_python(answer, strict=True)
    assert [row["index"] for row in answer["predictions"]] == [10, 11, 12, 13]
    assert set(answer["models"]) == {"post_release", "pre_release"}
    assert [("explanation" in row) for row in answer["predictions"]] == [explain] * 2 + [False] * 2


def test_the_three_answers_are_projections_of_one_pass(predictor) -> None:
    batch = films("post_release", True, 1) + films("pre_release", True, 1)
    rows = predictor.both(batch)["predictions"]
    for row, revenue, hit in zip(rows, predictor.revenue(batch), predictor.hit(batch), strict=True):
        for key in ("log_revenue", "revenue_usd", "revenue_p10_usd", "revenue_p90_usd"):
            assert row[key] == revenue[key]
        assert (row["probability"], row["is_hit"]) == (hit["probability"], hit["is_hit"])
        assert row["explanation"] == {"revenue": revenue["explanation"], "hit": hit["explanation"]}
        assert math.isclose(math.expm1(revenue["log_revenue_p10"]), revenue["revenue_p10_usd"])


def test_scenarios_answer_matches_its_model_and_the_batch(predictor) -> None:
    request = ScenariosRequest.model_validate(
        {
            "film": EXAMPLE_PRE_RELEASE_FILM,
            "scenarios": [
                {"budget": 80_000_000},
                {"release_date": "2027-12-18"},
                {},
                {"budget": EXAMPLE_PRE_RELEASE_FILM["budget"], "runtime": 90},  # budget as is
            ],
        }
    )
    answer = predictor.scenarios(request)
    TypeAdapter(ScenariosResult).validate_python(answer, strict=True)
    assert answer["base"]["changed"] == []
    assert [s["changed"] for s in answer["scenarios"]] == [
        ["budget"],
        ["release_date"],
        [],
        ["runtime"],
    ]
    batch = predictor.both(request.films())["predictions"]
    assert answer["scenarios"][0]["log_revenue"] == batch[1]["log_revenue"]
    assert answer["scenarios"][2]["log_revenue"] == answer["base"]["log_revenue"]


def test_a_film_may_bring_its_own_hit_threshold(predictor) -> None:
    default, strict, lenient = (
        FILMS["pre_release"].model_copy(update={"hit_threshold": t}) for t in (None, 0.99, 0.01)
    )
    answers = predictor.hit([default, strict, lenient])
    assert [a["threshold"] for a in answers] == [0.5, 0.99, 0.01]
    assert [a["is_hit"] for a in answers[1:]] == [False, True]
    rows = predictor.both([strict, lenient])["predictions"]
    assert [r["is_hit"] for r in rows] == [False, True]

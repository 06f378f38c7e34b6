"""A revenue forecast far outside any film's is clipped (and flagged), never an overflow."""

from __future__ import annotations

import math

import numpy as np

from serving.predictor import LOG_REVENUE_CEILING, clip_log_revenue


def test_forecasts_outside_zero_to_a_trillion_are_clipped_and_flagged() -> None:
    values = np.array([17.5, -3.0, 800.0, np.nan, np.inf, LOG_REVENUE_CEILING])
    clipped, outside = clip_log_revenue(values)
    assert list(outside) == [False, True, True, True, True, False]
    assert clipped[0] == 17.5 and clipped[1] == 0.0 and clipped[2] == LOG_REVENUE_CEILING
    assert clipped[3] == 0.0 and clipped[4] == LOG_REVENUE_CEILING
    assert all(math.isfinite(math.expm1(v + 3.0)) for v in clipped)  # interval ends too


def test_a_forecast_at_the_ceiling_never_contradicts_its_verdict(monkeypatch) -> None:
    """The median shown is clipped at $1 trillion: P(hit) and P(profit) are read from the same
    clipped distribution, so a hit line above the ceiling is never passed."""
    from serving.schema import Film
    from tests.helpers.models import tiny_predictor

    predictor = tiny_predictor()
    for model in predictor.models.values():
        monkeypatch.setattr(
            model.pipeline, "predict", lambda X: np.full(len(X["budget"]), 40.0), raising=False
        )
    films = [
        Film.model_validate({"budget": budget, "runtime": 100, "release_date": "2010-01-01"})
        for budget in (4e11, 5e11, 5.2e11, 6e11, 9e11, 5e12)
    ]
    for film, row in zip(films, predictor.both(films)["predictions"], strict=True):
        hit_line = 2.0 * film.budget_usd
        assert row["revenue_usd"] <= 1e12 * (1 + 1e-9)
        assert (row["revenue_usd"] >= hit_line) == (row["probability"] >= 0.5), row
        assert (row["revenue_usd"] >= row["break_even_revenue_usd"]) == (row["p_profit"] >= 0.5)


def test_the_explanation_and_the_slate_read_the_clipped_distribution_too(monkeypatch) -> None:
    """A film whose hit line is above the ceiling has P(hit) 0: its P(hit) explanation adds up
    to 0, and no simulated slate counts it a hit."""
    from serving.schema import Film, SlateRequest
    from tests.helpers.models import tiny_predictor

    predictor = tiny_predictor()
    for model in predictor.models.values():
        monkeypatch.setattr(
            model.pipeline, "predict", lambda X: np.full(len(X["budget"]), 40.0), raising=False
        )
    film = {"budget": 5.2e11, "runtime": 100, "release_date": "2010-01-01"}
    hit = predictor.hit([Film.model_validate({**film, "explain": True})])[0]
    assert hit["probability"] == 0.0 and hit["explanation"]["output"] == 0.0
    answer = predictor.slate(SlateRequest.model_validate({"films": [film, film]}))
    assert answer["hits"]["expected"] == 0.0 and answer["hits"]["at_least"][1] == 0.0
    assert answer["total"]["revenue_usd"] <= 2e12 * (1 + 1e-9)

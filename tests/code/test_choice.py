"""The revenue configuration is chosen on both answers its forecast serves: the lowest RMSE
among the candidates whose forecast ranks hits within the tolerance of the best."""

from __future__ import annotations

from training.models import REGRESSORS
from training.train import HIT_AUC_TOLERANCE, TunedCandidate, _choose


def candidates(scores: list[tuple[float, float | None]]) -> list[TunedCandidate]:
    return [
        TunedCandidate(candidate, None, {}, rmse, 0.1, 1.0, hit_auc)
        for candidate, (rmse, hit_auc) in zip(REGRESSORS, scores, strict=False)
    ]


def chosen(scores: list[tuple[float, float | None]]) -> int:
    tuned = candidates(scores)
    choice = _choose(("revenue", "pre_release"), tuned, (2005, 2006))
    assert "ranks hits" in choice.rule and "2005, 2006" in choice.rule
    return tuned.index(choice.chosen)


def test_lowest_rmse_when_it_ranks_hits_as_well() -> None:
    assert chosen([(1.20, 0.68), (1.10, 0.685), (1.15, 0.69)]) == 1


def test_a_closer_forecast_that_ranks_hits_worse_loses() -> None:
    worse = 0.69 - HIT_AUC_TOLERANCE - 0.001
    assert chosen([(1.20, 0.68), (1.10, worse), (1.15, 0.69)]) == 2


def test_within_the_tolerance_counts_as_as_well() -> None:
    assert chosen([(1.10, 0.69 - HIT_AUC_TOLERANCE), (1.15, 0.69)]) == 0


def test_without_hit_scores_the_lowest_rmse() -> None:
    assert chosen([(1.20, None), (1.10, None), (1.15, None)]) == 1


def test_too_costly_candidates_never_count() -> None:
    tuned = candidates([(1.0, 0.80), (1.1, 0.70)])
    tuned[0].cost = 10**9
    choice = _choose(("revenue", "post_release"), tuned, (2005,))
    assert choice.chosen is tuned[1]

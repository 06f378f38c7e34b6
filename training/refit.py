"""Fit what is served: the revenue forecast on every labelled film (or on the original
project's training part, ``--holdout original``), and the distribution its answers are read
from; score the chosen candidate on the original project's split, as it used to be scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone

from boxoffice.config import DEFAULT_HIT_THRESHOLD
from boxoffice.distribution import RevenueDistribution, hit_line, read_forecasts
from boxoffice.features import model_inputs
from boxoffice.metadata import Scores
from training.backtest import Truth, score
from training.distribution import DistributionFits, fit_distribution
from training.evaluate import classification_metrics
from training.forward import ForwardForecasts
from training.split import Splits, is_hit, log_revenue

Holdout = Literal["none", "original"]


@dataclass
class Served:
    """The fitted revenue pipeline, the distribution served with it and what they learned
    from."""

    pipeline: Any
    distribution: RevenueDistribution
    films: pd.DataFrame
    newest_year: int
    original_split: dict[str, Scores]


def fitted_films(splits: Splits, holdout: Holdout, newest_year: int) -> pd.DataFrame:
    """The films the served models learn from: every labelled, plausible film, or the original
    split's training part, released up to the calendar's newest year (a later year's handful of
    films, too few to test on, is not learned from either: the models' newest year is the one
    their backtest and their distribution know)."""
    films = splits.train if holdout == "original" else splits.population[splits.plausible]
    return films[films["release_year"] <= newest_year]


def after_newest(splits: Splits, newest_year: int) -> list[int]:
    """The release years of the labelled, plausible films released after the calendar's newest
    year, one per film, sorted."""
    years = splits.population.loc[splits.plausible, "release_year"]
    return sorted(int(year) for year in years[years > newest_year])


def _forecasts_of(frame: pd.DataFrame, prediction: np.ndarray) -> ForwardForecasts:
    """A random-split part's forecasts, each as if one year ahead of its own year."""
    years = frame["release_year"].to_numpy(dtype=float)
    return ForwardForecasts(years, np.arange(len(frame)), years, np.asarray(prediction, float))


def split_distribution(
    model: Any, frame: pd.DataFrame, design: str, forward: RevenueDistribution
) -> RevenueDistribution:
    """The distribution fitted on a random-split part's residuals (no horizon: they are not
    later films), with the forward backtest's year term."""
    fitted = fit_distribution(
        _forecasts_of(frame, model.predict(model_inputs(frame))),
        log_revenue(frame),
        frame["budget"].to_numpy(dtype=float),
        design,
        "the validation part's residuals (as drawn)",
    )
    return fitted.model_copy(update={"year_term": forward.year_term})


def original_split_scores(
    model: Any, splits: Splits, distribution: RevenueDistribution, hit_ratio: float, seed: int
) -> dict[str, Scores]:
    """The candidate fitted on the original training part, read with a distribution fitted on
    its validation part, on the validation part, the test fold and the filtered test fold."""
    parts = {"validation": splits.val, "test": splits.test, "test_filtered": splits.test_filtered}
    out = {}
    for part, frame in parts.items():
        budget = frame["budget"].to_numpy(dtype=float)
        read = read_forecasts(
            distribution,
            model.predict(model_inputs(frame)),
            budget,
            np.ones(len(frame)),
            hit_ratio,
        )
        hit = is_hit(frame, hit_ratio)
        truth = Truth(log_revenue(frame), hit, hit_line(budget, hit_ratio))
        answered = truth.answered(
            np.arange(len(frame)),
            read.median,
            low=read.low,
            high=read.high,
            probability=read.probability,
        )
        scores = score(answered, seed, with_ci=part == "test")
        verdict = classification_metrics(hit, read.probability, DEFAULT_HIT_THRESHOLD)
        extra = {k: float(verdict[k]) for k in ("f1", "precision", "recall")}
        out[part] = scores.model_copy(update={"metrics": {**scores.metrics, **extra}})
    return out


def refit(
    template: Any,
    original_model: Any,
    fits: DistributionFits,
    design: str,
    splits: Splits,
    holdout: Holdout,
    hit_ratio: float,
    seed: int,
    newest_year: int,
) -> Served:
    """``template``: the chosen configuration in the adopted dollars; ``original_model``: the
    chosen candidate as fitted on the original training part (tuning); ``newest_year``: the
    calendar's."""
    films = fitted_films(splits, holdout, newest_year)
    pipeline = clone(template).fit(model_inputs(films), log_revenue(films))
    newest = int(films["release_year"].max())
    # As of the year after the newest film: the forecasts of the table's last ten years.
    forward = fits.as_of(newest + 1, design)
    on_validation = split_distribution(original_model, splits.val_unfiltered, design, forward)
    return Served(
        pipeline=pipeline,
        distribution=on_validation if holdout == "original" else forward,
        films=films,
        newest_year=newest,
        original_split=original_split_scores(
            original_model, splits, on_validation, hit_ratio, seed
        ),
    )

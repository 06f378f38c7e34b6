"""Score the forward backtest the way the product is used: films later than everything the
models learned from, answered as the service would have answered them then.

Each feature set's answers (the forecast, its 80% range, P(hit)) are read from the
distribution each origin had (``training.distribution``). The design of that distribution is
chosen on the selection years in two development protocols (one year ahead; and trained up to
the year before them), by its CRPS, among the designs whose 80% range held there; the test
years are scored in the same two protocols and take part in no choice. Beside them: the
two-model design the distribution replaced and the original project's models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score, root_mean_squared_error

from boxoffice.metadata import Backtest, DesignChoice, DesignSummary, Scores
from training import config
from training.calendar import Calendar
from training.distribution import CRPS_LEVELS, DESIGN_LABELS, DESIGNS, DistributionFits, crps
from training.evaluate import BOOTSTRAP_RESAMPLES, bootstrap_interval
from training.forward import ForwardForecasts, from_origin, one_year_ahead
from training.uncertainty import calibration_metrics, two_models

REVENUE_METRICS = ("r2", "rmse", "mae", "coverage", "mean_width", "crps")
HIT_METRICS = ("roc_auc", "ece", "brier", "hit_rate", "mean_probability")


@dataclass
class Truth:
    """What happened to every population film: log1p revenue, hit (0/1) and its hit line,
    log1p(hit ratio × budget)."""

    y: np.ndarray
    hit: np.ndarray
    hit_line: np.ndarray

    def answered(self, rows: np.ndarray, median: np.ndarray, **rest: np.ndarray) -> Answered:
        """What happened to the films at ``rows`` beside what was answered for them."""
        return Answered(self.y[rows], self.hit[rows], self.hit_line[rows], median, **rest)


@dataclass
class Answered:
    """One group of films with what a design answered for them (log1p USD; P(hit))."""

    y: np.ndarray
    hit: np.ndarray
    hit_line: np.ndarray
    median: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    probability: np.ndarray | None = None
    quantiles: np.ndarray | None = None  # at CRPS_LEVELS, one row per film

    def where(self, mask: np.ndarray) -> Answered:
        return Answered(
            *(None if v is None else v[mask] for v in vars(self).values())  # type: ignore[arg-type]
        )


def answered_by(
    fits: DistributionFits, group: ForwardForecasts, design: str, truth: Truth
) -> Answered:
    """What one design answered for ``group``: each origin with the distribution it had."""
    read = fits.read(group, design)
    return truth.answered(
        group.row,
        read.median,
        low=read.low,
        high=read.high,
        probability=read.probability,
        quantiles=fits.quantiles(group, design, CRPS_LEVELS),
    )


def score(answered: Answered, seed: int, with_ci: bool = False, resamples: int = 0) -> Scores:
    """Every metric the answers allow (``boxoffice.metadata.Scores``), with 95% bootstrap
    intervals of the headline ones when asked."""
    y, median = answered.y, answered.median
    metrics = {
        "r2": float(r2_score(y, median)),
        "rmse": float(root_mean_squared_error(y, median)),
        "mae": float(mean_absolute_error(y, median)),
    }
    ci_inputs: dict[str, tuple[np.ndarray, np.ndarray, str]] = {
        "r2": (y, median, "r2"),
        "rmse": (y, median, "rmse"),
    }
    if answered.low is not None and answered.high is not None:
        covered = ((y >= answered.low) & (y <= answered.high)).astype(float)
        metrics["coverage"] = float(covered.mean())
        metrics["mean_width"] = float(np.mean(answered.high - answered.low))
        ci_inputs["coverage"] = (y, covered, "mean")
    if answered.quantiles is not None:
        metrics["crps"] = crps(answered.quantiles, y)
    if answered.probability is not None:
        p, hit = answered.probability, answered.hit
        metrics |= {
            "roc_auc": float(roc_auc_score(hit, p)) if len(set(hit)) == 2 else math.nan,
            **calibration_metrics(hit, p),
            "hit_rate": float(np.mean(hit)),
            "mean_probability": float(np.mean(p)),
            "contradictions": float(np.mean((median >= answered.hit_line) != (p >= 0.5))),
        }
        ci_inputs |= {"roc_auc": (hit, p, "roc_auc"), "ece": (hit, p, "ece")}
    ci = {}
    if with_ci:
        for name, (truth, values, metric) in ci_inputs.items():
            low, high = bootstrap_interval(
                truth, values, metric, resamples=resamples or BOOTSTRAP_RESAMPLES, seed=seed
            )
            ci[name] = (low, high)
    return Scores(n=len(y), metrics=metrics, ci95=ci)


# The post-release forecast reads votes TMDB counted on the day the table was made: a film's
# count depends on its age in the table, so a spread that reads the forecast would narrow or
# widen with it (the model cards' known limitation). Its spread reads the budget instead.
EXCLUDED = {("post_release", "budget_and_forecast"): "reads votes counted when the table was made"}


def choose_design(
    fits: DistributionFits, calendar: Calendar, truth: Truth, seed: int, feature_set: str
) -> DesignChoice:
    """Every design scored in the development and test protocols; the one with the lowest mean
    CRPS over the development protocols among those allowed (``EXCLUDED``) whose 80% range held
    there."""
    forecasts = fits.forecasts
    groups = {
        "development": {
            "one_year_ahead": one_year_ahead(forecasts, calendar.tuning_years),
            "trained_to": from_origin(
                forecasts, calendar.development_origin, calendar.tuning_years
            ),
        },
        "test": {
            "one_year_ahead": one_year_ahead(forecasts, calendar.test_years),
            "trained_to": from_origin(forecasts, calendar.trained_to + 1, calendar.test_years),
        },
    }
    summaries = {}
    # The 80% range must hold on the development films, in both protocols (the target).
    low, high = config.COVERAGE_TARGET
    for design, names in DESIGNS.items():
        scored = {
            window: {
                protocol: score(answered_by(fits, group, design, truth), seed)
                for protocol, group in protocols.items()
            }
            for window, protocols in groups.items()
        }
        development = scored["development"]
        held = all(low <= s.metrics["coverage"] <= high for s in development.values())
        note = EXCLUDED.get((feature_set, design), "" if held else "its range did not hold")
        summaries[design] = DesignSummary(
            covariates=list(names),
            description=DESIGN_LABELS[design],
            eligible=not note,
            note=note,
            crps=float(np.mean([s.metrics["crps"] for s in development.values()])),
            development=development,
            test=scored["test"],
        )
    allowed = [d for d in summaries if (feature_set, d) not in EXCLUDED]
    eligible = [d for d in allowed if summaries[d].eligible] or allowed
    chosen = min(eligible, key=lambda d: summaries[d].crps)
    years = f"{calendar.tuning_years[0]}-{calendar.tuning_years[-1]}"
    return DesignChoice(
        rule=f"the lowest mean CRPS over two development protocols on the films of {years} "
        f"(one year ahead; and fitted up to {calendar.development_origin - 1}), among the "
        f"designs whose 80% range covered {low}-{high} of those films in both (all designs "
        "when none did); a post-release spread does not read the forecast, which reads votes "
        "counted when the table was made",
        chosen=chosen,
        development_years=list(calendar.tuning_years),
        development_origin=calendar.development_origin,
        candidates=summaries,
    )


def by_horizon(answered: Answered, horizon: np.ndarray, seed: int) -> dict[int, Scores]:
    return {int(h): score(answered.where(horizon == h), seed) for h in np.unique(horizon)}


@dataclass
class ModelForecasts:
    """The out-of-time forecasts a feature set's backtest is scored from."""

    revenue: ForwardForecasts  # the chosen revenue configuration, in the adopted dollars
    hit: ForwardForecasts  # the two-model design's classifier (raw P(hit)), same origins
    seed_revenue: ForwardForecasts  # the original project's models
    seed_hit: ForwardForecasts


def backtest(
    fits: DistributionFits,
    design: str,
    forecasts: ModelForecasts,
    calendar: Calendar,
    truth: Truth,
    dollars: dict[str, Scores],
    dollars_rule: str,
    seed: int,
    resamples: int,
) -> Backtest:
    """The chosen design's answers scored by year, pooled, from one origin and by horizon,
    beside the two-model design and the original project's models."""
    revenue, test_years = forecasts.revenue, calendar.test_years

    def answers(group: ForwardForecasts) -> Answered:
        return answered_by(fits, group, design, truth)

    def compared(origin: int | None) -> tuple[Scores, Scores]:
        """The two-model design and the original project's models on the same films."""
        pick = (
            (lambda f: one_year_ahead(f, test_years))
            if origin is None
            else (lambda f: from_origin(f, origin, test_years))
        )
        group, hit = pick(revenue), pick(forecasts.hit)
        pair = two_models(group, hit, (revenue, forecasts.hit), truth.y, truth.hit)
        two = truth.answered(
            group.row, pair.median, low=pair.low, high=pair.high, probability=pair.probability
        )
        seed_revenue, seed_hit = pick(forecasts.seed_revenue), pick(forecasts.seed_hit)
        original = truth.answered(
            seed_revenue.row, seed_revenue.prediction, probability=seed_hit.prediction
        )
        return (
            score(two, seed, True, resamples),
            score(original, seed, True, resamples),
        )

    pooled = one_year_ahead(revenue, test_years)
    later = from_origin(revenue, calendar.trained_to + 1, test_years)
    later_answers = answers(later)
    two_pooled, seed_pooled = compared(None)
    two_later, seed_later = compared(calendar.trained_to + 1)
    return Backtest(
        protocol=(
            "For each origin year, the chosen configuration (no re-tuning) fitted on the "
            "plausible films released before it forecasts every film released in it or later "
            "(as drawn); each origin's distribution is fitted on the out-of-time forecasts of "
            "the films of the ten years before it"
        ),
        origins=sorted({int(o) for o in revenue.origin}),
        one_year_ahead={
            year: score(answers(one_year_ahead(revenue, [year])), seed)
            for year in calendar.report_years
        },
        pooled=score(answers(pooled), seed, True, resamples),
        pooled_years=list(test_years),
        trained_to=calendar.trained_to,
        later=score(later_answers, seed, True, resamples),
        by_horizon=by_horizon(later_answers, later.horizon, seed),
        baseline_pooled=seed_pooled,
        baseline_later=seed_later,
        two_models_pooled=two_pooled,
        two_models_later=two_later,
        dollars=dollars,
        dollars_rule=dollars_rule,
    )


def point_scores(
    forecasts: ForwardForecasts, years: Sequence[int], truth: Truth, seed: int
) -> Scores:
    """R², RMSE and MAE of raw forecasts one year ahead, and the ROC-AUC of their margin over
    the hit line (the comparisons of dollars and of credits, made before any distribution)."""
    group = one_year_ahead(forecasts, years)
    answered = truth.answered(group.row, group.prediction)
    scores = score(answered, seed)
    if len(set(answered.hit)) < 2:
        return scores
    margin = answered.median - answered.hit_line
    auc = float(roc_auc_score(answered.hit, margin))
    return scores.model_copy(update={"metrics": scores.metrics | {"roc_auc": auc}})

"""The forward stage: refit the chosen configurations at every origin of the calendar and
collect their out-of-time forecasts, deciding on the way whether each revenue forecast learns
in constant dollars.

Per feature set: the chosen revenue configuration in nominal dollars at every origin and in
constant dollars at the dollars origins (then at the rest too when adopted), and the chosen
classifier of the two-model design (for comparison only); once, the original project's models.
Constant dollars are adopted when, one year ahead over the tuning years, they gain at least
``DOLLARS_MARGIN`` R²; the test years are scored beside, never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sklearn.base import clone

from boxoffice.config import FEATURE_SETS
from boxoffice.dollars import CpiTable
from boxoffice.estimators import ConstantDollarTarget
from boxoffice.metadata import Scores
from training.backtest import ModelForecasts, Truth, point_scores
from training.baseline import seed_pipelines
from training.calendar import Calendar
from training.forward import ForwardJob, joined, run_forward
from training.split import Splits

DOLLARS_MARGIN = 0.005
Dollars = Literal["nominal", "constant"]


def constant_dollars(template: Any, cpi: CpiTable) -> ConstantDollarTarget:
    """The same revenue configuration reading budgets and learning revenues in constant
    dollars, answering in the dollars of each film's release year."""
    return ConstantDollarTarget(clone(template).set_params(features__cpi=cpi), cpi)


@dataclass
class ForwardResult:
    """A feature set's forecasts and its revenue configuration in the adopted dollars."""

    template: Any
    dollars: Dollars
    dollars_scores: dict[str, Scores]
    forecasts: ModelForecasts


def dollars_rule(calendar: Calendar) -> str:
    years = f"{calendar.tuning_years[0]}-{calendar.tuning_years[-1]}"
    return (
        f"constant dollars (CPI-U, dollars of the CPI table's last year) are adopted when, one "
        f"year ahead over {years}, they gain at least {DOLLARS_MARGIN} R²; otherwise the "
        "nominal dollars of each film's release year"
    )


def run_forecasts(
    revenue: dict[str, Any],
    classifiers: dict[str, tuple[Any, str]],
    splits: Splits,
    calendar: Calendar,
    cpi: CpiTable,
    truth: Truth,
    hit_ratio: float,
    seed: int,
    n_jobs: int,
    dollars: dict[str, Dollars] | None = None,
) -> dict[str, ForwardResult]:
    """``revenue``: the chosen revenue template per feature set; ``classifiers``: the chosen
    classifier template and what it learns (``"hit"`` or ``"log_ratio"``) per feature set.
    ``dollars``, when given (a stored run's backtest), is used instead of decided."""
    origins = calendar.forward_origins
    tried = calendar.dollars_origins if dollars is None else ()
    jobs = []
    for feature_set in FEATURE_SETS:
        nominal = revenue[feature_set]
        if dollars is not None and dollars[feature_set] == "constant":
            nominal = constant_dollars(nominal, cpi)
        jobs.append(
            ForwardJob(("revenue", feature_set, "nominal"), nominal, "log_revenue", origins)
        )
        if tried:
            jobs.append(
                ForwardJob(
                    ("revenue", feature_set, "constant"),
                    constant_dollars(revenue[feature_set], cpi),
                    "log_revenue",
                    tried,
                )
            )
        template, target = classifiers[feature_set]
        jobs.append(ForwardJob(("hit", feature_set), template, target, origins))
    # The original project's models are compared on the test years only.
    seeds, compared = seed_pipelines(seed), tuple(calendar.test_years)
    jobs.append(ForwardJob(("seed", "revenue"), seeds["revenue"], "log_revenue", compared))
    jobs.append(ForwardJob(("seed", "hit"), seeds["hit"], "hit", compared))
    forecasts = run_forward(jobs, splits.population, splits.plausible, hit_ratio, n_jobs)

    development = list(calendar.tuning_years)
    tested = [y for y in calendar.dollars_origins if y not in development]
    chosen: dict[str, tuple[Any, Dollars, dict[str, Scores]]] = {}
    more = []
    for feature_set in FEATURE_SETS:
        if dollars is not None:
            template = revenue[feature_set]
            if dollars[feature_set] == "constant":
                template = constant_dollars(template, cpi)
            chosen[feature_set] = (template, dollars[feature_set], {})
            continue
        scores = {
            f"{variant}_{window}": point_scores(
                forecasts[("revenue", feature_set, variant)], years, truth, seed
            )
            for variant in ("nominal", "constant")
            for window, years in (("development", development), ("tested", tested))
        }
        gain = (
            scores["constant_development"].metrics["r2"]
            - scores["nominal_development"].metrics["r2"]
        )
        adopted: Dollars = "constant" if gain >= DOLLARS_MARGIN else "nominal"
        template = revenue[feature_set]
        if adopted == "constant":
            template = constant_dollars(template, cpi)
            missing = tuple(o for o in origins if o not in tried)
            more.append(
                ForwardJob(("revenue", feature_set, "more"), template, "log_revenue", missing)
            )
        chosen[feature_set] = (template, adopted, scores)
    if more:
        forecasts |= run_forward(more, splits.population, splits.plausible, hit_ratio, n_jobs)

    results = {}
    for feature_set, (template, adopted, scores) in chosen.items():
        if adopted == "constant" and dollars is None:
            own = joined(
                [
                    forecasts[("revenue", feature_set, "constant")],
                    forecasts[("revenue", feature_set, "more")],
                ]
            )
        else:
            own = forecasts[("revenue", feature_set, "nominal")]
        results[feature_set] = ForwardResult(
            template,
            adopted,
            scores,
            ModelForecasts(
                own,
                forecasts[("hit", feature_set)],
                forecasts[("seed", "revenue")],
                forecasts[("seed", "hit")],
            ),
        )
    return results

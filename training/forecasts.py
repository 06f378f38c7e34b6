"""The forward stage: refit the chosen configurations at every origin of the calendar and
collect their out-of-time forecasts, deciding on the way whether each revenue forecast learns
in constant dollars and whether it reads the cast and crew.

Per feature set: the chosen revenue configuration in nominal dollars at every origin, in
constant dollars at the dollars origins and, when a credits table is given, with the directors'
and cast's track records at every origin; then the adopted variant at the origins it lacks; and
the chosen classifier of the two-model design (for comparison only); once, the original
project's models. Either way a film later than every film a model learned from is answered in
its release year's dollars (``ReleaseYearDollars``, ``ConstantDollarTarget``), as the service
answers it.

Constant dollars are adopted when, one year ahead over the tuning years, they gain at least
``DOLLARS_MARGIN`` R²; the credits when they gain at least ``CREDITS_MARGIN``; the test years
are scored beside, never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sklearn.base import clone

from boxoffice.config import CAST_TOP_BILLED, FEATURE_SETS
from boxoffice.dollars import CpiTable
from boxoffice.estimators import ConstantDollarTarget, ReleaseYearDollars
from boxoffice.metadata import CreditsUse, Scores
from training.backtest import ModelForecasts, Truth, point_scores
from training.baseline import seed_pipelines
from training.calendar import Calendar
from training.credits import LoadedCredits
from training.forward import ForwardJob, joined, run_forward
from training.split import Splits

DOLLARS_MARGIN = 0.005
CREDITS_MARGIN = 0.005
Dollars = Literal["nominal", "constant"]


@dataclass(frozen=True)
class Variant:
    """How a revenue configuration learns: in which dollars, and whether it reads the credits."""

    dollars: Dollars = "nominal"
    credits: bool = False

    def of(self, template: Any, cpi: CpiTable) -> Any:
        """The configuration in this variant, unfitted."""
        if self.credits:
            template = clone(template).set_params(features__credits=True)
        return in_dollars(template, self.dollars, cpi)


def constant_dollars(template: Any, cpi: CpiTable) -> ConstantDollarTarget:
    """The same revenue configuration reading budgets and learning revenues in constant
    dollars, answering in the dollars of each film's release year."""
    return ConstantDollarTarget(clone(template).set_params(features__cpi=cpi), cpi)


def nominal_dollars(template: Any, cpi: CpiTable) -> ReleaseYearDollars:
    """The revenue configuration in nominal dollars, answering a film past the newest film it
    learned from in the dollars of its release year."""
    return ReleaseYearDollars(clone(template), cpi)


def in_dollars(template: Any, dollars: str, cpi: CpiTable) -> Any:
    return (constant_dollars if dollars == "constant" else nominal_dollars)(template, cpi)


@dataclass
class ForwardResult:
    """A feature set's forecasts and its revenue configuration in the adopted variant, with the
    point scores the variant was chosen on (one year ahead: "<variant>_<window>")."""

    template: Any
    variant: Variant
    dollars_scores: dict[str, Scores]
    credits_scores: dict[str, Scores]
    forecasts: ModelForecasts

    @property
    def dollars(self) -> Dollars:
        return self.variant.dollars


def dollars_rule(calendar: Calendar) -> str:
    years = f"{calendar.tuning_years[0]}-{calendar.tuning_years[-1]}"
    return (
        f"constant dollars (CPI-U, dollars of the CPI table's last year) are adopted when, one "
        f"year ahead over {years}, they gain at least {DOLLARS_MARGIN} R²; otherwise the "
        "nominal dollars of each film's release year"
    )


def credits_rule(calendar: Calendar) -> str:
    years = f"{calendar.tuning_years[0]}-{calendar.tuning_years[-1]}"
    return (
        f"the directors' and top-billed cast's track records are read when, one year ahead "
        f"over {years} (nominal dollars), they gain at least {CREDITS_MARGIN} R²"
    )


def credits_use(
    result: ForwardResult, calendar: Calendar, table: LoadedCredits | None, credited: int
) -> CreditsUse:
    """What the stored model says about the cast and crew: the table, the rule, the comparison."""
    return CreditsUse(
        used=result.variant.credits,
        rule=credits_rule(calendar),
        cast_top_billed=CAST_TOP_BILLED,
        table=table.path.name if table else None,
        table_sha256=table.sha256 if table else None,
        films_credited=credited,
        scores=result.credits_scores,
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
    *,
    credits: bool = False,
    adopted: dict[str, Variant] | None = None,
) -> dict[str, ForwardResult]:
    """``revenue``: the chosen revenue template per feature set; ``classifiers``: the chosen
    classifier template and what it learns (``"hit"`` or ``"log_ratio"``) per feature set.
    ``credits``: the films have directors and cast to try. ``adopted``, when given (a stored
    run's backtest), is used instead of decided."""
    origins = calendar.forward_origins
    plain, constant, credited = Variant(), Variant("constant"), Variant(credits=True)
    tried: dict[str, dict[Variant, tuple[int, ...]]] = {
        feature_set: (
            {plain: origins, constant: calendar.dollars_origins}
            | ({credited: origins} if credits else {})
            if adopted is None
            else {adopted[feature_set]: origins}
        )
        for feature_set in FEATURE_SETS
    }
    jobs = []
    for feature_set in FEATURE_SETS:
        for variant, years in tried[feature_set].items():
            jobs.append(
                ForwardJob(
                    ("revenue", feature_set, variant),
                    variant.of(revenue[feature_set], cpi),
                    "log_revenue",
                    years,
                )
            )
        template, target = classifiers[feature_set]
        jobs.append(ForwardJob(("hit", feature_set), template, target, origins))
    # The original project's models are compared on the test years only.
    seeds, compared = seed_pipelines(seed), tuple(calendar.test_years)
    jobs.append(ForwardJob(("seed", "revenue"), seeds["revenue"], "log_revenue", compared))
    jobs.append(ForwardJob(("seed", "hit"), seeds["hit"], "hit", compared))
    forecasts = run_forward(jobs, splits.population, splits.plausible, hit_ratio, n_jobs)

    windows = {
        "development": list(calendar.tuning_years),
        "tested": [y for y in calendar.dollars_origins if y not in calendar.tuning_years],
    }

    def scores(feature_set: str, variants: dict[str, Variant]) -> dict[str, Scores]:
        return {
            f"{name}_{window}": point_scores(
                forecasts[("revenue", feature_set, variant)], years, truth, seed
            )
            for name, variant in variants.items()
            for window, years in windows.items()
        }

    chosen: dict[str, tuple[Variant, dict[str, Scores], dict[str, Scores]]] = {}
    more = []
    for feature_set in FEATURE_SETS:
        if adopted is not None:
            variant, by_dollars, by_credits = adopted[feature_set], {}, {}
        else:
            by_dollars = scores(feature_set, {"nominal": plain, "constant": constant})
            gain = (
                by_dollars["constant_development"].metrics["r2"]
                - by_dollars["nominal_development"].metrics["r2"]
            )
            dollars: Dollars = "constant" if gain >= DOLLARS_MARGIN else "nominal"
            by_credits = (
                scores(feature_set, {"without": plain, "with": credited}) if credits else {}
            )
            use_credits = bool(by_credits) and (
                by_credits["with_development"].metrics["r2"]
                - by_credits["without_development"].metrics["r2"]
                >= CREDITS_MARGIN
            )
            variant = Variant(dollars, use_credits)
        missing = tuple(o for o in origins if o not in tried[feature_set].get(variant, ()))
        if missing:
            more.append(
                ForwardJob(
                    ("revenue", feature_set, "more"),
                    variant.of(revenue[feature_set], cpi),
                    "log_revenue",
                    missing,
                )
            )
        chosen[feature_set] = (variant, by_dollars, by_credits)
    if more:
        forecasts |= run_forward(more, splits.population, splits.plausible, hit_ratio, n_jobs)

    results = {}
    for feature_set, (variant, by_dollars, by_credits) in chosen.items():
        parts = [
            forecasts[key]
            for key in (("revenue", feature_set, variant), ("revenue", feature_set, "more"))
            if key in forecasts
        ]
        results[feature_set] = ForwardResult(
            variant.of(revenue[feature_set], cpi),
            variant,
            by_dollars,
            by_credits,
            ModelForecasts(
                joined(parts) if len(parts) > 1 else parts[0],
                forecasts[("hit", feature_set)],
                forecasts[("seed", "revenue")],
                forecasts[("seed", "hit")],
            ),
        )
    return results

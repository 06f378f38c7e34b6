"""The training pipeline, one stage after another: data -> calendar -> tuning and choice ->
forward forecasts -> the distribution and the backtest -> refit -> comparable films -> report
and store. ``run_training`` runs it; ``run_backtest`` reruns the forward backtest of a stored
run's configuration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from boxoffice.config import COMPARABLES_K, FEATURE_SETS, FORECAST, model_name
from boxoffice.distribution import hit_line
from boxoffice.metadata import ForecastMetadata
from boxoffice.store import new_run_id
from training import comparables, config
from training.backtest import Truth, answered_by, backtest, choose_design
from training.baseline import seed_on_original_split
from training.calendar import calendar_of, check_forward_hit_classes
from training.credits import (
    MIN_CREDITED_SHARE,
    credited_share,
    credits_line,
    films_credited,
    loading_notes,
    with_credits,
)
from training.data import DataError, load_movies
from training.distribution import DistributionFits
from training.dollars import cpi_table
from training.eda import write_eda
from training.evaluate import BOOTSTRAP_RESAMPLES
from training.forecasts import Variant, credits_use, dollars_rule, run_forecasts
from training.forward import one_year_ahead
from training.refit import Holdout, after_newest, refit
from training.report import ReportInputs, write_backtest_report, write_report
from training.save import RunInfo, comparables_metadata, forecast_metadata, save_run
from training.slates import slate_backtest
from training.split import (
    Splits,
    check_hit_classes,
    implausible_counts,
    is_hit,
    log_revenue,
    make_splits,
)
from training.train import TaskChoice, development_films, tune

# Bootstrap draws behind each 95% interval (the quick profile's are rougher, and cheaper).
RESAMPLES = {"full": BOOTSTRAP_RESAMPLES, "quick": 500}
HEADLINES = {"revenue": "r2", "hit": "roc_auc"}
METRIC_NAMES = {"r2": "R²", "roc_auc": "ROC-AUC"}


@dataclass
class SavedModel:
    """One headline score of a stored forecast model beside its quality target."""

    task: str  # which answer: "revenue" (R²) or "hit" (ROC-AUC)
    feature_set: str
    tag: str
    algorithm: str
    metric: str
    pooled: float
    pooled_ci95: tuple[float, float]
    later: float
    later_ci95: tuple[float, float]
    targets: tuple[float, float]  # minimum pooled, minimum later
    years: str  # the test years, e.g. "2011-2016"
    trained_to: int
    enforced: bool  # the targets hold for the published table only

    @property
    def meets_targets(self) -> bool:
        return self.pooled >= self.targets[0] and self.later >= self.targets[1]


@dataclass
class Stopwatch:
    """Seconds per stage, in order."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(
                self.seconds.get(name, 0.0) + time.perf_counter() - started, 2
            )


def truth_of(splits: Splits, hit_ratio: float) -> Truth:
    population = splits.population
    budget = population["budget"].to_numpy(dtype=float)
    return Truth(
        log_revenue(population), is_hit(population, hit_ratio), hit_line(budget, hit_ratio)
    )


def published_run(metadata: ForecastMetadata) -> bool:
    """Whether a stored run learned from the published table (as its file or re-saved)."""
    return metadata.published_table or metadata.data_sha256 == config.DATA_SHA256


def saved_models(
    metadata: ForecastMetadata, tag: str, scored_on: bool | None = None
) -> list[SavedModel]:
    """The stored model's two headline scores (R² of the forecast, ROC-AUC of P(hit)), the
    targets enforced when they were scored on the published table at the default hit ratio
    (``scored_on``: whether the table backtested is the published one, when not the one the
    model was trained on)."""
    published = published_run(metadata) if scored_on is None else scored_on
    published = config.targets_apply(published, metadata.hit_ratio)
    backtest = metadata.backtest
    years = f"{backtest.pooled_years[0]}-{backtest.pooled_years[-1]}"
    rows = []
    for task, metric in HEADLINES.items():
        pooled, later = backtest.pooled, backtest.later
        rows.append(
            SavedModel(
                task,
                metadata.feature_set,
                tag,
                f"{metadata.algorithm}, {metadata.design.chosen}",
                metric,
                pooled.metrics[metric],
                pooled.ci95[metric],
                later.metrics[metric],
                later.ci95[metric],
                config.FORWARD_TARGETS[(task, metadata.feature_set)],
                years,
                backtest.trained_to,
                published,
            )
        )
    return rows


class TargetsMissed(Exception):
    """``--require-targets``: a model missed its quality target, so none was saved."""

    def __init__(self, rows: list[SavedModel]) -> None:
        self.rows = rows
        missed = [
            f"{r.feature_set.replace('_', '-')} {METRIC_NAMES.get(r.metric, r.metric)} "
            f"{r.pooled:.3f} / {r.later:.3f} "
            f"(targets {r.targets[0]:g} / {r.targets[1]:g})"
            for r in rows
            if not r.meets_targets
        ]
        super().__init__(
            f"not saved: {'; '.join(missed)}, one year ahead / trained to {rows[0].trained_to}"
        )


def run_training(
    data: str | None = None,
    *,
    credits: str | None = None,
    seed: int = config.SEED,
    quick: bool = False,
    hit_ratio: float = config.HIT_RATIO,
    holdout: Holdout = "none",
    n_jobs: int = 2,
    reports_dir: Path = config.REPORTS_DIR,
    console: Console | None = None,
    require_targets: bool = False,
) -> list[SavedModel]:
    """Train, choose, backtest, refit and save the models; write the report. With
    ``require_targets``, a run that misses a quality target the table is held to writes its
    report but saves no model (TargetsMissed)."""
    console = console or Console()
    clock = Stopwatch()
    profile = "quick" if quick else "full"
    resamples = RESAMPLES[profile]

    console.rule("[bold]1. Data")
    with clock.stage("data"):
        loaded = with_credits(load_movies(data), credits)
        # Its films, repeated rows dropped (a note says how many).
        console.print(f"{loaded.path}: {len(loaded.frame):,} films, sha256 {loaded.sha256[:12]}…")
        if loaded.sha256 != config.DATA_SHA256:
            console.print(
                "[yellow]note: this file is the published TMDB 5000 table's films, saved "
                "anew: the quality targets hold"
                if loaded.published
                else "[yellow]note: this file differs from the published TMDB 5000 table"
            )
        for note in loading_notes(loaded):
            console.print(f"[yellow]note: {note}")
        splits = make_splits(loaded.frame, seed=seed)
        slips = implausible_counts(splits)
        if slips:
            console.print(
                f"[yellow]note: {int((~splits.plausible).sum()):,} labelled film(s) have an "
                "amount in another unit ("
                + ", ".join(
                    f"{n:,} with a {description.removesuffix(' (unit error)')}"
                    for description, n in slips.items()
                )
                + "): none is learned from; the forward backtest still scores them as drawn "
                "(the report's cleaning rules count them)"
            )
        credited = films_credited(splits)
        check_hit_classes(splits, hit_ratio)
        calendar = calendar_of(splits, profile)
        check_forward_hit_classes(splits, calendar, hit_ratio)
        share = credited_share(splits, calendar.tuning_years[-1])
        try_credits = credited > 0 and share >= MIN_CREDITED_SHARE
        if credited and not try_credits:
            console.print(
                f"[yellow]note: credits: {share:.0%} of the films up to "
                f"{calendar.tuning_years[-1]} are credited (the choice of reading them needs "
                f"{MIN_CREDITED_SHARE:.0%}): the cast and crew are not tried"
            )
        cpi = cpi_table()
        baseline_split = seed_on_original_split(splits, hit_ratio, seed)
        truth = truth_of(splits, hit_ratio)
        info = RunInfo(
            new_run_id(), loaded.sha256, seed, profile, hit_ratio, holdout, cpi, loaded.published
        )
    development = development_films(splits, calendar.development_last_year)
    console.print(
        f"population {splits.n_population:,} -> train {len(splits.train):,}, validation "
        f"{len(splits.val):,}, test {len(splits.test):,}; years: {calendar.describe()}; "
        f"development films {len(development):,}"
    )

    console.rule("[bold]2. Tune and choose (forward folds on the development films)")
    with clock.stage("tune"):
        choices = tune(
            splits, calendar, seed=seed, hit_ratio=hit_ratio, n_jobs=n_jobs, console=console
        )
    for (task, feature_set), choice in choices.items():
        console.print(f"{feature_set} {task}: chose {choice.chosen.name}")

    console.rule("[bold]3. Forward forecasts")
    with clock.stage("forward"):
        forward = run_forecasts(
            {fs: choices[("revenue", fs)].chosen.template for fs in FEATURE_SETS},
            {fs: _classifier(choices[("hit", fs)]) for fs in FEATURE_SETS},
            splits,
            calendar,
            cpi,
            truth,
            hit_ratio,
            seed,
            n_jobs,
            credits=try_credits,
        )
    if try_credits:
        for fs, result in forward.items():
            console.print(credits_line(fs, result.credits_scores, result.variant.credits))

    console.rule("[bold]4. The distribution of each forecast, and the backtest")
    budget = splits.population["budget"].to_numpy(dtype=float)
    revenue_usd = splits.population["revenue"].to_numpy(dtype=float)
    results = {}
    with clock.stage("backtest"):
        for feature_set, result in forward.items():
            fits = DistributionFits(result.forecasts.revenue, truth.y, budget, hit_ratio)
            design = choose_design(fits, calendar, truth, seed, feature_set)
            scores = backtest(
                fits,
                design.chosen,
                result.forecasts,
                calendar,
                truth,
                result.dollars_scores,
                dollars_rule(calendar),
                seed,
                resamples,
            )
            results[feature_set] = (fits, design, scores)
            pooled, later = scores.pooled.metrics, scores.later.metrics
            console.print(
                f"{feature_set} ({choices[('revenue', feature_set)].chosen.name}, "
                f"{result.dollars} dollars, {design.chosen}): one year ahead R² "
                f"{pooled['r2']:.3f} AUC {pooled['roc_auc']:.3f}, trained to "
                f"{calendar.trained_to} R² {later['r2']:.3f} AUC {later['roc_auc']:.3f}"
            )
    with clock.stage("slates"):
        slates = {
            fs: slate_backtest(fits, design.chosen, calendar, truth, revenue_usd, seed)
            for fs, (fits, design, _) in results.items()
        }

    fitted_on = "every labelled film" if holdout == "none" else "the original training part"
    console.rule(f"[bold]5. Refit on {fitted_on}")
    later = after_newest(splits, calendar.newest_year)
    if later:
        span = f"{later[0]}" if later[0] == later[-1] else f"{later[0]}-{later[-1]}"
        console.print(
            f"[yellow]note: {len(later):,} labelled film(s) dated {span}, after "
            f"{calendar.newest_year}, the newest year with enough films to test on, are not "
            "learned from (if those dates are not real, e.g. two-digit years read as 20xx, "
            "correct them)"
        )
    with clock.stage("refit"):
        served = {
            fs: refit(
                forward[fs].template,
                choices[("revenue", fs)].chosen.fitted,
                fits,
                design.chosen,
                splits,
                holdout,
                hit_ratio,
                seed,
                calendar.newest_year,
            )
            for fs, (fits, design, _) in results.items()
        }

    console.rule("[bold]6. Comparable films")
    with clock.stage("comparables"):
        films = served[FEATURE_SETS[0]].films
        comps = comparables.fit_comparables(films, cpi, hit_ratio)
        comps_r2, comps_ci = comparables.backtest(
            splits.population, splits.plausible, calendar.test_years, cpi, hit_ratio, seed
        )
        examples = comparables.example_comps(comps, splits.population, calendar.newest_year)
        console.print(
            f"median of {COMPARABLES_K} comps, one year ahead "
            f"{calendar.test_years[0]}-{calendar.test_years[-1]}: R² {comps_r2[COMPARABLES_K]:.3f}"
        )

    console.rule("[bold]7. Report and save")
    metadata = {
        fs: forecast_metadata(
            info,
            fs,
            choices[("revenue", fs)],
            choices[("hit", fs)],
            served[fs],
            forward[fs].dollars,
            credits_use(forward[fs], calendar, loaded.credits, credited),
            results[fs][1],
            results[fs][2],
            slates[fs],
            splits,
            clock.seconds,
        )
        for fs in FEATURE_SETS
    }
    comps_meta = comparables_metadata(
        info,
        len(films),
        int(films["release_year"].max()),
        COMPARABLES_K,
        comps_r2,
        comps_ci,
        list(calendar.test_years),
    )
    with clock.stage("report"):
        report_path = write_report(
            ReportInputs(
                reports_dir=reports_dir,
                data_name=loaded.path.name,
                info=info,
                calendar=calendar,
                splits=splits,
                choices=choices,
                metadata=metadata,
                pooled={
                    fs: answered_by(
                        fits,
                        one_year_ahead(fits.forecasts, calendar.test_years),
                        design.chosen,
                        truth,
                    )
                    for fs, (fits, design, _) in results.items()
                },
                served_pipelines={fs: served[fs].pipeline for fs in FEATURE_SETS},
                comps=comps_meta,
                comps_examples=examples,
                baseline_split=baseline_split,
                eda=write_eda(loaded.frame, reports_dir / "figures", hit_ratio),
                timings=clock.seconds,
                resamples=resamples,
                not_learned=later,
            )
        )
    failed = {
        fs: r2
        for fs in FEATURE_SETS
        if (r2 := results[fs][2].pooled.metrics["r2"]) <= config.MIN_FORWARD_R2
    }
    if failed:
        console.print(f"report: {report_path}")
        raise DataError(
            "the revenue forecasts score R² "
            + ", ".join(f"{fs} {r2:.3f}" for fs, r2 in failed.items())
            + f" one year ahead over {calendar.test_years[0]}-{calendar.test_years[-1]}: no "
            "better than the films' mean revenue, so the table's revenues do not follow its "
            "films' budgets and fields (rows shuffled, or another column named 'revenue'?); "
            f"no model saved (the report: {report_path})"
        )
    # The scores beside the targets, under the tags the models are saved with (save_run's).
    checked = [
        row
        for fs in FEATURE_SETS
        for row in saved_models(metadata[fs], f"{model_name(FORECAST, fs)}:{info.run}")
    ]
    enforced = all(r.enforced for r in checked)
    if require_targets and enforced and not all(r.meets_targets for r in checked):
        console.print(f"report: {report_path}")
        raise TargetsMissed(checked)
    # Every stage's seconds but saving's own go with the models.
    with clock.stage("save"):
        tags = save_run(
            metadata,
            {fs: served[fs].pipeline for fs in FEATURE_SETS},
            comps,
            comps_meta,
            baseline_split,
            reports_dir / "model_cards",
            dict(clock.seconds),
        )
    console.print(f"report: {report_path}")
    console.print(
        "stage seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in clock.seconds.items())
        + f"; total {sum(clock.seconds.values()):.1f}"
    )
    assert [r.tag for r in checked[:: len(HEADLINES)]] == tags, (tags, checked)
    return checked


def _classifier(choice: TaskChoice) -> tuple[Any, str]:
    """The two-model design's classifier and what it learns."""
    return choice.chosen.template, choice.chosen.candidate.target


def run_backtest(
    data: str | None = None,
    *,
    credits: str | None = None,
    run: str | None = None,
    n_jobs: int = 2,
    reports_dir: Path = config.REPORTS_DIR,
    console: Console | None = None,
) -> tuple[list[SavedModel], Path]:
    """The forward backtest alone, of the configuration a stored run chose (its algorithms,
    tuned parameters, dollars and design; no tuning, nothing saved): reports/backtest.md."""
    from boxoffice.metadata import read_metadata
    from boxoffice.store import resolve_run
    from training.models import CLASSIFIERS, REGRESSORS

    console = console or Console()
    stored = resolve_run(run)
    metadata = {fs: read_metadata(stored[(FORECAST, fs)]) for fs in FEATURE_SETS}
    first = metadata[FEATURE_SETS[0]]
    loaded = with_credits(load_movies(data), credits)
    if any(meta.credits.used for meta in metadata.values()) and loaded.credits is None:
        raise DataError(
            f"run {first.run} reads the cast and crew: give its credits table "
            f"({first.credits.table}) with --credits"
        )
    splits = make_splits(loaded.frame, seed=first.seed)
    calendar = calendar_of(splits, first.profile)
    console.print(
        f"backtest of run {first.run} ({first.profile} profile) on {loaded.path} "
        f"(sha256 {loaded.sha256[:12]}…); years: {calendar.describe()}"
    )
    # The same table: the same file, or the published table's films both (saved anew as gzip or
    # Parquet, or with a column added: training says so and holds it to the targets).
    same = loaded.sha256 == first.data_sha256 or (loaded.published and first.published_table)
    if not same and data is None:
        raise DataError(
            f"run {first.run} was trained on another table (sha256 {first.data_sha256[:12]}…) "
            f"than {loaded.path} (sha256 {loaded.sha256[:12]}…): give its table with --data, "
            "or this one with --data to backtest the run's configuration on it"
        )
    if not same:
        console.print(
            f"[yellow]note: run {first.run} was trained on another table (sha256 "
            f"{first.data_sha256[:12]}…): its configuration is backtested on this one as given"
        )
    regressors = {c.name: c for c in REGRESSORS}
    classifiers = {c.name: c for c in CLASSIFIERS}

    def tuned(candidate: Any, feature_set: str, params: dict[str, Any]) -> Any:
        template = candidate.pipeline(feature_set, first.seed).set_params(
            **{f"model__{k}": v for k, v in params.items()}
        )
        if candidate.target == "log_ratio":
            template.set_params(model__threshold=float(np.log(first.hit_ratio)))
        return template

    revenue, hit = {}, {}
    for fs, meta in metadata.items():
        revenue[fs] = tuned(
            regressors[meta.algorithm], fs, meta.selection.candidates[meta.algorithm].params
        )
        name = max(
            meta.hit_selection.candidates,
            key=lambda n: (
                meta.hit_selection.candidates[n].forward_mean
                if meta.hit_selection.candidates[n].eligible
                else -1.0
            ),
        )
        hit[fs] = (
            tuned(classifiers[name], fs, meta.hit_selection.candidates[name].params),
            classifiers[name].target,
        )
    truth = truth_of(splits, first.hit_ratio)
    with console.status("fitting the backtest's models"):
        forward = run_forecasts(
            revenue,
            hit,
            splits,
            calendar,
            first.cpi,
            truth,
            first.hit_ratio,
            first.seed,
            n_jobs,
            adopted={fs: Variant(meta.dollars, meta.credits.used) for fs, meta in metadata.items()},
        )
    budget = splits.population["budget"].to_numpy(dtype=float)
    updated, rows = {}, []
    for fs, meta in metadata.items():
        fits = DistributionFits(forward[fs].forecasts.revenue, truth.y, budget, first.hit_ratio)
        scores = backtest(
            fits,
            meta.design.chosen,
            forward[fs].forecasts,
            calendar,
            truth,
            meta.backtest.dollars,
            meta.backtest.dollars_rule,
            first.seed,
            RESAMPLES[first.profile],
        )
        updated[fs] = meta.model_copy(update={"backtest": scores})
        rows += saved_models(
            updated[fs], f"{model_name(FORECAST, fs)}:{meta.run}", loaded.published
        )
    path = write_backtest_report(
        reports_dir,
        loaded.path.name,
        loaded.sha256,
        updated,
        config.targets_apply(loaded.published, first.hit_ratio),
    )
    return rows, path

"""The training pipeline: data -> splits -> tuning and choice -> forward backtest -> refit ->
comparable films -> store and report. ``run_training`` runs it; ``run_backtest`` runs the
backtest alone for the configuration a stored run chose."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from rich.console import Console
from sklearn.base import clone

from boxoffice.comparables import WEIGHTS
from boxoffice.config import DEFAULT_HIT_THRESHOLD, TASKS, model_name
from boxoffice.dollars import CpiTable
from boxoffice.estimators import ConstantDollarTarget
from boxoffice.explain import explanation_method
from boxoffice.features import RAW_FIELDS
from boxoffice.metadata import (
    MODEL_FORMAT,
    Backtest,
    Calibration,
    CandidateSummary,
    ComparablesMetadata,
    HitMetadata,
    Interval,
    RevenueMetadata,
    Scores,
    Selection,
    parse_metadata,
)
from boxoffice.store import library_versions, new_run_id, save_comparables, save_model
from training import comparables, config, model_card
from training.baseline import seed_on_original_split, seed_pipelines
from training.data import load_movies
from training.dollars import cpi_table
from training.eda import write_eda
from training.evaluate import BOOTSTRAP_RESAMPLES, classification_metrics
from training.forward import (
    ForwardForecasts,
    ForwardJob,
    Scored,
    calibration_as_of,
    from_origin,
    interval_as_of,
    one_year_ahead,
    run_forward,
    score,
    targets,
    with_uncertainty,
)
from training.report import write_report
from training.split import Splits, check_hit_classes, make_splits
from training.train import COST_CAP, DEVELOPMENT_LAST_YEAR, TaskChoice, development_films, tune
from training.uncertainty import fit_calibration, fit_split_interval

Holdout = Literal["none", "original"]
Key = tuple[str, str]  # (task, feature set)

# Origins of the forward backtest: each fits on the films released before it. The early ones
# only feed the uncertainty of the later ones (the films of the ten years before an origin).
FORWARD_ORIGINS = {
    "full": tuple(range(1999, 2017)),
    "quick": (2008, *range(2011, 2017)),
}
BACKTEST_YEARS = tuple(range(2009, 2017))  # each forecast one year ahead
TARGET_YEARS = tuple(range(2011, 2017))  # pooled, for the quality targets
TRAINED_TO = 2010  # ... and forecast from one origin: fitted on the films up to 2010
# Constant dollars are tried one year ahead over these origins, and adopted for a model when
# they gain at least DOLLARS_MARGIN (R² or ROC-AUC) on the development years among them.
DOLLARS_ORIGINS = {"full": tuple(range(2007, 2017)), "quick": (2008, 2011)}
DOLLARS_MARGIN = 0.005
# Bootstrap draws behind each 95% interval (the quick profile's are rougher, and cheaper).
RESAMPLES = {"full": BOOTSTRAP_RESAMPLES, "quick": 500}


@dataclass
class SavedModel:
    """A stored model and its forward scores beside the quality targets."""

    task: str
    feature_set: str
    tag: str
    algorithm: str
    metric: str
    pooled: float
    pooled_ci95: tuple[float, float]
    later: float
    later_ci95: tuple[float, float]
    targets: tuple[float, float]  # minimum pooled, minimum later

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


@dataclass
class ModelResult:
    """Everything known about one (task, feature set) by the end of training."""

    choice: TaskChoice
    template: Any  # the chosen configuration, unfitted (in the adopted dollars)
    dollars: Literal["nominal", "constant"]
    forecasts: ForwardForecasts
    y_population: np.ndarray
    dollars_scores: dict[str, Scores] = field(default_factory=dict)  # nominal / constant
    backtest: Backtest | None = None
    pooled: Scored | None = None  # one year ahead, for the report's figures
    served: Any = None
    fitted_rows: int = 0
    newest_year: int = 0
    interval: Interval | None = None
    calibration: Calibration | None = None
    original_split: dict[str, Scores] = field(default_factory=dict)


def _target_kind(task: str, choice: TaskChoice) -> str:
    return "log_revenue" if task == "revenue" else choice.chosen.candidate.target


def _constant(template: Any, task: str, cpi: CpiTable) -> Any:
    """The same configuration reading budgets (and learning revenues) in constant dollars."""
    template = clone(template).set_params(features__cpi=cpi)
    return ConstantDollarTarget(template, cpi) if task == "revenue" else template


def _headline(task: str) -> str:
    return "r2" if task == "revenue" else "roc_auc"


def run_training(
    data: str | None = None,
    *,
    seed: int = config.SEED,
    quick: bool = False,
    hit_ratio: float = config.HIT_RATIO,
    holdout: Holdout = "none",
    n_jobs: int = 2,
    reports_dir: Path = config.REPORTS_DIR,
    console: Console | None = None,
) -> list[SavedModel]:
    """Train, choose, backtest, refit and save the models; write the report."""
    console = console or Console()
    clock = Stopwatch()
    profile = "quick" if quick else "full"
    run = new_run_id()

    console.rule("[bold]1. Data")
    with clock.stage("data"):
        loaded = load_movies(data)
        console.print(f"{loaded.path}: {len(loaded.frame):,} rows, sha256 {loaded.sha256[:12]}…")
        if loaded.sha256 != config.DATA_SHA256:
            console.print("[yellow]note: this file differs from the published TMDB 5000 table")
        splits = make_splits(loaded.frame, seed=seed)
        check_hit_classes(splits, hit_ratio)
        cpi = cpi_table()
        baseline_split = seed_on_original_split(splits, hit_ratio, seed)
    console.print(
        f"population {splits.n_population:,} -> train {len(splits.train):,}, validation "
        f"{len(splits.val):,}, test {len(splits.test):,}; development films (up to "
        f"{DEVELOPMENT_LAST_YEAR}) {len(development_films(splits)):,}"
    )

    console.rule("[bold]2. Tune and choose (forward folds on the development films)")
    with clock.stage("tune"):
        choices = tune(
            splits, seed=seed, quick=quick, hit_ratio=hit_ratio, n_jobs=n_jobs, console=console
        )
    for (task, feature_set), choice in choices.items():
        console.print(f"{feature_set} {task}: chose {choice.chosen.name}")

    console.rule("[bold]3. Forward backtest")
    with clock.stage("backtest"):
        results = _forward(choices, splits, cpi, profile, hit_ratio, seed, n_jobs)
        for (task, feature_set), result in results.items():
            pooled = result.backtest.pooled.metrics[_headline(task)]
            later = result.backtest.later.metrics[_headline(task)]
            console.print(
                f"{feature_set} {task} ({result.choice.chosen.name}, {result.dollars} dollars): "
                f"{_headline(task)} one year ahead {pooled:.3f}, trained to {TRAINED_TO} "
                f"{later:.3f}"
            )

    fitted_on = "every labelled film" if holdout == "none" else "the original training part"
    console.rule(f"[bold]4. Refit on {fitted_on}")
    with clock.stage("refit"):
        for (task, _), result in results.items():
            _refit(task, result, splits, holdout, hit_ratio, seed)

    console.rule("[bold]5. Comparable films")
    with clock.stage("comparables"):
        fitted_films = _fitted_films(splits, holdout)
        comps = comparables.fit_comparables(fitted_films, cpi, hit_ratio)
        comps_r2, comps_ci = comparables.backtest(
            splits.population, splits.plausible, TARGET_YEARS, cpi, hit_ratio, seed
        )
        examples = comparables.example_comps(comps, splits.population)
        k = comparables.DEFAULT_K
        console.print(
            f"median of {k} comps, one year ahead {TARGET_YEARS[0]}-{TARGET_YEARS[-1]}: "
            f"R² {comps_r2[k]:.3f}"
        )

    console.rule("[bold]6. Report and save")
    figures_dir = reports_dir / "figures"
    cards_dir = reports_dir / "model_cards"
    metadata = {
        key: _metadata(
            *key, result, splits, loaded.sha256, seed, profile, hit_ratio, holdout, cpi, run, clock
        )
        for key, result in results.items()
    }
    comps_meta = ComparablesMetadata(
        format=MODEL_FORMAT,
        run=run,
        kind="comparables",
        films=len(fitted_films),
        newest_year=int(fitted_films["release_year"].max()),
        default_k=k,
        weights=dict(WEIGHTS),
        similarity="1 / (1 + Euclidean distance) in the weighted, standardised space of "
        "the pre-release fields",
        backtest_r2=comps_r2,
        backtest_r2_ci95=comps_ci,
        backtest_years=list(TARGET_YEARS),
        cpi=cpi,
        data_sha256=loaded.sha256,
    )
    with clock.stage("report"):
        eda_section = write_eda(loaded.frame, figures_dir, hit_ratio)
        report_path = write_report(
            reports_dir,
            loaded.path.name,
            loaded.sha256,
            splits,
            choices,
            results,
            metadata,
            comps_meta,
            examples,
            baseline_split,
            eda_section,
            clock.seconds,
            seed,
            profile,
            holdout,
            RESAMPLES[profile],
        )
    # Every stage's seconds but saving's own go with the models.
    with clock.stage("save"):
        saved = []
        cards_dir.mkdir(parents=True, exist_ok=True)
        for key, result in results.items():
            meta = metadata[key].model_copy(update={"timings": dict(clock.seconds)})
            tag = f"{model_name(*key)}:{run}"
            card = model_card.render(meta, tag, baseline_split)
            (cards_dir / f"{model_name(*key)}.md").write_text(card, encoding="utf-8")
            model = save_model(result.served, meta, card)
            saved.append(_saved(key, meta, str(model.tag)))
        save_comparables(comps, comps_meta)
    console.print(f"report: {report_path}")
    console.print(
        "stage seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in clock.seconds.items())
        + f"; total {sum(clock.seconds.values()):.1f}"
    )
    return saved


def _forward(
    choices: dict[Key, TaskChoice],
    splits: Splits,
    cpi: CpiTable,
    profile: str,
    hit_ratio: float,
    seed: int,
    n_jobs: int,
) -> dict[Key, ModelResult]:
    """Refit every chosen configuration (nominal and constant dollars) and the seed's models at
    their origins; decide the dollars; score the backtest."""
    population, plausible = splits.population, splits.plausible
    dollar_origins = DOLLARS_ORIGINS[profile]
    origins = tuple(sorted({*FORWARD_ORIGINS[profile], *dollar_origins}))
    seed_models = seed_pipelines(seed)
    jobs = []
    for (task, feature_set), choice in choices.items():
        kind = _target_kind(task, choice)
        template = choice.chosen.template
        jobs.append(ForwardJob((task, feature_set, "nominal"), template, kind, origins))
        jobs.append(
            ForwardJob(
                (task, feature_set, "constant"),
                _constant(template, task, cpi),
                kind,
                dollar_origins,
            )
        )
    for task in TASKS:
        kind = "log_revenue" if task == "revenue" else "hit"
        seed_origins = tuple(sorted({*TARGET_YEARS, TRAINED_TO + 1}))
        jobs.append(ForwardJob((task, "seed", "nominal"), seed_models[task], kind, seed_origins))
    forecasts = run_forward(jobs, population, plausible, hit_ratio, n_jobs)

    development = [y for y in dollar_origins if y <= DEVELOPMENT_LAST_YEAR]
    tested = [y for y in dollar_origins if y > DEVELOPMENT_LAST_YEAR]
    results: dict[Key, ModelResult] = {}
    more = []
    for (task, feature_set), choice in choices.items():
        y_all = targets(population, "log_revenue" if task == "revenue" else "hit", hit_ratio)
        headline = _headline(task)
        dollars_scores = {}
        for variant in ("nominal", "constant"):
            for window, years in (("development", development), ("tested", tested)):
                group = one_year_ahead(forecasts[(task, feature_set, variant)], years)
                dollars_scores[f"{variant}_{window}"] = score(
                    task, Scored(group, y_all[group.row]), seed
                )
        gain = (
            dollars_scores["constant_development"].metrics[headline]
            - dollars_scores["nominal_development"].metrics[headline]
        )
        dollars = "constant" if gain >= DOLLARS_MARGIN else "nominal"
        template = choice.chosen.template
        if dollars == "constant":
            template = _constant(template, task, cpi)
            missing = tuple(o for o in origins if o not in dollar_origins)
            more.append(
                ForwardJob(
                    (task, feature_set, "constant"), template, _target_kind(task, choice), missing
                )
            )
        results[(task, feature_set)] = ModelResult(
            choice,
            template,
            dollars,
            forecasts[(task, feature_set, "constant" if dollars == "constant" else "nominal")],
            y_all,
            dollars_scores,
        )
    if more:
        extra = run_forward(more, population, plausible, hit_ratio, n_jobs)
        for job in more:
            task, feature_set, _ = job.key
            joined = [forecasts[job.key], extra[job.key]]
            results[(task, feature_set)].forecasts = ForwardForecasts(
                *(
                    np.concatenate([getattr(f, a) for f in joined])
                    for a in ("origin", "row", "year", "prediction")
                )
            )
    baselines = {
        task: _baseline_scores(
            task,
            forecasts[(task, "seed", "nominal")],
            targets(population, "log_revenue" if task == "revenue" else "hit", hit_ratio),
            seed,
            RESAMPLES[profile],
        )
        for task in TASKS
    }
    for (task, _), result in results.items():
        result.backtest = _backtest(
            task, result, baselines[task], origins, seed, RESAMPLES[profile]
        )
    return results


def _baseline_scores(
    task: str, seed_forecasts: ForwardForecasts, y_all: np.ndarray, seed: int, resamples: int
) -> tuple[Scores, Scores]:
    """The original project's models, one year ahead pooled and trained to TRAINED_TO: the
    same for both feature sets, so scored once per task."""
    pooled = one_year_ahead(seed_forecasts, TARGET_YEARS)
    later = from_origin(seed_forecasts, TRAINED_TO + 1, TARGET_YEARS)
    return tuple(
        score(task, Scored(group, y_all[group.row]), seed, True, resamples)
        for group in (pooled, later)
    )


def _backtest(
    task: str,
    result: ModelResult,
    baseline: tuple[Scores, Scores],
    origins: tuple[int, ...],
    seed: int,
    resamples: int,
) -> Backtest:
    everything, y_all = result.forecasts, result.y_population
    by_year = {
        year: score(
            task,
            with_uncertainty(task, one_year_ahead(everything, [year]), everything, y_all),
            seed,
        )
        for year in BACKTEST_YEARS
        if year in origins  # the quick profile skips 2009-2010
    }
    pooled = with_uncertainty(task, one_year_ahead(everything, TARGET_YEARS), everything, y_all)
    result.pooled = pooled
    later = with_uncertainty(
        task, from_origin(everything, TRAINED_TO + 1, TARGET_YEARS), everything, y_all
    )
    by_horizon = {}
    for h in range(1, len(TARGET_YEARS) + 1):
        at = later.forecasts.horizon == h
        by_horizon[h] = score(
            task,
            Scored(
                later.forecasts.where(at),
                later.y[at],
                None if later.low is None else later.low[at],
                None if later.high is None else later.high[at],
                None if later.probability is None else later.probability[at],
            ),
            seed,
        )
    return Backtest(
        protocol=(
            "For each origin year, the chosen configuration (no re-tuning) fitted on the "
            "plausible films released before it forecasts every film released in it or later "
            "(as drawn); the interval and the calibration of each origin's forecasts are fitted "
            "on the out-of-time forecasts of the films of the ten years before it"
        ),
        origins=list(origins),
        one_year_ahead=by_year,
        pooled=score(task, pooled, seed, with_ci=True, resamples=resamples),
        pooled_years=list(TARGET_YEARS),
        trained_to=TRAINED_TO,
        later=score(task, later, seed, with_ci=True, resamples=resamples),
        by_horizon=by_horizon,
        baseline_pooled=baseline[0],
        baseline_later=baseline[1],
        dollars=result.dollars_scores,
        dollars_rule=(
            f"constant dollars (CPI-U, dollars of the table's last year) are adopted when one "
            f"year ahead over the development years they gain at least {DOLLARS_MARGIN} "
            f"{_headline(task)}; otherwise the nominal dollars of each film's release year"
        ),
    )


def _fitted_films(splits: Splits, holdout: Holdout) -> pd.DataFrame:
    """The films the served models learn from: every labelled, plausible film, or the
    original split's training part."""
    if holdout == "original":
        return splits.train
    return splits.population[splits.plausible]


def _refit(
    task: str, result: ModelResult, splits: Splits, holdout: Holdout, hit_ratio: float, seed: int
) -> None:
    """Fit the served pipeline and its uncertainty; score the chosen candidate on the original
    split with validation-fitted uncertainty (the random-split figures)."""
    kind = _target_kind(task, result.choice)
    films = _fitted_films(splits, holdout)
    result.served = clone(result.template).fit(
        films[list(RAW_FIELDS)], targets(films, kind, hit_ratio)
    )
    result.fitted_rows = len(films)
    result.newest_year = int(films["release_year"].max())
    # The chosen candidate on the original split, its uncertainty from the validation part.
    original = result.choice.chosen.fitted
    val = splits.val_unfiltered
    if task == "revenue":
        y_val = targets(val, "log_revenue", hit_ratio)
        split_interval = fit_split_interval(y_val - original.predict(val))
        split_uncertainty: Any = split_interval
    else:
        split_uncertainty = fit_calibration(
            original.predict_proba(splits.val)[:, 1],
            targets(splits.val, "hit", hit_ratio),
            None,
            "validation",
        )
    parts = (
        ("validation", splits.val),
        ("test", splits.test),
        ("test_filtered", splits.test_filtered),
    )
    for part, frame in parts:
        y = targets(frame, "log_revenue" if task == "revenue" else "hit", hit_ratio)
        rows = ForwardForecasts(
            np.zeros(len(frame)),
            np.arange(len(frame)),
            np.zeros(len(frame)),
            np.asarray(
                original.predict(frame)
                if task == "revenue"
                else original.predict_proba(frame)[:, 1],
                dtype=float,
            ),
        )
        scored = Scored(rows, y)
        if task == "revenue":
            scored.low, scored.high = split_uncertainty.bounds(rows.prediction, 1)
        else:
            scored.probability = split_uncertainty.apply(rows.prediction, 1)
        result.original_split[part] = _with_verdict(
            task, score(task, scored, seed, with_ci=part == "test"), scored
        )
    if holdout == "original":  # the original split's uncertainty, as the original split
        if task == "revenue":
            result.interval = split_uncertainty
        else:
            result.calibration = split_uncertainty
        return
    # As of the year after the newest film: the forecasts of the table's last ten years.
    as_of = result.newest_year + 1
    if task == "revenue":
        result.interval = interval_as_of(result.forecasts, result.y_population, as_of)
    else:
        result.calibration = calibration_as_of(result.forecasts, result.y_population, as_of)


def _with_verdict(task: str, scores: Scores, scored: Scored) -> Scores:
    """Hit scores with F1, precision and recall of the verdict at the default threshold."""
    if task != "hit":
        return scores
    verdict = classification_metrics(scored.y, scored.probability, DEFAULT_HIT_THRESHOLD)
    extra = {k: verdict[k] for k in ("f1", "precision", "recall")}
    return scores.model_copy(update={"metrics": {**scores.metrics, **extra}})


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values; parameters left at None are the estimator's default: left out."""
    plain = json.loads(
        json.dumps(params, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )
    return {k: v for k, v in plain.items() if v is not None}


def _metadata(
    task: str,
    feature_set: str,
    result: ModelResult,
    splits: Splits,
    data_sha256: str,
    seed: int,
    profile: str,
    hit_ratio: float,
    holdout: Holdout,
    cpi: CpiTable,
    run: str,
    clock: Stopwatch,
) -> RevenueMetadata | HitMetadata:
    choice = result.choice
    chosen = choice.chosen
    estimator = (
        result.served.pipeline_[-1]
        if isinstance(result.served, ConstantDollarTarget)
        else result.served[-1]
    )
    features = (
        result.served.pipeline_[:-1]
        if isinstance(result.served, ConstantDollarTarget)
        else result.served[:-1]
    )
    headline = _headline(task)
    candidates = {
        r.name: CandidateSummary(
            params=_params(r.params),
            forward_mean=r.forward_mean,
            forward_std=r.forward_std,
            cost=r.cost,
            eligible=r.eligible,
            validation={
                k: float(v)
                for k, v in r.metrics["validation"].items()
                if k in (headline, "rmse", "mae", "f1")
            },
            test={
                k: float(v)
                for k, v in r.metrics["test"].items()
                if k in (headline, "rmse", "mae", "f1")
            },
            predict_ms=r.predict_ms,
            tune_seconds=round(r.tune_seconds, 2),
        )
        for r in choice.candidates
    }
    fitted = _fitted_films(splits, holdout)
    raw: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "run": run,
        "task": task,
        "feature_set": feature_set,
        "algorithm": chosen.name,
        "estimator_class": type(estimator).__name__,
        "params": _params(
            {
                **{
                    k: v
                    for k, v in estimator.get_params().items()
                    if isinstance(v, int | float | str | bool)
                },
                **chosen.params,
            }
        ),
        "raw_fields": list(RAW_FIELDS),
        "features": list(features.get_feature_names_out()),
        "target": "log1p(revenue)" if task == "revenue" else f"revenue > {hit_ratio:g} x budget",
        "hit_ratio": hit_ratio,
        "explanation_method": explanation_method(
            result.served if isinstance(result.served, ConstantDollarTarget) else estimator
        ),
        "fitted_on": "original_train" if holdout == "original" else "all_labelled",
        "newest_year": result.newest_year,
        "dollars": result.dollars,
        "cpi": cpi,
        "selection": Selection(
            rule=choice.rule,
            metric=choice.metric,
            origins=list(choice.origins),
            cost_cap=COST_CAP,
            candidates=candidates,
        ),
        "original_split": result.original_split,
        "backtest": result.backtest,
        "rows": {
            "population": splits.n_population,
            "fitted": result.fitted_rows,
            "development": len(development_films(splits)),
            "original_train": len(splits.train),
            "original_validation": len(splits.val),
            "original_test": len(splits.test),
            "original_test_filtered": len(splits.test_filtered),
        },
        "cleaning": [vars(c) for c in splits.rule_counts],
        "data_sha256": data_sha256,
        "seed": seed,
        "profile": profile,
        "timings": dict(clock.seconds),
        "library_versions": library_versions(),
    }
    if task == "revenue":
        revenue = fitted["revenue"].to_numpy(dtype=float)
        raw |= {
            "interval": result.interval,
            "revenue_range": (float(revenue.min()), float(revenue.max())),
        }
    else:
        raw |= {"threshold": DEFAULT_HIT_THRESHOLD, "calibration": result.calibration}
    return parse_metadata(
        {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in raw.items()}
    )


def _saved(key: Key, meta: RevenueMetadata | HitMetadata, tag: str) -> SavedModel:
    task, feature_set = key
    headline = _headline(task)
    pooled, later = meta.backtest.pooled, meta.backtest.later
    minimum = config.FORWARD_TARGETS[key]
    return SavedModel(
        task,
        feature_set,
        tag,
        meta.algorithm,
        headline,
        pooled.metrics[headline],
        pooled.ci95[headline],
        later.metrics[headline],
        later.ci95[headline],
        minimum,
    )


def run_backtest(
    data: str | None = None,
    *,
    run: str | None = None,
    n_jobs: int = 2,
    reports_dir: Path = config.REPORTS_DIR,
    console: Console | None = None,
) -> tuple[list[SavedModel], Path]:
    """The forward backtest alone, of the configuration a stored run chose (its algorithms,
    tuned parameters and dollars; no tuning, nothing saved): reports/backtest.md."""
    from boxoffice.metadata import read_metadata
    from boxoffice.store import resolve_run
    from training.models import CLASSIFIERS, REGRESSORS
    from training.report import write_backtest_report

    console = console or Console()
    stored = resolve_run(run)
    metadata = {key: read_metadata(stored[key]) for key in stored if key[0] in TASKS}
    first = next(iter(metadata.values()))
    loaded = load_movies(data)
    splits = make_splits(loaded.frame, seed=first.seed)
    cpi = first.cpi
    console.print(
        f"backtest of run {first.run} ({first.profile} profile) on {loaded.path} "
        f"(sha256 {loaded.sha256[:12]}…)"
    )
    origins = FORWARD_ORIGINS[first.profile]
    candidates = {("revenue", c.name): c for c in REGRESSORS} | {
        ("hit", c.name): c for c in CLASSIFIERS
    }
    jobs = []
    templates = {}
    for (task, feature_set), meta in metadata.items():
        candidate = candidates[(task, meta.algorithm)]
        tuned = meta.selection.candidates[meta.algorithm].params
        template = candidate.pipeline(feature_set, meta.seed).set_params(
            **{f"model__{k}": v for k, v in tuned.items()}
        )
        if candidate.target == "log_ratio":
            template.set_params(model__threshold=float(np.log(meta.hit_ratio)))
        if meta.dollars == "constant":
            template = _constant(template, task, cpi)
        kind = "log_revenue" if task == "revenue" else candidate.target
        templates[(task, feature_set)] = template
        jobs.append(ForwardJob((task, feature_set), template, kind, origins))
    seed_models = seed_pipelines(first.seed)
    seed_origins = tuple(sorted({*TARGET_YEARS, TRAINED_TO + 1}))
    for task in TASKS:
        kind = "log_revenue" if task == "revenue" else "hit"
        jobs.append(ForwardJob((task, "seed"), seed_models[task], kind, seed_origins))
    with console.status("fitting the backtest's models"):
        forecasts = run_forward(jobs, splits.population, splits.plausible, first.hit_ratio, n_jobs)
    resamples = RESAMPLES[first.profile]
    y_by_task = {
        task: targets(
            splits.population, "log_revenue" if task == "revenue" else "hit", first.hit_ratio
        )
        for task in TASKS
    }
    baselines = {
        task: _baseline_scores(task, forecasts[(task, "seed")], y_all, first.seed, resamples)
        for task, y_all in y_by_task.items()
    }
    updated = {}
    results = []
    for (task, feature_set), meta in metadata.items():
        y_all = y_by_task[task]
        holder = ModelResult(
            choice=None,  # type: ignore[arg-type]
            template=templates[(task, feature_set)],
            dollars=meta.dollars,
            forecasts=forecasts[(task, feature_set)],
            y_population=y_all,
            dollars_scores=meta.backtest.dollars,
        )
        backtest = _backtest(task, holder, baselines[task], origins, meta.seed, resamples)
        updated[(task, feature_set)] = meta.model_copy(update={"backtest": backtest})
        results.append(
            _saved(
                (task, feature_set),
                updated[(task, feature_set)],
                f"{model_name(task, feature_set)}:{meta.run}",
            )
        )
    path = write_backtest_report(reports_dir, loaded.path.name, loaded.sha256, updated)
    return results, path

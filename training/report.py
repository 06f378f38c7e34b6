"""The training report (reports/training_report.md) with its figures (reports/figures/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from boxoffice.config import FEATURE_SETS
from boxoffice.estimators import inner_pipeline
from boxoffice.metadata import ComparablesMetadata, ForecastMetadata, Scores
from training import config
from training.backtest import Answered
from training.calendar import MIN_FILMS_PER_YEAR, Calendar
from training.clean import RuleCount
from training.distribution import DESIGN_LABELS
from training.model_card import SEED_ROW, distribution_text, slates_table
from training.save import RunInfo
from training.split import Splits
from training.train import TaskChoice
from training.uncertainty import reliability_curve

REVENUE_METRICS = ("r2", "rmse", "mae", "coverage", "mean_width", "crps")
HIT_METRICS = ("roc_auc", "ece", "brier", "hit_rate", "mean_probability", "contradictions")
LABELS = {
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
    "coverage": "80% coverage",
    "mean_width": "mean width (log)",
    "crps": "CRPS (log)",
    "roc_auc": "ROC-AUC",
    "ece": "ECE",
    "brier": "Brier",
    "hit_rate": "hit rate",
    "mean_probability": "mean P(hit)",
    "contradictions": "contradictions",
    "f1": "F1 at 0.5",
    "precision": "precision at 0.5",
    "recall": "recall at 0.5",
}


@dataclass
class ReportInputs:
    """Everything the report is written from."""

    reports_dir: Path
    data_name: str
    info: RunInfo
    calendar: Calendar
    splits: Splits
    choices: dict[tuple[str, str], TaskChoice]
    metadata: dict[str, ForecastMetadata]
    pooled: dict[str, Answered]  # one year ahead over the test years, as served then
    served_pipelines: dict[str, Any]
    comps: ComparablesMetadata
    comps_examples: dict[str, list[dict]]
    baseline_split: dict[str, Any]
    eda: str
    timings: dict[str, float]
    resamples: int
    # The release years of the labelled films after the calendar's newest year (not learned
    # from: training.refit.after_newest), one per film.
    not_learned: list[int] = field(default_factory=list)


def fmt(scores: Scores, metric: str, ci: bool = True) -> str:
    if metric not in scores.metrics:
        return "-"
    text = f"{scores.metrics[metric]:.3f}"
    if ci and metric in scores.ci95:
        low, high = scores.ci95[metric]
        text += f" ({low:.3f}-{high:.3f})"
    return text


def _name(feature_set: str) -> str:
    return feature_set.replace("_", "-")


def rule_table(counts: list[RuleCount]) -> str:
    lines = [
        "| part | rule | what it removes | rows before | rows removed |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.part} | `{c.rule}` | {c.description} | {c.rows_before:,} | {c.rows_removed:,} |"
        for c in counts
    ]
    return "\n".join(lines)


def targets_table(metadata: dict[str, ForecastMetadata], published: bool) -> str:
    """Each feature set's headline scores in both protocols beside the quality targets (which
    are enforced on the published table only) and beside the two-model design."""
    first = next(iter(metadata.values())).backtest
    years = f"{first.pooled_years[0]}-{first.pooled_years[-1]}"
    lines = [
        f"| model | forecast | score | one year ahead {years} (95% CI) | trained to "
        f"{first.trained_to} | targets | met | two-model design (before), one year ahead / "
        "trained to |",
        "|---|---|---|---|---|---|---|---|",
    ]
    coverage_low, coverage_high = config.COVERAGE_TARGET
    for feature_set, meta in metadata.items():
        b = meta.backtest
        forecast = f"{meta.algorithm} ({meta.dollars} dollars), {meta.design.chosen}"
        rows = [
            ("R²", "r2", config.FORWARD_TARGETS[("revenue", feature_set)], None),
            ("ROC-AUC", "roc_auc", config.FORWARD_TARGETS[("hit", feature_set)], None),
            ("80% coverage", "coverage", None, config.COVERAGE_TARGET),
            ("ECE", "ece", None, None),
        ]
        for label, metric, minimum, band in rows:
            if minimum is not None:
                target = f"≥ {minimum[0]:.2f} / ≥ {minimum[1]:.2f}"
                met = (
                    b.pooled.metrics[metric] >= minimum[0] and b.later.metrics[metric] >= minimum[1]
                )
            elif band is not None:
                target = f"{coverage_low}-{coverage_high}"
                met = all(
                    coverage_low <= s.metrics[metric] <= coverage_high for s in (b.pooled, b.later)
                )
            else:
                target = f"≤ {config.ECE_TARGETS[0]} / ≤ {config.ECE_TARGETS[1]}"
                met = (
                    b.pooled.metrics[metric] <= config.ECE_TARGETS[0]
                    and b.later.metrics[metric] <= config.ECE_TARGETS[1]
                )
            verdict = ("yes" if met else "**no**") if published else "(not enforced)"
            lines.append(
                f"| {_name(feature_set)} | {forecast} | {label} | {fmt(b.pooled, metric)} | "
                f"{fmt(b.later, metric)} | {target} | {verdict} | "
                f"{fmt(b.two_models_pooled, metric, False)} / "
                f"{fmt(b.two_models_later, metric, False)} |"
            )
            forecast = ""
    return "\n".join(lines)


def design_table(meta: ForecastMetadata) -> str:
    """Every candidate design of the distribution, and the two-model design, in the development
    protocols (the choice) and the test protocols (reported)."""
    choice = meta.design
    b = meta.backtest
    lines = [
        "| design | spread reads | chosen | development CRPS (mean) | development coverage, one "
        "year ahead / trained to | test R² | test ROC-AUC | test ECE | test coverage | "
        "contradictions |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def pair(window: dict[str, Scores], metric: str) -> str:
        return " / ".join(fmt(window[p], metric, False) for p in ("one_year_ahead", "trained_to"))

    for name, summary in choice.candidates.items():
        mark = (
            "**yes**"
            if name == choice.chosen
            else "no" + (f": {summary.note}" if summary.note else "")
        )
        lines.append(
            f"| {name}: {summary.description} | {', '.join(summary.covariates)} | {mark} | "
            f"{summary.crps:.4f} | {pair(summary.development, 'coverage')} | "
            f"{pair(summary.test, 'r2')} | {pair(summary.test, 'roc_auc')} | "
            f"{pair(summary.test, 'ece')} | {pair(summary.test, 'coverage')} | "
            f"{pair(summary.test, 'contradictions')} |"
        )
    two = {"one_year_ahead": b.two_models_pooled, "trained_to": b.two_models_later}
    lines.append(
        "| two models (before): the revenue forecast with a conformal interval, P(hit) from a "
        "separate calibrated classifier | - | not eligible: its answers can contradict | - | - | "
        f"{pair(two, 'r2')} | {pair(two, 'roc_auc')} | {pair(two, 'ece')} | "
        f"{pair(two, 'coverage')} | {pair(two, 'contradictions')} |"
    )
    return "\n".join(lines)


def backtest_table(meta: ForecastMetadata, metrics: tuple[str, ...]) -> str:
    b = meta.backtest
    lines = [
        "| forecasts | films | " + " | ".join(LABELS[m] for m in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]

    def row(label: str, scores: Scores, ci: bool = False) -> str:
        cells = " | ".join(fmt(scores, m, ci) for m in metrics)
        return f"| {label} | {scores.n:,} | {cells} |"

    for year, scores in sorted(b.one_year_ahead.items()):
        lines.append(row(f"{year}, one year ahead", scores))
    years = f"{b.pooled_years[0]}-{b.pooled_years[-1]}"
    lines += [
        row(f"**{years}, one year ahead (pooled)**", b.pooled, True),
        row(f"**{years}, trained to {b.trained_to}**", b.later, True),
        row(f"two models (before), {years} one year ahead", b.two_models_pooled, True),
        row(f"two models (before), trained to {b.trained_to}", b.two_models_later, True),
        row(f"{SEED_ROW}, {years} one year ahead", b.baseline_pooled, True),
        row(f"{SEED_ROW}, trained to {b.trained_to}", b.baseline_later, True),
        row("random split (original project's test fold)", meta.original_split["test"], True),
    ]
    return "\n".join(lines)


def horizon_table(meta: ForecastMetadata) -> str:
    metrics = ("r2", "coverage", "mean_width", "roc_auc", "ece", "mean_probability", "hit_rate")
    lines = [
        "| horizon (years) | films | " + " | ".join(LABELS[m] for m in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for h, scores in sorted(meta.backtest.by_horizon.items()):
        cells = " | ".join(fmt(scores, m, False) for m in metrics)
        lines.append(f"| {h} | {scores.n} | {cells} |")
    return "\n".join(lines)


def comparison_table(
    metadata: dict[str, ForecastMetadata],
    variants: tuple[str, str],
    scores_of: Callable[[ForecastMetadata], dict[str, Scores]],
    metrics: tuple[str, ...],
    verdict: Callable[[ForecastMetadata], str],
    verdict_name: str,
) -> str:
    """Two variants of each forecast one year ahead, on the tuning years (the decision) and the
    test years (beside): ``scores_of`` keys them "<variant>_development" and "_tested"."""
    windows = (("development", "tuning years"), ("tested", "test years"))
    heads = [f"{v}, {label}" for _, label in windows for v in variants]
    lines = [
        f"| model | {' | '.join(heads)} | {verdict_name} |",
        "|---|" + "---|" * (len(heads) + 1),
    ]
    for feature_set, meta in metadata.items():
        scores = scores_of(meta)
        keys = [f"{v}_{window}" for window, _ in windows for v in variants]
        cells = " | ".join(
            ", ".join(f"{LABELS[m]} {fmt(scores[k], m, False)}" for m in metrics)
            if k in scores
            else "-"
            for k in keys
        )
        lines.append(f"| {_name(feature_set)} | {cells} | {verdict(meta)} |")
    return "\n".join(lines)


def dollars_table(metadata: dict[str, ForecastMetadata]) -> str:
    return comparison_table(
        metadata,
        ("nominal", "constant"),
        lambda meta: meta.backtest.dollars,
        ("r2",),
        lambda meta: meta.dollars,
        "adopted",
    )


def credits_section(metadata: dict[str, ForecastMetadata]) -> list[str]:
    """Whether each forecast reads the cast and crew, and the comparison it was decided on."""
    first = next(iter(metadata.values())).credits
    if first.table is None:
        return [
            "No credits table was given: the forecasts do not read the directors or the cast "
            "(give TMDB's `tmdb_5000_credits.csv` with `--credits`, or put it beside the movies "
            "table).",
            "",
        ]
    return [
        f"Credits table `{first.table}` (sha256 `{(first.table_sha256 or '')[:16]}…`): "
        f"{first.films_credited:,} population films credited; the directors and the first "
        f"{first.cast_top_billed} of the cast by billing, each encoded as its earlier films' "
        f"shrunk mean log revenue (cross-fitted). {first.rule[:1].upper()}{first.rule[1:]}; "
        "ROC-AUC here ranks the forecast's margin over the hit line (before any distribution).",
        "",
        comparison_table(
            metadata,
            ("without", "with"),
            lambda meta: meta.credits.scores,
            ("r2", "roc_auc"),
            lambda meta: "yes" if meta.credits.used else "no",
            "read",
        ),
        "",
    ]


def choice_table(choice: TaskChoice) -> str:
    headline = "rmse" if choice.task == "revenue" else "roc_auc"
    revenue = choice.task == "revenue"
    hit_column = " forward ROC-AUC of the forecast's margin over the hit line |" if revenue else ""
    lines = [
        f"| candidate | forward {LABELS[headline]} (pooled ± sd of folds) |{hit_column} cost "
        f"(tree levels) | eligible | tuned parameters | original split: validation "
        f"{LABELS[headline]} | test {LABELS[headline]} | predict ms, 1 / 1,000 films (measured, "
        "not a rule) | tuning s |",
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if revenue else ""),
    ]
    for r in choice.candidates:
        mark = " **(chosen)**" if r is choice.chosen else ""
        params = ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        hit_cell = (f" {r.hit_auc:.3f} |" if r.hit_auc is not None else " - |") if revenue else ""
        lines.append(
            f"| {r.name}{mark} | {r.forward_mean:.3f} ± {r.forward_std:.3f} |{hit_cell} "
            f"{r.cost:,} | "
            f"{'yes' if r.eligible else 'no'} | {params} | "
            f"{r.metrics['validation'][headline]:.3f} | {r.metrics['test'][headline]:.3f} | "
            f"{r.predict_ms['one_film']:.2f} / {r.predict_ms['thousand_films']:.1f} | "
            f"{r.tune_seconds:.1f} |"
        )
    return "\n".join(lines)


def original_split_table(metadata: dict[str, ForecastMetadata], baseline: dict[str, Any]) -> str:
    metrics = ("r2", "rmse", "coverage", "roc_auc", "ece", "f1", "precision", "recall")
    lines = ["| model | part | films | scores |", "|---|---|---|---|"]
    for feature_set, meta in metadata.items():
        for part, scores in meta.original_split.items():
            cells = ", ".join(
                f"{LABELS[m]} {fmt(scores, m)}" for m in metrics if m in scores.metrics
            )
            lines.append(
                f"| {meta.algorithm}, {meta.design.chosen} ({_name(feature_set)}) | {part} | "
                f"{scores.n} | {cells} |"
            )
    lines.append(
        f"| original project's models (post-release fields) | test | {baseline['revenue']['n']} | "
        f"R² {baseline['revenue']['r2']:.3f}, ROC-AUC {baseline['hit']['roc_auc']:.3f} |"
    )
    return "\n".join(lines)


def figure_by_year(metadata: dict[str, ForecastMetadata], figures_dir: Path) -> list[str]:
    """Each answer's scores one year ahead, year by year, for both feature sets."""
    names = []
    for task, metrics in (("revenue", ("r2", "coverage", "crps")), ("hit", ("roc_auc", "ece"))):
        fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.6))
        for feature_set, meta in metadata.items():
            years = sorted(meta.backtest.one_year_ahead)
            for ax, metric in zip(axes, metrics, strict=True):
                values = [
                    meta.backtest.one_year_ahead[y].metrics.get(metric, np.nan) for y in years
                ]
                ax.plot(years, values, "o-", label=_name(feature_set))
                ax.set(title=LABELS[metric], xlabel="release year (one year ahead)")
        for ax, metric in zip(axes, metrics, strict=True):
            if metric == "coverage":
                ax.axhspan(*config.COVERAGE_TARGET, color="tab:green", alpha=0.15)
            if metric == "ece":
                ax.axhline(config.ECE_TARGETS[0], color="tab:green", linestyle="--", linewidth=1)
        axes[0].legend()
        fig.suptitle(f"{task}: forward backtest by year")
        fig.tight_layout()
        name = f"backtest_{task}_by_year.png"
        fig.savefig(figures_dir / name, dpi=80)
        plt.close(fig)
        names.append(name)
    return names


def figure_pooled(pooled: dict[str, Answered], years: str, figures_dir: Path) -> list[str]:
    """Forecast against actual, and P(hit)'s reliability, one year ahead over the test years."""
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    for k, (feature_set, answered) in enumerate(pooled.items()):
        ax = axes[k]
        ax.scatter(answered.y, answered.median, s=5, alpha=0.4)
        lims = [
            min(answered.y.min(), answered.median.min()),
            max(answered.y.max(), answered.median.max()),
        ]
        ax.plot(lims, lims, "k--", linewidth=1)
        ax.set(
            title=f"{_name(feature_set)}: forecast vs actual",
            xlabel="actual log1p(revenue)",
            ylabel="forecast (the median)",
        )
        ax = axes[2 + k]
        ax.plot([0, 1], [0, 1], "k--", linewidth=1)
        points = np.array(
            [(a, b) for a, b, _ in reliability_curve(answered.hit, answered.probability)]
        )
        ax.plot(points[:, 0], points[:, 1], "o-")
        ax.set(
            title=f"{_name(feature_set)}: P(hit) reliability",
            xlabel="mean P(hit)",
            ylabel="observed hit rate",
        )
    fig.suptitle(f"one year ahead, {years}")
    fig.tight_layout()
    name = "backtest_pooled.png"
    fig.savefig(figures_dir / name, dpi=80)
    plt.close(fig)
    return [name]


def figure_importances(pipelines: dict[str, Any], figures_dir: Path) -> list[str]:
    fig, axes = plt.subplots(1, len(pipelines), figsize=(10 * len(pipelines), 5))
    for ax, (feature_set, pipeline) in zip(np.atleast_1d(axes), pipelines.items(), strict=True):
        inner = inner_pipeline(pipeline)
        names = inner[:-1].get_feature_names_out()
        model = inner[-1]
        values = getattr(model, "feature_importances_", None)
        if values is None:
            values = np.abs(np.ravel(model.coef_))
        top = pd.Series(values, index=names).sort_values(ascending=False).head(15)[::-1]
        ax.barh(top.index, top.to_numpy(), color="tab:purple")
        ax.set_title(f"revenue forecast, {_name(feature_set)}", fontsize=9)
    fig.tight_layout()
    name = "importances.png"
    fig.savefig(figures_dir / name, dpi=80)
    plt.close(fig)
    return [name]


def comps_section(meta: ComparablesMetadata, examples: dict[str, list[dict]]) -> list[str]:
    ks = sorted(meta.backtest_r2)
    lines = [
        "## Comparable films",
        "",
        f"Similarity: {meta.similarity}; weights {meta.weights}. Measured one year ahead over "
        f"{meta.backtest_years[0]}-{meta.backtest_years[-1]}: each film's comps drawn only from "
        "the films released before its year, the median of their log revenue as its forecast.",
        "",
        "| k | " + " | ".join(map(str, ks)) + " |",
        "|---|" + "---|" * len(ks),
        "| R² (95% CI) | "
        + " | ".join(
            "{:.3f} ({:.3f}-{:.3f})".format(meta.backtest_r2[k], *meta.backtest_r2_ci95[k])
            for k in ks
        )
        + " |",
        "",
        f"The API's default is k = {meta.default_k}. Comps of the top-grossing film of each of the "
        "table's last years (each left out of its own comps):",
        "",
    ]
    for film, comps in examples.items():
        lines += [
            f"**{film}**",
            "",
            "| comp | year | budget | revenue | revenue / budget | similarity |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {c['title']} | {c['release_year']} | ${c['budget_usd'] / 1e6:,.0f}M | "
            f"${c['revenue_usd'] / 1e6:,.0f}M | {c['revenue_to_budget']:.1f} | "
            f"{c['similarity']:.2f} |"
            for c in comps
        ]
        lines.append("")
    return lines


def forecast_sections(metadata: dict[str, ForecastMetadata]) -> list[str]:
    """Per feature set: the design choice, the backtest, by horizon, the distribution and the
    slates."""
    lines = []
    for feature_set, meta in metadata.items():
        lines += [
            f"### {_name(feature_set)}: {meta.algorithm} ({meta.dollars} dollars), "
            f"{meta.design.chosen}",
            "",
            f"Design rule: {meta.design.rule}.",
            "",
            design_table(meta),
            "",
            "Revenue (the median), its 80% range and the distribution:",
            "",
            backtest_table(meta, REVENUE_METRICS),
            "",
            "P(hit), read from the same distribution (contradictions: the share of films whose "
            "forecast is at least the hit ratio times the budget while P(hit) < 0.5, or the "
            "reverse):",
            "",
            backtest_table(meta, HIT_METRICS),
            "",
            f"Trained to {meta.backtest.trained_to}, by horizon:",
            "",
            horizon_table(meta),
            "",
            distribution_text(meta),
            "",
            f"Slates ({meta.slates.method}):",
            "",
            slates_table(meta),
            "",
        ]
    return lines


def write_report(inputs: ReportInputs) -> Path:
    figures_dir = inputs.reports_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    metadata, calendar, info = inputs.metadata, inputs.calendar, inputs.info
    years = f"{calendar.test_years[0]}-{calendar.test_years[-1]}"
    figures = figure_by_year(metadata, figures_dir)
    figures += figure_pooled(inputs.pooled, years, figures_dir)
    figures += figure_importances(inputs.served_pipelines, figures_dir)
    first = metadata[FEATURE_SETS[0]]
    later, left_out = inputs.not_learned, ""
    if later:
        span = str(later[0]) if later[0] == later[-1] else f"{later[0]}-{later[-1]}"
        left_out = (
            f"; the {len(later):,} labelled film(s) dated {span}, after {first.newest_year}, "
            f"the newest year with {MIN_FILMS_PER_YEAR} films or more to test on, are not "
            "learned from"
        )
    fitted = (
        f"refitted on every labelled film up to {first.newest_year} ({first.rows.fitted:,})"
        f"{left_out}"
        if info.holdout == "none"
        else f"fitted on the original split's training part ({first.rows.fitted:,} films), as "
        "before the forward backtest (`--holdout original`)"
    )
    published = config.targets_apply(info.published, info.hit_ratio)
    lines = [
        "# Training report",
        "",
        f"Data: `{inputs.data_name}` (sha256 `{info.data_sha256}`), seed {info.seed}, profile "
        f"{info.profile}, {sum(inputs.timings.values()):.1f} s. Years, from the table: "
        f"{calendar.describe()}. The served models are {fitted}.",
        "",
        "## Models and the quality targets (forward backtest)",
        "",
        "One forecast model per feature set: the revenue forecast, its 80% range and P(hit) "
        "are read from one distribution of the film's revenue. "
        + (
            "The targets are those of the published TMDB 5000 table."
            if published
            else f"The targets were set on the published table at a hit ratio of "
            f"{config.HIT_RATIO:g}: at {info.hit_ratio:g} its figures are reported beside them, "
            "not enforced."
            if info.published
            else "This is not the published table: its figures are reported beside the "
            "targets, which are not enforced."
        ),
        "",
        targets_table(metadata, published),
        "",
        f"Intervals in parentheses: 95% percentile bootstrap over the films ({inputs.resamples:,} "
        f"draws). The films of {years} took part in no choice (tuning, dollars and the "
        f"distribution's design used the films up to {calendar.development_last_year}).",
        "",
        "## One forecast per film",
        "",
        "log1p(revenue) = forecast + location + spread × Z: the forecast from the revenue "
        "pipeline, the location and the spread fitted on out-of-time forecasts (the Laplace "
        "likelihood of their residuals, the spread log-linear in what the design reads), Z the "
        "standardised out-of-time residuals. The revenue answered is the distribution's median, "
        "the 80% range its 10th and 90th percentiles, P(hit) = P(revenue > hit ratio × budget), "
        "P(profit > 0) = P(studio share × revenue > budget + marketing). Candidate designs: "
        + "; ".join(f"`{k}`: {v}" for k, v in DESIGN_LABELS.items())
        + ".",
        "",
        *forecast_sections(metadata),
        "## Constant dollars",
        "",
        first.backtest.dollars_rule[:1].upper()
        + first.backtest.dollars_rule[1:]
        + ". "
        + first.cpi.source
        + f"; after {first.cpi.last_year}, prices rise "
        f"{100 * (first.cpi.growth_after_last - 1):.1f}% a year (the mean of its last ten years).",
        "",
        dollars_table(metadata),
        "",
        "## The cast and crew",
        "",
        *credits_section(metadata),
        "## How each forecast was chosen",
        "",
    ]
    for (task, feature_set), choice in inputs.choices.items():
        role = (
            "the revenue forecast"
            if task == "revenue"
            else "the two-model design's classifier (compared, not served)"
        )
        lines += [
            f"### {_name(feature_set)}: {role}",
            "",
            f"Rule: {choice.rule}.",
            "",
            choice_table(choice),
            "",
        ]
    lines += [
        "## The original project's split",
        "",
        "The chosen candidates fitted on the 60% training part, their distribution fitted on the "
        "validation part, scored as the original project did (test fold as drawn, and "
        "filtered). The test fold's films of the selection years took part in the forward "
        "choice, so this is no longer an untouched test of that choice; no model here learned "
        "from it.",
        "",
        original_split_table(metadata, inputs.baseline_split),
        "",
        *comps_section(inputs.comps, inputs.comps_examples),
        "## Figures",
        "",
        *(f"![{name}](figures/{name})" for name in figures),
        "",
        "## Cleaning rules",
        "",
        rule_table(inputs.splits.rule_counts),
        "",
        "## Time",
        "",
        "| stage | seconds |",
        "|---|---|",
        *(f"| {stage} | {seconds:.1f} |" for stage, seconds in inputs.timings.items()),
        f"| total | {sum(inputs.timings.values()):.1f} |",
        "",
        inputs.eda,
    ]
    path = inputs.reports_dir / "training_report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_backtest_report(
    reports_dir: Path,
    data_name: str,
    sha256: str,
    metadata: dict[str, ForecastMetadata],
    enforced: bool,
) -> Path:
    """reports/backtest.md: the forward backtest of a stored run's configuration."""
    figures_dir = reports_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = figure_by_year(metadata, figures_dir)
    first = next(iter(metadata.values()))
    lines = [
        f"# Forward backtest of training run {first.run}",
        "",
        f"Data: `{data_name}` (sha256 `{sha256}`). {first.backtest.protocol}.",
        "",
        targets_table(metadata, enforced),
        "",
    ]
    for feature_set, meta in metadata.items():
        lines += [
            f"## {_name(feature_set)}: {meta.algorithm}, {meta.design.chosen}",
            "",
            backtest_table(meta, REVENUE_METRICS),
            "",
            backtest_table(meta, HIT_METRICS),
            "",
            horizon_table(meta),
            "",
        ]
    lines += [*(f"![{name}](figures/{name})" for name in figures), ""]
    path = reports_dir / "backtest.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

"""The training report (reports/training_report.md) with its figures (reports/figures/)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from boxoffice.config import FEATURE_SETS, TASKS
from boxoffice.metadata import ComparablesMetadata, HitMetadata, RevenueMetadata, Scores
from training import config
from training.clean import RuleCount
from training.model_card import SEED_ROW
from training.split import Splits
from training.uncertainty import reliability_curve

if TYPE_CHECKING:
    from training.pipeline import ModelResult
    from training.train import TaskChoice

REVENUE_METRICS = ("r2", "rmse", "mae", "coverage", "mean_width")
HIT_METRICS = ("roc_auc", "ece", "brier", "hit_rate", "mean_probability")
LABELS = {
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
    "coverage": "80% coverage",
    "mean_width": "mean width (log)",
    "roc_auc": "ROC-AUC",
    "ece": "ECE",
    "brier": "Brier",
    "hit_rate": "hit rate",
    "mean_probability": "mean P(hit)",
    "f1": "F1 at 0.5",
    "precision": "precision at 0.5",
    "recall": "recall at 0.5",
}


def _fmt(scores: Scores, metric: str, ci: bool = True) -> str:
    if metric not in scores.metrics:
        return "-"
    text = f"{scores.metrics[metric]:.3f}"
    if ci and metric in scores.ci95:
        low, high = scores.ci95[metric]
        text += f" ({low:.3f}-{high:.3f})"
    return text


def _title(task: str, feature_set: str, meta: RevenueMetadata | HitMetadata) -> str:
    return f"{task}, {feature_set.replace('_', '-')}: {meta.algorithm} ({meta.dollars} dollars)"


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


def _targets_table(metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata]) -> str:
    lines = [
        "| model | chosen | dollars | one year ahead 2011-2016 (95% CI) | minimum | trained to "
        "2010, scored 2011-2016 | minimum | met | uncertainty, one year ahead / trained to 2010 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (task, feature_set), meta in metadata.items():
        headline = "r2" if task == "revenue" else "roc_auc"
        pooled_min, later_min = config.FORWARD_TARGETS[(task, feature_set)]
        pooled, later = meta.backtest.pooled, meta.backtest.later
        met = pooled.metrics[headline] >= pooled_min and later.metrics[headline] >= later_min
        if task == "revenue":
            low, high = config.COVERAGE_TARGET
            uncertainty = (
                f"coverage {_fmt(pooled, 'coverage', False)} / {_fmt(later, 'coverage', False)} "
                f"(target {low}-{high})"
            )
        else:
            uncertainty = (
                f"ECE {_fmt(pooled, 'ece', False)} / {_fmt(later, 'ece', False)} (targets "
                f"≤ {config.ECE_TARGETS[0]} / ≤ {config.ECE_TARGETS[1]})"
            )
        lines.append(
            f"| {task}, {feature_set.replace('_', '-')} | {meta.algorithm} | {meta.dollars} | "
            f"{LABELS[headline]} {_fmt(pooled, headline)} | {pooled_min:.2f} | "
            f"{_fmt(later, headline)} | {later_min:.2f} | {'yes' if met else '**no**'} | "
            f"{uncertainty} |"
        )
    return "\n".join(lines)


def _backtest_table(task: str, meta: RevenueMetadata | HitMetadata) -> str:
    metrics = REVENUE_METRICS if task == "revenue" else HIT_METRICS
    backtest = meta.backtest
    header = "| forecasts | films | " + " | ".join(LABELS[m] for m in metrics) + " |"
    lines = [header, "|---|---|" + "---|" * len(metrics)]

    def row(label: str, scores: Scores, ci: bool = False) -> str:
        cells = " | ".join(_fmt(scores, m, ci) for m in metrics)
        return f"| {label} | {scores.n:,} | {cells} |"

    for year, scores in sorted(backtest.one_year_ahead.items()):
        lines.append(row(f"{year}, one year ahead", scores))
    years = f"{backtest.pooled_years[0]}-{backtest.pooled_years[-1]}"
    lines.append(row(f"**{years}, one year ahead (pooled)**", backtest.pooled, True))
    lines.append(row(f"**{years}, trained to {backtest.trained_to}**", backtest.later, True))
    lines.append(row(f"{SEED_ROW}, {years} one year ahead", backtest.baseline_pooled, True))
    lines.append(
        row(
            f"{SEED_ROW}, trained to {backtest.trained_to}",
            backtest.baseline_later,
            True,
        )
    )
    test = meta.original_split["test"]
    lines.append(row("random split (original project's test fold), as reported before", test, True))
    return "\n".join(lines)


def _horizon_table(task: str, meta: RevenueMetadata | HitMetadata) -> str:
    metrics = (
        ("r2", "coverage", "mean_width")
        if task == "revenue"
        else ("roc_auc", "ece", "mean_probability", "hit_rate")
    )
    lines = [
        "| horizon (years) | films | " + " | ".join(LABELS[m] for m in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for h, scores in sorted(meta.backtest.by_horizon.items()):
        lines.append(
            f"| {h} | {scores.n} | " + " | ".join(_fmt(scores, m, False) for m in metrics) + " |"
        )
    return "\n".join(lines)


def _dollars_table(metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata]) -> str:
    lines = [
        "| model | metric | nominal, development years | constant, development years | nominal, "
        "2011-2016 | constant, 2011-2016 | adopted |",
        "|---|---|---|---|---|---|---|",
    ]
    for (task, feature_set), meta in metadata.items():
        headline = "r2" if task == "revenue" else "roc_auc"
        d = meta.backtest.dollars
        lines.append(
            f"| {task}, {feature_set.replace('_', '-')} | {LABELS[headline]} | "
            + " | ".join(
                _fmt(d[key], headline, False)
                for key in (
                    "nominal_development",
                    "constant_development",
                    "nominal_tested",
                    "constant_tested",
                )
            )
            + f" | {meta.dollars} |"
        )
    return "\n".join(lines)


def _choice_table(choice: TaskChoice) -> str:
    headline = "rmse" if choice.task == "revenue" else "roc_auc"
    lines = [
        f"| candidate | forward {LABELS[headline]} (mean ± sd) | cost (tree levels) | eligible | "
        f"tuned parameters | original split: validation {LABELS[headline]} | test "
        f"{LABELS[headline]} | predict ms, 1 / 1,000 films (measured, not a rule) | tuning s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in choice.candidates:
        mark = " **(chosen)**" if r is choice.chosen else ""
        params = ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        lines.append(
            f"| {r.name}{mark} | {r.forward_mean:.3f} ± {r.forward_std:.3f} | {r.cost:,} | "
            f"{'yes' if r.eligible else 'no'} | {params} | "
            f"{r.metrics['validation'][headline]:.3f} | {r.metrics['test'][headline]:.3f} | "
            f"{r.predict_ms['one_film']:.2f} / {r.predict_ms['thousand_films']:.1f} | "
            f"{r.tune_seconds:.1f} |"
        )
    return "\n".join(lines)


def _original_split_table(
    metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata], baseline: dict[str, Any]
) -> str:
    lines = ["| model | part | films | scores |", "|---|---|---|---|"]
    for (task, feature_set), meta in metadata.items():
        metrics = (
            ("r2", "rmse", "mae", "coverage")
            if task == "revenue"
            else ("roc_auc", "ece", "brier", "f1", "precision", "recall")
        )
        for part, scores in meta.original_split.items():
            cells = ", ".join(
                f"{LABELS[m]} {_fmt(scores, m)}" for m in metrics if m in scores.metrics
            )
            model = f"{meta.algorithm} ({task}, {feature_set.replace('_', '-')})"
            lines.append(f"| {model} | {part} | {scores.n} | {cells} |")
    lines.append(
        f"| original project's models (post-release fields) | test | {baseline['revenue']['n']} | "
        f"R² {baseline['revenue']['r2']:.3f}, ROC-AUC {baseline['hit']['roc_auc']:.3f} |"
    )
    return "\n".join(lines)


def _uncertainty_text(meta: RevenueMetadata | HitMetadata) -> str:
    horizons = (1, 5, 11)
    if isinstance(meta, RevenueMetadata):
        interval = meta.interval
        offsets = ", ".join(
            f"{h} year(s): {low:+.2f} / {high:+.2f}"
            for h, low, high in zip(horizons, *interval.offsets(np.array(horizons)), strict=True)
        )
        return (
            f"Interval ({interval.level:.0%}): {interval.method}; {interval.n_residuals:,} "
            f"residuals. Offsets (log units) by horizon: {offsets}."
        )
    c = meta.calibration
    raws = np.array([0.2, 0.5, 0.8])
    rows = "; ".join(
        f"{h} year(s): "
        + ", ".join(f"{r:.1f} → {p:.2f}" for r, p in zip(raws, c.apply(raws, h), strict=True))
        for h in horizons
    )
    return (
        f"Calibration ({c.fitted_on}, {c.n_predictions:,} forecasts): logit P = "
        f"{c.intercept:+.3f} {c.slope:+.3f}·s {c.horizon_coef:+.3f}·(h−1) "
        f"{c.interaction_coef:+.3f}·s·(h−1), h clipped to 1-{c.max_horizon}. Raw → calibrated "
        f"P(hit) by horizon: {rows}. The verdict is P(hit) ≥ {meta.threshold:g}; the best-F1 "
        f"point would be {c.best_f1_threshold:.3f}."
    )


def _figure_by_year(
    metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata], figures_dir: Path
) -> list[str]:
    names = []
    for task in TASKS:
        metrics = REVENUE_METRICS if task == "revenue" else HIT_METRICS[:3]
        fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.6))
        for feature_set in FEATURE_SETS:
            meta = metadata[(task, feature_set)]
            years = sorted(meta.backtest.one_year_ahead)
            for ax, metric in zip(axes, metrics, strict=True):
                values = [
                    meta.backtest.one_year_ahead[y].metrics.get(metric, np.nan) for y in years
                ]
                ax.plot(years, values, "o-", label=feature_set.replace("_", "-"))
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


def _figure_pooled(results: dict[tuple[str, str], ModelResult], figures_dir: Path) -> list[str]:
    """Predicted vs actual and reliability, one year ahead 2011-2016, with served uncertainty."""
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    for k, feature_set in enumerate(FEATURE_SETS):
        revenue = results[("revenue", feature_set)].pooled
        ax = axes[k]
        ax.scatter(revenue.y, revenue.forecasts.prediction, s=5, alpha=0.4)
        lims = [
            min(revenue.y.min(), revenue.forecasts.prediction.min()),
            max(revenue.y.max(), revenue.forecasts.prediction.max()),
        ]
        ax.plot(lims, lims, "k--", linewidth=1)
        ax.set(
            title=f"{feature_set}: forecast vs actual",
            xlabel="actual log1p(revenue)",
            ylabel="forecast",
        )
        hit = results[("hit", feature_set)].pooled
        ax = axes[2 + k]
        ax.plot([0, 1], [0, 1], "k--", linewidth=1)
        for label, p in (("raw", hit.forecasts.prediction), ("calibrated", hit.probability)):
            points = np.array([(a, b) for a, b, _ in reliability_curve(hit.y, p)])
            ax.plot(points[:, 0], points[:, 1], "o-", label=label)
        ax.set(
            title=f"{feature_set}: reliability", xlabel="mean P(hit)", ylabel="observed hit rate"
        )
        ax.legend()
    fig.suptitle("one year ahead, 2011-2016")
    fig.tight_layout()
    name = "backtest_pooled.png"
    fig.savefig(figures_dir / name, dpi=80)
    plt.close(fig)
    return [name]


def _figure_importances(
    results: dict[tuple[str, str], ModelResult], figures_dir: Path
) -> list[str]:
    from boxoffice.estimators import ConstantDollarTarget

    fig, axes = plt.subplots(1, 4, figsize=(20, 5))
    for ax, (key, result) in zip(axes, results.items(), strict=True):
        pipeline = (
            result.served.pipeline_
            if isinstance(result.served, ConstantDollarTarget)
            else result.served
        )
        names = pipeline[:-1].get_feature_names_out()
        model = pipeline[-1]
        values = getattr(model, "feature_importances_", None)
        if values is None:
            values = np.abs(np.ravel(model.coef_))
        top = pd.Series(values, index=names).sort_values(ascending=False).head(15)[::-1]
        ax.barh(top.index, top.to_numpy(), color="tab:purple")
        ax.set_title(f"{key[0]}, {key[1]}: {result.choice.chosen.name}", fontsize=9)
    fig.tight_layout()
    name = "importances.png"
    fig.savefig(figures_dir / name, dpi=80)
    plt.close(fig)
    return [name]


def _comps_section(meta: ComparablesMetadata, examples: dict[str, list[dict]]) -> list[str]:
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
        f"The API's default is k = {meta.default_k}. Comps of three well-known films (each left "
        "out of its own comps):",
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


def write_report(
    reports_dir: Path,
    data_name: str,
    sha256: str,
    splits: Splits,
    choices: dict[tuple[str, str], TaskChoice],
    results: dict[tuple[str, str], ModelResult],
    metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata],
    comps: ComparablesMetadata,
    examples: dict[str, list[dict]],
    baseline: dict[str, Any],
    eda: str,
    timings: dict[str, float],
    seed: int,
    profile: str,
    holdout: str,
    resamples: int,
) -> Path:
    figures_dir = reports_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = _figure_by_year(metadata, figures_dir) + _figure_pooled(results, figures_dir)
    figures += _figure_importances(results, figures_dir)
    first = next(iter(metadata.values()))
    fitted = (
        f"refitted on every labelled film ({first.rows.fitted:,}, newest {first.newest_year})"
        if holdout == "none"
        else f"fitted on the original split's training part ({first.rows.fitted:,} films), as "
        "before the forward backtest (`--holdout original`)"
    )
    lines = [
        "# Training report",
        "",
        f"Data: `{data_name}` (sha256 `{sha256}`), seed {seed}, profile {profile}, "
        f"{sum(timings.values()):.1f} s. The served models are {fitted}.",
        "",
        "## Models and the quality targets (forward backtest)",
        "",
        _targets_table(metadata),
        "",
        "Intervals in parentheses: 95% percentile bootstrap over the films "
        f"({resamples:,} draws). The films of 2011-2016 took no part in any choice "
        "(tuning and choice used the films up to 2010).",
        "",
        "## Forward backtest",
        "",
        first.backtest.protocol + ". The development years (2009-2010) took part in the choice; "
        "2011-2016 are the test.",
        "",
    ]
    for (task, feature_set), meta in metadata.items():
        lines += [
            f"### {_title(task, feature_set, meta)}",
            "",
            _backtest_table(task, meta),
            "",
            f"Trained to {meta.backtest.trained_to}, by horizon:",
            "",
            _horizon_table(task, meta),
            "",
            _uncertainty_text(meta),
            "",
        ]
    lines += [
        "## Constant dollars",
        "",
        first.backtest.dollars_rule[:1].upper()
        + first.backtest.dollars_rule[1:]
        + ". "
        + first.cpi.source
        + f"; after {first.cpi.last_year}, "
        f"prices rise {100 * (first.cpi.growth_after_last - 1):.1f}% a year (the mean of its last "
        "ten years).",
        "",
        _dollars_table(metadata),
        "",
        "## How each model was chosen",
        "",
    ]
    for (task, feature_set), choice in choices.items():
        lines += [
            f"### {task}, {feature_set.replace('_', '-')}",
            "",
            f"Rule: {choice.rule}.",
            "",
            _choice_table(choice),
            "",
        ]
    lines += [
        "## The original project's split",
        "",
        "The chosen candidates fitted on the 60% training part, the interval and calibration "
        "fitted on the validation part, scored as the original project did (test fold as drawn, "
        "and filtered). The test fold's films up to 2010 took part in the forward choice of "
        "algorithm and parameters, so this is no longer an untouched test of that choice; no "
        "model here learned from it.",
        "",
        _original_split_table(metadata, baseline),
        "",
        *_comps_section(comps, examples),
        "## Figures",
        "",
        *(f"![{name}](figures/{name})" for name in figures),
        "",
        "## Cleaning rules",
        "",
        rule_table(splits.rule_counts),
        "",
        "## Time",
        "",
        "| stage | seconds |",
        "|---|---|",
        *(f"| {stage} | {seconds:.1f} |" for stage, seconds in timings.items()),
        f"| total | {sum(timings.values()):.1f} |",
        "",
        eda,
    ]
    path = reports_dir / "training_report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_backtest_report(
    reports_dir: Path,
    data_name: str,
    sha256: str,
    metadata: dict[tuple[str, str], RevenueMetadata | HitMetadata],
) -> Path:
    """reports/backtest.md: the forward backtest of a stored run's configuration."""
    figures_dir = reports_dir / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    figures = _figure_by_year(metadata, figures_dir)
    first = next(iter(metadata.values()))
    lines = [
        f"# Forward backtest of training run {first.run}",
        "",
        f"Data: `{data_name}` (sha256 `{sha256}`). {first.backtest.protocol}.",
        "",
        _targets_table(metadata),
        "",
    ]
    for (task, feature_set), meta in metadata.items():
        lines += [
            f"## {_title(task, feature_set, meta)}",
            "",
            _backtest_table(task, meta),
            "",
            _horizon_table(task, meta),
            "",
        ]
    lines += [*(f"![{name}](figures/{name})" for name in figures), ""]
    path = reports_dir / "backtest.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path

"""Model cards: what each stored model is for, how it was made and how well it does."""

from __future__ import annotations

from typing import Any

from boxoffice.metadata import HitMetadata, RevenueMetadata, Scores
from training import config

# The original project's published scores (its own split and filtering, not comparable row for
# row); its final models are also re-run on this project's test fold (training.baseline).
SEED_PUBLISHED = {
    "revenue": "GradientBoosting: RMSE 1.230, R² 0.673, MAE 0.828 (its own split)",
    "hit": "LogisticRegression C=1: CV ROC-AUC 0.805 (its own folds, hit = revenue > 1.5 × budget)",
}

# The original project's models read popularity and votes: post-release fields, whichever card.
SEED_ROW = "original project's models (budget, runtime, popularity, vote average)"

INTENDED_USE = {
    "pre_release": (
        "Go/no-go and budgeting decisions **before** a film opens: it uses only what is known "
        "then (budget, runtime, genres, release date, language, companies, countries, keywords)."
    ),
    "post_release": (
        "Tracking a film **already released**: it adds TMDB popularity, vote average and vote "
        "count, which are only known after release and carry outcome information. Do not use it "
        "to decide whether to make a film."
    ),
}

LIMITATIONS = [
    "Post-release signals (popularity, votes) are measured after release and partly reflect the "
    "revenue itself; their strong scores do not transfer to decisions made before release. TMDB's "
    "votes were counted in 2017: an older film had more years to collect them.",
    "Revenue data quality: TMDB uses 0 for unknown budgets and revenues, some values are in the "
    "wrong unit (e.g. a budget of 1 meaning 1 million), and revenues are worldwide box office as "
    f"reported. Films under ${config.MIN_PLAUSIBLE_USD:,} are not learned from; the backtest "
    "and the test fold score them as drawn, which lowers their scores.",
    "Coverage: the TMDB 5000 table is mostly English-language, US-produced films released "
    "1916-2016 and listed on TMDB by 2017; streaming releases, recent market shifts and small "
    "local releases are under-represented. A film after 2016 is a forecast years beyond the "
    "data: its interval widens and its probability is tempered with the horizon, as the "
    "backtest showed they must, but no backtest reaches a decade ahead.",
    "The hit rate moves from year to year (0.47 in 2009-2010, 0.60 in 2011-2016): a calibration "
    "fitted on earlier films cannot foresee such a jump, and the backtest's ECE shows it.",
    "Intervals are marginal 80% intervals: over many films about 80% of true revenues fall "
    "inside, not 80% for every kind of film.",
]


def _metrics_row(label: str, scores: Scores, keys: tuple[str, ...]) -> str:
    cells = []
    for key in keys:
        if key not in scores.metrics:
            cells.append("-")
            continue
        text = f"{scores.metrics[key]:.3f}"
        if key in scores.ci95:
            low, high = scores.ci95[key]
            text += f" ({low:.3f}-{high:.3f})"
        cells.append(text)
    return f"| {label} | {scores.n:,} | " + " | ".join(cells) + " |"


def render(metadata: RevenueMetadata | HitMetadata, tag: str, seed_baseline: dict[str, Any]) -> str:
    """The markdown card of one stored model."""
    task, feature_set = metadata.task, metadata.feature_set
    backtest = metadata.backtest
    if task == "revenue":
        keys = ("r2", "rmse", "mae", "coverage", "mean_width")
        header = "| forecasts | films | R² | RMSE | MAE | 80% coverage | mean width |"
    else:
        keys = ("roc_auc", "ece", "brier", "hit_rate", "mean_probability")
        header = "| forecasts | films | ROC-AUC | ECE | Brier | hit rate | mean P(hit) |"
    years = f"{backtest.pooled_years[0]}-{backtest.pooled_years[-1]}"
    rows = [
        *(
            _metrics_row(f"{y}, one year ahead", s, keys)
            for y, s in sorted(backtest.one_year_ahead.items())
        ),
        _metrics_row(f"**{years}, one year ahead**", backtest.pooled, keys),
        _metrics_row(f"**{years}, trained to {backtest.trained_to}**", backtest.later, keys),
        _metrics_row(SEED_ROW + ", one year ahead", backtest.baseline_pooled, keys),
        _metrics_row("random split: original test fold", metadata.original_split["test"], keys),
    ]
    fitted = (
        f"every labelled film ({metadata.rows.fitted:,}, released up to {metadata.newest_year})"
        if metadata.fitted_on == "all_labelled"
        else f"the original split's training part ({metadata.rows.fitted:,} films; "
        "`--holdout original`: the original test fold can be scored through the service)"
    )
    cleaning = "\n".join(
        f"| {c.part} | `{c.rule}` | {c.description} | {c.rows_removed:,} |"
        for c in metadata.cleaning
    )
    lines = [
        f"# Model card: `{tag}`",
        "",
        f"- **Task**: {metadata.target} ({task}); **feature set**: {feature_set}",
        f"- **Model version**: `{tag}` (training run `{metadata.run}`, profile "
        f"{metadata.profile}, seed {metadata.seed})",
        f"- **Algorithm**: {metadata.algorithm} ({metadata.estimator_class}), chosen by "
        f"{metadata.selection.rule}",
        f"- **Fitted on**: {fitted}",
        f"- **Dollars**: {metadata.dollars} ({backtest.dollars_rule})",
        f"- **Explanations**: {metadata.explanation_method}",
        "",
        "## Intended use",
        "",
        INTENDED_USE[feature_set],
        "",
        "## Data and cleaning",
        "",
        f"TMDB 5000 movies (sha256 `{metadata.data_sha256[:16]}…`). Rows: "
        + ", ".join(f"{k} {v:,}" for k, v in metadata.rows.model_dump().items())
        + ".",
        "",
        "| part | rule | what it removes | rows removed |",
        "|---|---|---|---|",
        cleaning,
        "",
        "## Forward backtest",
        "",
        backtest.protocol + ". 95% bootstrap intervals in parentheses.",
        "",
        header,
        "|---|---|" + "---|" * len(keys),
        *rows,
        "",
        f"Original project as published: {SEED_PUBLISHED[task]}; its models on this project's "
        f"test fold: {'R²' if task == 'revenue' else 'ROC-AUC'} "
        f"{seed_baseline[task]['r2' if task == 'revenue' else 'roc_auc']:.3f}.",
        "",
    ]
    if isinstance(metadata, RevenueMetadata):
        interval = metadata.interval
        low1, high1 = interval.offsets(1)
        low11, high11 = interval.offsets(11)
        lines += [
            "## Uncertainty",
            "",
            f"{interval.level:.0%} interval (P10-P90) by {interval.method}: forecast "
            f"{float(low1):+.3f} / {float(high1):+.3f} log units one year ahead, "
            f"{float(low11):+.3f} / {float(high11):+.3f} eleven years ahead. Every answer states "
            "its horizon.",
            "",
        ]
    else:
        c = metadata.calibration
        lines += [
            "## Calibration",
            "",
            f"Fitted on {c.fitted_on} ({c.n_predictions:,} forecasts): logit P = "
            f"{c.intercept:+.3f} {c.slope:+.3f}·s {c.horizon_coef:+.3f}·(h−1) "
            f"{c.interaction_coef:+.3f}·s·(h−1), s the raw log-odds, h the horizon in years "
            f"(clipped to 1-{c.max_horizon}). is_hit is P(hit) >= {metadata.threshold:g} by "
            f"default (the best-F1 point would be {c.best_f1_threshold:.3f}).",
            "",
        ]
    lines += ["## Known limitations", "", *(f"- {item}" for item in LIMITATIONS), ""]
    return "\n".join(lines)

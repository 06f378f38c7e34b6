"""Model cards: what each stored model is for, how it was made and how well it does."""

from __future__ import annotations

from typing import Any

from boxoffice.metadata import HitMetadata, RevenueMetadata
from training import config

# The original project's published scores (its own split and filtering, not comparable row for
# row) and its final models re-run on this project's test fold (seed_baseline in pipeline.py).
SEED_PUBLISHED = {
    "revenue": "GradientBoosting: RMSE 1.230, R² 0.673, MAE 0.828 (its own split)",
    "hit": "LogisticRegression C=1: CV ROC-AUC 0.805 (its own folds, hit = revenue > 1.5 × budget)",
}

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
    "revenue itself; their strong scores do not transfer to decisions made before release.",
    "Revenue data quality: TMDB uses 0 for unknown budgets and revenues, some values are in the "
    "wrong unit (e.g. a budget of 1 meaning 1 million), and revenues are worldwide box office as "
    "reported, not inflation-adjusted. Rows under "
    f"${config.MIN_PLAUSIBLE_USD:,} are dropped from training; the test "
    "fold keeps them, which lowers its scores.",
    "Coverage: the TMDB 5000 table is mostly English-language, US-produced films released "
    "1916–2017 and listed on TMDB by 2017; streaming releases, recent market shifts and small "
    "local releases are under-represented. Films after 2017 are extrapolations.",
    "Intervals are marginal 80% intervals (split conformal): over many films about 80% of true "
    "revenues fall inside, not 80% for every kind of film.",
]


def _row(label: str, metrics: Any, keys: tuple[str, ...]) -> str:
    values = metrics if isinstance(metrics, dict) else metrics.model_dump()
    return f"| {label} | " + " | ".join(f"{values[k]:.3f}" for k in keys) + " |"


def render(metadata: RevenueMetadata | HitMetadata, tag: str, seed_baseline: dict[str, Any]) -> str:
    """The markdown card of one stored model."""
    task, feature_set = metadata.task, metadata.feature_set
    m = metadata.metrics
    if task == "revenue":
        keys = ("rmse", "r2", "mae")
        header = "| fold | RMSE | R² | MAE |\n|---|---|---|---|"
    else:
        keys = ("roc_auc", "f1", "precision", "recall")
        header = "| fold | ROC-AUC | F1 | precision | recall |\n|---|---|---|---|---|"
    metric_rows = [
        _row(part, getattr(m, part), keys) for part in ("validation", "test", "test_filtered")
    ]
    if feature_set == "post_release" and task in seed_baseline:
        metric_rows.append(_row("test, seed's model (replicated)", seed_baseline[task], keys))
    headline, _ = config.QUALITY_BAR[(task, feature_set)]
    low, high = getattr(m.test, f"{headline}_ci95")
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
        f"{metadata.selection}",
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
        "## Metrics",
        "",
        header,
        *metric_rows,
        "",
        f"Test {'R²' if task == 'revenue' else 'ROC-AUC'}: 95% bootstrap interval "
        f"{low:.3f}-{high:.3f} over the {metadata.rows.test:,} test rows.",
        "",
        f"Original project as published: {SEED_PUBLISHED[task]}.",
        "",
    ]

    if isinstance(metadata, RevenueMetadata):
        interval = metadata.interval
        t = metadata.interval_test
        lines += [
            "## Uncertainty",
            "",
            f"{interval.level:.0%} interval (P10-P90) by {interval.method}: prediction "
            f"{interval.low_offset:+.3f} / {interval.high_offset:+.3f} log units. On the "
            f"test fold: coverage {t.coverage:.3f}, mean width {t.mean_width_log:.3f} log "
            f"units (P90/P10 = {t.p90_over_p10:.1f}×).",
            "",
        ]
    else:
        c = metadata.calibration
        t = metadata.calibration_test
        lines += [
            "## Calibration",
            "",
            f"{c.method} calibration fitted on {c.fitted_on}; is_hit is P(hit) >= "
            f"{metadata.threshold:g} by default (the best-F1 point on validation would be "
            f"{c.best_f1_threshold:.3f}). On the "
            f"test fold: ECE (10 bins) {t.ece_before:.3f} → {t.ece_after:.3f}, Brier "
            f"{t.brier_before:.3f} → {t.brier_after:.3f}, ROC-AUC "
            f"{t.roc_auc_before:.3f} → {t.roc_auc_after:.3f}.",
            "",
        ]
    lines += ["## Known limitations", "", *(f"- {item}" for item in LIMITATIONS), ""]
    return "\n".join(lines)

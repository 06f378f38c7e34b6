"""Model cards: what each stored forecast model is for, how it was made and how well it does."""

from __future__ import annotations

from typing import Any

import numpy as np

from boxoffice.metadata import ForecastMetadata, Scores
from training import config

# The original project's published scores (its own split and filtering, not comparable row for
# row); its final models are also re-run on this project's test fold (training.baseline).
SEED_PUBLISHED = (
    "GradientBoosting: RMSE 1.230, R² 0.673, MAE 0.828 (its own split); LogisticRegression C=1: "
    "CV ROC-AUC 0.805 (its own folds, hit = revenue > 1.5 × budget)"
)

# The original project's models read popularity and votes: post-release fields, whichever card.
SEED_ROW = "original project's models (budget, runtime, popularity, vote average)"

INTENDED_USE = {
    "pre_release": (
        "Go/no-go, budgeting and slate decisions **before** a film opens: it uses only what is "
        "known then (budget, runtime, genres, release date, language, companies, countries, "
        "which keywords, not how many: TMDB's users tag more of them the more a film is "
        "watched)."
    ),
    "post_release": (
        "Tracking a film **already released**: it adds TMDB popularity, vote average and vote "
        "count, and how many keywords the film has, which are only known after release and "
        "carry outcome information. Do not use it to decide whether to make a film."
    ),
}


def credits_line(meta: ForecastMetadata) -> str:
    use = meta.credits
    if use.table is None:
        return "not read (no credits table was given)"
    verdict = (
        f"read: the directors and the first {use.cast_top_billed} of the cast"
        if use.used
        else "not read"
    )
    return f"{verdict} (credits table `{use.table}`; {use.rule})"


def limitations(meta: ForecastMetadata) -> list[str]:
    b = meta.backtest
    years = f"{b.pooled_years[0]}-{b.pooled_years[-1]}"
    one_year = b.one_year_ahead
    early = [y for y in one_year if y < b.pooled_years[0]]
    rate_then = np.mean([one_year[y].metrics["hit_rate"] for y in early]) if early else None
    rate_now = b.pooled.metrics["hit_rate"]
    moves = (
        f"(a hit rate of {rate_then:.2f} one year ahead in {early[0]}-{early[-1]} against "
        f"{rate_now:.2f} in {years})"
        if rate_then is not None
        else f"({rate_now:.2f} in {years})"
    )
    return [
        "Post-release signals (popularity, votes) are measured after release and partly "
        "reflect the revenue itself; their strong scores do not transfer to decisions made "
        "before release. TMDB counts votes up to the day the table was made: an older film had "
        "more years to collect them.",
        "Revenue data quality: TMDB uses 0 for unknown budgets and revenues, some values are in "
        "the wrong unit (e.g. a budget of 1 meaning 1 million), and revenues are worldwide box "
        f"office as reported. Films under ${config.MIN_PLAUSIBLE_USD:,} are not learned from; "
        "the backtest and the test fold score them as drawn, which lowers their scores.",
        f"Coverage: the films learned from were released up to {meta.newest_year}, mostly "
        "English-language and US-produced; streaming releases and small local releases are "
        f"under-represented. A film after {meta.newest_year} is a forecast beyond the data: its "
        "range widens with the horizon as the backtest showed it must, but no backtest reaches "
        "a decade ahead.",
        f"The hit rate moves from year to year {moves}: a distribution fitted on earlier films "
        "cannot foresee such a jump, and the backtest's ECE shows it. Films of one year move "
        "together: a slate is simulated with the year term, a single film's P(hit) carries it "
        "in its spread.",
        "The 80% range is marginal: over many films about 80% of true revenues fall inside, "
        "not 80% for every kind of film.",
        "Profit is the studio's share of the box office minus the budget and marketing, with "
        "the share and the marketing as the analyst assumes them (defaults: half the box "
        "office, no marketing); it leaves out home entertainment, licensing and every other "
        "revenue.",
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


def distribution_text(meta: ForecastMetadata) -> str:
    """The served distribution, in words and numbers."""
    d = meta.distribution
    spread = d.spread
    terms = ", ".join(
        f"{name} {coef:+.3f} per sd ({scale:.2f})"
        for name, coef, scale in zip(spread.covariates, spread.coef[1:], spread.scale, strict=True)
    )
    levels, table = d.table()
    z = np.interp([0.1, 0.25, 0.5, 0.75, 0.9], levels, table)
    years = d.year_term.sd(np.array([1, 3, 6]))
    return (
        f"Served distribution ({d.design}, fitted on {d.fitted_on}, {d.n_residuals:,} "
        f"out-of-time residuals): location {d.location:+.3f}; log spread {spread.coef[0]:+.3f} "
        f"({terms}; horizon held beyond {spread.max_horizon}); Z at 10/25/50/75/90%: "
        + ", ".join(f"{v:+.2f}" for v in z)
        + ". Year term (sd of one year's shared error, log units) at horizons 1 / 3 / 6: "
        + " / ".join(f"{v:.3f}" for v in years)
        + f" ({d.year_term.n_groups} year groups)."
    )


def slates_table(meta: ForecastMetadata) -> str:
    lines = [
        "| films per slate | slates | total revenue inside its 80% range | hits inside their "
        "80% range | the same, films independent | mean expected hits | mean realised hits |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, s in sorted(meta.slates.by_size.items()):
        lines.append(
            f"| {size} | {s.slates} | {s.revenue_coverage:.3f} | {s.hits_coverage:.3f} | "
            f"{s.revenue_coverage_independent:.3f} / {s.hits_coverage_independent:.3f} | "
            f"{s.mean_expected_hits:.2f} | {s.mean_realised_hits:.2f} |"
        )
    return "\n".join(lines)


def render(meta: ForecastMetadata, tag: str, seed_baseline: dict[str, Any]) -> str:
    """The markdown card of one stored forecast model."""
    b = meta.backtest
    keys = ("r2", "coverage", "crps", "roc_auc", "ece", "brier", "contradictions")
    header = (
        "| forecasts | films | R² | 80% coverage | CRPS | ROC-AUC | ECE | Brier | contradictions |"
    )
    years = f"{b.pooled_years[0]}-{b.pooled_years[-1]}"
    rows = [
        *(
            _metrics_row(f"{y}, one year ahead", s, keys)
            for y, s in sorted(b.one_year_ahead.items())
        ),
        _metrics_row(f"**{years}, one year ahead**", b.pooled, keys),
        _metrics_row(f"**{years}, trained to {b.trained_to}**", b.later, keys),
        _metrics_row(f"two models (before), {years} one year ahead", b.two_models_pooled, keys),
        _metrics_row(f"two models (before), trained to {b.trained_to}", b.two_models_later, keys),
        _metrics_row(SEED_ROW + ", one year ahead", b.baseline_pooled, keys),
        _metrics_row("random split: original test fold", meta.original_split["test"], keys),
    ]
    fitted = (
        f"every labelled film ({meta.rows.fitted:,}, released up to {meta.newest_year})"
        if meta.fitted_on == "all_labelled"
        else f"the original split's training part ({meta.rows.fitted:,} films; "
        "`--holdout original`: the original test fold can be scored through the service)"
    )
    cleaning = "\n".join(
        f"| {c.part} | `{c.rule}` | {c.description} | {c.rows_removed:,} |" for c in meta.cleaning
    )
    lines = [
        f"# Model card: `{tag}`",
        "",
        f"- **Answers**: the revenue forecast (the median), its 80% range, P(hit) (revenue > "
        f"{meta.hit_ratio:g} × budget) and profit, all read from one distribution of the film's "
        f"revenue; **feature set**: {meta.feature_set}",
        f"- **Model version**: `{tag}` (training run `{meta.run}`, profile {meta.profile}, seed "
        f"{meta.seed})",
        f"- **Revenue forecast**: {meta.algorithm} ({meta.estimator_class}), chosen by "
        f"{meta.selection.rule}",
        f"- **Distribution**: {meta.design.chosen}, chosen by {meta.design.rule}",
        f"- **Years**: tuned and chosen on {meta.design.development_years[0]}-"
        f"{meta.design.development_years[-1]}, tested on {years} (trained to {b.trained_to})",
        f"- **Fitted on**: {fitted}",
        f"- **Dollars**: {meta.dollars} ({b.dollars_rule})",
        f"- **Cast and crew**: {credits_line(meta)}",
        f"- **Explanations**: {meta.explanation_method}",
        "",
        "## Intended use",
        "",
        INTENDED_USE[meta.feature_set],
        "",
        "## Data and cleaning",
        "",
        f"TMDB movies table (sha256 `{meta.data_sha256[:16]}…`). Rows: "
        + ", ".join(f"{k} {v:,}" for k, v in meta.rows.model_dump().items())
        + ".",
        "",
        "| part | rule | what it removes | rows removed |",
        "|---|---|---|---|",
        cleaning,
        "",
        "## Forward backtest",
        "",
        b.protocol + ". 95% bootstrap intervals in parentheses.",
        "",
        header,
        "|---|---|" + "---|" * len(keys),
        *rows,
        "",
        f"Original project as published: {SEED_PUBLISHED}; its models on this project's test "
        f"fold: R² {seed_baseline['revenue']['r2']:.3f}, ROC-AUC "
        f"{seed_baseline['hit']['roc_auc']:.3f}.",
        "",
        "## The distribution",
        "",
        distribution_text(meta)
        + f" The verdict is P(hit) ≥ {meta.threshold:g} by default, which is the forecast at "
        f"least {meta.hit_ratio:g} × the budget.",
        "",
        "## Slates",
        "",
        meta.slates.method + ".",
        "",
        slates_table(meta),
        "",
        "## Known limitations",
        "",
        *(f"- {item}" for item in limitations(meta)),
        "",
    ]
    return "\n".join(lines)

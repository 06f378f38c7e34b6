"""Exploratory analysis of the movies table: missing values, ranges, targets, correlations."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from boxoffice.distribution import is_hit
from training import config
from training.clean import POPULATION_RULES, apply_rules

NUMERIC = [
    "budget",
    "revenue",
    "runtime",
    "popularity",
    "vote_average",
    "vote_count",
    "release_year",
]


def _number(value: object) -> str:
    """A table's number as a reader reads it: 2,660 and 1,916 (never 2.66e+03), 6.09, 0.0123."""
    if not isinstance(value, float):
        return str(value)
    if np.isnan(value):
        return ""
    if value.is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return format(value, ".3g")


def _markdown_table(frame: pd.DataFrame, digits: str | None = None) -> str:
    """``digits``: a format for every number (".2f" for correlations), else ``_number``'s."""
    cell = _number if digits is None else (lambda v: format(v, digits))
    header = "| " + " | ".join([frame.index.name or "", *map(str, frame.columns)]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    rows = []
    for index, row in frame.iterrows():
        rows.append("| " + " | ".join([str(index), *map(cell, row)]) + " |")
    return "\n".join([header, rule, *rows])


def correlation_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Log-scaled numeric columns of the known-budget/revenue rows, for correlations."""
    return pd.DataFrame(
        {
            "log_budget": np.log1p(frame["budget"]),
            "log_revenue": np.log1p(frame["revenue"]),
            "runtime": frame["runtime"],
            "log_popularity": np.log1p(frame["popularity"]),
            "vote_average": frame["vote_average"],
            "log_vote_count": np.log1p(frame["vote_count"]),
            "release_year": frame["release_year"],
        }
    )


def write_eda(frame: pd.DataFrame, figures_dir: Path, hit_ratio: float = config.HIT_RATIO) -> str:
    """Write the EDA figures into ``figures_dir``; return the markdown section."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    lines = ["## Exploratory data analysis", ""]
    # The credits' columns, when no credits table was given, are not the table's to count.
    frame = frame.drop(
        columns=[c for c in ("directors", "cast") if c in frame and frame[c].isna().all()]
    )

    missing = pd.DataFrame(
        {
            "missing": frame.isna().sum(),
            "zero": (frame[[c for c in frame.columns if c in NUMERIC]] == 0)
            .sum()
            .reindex(frame.columns)
            .fillna(0)
            .astype(int),
        }
    )
    missing["missing %"] = 100 * missing["missing"] / len(frame)
    missing.index.name = "column"
    lines += [
        f'{len(frame):,} rows. Missing values, and zeros (TMDB\'s "unknown" in budget and '
        "revenue):",
        "",
        _markdown_table(missing[missing.sum(axis=1) > 0]),
        "",
    ]

    ranges = frame[NUMERIC].describe().T[["min", "25%", "50%", "75%", "max", "mean"]]
    ranges.index.name = "column"
    if "release_year" in ranges.index:  # a year reads 2005, not 2,005
        ranges = ranges.astype(object)
        ranges.loc["release_year"] = [f"{v:.0f}" for v in ranges.loc["release_year"]]
    lines += ["Value ranges:", "", _markdown_table(ranges), ""]

    known = apply_rules(frame, POPULATION_RULES, "eda", [])
    hits = is_hit(known["revenue"], known["budget"], hit_ratio)
    corr = correlation_frame(known).corr()
    corr.index.name = ""
    lines += [
        f"Modelling population (known budget, revenue, genres, date): {len(known):,} rows; "
        f"hit rate (revenue > {hit_ratio:g} × budget): {hits.mean():.1%}. "
        f"Correlation of log budget with log revenue: {corr.loc['log_budget', 'log_revenue']:.3f}.",
        "",
        "Correlations (Pearson, log scales):",
        "",
        _markdown_table(corr, ".2f"),
        "",
    ]

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].hist(np.log1p(known["revenue"]), bins=60, color="tab:blue")
    axes[0].set(title="log1p(revenue), modelling population", xlabel="log1p(USD)")
    axes[1].hist(np.log(known["revenue"] / known["budget"]), bins=60, color="tab:green")
    axes[1].axvline(
        np.log(hit_ratio), color="k", linestyle="--", label=f"hit: ratio > {hit_ratio:g}"
    )
    axes[1].set(title="log(revenue / budget)", xlabel="log ratio")
    axes[1].legend()
    axes[2].scatter(np.log1p(known["budget"]), np.log1p(known["revenue"]), s=4, alpha=0.4)
    axes[2].set(title="log budget vs log revenue", xlabel="log1p(budget)", ylabel="log1p(revenue)")
    fig.tight_layout()
    fig.savefig(figures_dir / "eda_targets.png", dpi=80)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(corr)), corr.columns)
    for i in range(len(corr)):
        for j in range(len(corr)):
            ax.text(j, i, f"{corr.iat[i, j]:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image)
    ax.set_title("Correlations")
    fig.tight_layout()
    fig.savefig(figures_dir / "eda_correlations.png", dpi=80)
    plt.close(fig)

    lines += [
        "![targets](figures/eda_targets.png)",
        "",
        "![correlations](figures/eda_correlations.png)",
        "",
    ]
    return "\n".join(lines)

"""Cleaning rules, each documented and counted.

The modelling population follows the seed project so scores compare:

1. ``budget_unknown``: budget is 0, which TMDB uses for "unknown".
2. ``revenue_unknown``: revenue is 0, likewise "unknown".
3. ``no_genres``: the genres list is empty (or its JSON was malformed).
4. ``no_release_date``: release_date is missing.

These four give the seed's 3,228 rows, which are split 60/20/20. On the training and validation
parts only (the test fold is scored as it is, and also filtered for a second report):

5. ``budget_implausible``: budget below $10,000 - unit errors such as a budget of 1 (million).
6. ``revenue_implausible``: revenue below $10,000 - unit errors such as a revenue of 12.
7. ``budget_too_large``: budget of $1 billion or more, which no film has cost - unit errors
   such as a budget in cents (the published table has none).

Features treat ``runtime`` of 0 as unknown (imputed inside the model pipeline), which is not a
row-removing rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from training import config


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    drops: Callable[[pd.DataFrame], pd.Series]


def _empty_list(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v is None or len(v) == 0).astype(bool)


POPULATION_RULES: tuple[Rule, ...] = (
    Rule("budget_unknown", "budget is 0 (unknown)", lambda f: f["budget"] <= 0),
    Rule("revenue_unknown", "revenue is 0 (unknown)", lambda f: f["revenue"] <= 0),
    Rule("no_genres", "genres empty or malformed", lambda f: _empty_list(f["genres"])),
    Rule("no_release_date", "release_date missing", lambda f: f["release_date"].isna()),
)


def plausibility_rules(
    min_usd: float = config.MIN_PLAUSIBLE_USD, max_budget: float = config.MAX_PLAUSIBLE_BUDGET_USD
) -> tuple[Rule, ...]:
    return (
        Rule(
            "budget_implausible",
            f"budget below ${min_usd:,.0f} (unit error)",
            lambda f: f["budget"] < min_usd,
        ),
        Rule(
            "revenue_implausible",
            f"revenue below ${min_usd:,.0f} (unit error)",
            lambda f: f["revenue"] < min_usd,
        ),
        Rule(
            "budget_too_large",
            f"budget of ${max_budget:,.0f} or more, which no film has cost (unit error)",
            lambda f: f["budget"] >= max_budget,
        ),
    )


@dataclass
class RuleCount:
    rule: str
    description: str
    part: str
    rows_before: int
    rows_removed: int


def apply_rules(
    frame: pd.DataFrame, rules: tuple[Rule, ...], part: str, log: list[RuleCount]
) -> pd.DataFrame:
    """Apply rules in order, appending to ``log`` how many rows each one removed."""
    for rule in rules:
        drop = rule.drops(frame).fillna(False).astype(bool)
        log.append(RuleCount(rule.name, rule.description, part, len(frame), int(drop.sum())))
        frame = frame.loc[~drop]
    return frame

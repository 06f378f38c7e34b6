"""Names and defaults shared by everything that stores, loads or serves a model.

Importing this module has no side effects.
"""

from __future__ import annotations

from typing import Literal, get_args

# One stored forecast model per feature set (revenue, its range and P(hit) from one
# distribution), and the comparable films (on pre-release fields): the models of one training
# run, served together.
FeatureSet = Literal["post_release", "pre_release"]
FEATURE_SETS: tuple[FeatureSet, ...] = get_args(FeatureSet)
FORECAST = "forecast"
COMPARABLES = ("comparables", "pre_release")
RUN_MODELS = (*((FORECAST, fs) for fs in FEATURE_SETS), COMPARABLES)
MODEL_NAME_PREFIX = "boxoffice"
# A hit: revenue above this many times the budget (training's --hit-ratio; a stored model says
# its own).
DEFAULT_HIT_RATIO = 2.0
# is_hit is P(hit) >= this unless a request gives its own: a calibrated "more likely than not".
DEFAULT_HIT_THRESHOLD = 0.5
# The analyst's assumptions behind a profit: the share of the box office that reaches the
# studio, and the marketing spend (USD) beside the budget.
DEFAULT_STUDIO_SHARE = 0.5
DEFAULT_MARKETING_USD = 0.0
# Budgets and revenues below this many dollars are unit errors (a budget of 150 meant in
# millions): training never learns from such films, the API refuses such a budget (its schema's
# minimum), and the client and the slate page refuse an amount below it (other than 0) as typed
# in the wrong unit.
MIN_PLAUSIBLE_USD = 10_000
# ... and budgets of this many dollars or more: no film has cost $1 billion (the published
# table's most: $380M), so such a budget is a unit slip too (typed in thousands, $90,000 for
# $90M on the page, or a table's cents). Training never learns from such a film, and the pages
# and the client refuse such a budget (the API takes it, with a warning: the models extrapolate).
MAX_PLAUSIBLE_BUDGET_USD = 1_000_000_000
# A runtime under this many minutes was surely typed in hours (1.8); at or above this many (ten
# hours), in seconds (8100): the published table's longest film runs 338 minutes. The page, the
# slate page and the client refuse such a runtime (the API takes it, with a warning).
MIN_PLAUSIBLE_RUNTIME = 10
MAX_PLAUSIBLE_RUNTIME = 600
# How many of a film's cast, in billing order, the models read (when they learned from credits).
CAST_TOP_BILLED = 5
# How many comparable films an answer lists unless asked for another number.
COMPARABLES_K = 8
# The most comparable films one answer lists.
MAX_COMPARABLES_K = 50


def model_name(kind: str, feature_set: str) -> str:
    """Name of a model in the BentoML store, e.g. ``boxoffice-forecast-post-release``."""
    if (kind, feature_set) == COMPARABLES:
        return f"{MODEL_NAME_PREFIX}-comparables"
    if kind != FORECAST or feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown model {kind!r}/{feature_set!r}")
    return f"{MODEL_NAME_PREFIX}-{kind}-{feature_set.replace('_', '-')}"


# A table's amounts in US$, as TMDB gives them: the median of its known (non-zero) budgets (and,
# in training, of its revenues) is at least this. The published table's are $23M and $52M (58 of
# its 3,766 known budgets are under it); a table in thousands of dollars has them near $23,000,
# one in millions near $23. Refused by training.
MIN_MEDIAN_USD = 100_000
# A table scored (/predict_table, the client's slate) whose budgets' median is under this is
# told it may be in thousands of dollars: 3% of the films the models learned from cost less
# (5th percentile $1.5M), and a catalogue of $150M films written in $ thousands has its
# median near $150,000, above MIN_MEDIAN_USD. Each row is still scored. Tables of fewer
# budgets than MIN_MEDIAN_FILMS are not judged.
SCORED_MEDIAN_USD = 1_000_000
MIN_MEDIAN_FILMS = 5

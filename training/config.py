"""Paths and defaults of training (the names shared with serving are in boxoffice.config).

Importing this module has no side effects: it only builds paths and constants.
"""

from __future__ import annotations

from pathlib import Path

from boxoffice.config import (  # noqa: F401 (defined once, there)
    DEFAULT_HIT_RATIO,
    MAX_PLAUSIBLE_BUDGET_USD,
    MIN_MEDIAN_USD,
    MIN_PLAUSIBLE_USD,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DATA_FILENAME = "tmdb_5000_movies.csv"
DATA_ENV_VAR = "BOXOFFICE_DATA"
DATA_SHA256 = "1e0584a8dd374120e4ed4f2b81f0d2bd0eb95a554708e4a350d00ed5c46d2825"
# ... and of its films as read (training.data.content_sha256): the same table re-saved as gzip,
# as Parquet, with a column added or a header in Title Case is the published table too.
DATA_CONTENT_SHA256 = "bb03438c4b12a2ca61819e1c48c9f2bd7e256d110cfeb7d3abe864ffbd409681"


def targets_apply(published: bool, hit_ratio: float) -> bool:
    """Whether the quality targets (FORWARD_TARGETS, COVERAGE_TARGET, ...) hold for a run: they
    were set on the published table at the default hit ratio (at a ratio of 50 a hit is rare,
    and an AUC over a few hits says little)."""
    return published and hit_ratio == DEFAULT_HIT_RATIO


DATA_SOURCE_HINT = (
    "Download the Kaggle dataset tmdb/tmdb-movie-metadata "
    "(https://www.kaggle.com/datasets/tmdb/tmdb-movie-metadata), unzip it and put "
    f"{DATA_FILENAME} in data/, or pass --data PATH, or set {DATA_ENV_VAR}=PATH."
)

REPORTS_DIR = PROJECT_ROOT / "reports"

# `python -m training fetch`: TMDB's v3 API, and how hard it is asked (its ceiling is about
# 40-50 requests a second and may change).
TMDB_API_URL = "https://api.themoviedb.org/3"
FETCH_RATE = 40.0
FETCH_CONNECTIONS = 8
FETCH_MIN_VOTES = 20

# A table's amounts in US$: boxoffice.config.MIN_MEDIAN_USD (its films under MIN_PLAUSIBLE_USD
# would otherwise be dropped as unit slips one by one, and the rest learned 1,000 times too small).
# A table partly in another unit is refused too: more than this share of its known budgets (or
# revenues) under MIN_PLAUSIBLE_USD (the published table: 35 of 3,766 budgets, 27 of 3,376
# revenues, under 1%), or of its films with both a revenue under MIN_REVENUE_RATIO of their
# budget (the published table: 27 of 3,229, 0.8%). A table with a quarter of its rows in millions
# trained and printed R² 0.788 (0.537 on the published table); one with 40% of its revenues in
# thousands saved models of AUC 0.49 without a word.
MAX_IMPLAUSIBLE_SHARE = 0.05
MIN_REVENUE_RATIO = 0.01
# ... and when at least this many films are (a few unit slips in a small table are the cleaning
# rules' to drop, each in its own row).
MIN_IMPLAUSIBLE_FILMS = 20
# A table whose films with a budget and a revenue earned less than their budget for more than
# this share of them is refused as having the two columns swapped: the published table's
# share is 24% (a swapped copy's 76%, which trained models of hit rate 11% and AUC 0.97).
MAX_LOSS_SHARE = 0.6
# A table whose known runtimes' median is above this many minutes is refused as being in
# seconds (the published table's median: 103 minutes, its longest film 338).
MAX_MEDIAN_RUNTIME = 300
# ... and under this many, as being in hours (a median of 1.7).
MIN_MEDIAN_RUNTIME = 10
# A list column is refused when more than this share of its written cells cannot be read (a
# few malformed cells are read as unknown, each in its own row).
MAX_MALFORMED_SHARE = 0.5
# A gzip-compressed table is read up to this many bytes decompressed (the published table is
# 5.7 MB; a compressed file that would unpack to more is refused before it fills the memory).
MAX_TABLE_BYTES = 2 * 2**30

SEED = 42
HIT_RATIO = DEFAULT_HIT_RATIO
# The fewest rows the population rules may leave (the split gives training 60% of them), and
# the fewest hits and non-hits each part must hold for the classifiers, CV and ROC-AUC.
MIN_POPULATION = 100
MIN_PER_CLASS = {"train": 10, "scored": 2}  # "scored": validation, test, filtered test
# ... and at least this many of each among the films of the forward protocol's tuning years (the
# choice reads their AUC) and of its test years (the figures reported): at hit ratio 50 the
# published table's test years hold 5 hits in 785 films, an AUC of 0.849 (95% CI 0.503-1.000).
MIN_FORWARD_PER_CLASS = 20
# A run whose revenue forecast one year ahead scores an R² at or below this over the test years
# (no better than forecasting every film at the mean) is refused, its report written: a table
# whose revenues were shuffled across its films trained to R² -0.08 and would have been served.
MIN_FORWARD_R2 = 0.0
# The quality targets of the forward backtest: (task, feature set) -> the minimum of the headline
# metric (R², ROC-AUC) one year ahead pooled over 2011-2016, and trained up to 2010 then scored
# on 2011-2016.
FORWARD_TARGETS: dict[tuple[str, str], tuple[float, float]] = {
    ("revenue", "post_release"): (0.66, 0.66),
    ("hit", "post_release"): (0.83, 0.82),
    ("revenue", "pre_release"): (0.50, 0.50),
    ("hit", "pre_release"): (0.68, 0.66),
}
# ... and of the uncertainty, for every model: 80% interval coverage within these bounds, and the
# calibration's ECE (10 bins) at most (one year ahead, trained up to 2010).
COVERAGE_TARGET = (0.78, 0.82)
ECE_TARGETS = (0.04, 0.06)


def dataset_candidates() -> list[Path]:
    """The default places for the dataset when neither --data nor the env var names one."""
    return [
        PROJECT_ROOT / "data" / DATA_FILENAME,
        PROJECT_ROOT.parent / "shared" / "data" / DATA_FILENAME,
    ]

"""Split the population as the original project did, and derive the targets.

The population rules select the seed's rows; its two ``train_test_split`` calls give 60/20/20;
the plausibility rules then filter the training and validation parts (the test fold is scored
as it is, and filtered beside it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from boxoffice.distribution import is_hit as hit_rule
from training import config
from training.clean import POPULATION_RULES, RuleCount, apply_rules, plausibility_rules
from training.data import DataError


@dataclass
class Splits:
    """The seed's population split 60/20/20; train/val filtered for plausibility, test not."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    test_filtered: pd.DataFrame
    rule_counts: list[RuleCount]
    n_population: int
    train_unfiltered: pd.DataFrame  # the training part before the plausibility rules
    val_unfiltered: pd.DataFrame  # the validation part as drawn, like the test fold
    population: pd.DataFrame  # every labelled film, as drawn (before the split)
    plausible: np.ndarray  # per population film: passes the plausibility rules


def log_revenue(frame: pd.DataFrame) -> np.ndarray:
    return np.log1p(frame["revenue"].to_numpy(dtype=float))


def implausible_counts(splits: Splits) -> dict[str, int]:
    """How many labelled films each plausibility rule drops (amounts in another unit), by the
    rule's description: none is learned from."""
    counts = {
        rule.description: int(rule.drops(splits.population).fillna(False).sum())
        for rule in plausibility_rules()
    }
    return {description: n for description, n in counts.items() if n}


def is_hit(frame: pd.DataFrame, ratio: float) -> np.ndarray:
    """1 when revenue > ratio × budget."""
    return hit_rule(frame["revenue"], frame["budget"], ratio).astype(int)


def ratio_advice(ratio: float, otherwise: str) -> str:
    """What to do when a part holds too few hits or others: another ratio, unless it is the
    default already (then ``otherwise``: the table is the cause)."""
    return f"try a ratio nearer {config.HIT_RATIO:g}" if ratio != config.HIT_RATIO else otherwise


def check_hit_classes(splits: Splits, ratio: float) -> None:
    """Raise DataError unless every scored part holds enough hits and non-hits at this ratio."""
    parts = {
        "train": splits.train,
        "validation": splits.val,
        "test": splits.test,
        "filtered test": splits.test_filtered,
    }
    for part, frame in parts.items():
        hits = int(is_hit(frame, ratio).sum())
        needed = config.MIN_PER_CLASS["train" if part == "train" else "scored"]
        if min(hits, len(frame) - hits) < needed:
            advice = ratio_advice(ratio, "the data holds too few films of one kind")
            raise DataError(
                f"with hit ratio {ratio:g}, the {part} part has {hits:,} hits and "
                f"{len(frame) - hits:,} other films: the hit models need at least {needed} "
                f"of each there ({advice})"
            )


def log_ratio(frame: pd.DataFrame) -> np.ndarray:
    """log(revenue / budget): a film is a hit when this exceeds log(ratio)."""
    return np.log(frame["revenue"].to_numpy(dtype=float) / frame["budget"].to_numpy(dtype=float))


def make_splits(
    frame: pd.DataFrame, seed: int = config.SEED, min_usd: float = config.MIN_PLAUSIBLE_USD
) -> Splits:
    """Population rules, then the seed's two train_test_split calls, then plausibility rules."""
    log: list[RuleCount] = []
    population = apply_rules(frame, POPULATION_RULES, "all rows", log)
    rules = plausibility_rules(min_usd)
    implausible: list[RuleCount] = []
    usable = apply_rules(population, rules, "", implausible)
    if len(usable) < config.MIN_POPULATION:
        removed = ", ".join(f"{c.description} {c.rows_removed:,}" for c in [*log, *implausible])
        raise DataError(
            f"only {len(usable):,} of {len(frame):,} rows have a known and plausible budget and "
            f"revenue (${min_usd:,.0f} or more), genres and a release date (removed: {removed}); "
            f"training needs at least {config.MIN_POPULATION}"
        )
    full_train, test = train_test_split(population, test_size=0.2, random_state=seed)
    train_unfiltered, val = train_test_split(full_train, test_size=0.25, random_state=seed)
    train = apply_rules(train_unfiltered, rules, "train", log)
    val_unfiltered = val
    val = apply_rules(val, rules, "validation", log)
    test_filtered = apply_rules(test, rules, "test (filtered copy, reported separately)", log)
    plausible = np.ones(len(population), dtype=bool)
    for rule in rules:
        plausible &= ~rule.drops(population).fillna(False).to_numpy(dtype=bool)
    return Splits(
        train,
        val,
        test,
        test_filtered,
        log,
        len(population),
        train_unfiltered,
        val_unfiltered,
        population,
        plausible,
    )

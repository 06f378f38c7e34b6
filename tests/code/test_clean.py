"""Cleaning rules and the seed-compatible split, on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.clean import POPULATION_RULES, RuleCount, apply_rules, plausibility_rules
from training.data import DataError
from training.split import check_hit_classes, is_hit, make_splits


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {
        "budget": 1e6,
        "revenue": 3e6,
        "genres": ["Drama"],
        "release_date": pd.Timestamp("2000-01-01"),
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def test_population_rules_count_each_removal() -> None:
    data = frame(
        [
            {},
            {"budget": 0},
            {"revenue": 0},
            {"genres": []},
            {"genres": None},
            {"release_date": pd.NaT},
        ]
    )
    log: list[RuleCount] = []
    kept = apply_rules(data, POPULATION_RULES, "all", log)
    assert len(kept) == 1
    assert [(c.rule, c.rows_removed) for c in log] == [
        ("budget_unknown", 1),
        ("revenue_unknown", 1),
        ("no_genres", 2),
        ("no_release_date", 1),
    ]
    assert log[0].rows_before == 6 and log[-1].rows_before == 2


def test_plausibility_rules_use_the_threshold() -> None:
    data = frame(
        [
            *({"budget": 1}, {"revenue": 12}, {"budget": 9_999}, {"budget": 10_000}, {}),
            *({"budget": 1e9}, {"budget": 2.37e12}, {"budget": 999_999_999}),
        ]
    )
    log: list[RuleCount] = []
    kept = apply_rules(data, plausibility_rules(10_000), "train", log)
    assert len(kept) == 3
    # under $10,000 (budget, revenue), and $1 billion or more (a budget in cents)
    assert [c.rows_removed for c in log] == [2, 1, 2]


def test_is_hit_uses_ratio() -> None:
    data = frame(
        [
            {"budget": 10, "revenue": 21},
            {"budget": 10, "revenue": 20},
            {"budget": 10, "revenue": 16},
        ]
    )
    assert is_hit(data, 2.0).tolist() == [1, 0, 0]
    assert is_hit(data, 1.5).tolist() == [1, 1, 1]


def test_split_is_60_20_20_deterministic_and_filters_train_only() -> None:
    rng = np.random.default_rng(0)
    rows = [
        {"budget": float(rng.integers(1e5, 1e8)), "revenue": float(rng.integers(1e5, 1e9))}
        for _ in range(500)
    ]
    rows[:40] = [{"budget": 5.0}] * 40  # implausible: spread over all three parts
    data = frame(rows)
    a, b = make_splits(data, seed=7), make_splits(data, seed=7)
    assert a.train.index.equals(b.train.index) and a.test.index.equals(b.test.index)
    assert len(a.test) == 100
    assert (a.train["budget"] >= 10_000).all() and (a.val["budget"] >= 10_000).all()
    assert (a.test["budget"] < 10_000).any()  # the test fold is kept as it is
    assert (a.test_filtered["budget"] >= 10_000).all()
    assert len(a.train) + len(a.val) + len(a.test) < 500
    assert {c.part for c in a.rule_counts} == {
        "all rows",
        "train",
        "validation",
        "test (filtered copy, reported separately)",
    }


def test_too_few_rows_to_train_is_a_data_error_naming_the_rules() -> None:
    rows = [{}] * 60 + [{"revenue": 0.0}] * 50 + [{"budget": 5_000.0}] * 100
    with pytest.raises(
        DataError,
        match=r"only 60 of 210 rows .*revenue is 0 \(unknown\) 50, .*budget below \$10,000 "
        r"\(unit error\) 100",
    ):
        make_splits(frame(rows))


def test_a_hit_ratio_leaving_one_class_is_a_data_error() -> None:
    rng = np.random.default_rng(1)
    rows = [{"revenue": float(rng.uniform(1e5, 5e6))} for _ in range(300)]  # budget 1e6
    splits = make_splits(frame(rows))
    check_hit_classes(splits, 2.0)  # about half are hits
    with pytest.raises(DataError, match=r"hit ratio 10, the train part has 0 hits.*nearer 2"):
        check_hit_classes(splits, 10.0)
    all_flops = make_splits(frame([{"revenue": 1.5e6}] * 300))
    with pytest.raises(DataError, match=r"hit ratio 2, .*too few films of one kind"):
        check_hit_classes(all_flops, 2.0)

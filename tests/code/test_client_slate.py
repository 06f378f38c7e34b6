"""The client's slate table: one row per CSV row, each film's warnings kept whole."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.client import WARNINGS_JOINED, slate_rows, slate_tables


def test_a_warning_holding_a_semicolon_is_counted_once() -> None:
    frame = pd.DataFrame({"title": ["A", "B"]})
    films = [{"budget": 150.0}, {"log_budget": 16.811242831518264}]  # the second: $2e7
    warned = [
        "release_year 2027 is 11 year(s) after ...: the models extrapolate; the 80% range "
        "is widened",
        "budget $150 is outside the training range [$10,000, $380M]",
    ]
    prediction = {
        "revenue_usd": 1e6,
        "revenue_p10_usd": 5e5,
        "revenue_p90_usd": 2e6,
        "probability": 0.4,
        "profit_usd": 0.0,
        "profit_p10_usd": -1.0,
        "profit_p90_usd": 1.0,
        "p_profit": 0.4,
        "break_even_revenue_usd": 3e2,
        "model": "pre_release",
    }
    answer = {
        "films": [{**prediction, "warnings": warned}, {**prediction, "warnings": []}],
        "total": {
            "revenue_usd": 2e6,
            "revenue_p10_usd": 1e6,
            "revenue_p90_usd": 3e6,
            "budget_usd": 2e7,
            "marketing_usd": 0.0,
            "profit_usd": 0.0,
            "profit_p10_usd": -1.0,
            "profit_p90_usd": 1.0,
            "p_profit": 0.5,
        },
        "hits": {"expected": 0.8, "p10": 0, "p90": 2, "at_least": [1.0, 0.6, 0.2]},
        "studio_share": 0.5,
        "marketing_usd": 0.0,
        "models": {"pre_release": {"model_version": "v"}},
    }
    rows = slate_rows(frame, films, {}, answer, [0, 1])
    assert rows[0]["warnings"].split(WARNINGS_JOINED) == warned and rows[1]["warnings"] == ""
    assert rows[1]["budget_usd"] == pytest.approx(2e7)  # given as log_budget, shown in USD
    table, notes = slate_tables(rows, answer, "slate")
    assert list(table.columns[-1].cells) == ["2", ""]
    assert any(note.startswith("row 1 warns: release_year 2027") for note in notes)


def test_an_id_column_is_written_back_after_the_row_number() -> None:
    frame = pd.DataFrame({"id": ["007", "x"], "title": ["A", "B"]})
    films = [{"budget": 2e7}, {"budget": -1.0}]
    answer = {"films": [{"probability": 0.4, "warnings": []}], "studio_share": 0.5}
    answer["marketing_usd"] = 0.0
    rows = slate_rows(frame, films, {1: "budget: bad"}, answer, [0])
    assert [list(row)[:3] for row in rows] == [["row", "id", "title"]] * 2
    assert [row["id"] for row in rows] == ["007", "x"] and rows[1]["error"] == "budget: bad"
    assert "id" not in slate_rows(frame.drop(columns="id"), films, {}, answer, [0])[0]

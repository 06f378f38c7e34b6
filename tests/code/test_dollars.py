"""Constant dollars: conversions that round-trip, a stated rule after the last CPI year, and a
CPI package that reads its own data without the network."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from boxoffice.dollars import CpiTable
from boxoffice.estimators import ReleaseYearDollars, inner_pipeline
from boxoffice.explain import explain
from boxoffice.features import FilmFeatures
from tests.helpers.films import films
from training.dollars import GROWTH_YEARS, cpi_table

TABLE = CpiTable(
    source="test",
    index={2000: 100.0, 2001: 110.0, 2002: 121.0},
    base_year=2002,
    growth_after_last=1.1,
)


def test_conversions_round_trip() -> None:
    usd = np.array([1e6, 2.5e7, 3e8, 1.0])
    years = np.array([2000, 2001, 2002, 2030])
    constant = TABLE.to_constant(usd, years)
    np.testing.assert_allclose(TABLE.from_constant(constant, years), usd, rtol=1e-12)
    assert constant[0] == pytest.approx(1.21e6)  # 2000 dollars in 2002 dollars
    assert constant[2] == usd[2]  # the base year's own dollars


def test_after_the_last_year_prices_grow_by_the_stated_rate_and_before_it_they_hold() -> None:
    assert TABLE.level([2004])[0] == pytest.approx(121.0 * 1.1**2)
    assert TABLE.level([1990])[0] == 100.0  # before the table: its first year


def test_the_package_table_is_read_offline() -> None:
    """Import `cpi` with every network connection refused: it must neither need nor try one."""
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise AssertionError("the network was reached")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from training.dollars import cpi_table
        table = cpi_table()
        print(table.base_year, len(table.index))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    base_year, years = map(int, done.stdout.split())
    assert base_year >= 2024 and years == base_year - 1913 + 1


def test_the_growth_after_the_last_year_is_the_mean_of_its_last_ten() -> None:
    table = cpi_table()
    last = table.last_year
    expected = (table.index[last] / table.index[last - GROWTH_YEARS]) ** (1 / GROWTH_YEARS)
    assert table.growth_after_last == pytest.approx(expected)
    assert 1.0 < table.growth_after_last < 1.1


def _nominal_model() -> tuple[object, pd.DataFrame]:
    data = films(200)
    y = np.log1p(2.0 * data["budget"]) + np.random.default_rng(3).normal(0, 0.3, len(data))
    pipeline = Pipeline([("features", FilmFeatures(min_count=1)), ("model", LinearRegression())])
    return ReleaseYearDollars(pipeline, TABLE).fit(data, y), data


def test_a_film_past_the_newest_training_year_is_answered_in_its_own_years_dollars() -> None:
    """The same film, budget held in real terms, dated later: the forecast grows with prices;
    dated within the data it is the nominal pipeline's own forecast."""
    model, data = _nominal_model()
    newest = int(data["release_year"].max())
    film = data.head(1).assign(release_year=float(newest))
    base = model.predict(film)[0]
    np.testing.assert_allclose(base, model.pipeline_.predict(film)[0])
    later = film.assign(release_year=float(newest + 4))
    inflation = TABLE.level([newest + 4])[0] / TABLE.level([newest])[0]
    real_budget = later.assign(budget=film["budget"] * inflation)
    assert np.expm1(model.predict(real_budget)[0]) == pytest.approx(
        np.expm1(base) * inflation, rel=1e-9
    )
    # The same nominal budget later is a smaller film in real terms: no more than the real one.
    assert model.predict(later)[0] < model.predict(real_budget)[0]


def test_explanations_of_a_later_film_credit_the_conversion_to_the_budget() -> None:
    """The price level converts the budget on the way in and the revenue on the way out: the
    budget's driver holds both, so inflation is no driver of its own."""
    model, data = _nominal_model()
    later = data.head(5).assign(release_year=float(data["release_year"].max() + 3))
    explanation = explain(model, later)
    assert "release_year_dollars" not in explanation.feature_names
    np.testing.assert_allclose(
        explanation.base + explanation.contributions.sum(axis=1), model.predict(later), atol=1e-9
    )
    inner = explain(model.pipeline_, model.inner_columns(later))
    budget = explanation.feature_names.index("log_budget")
    np.testing.assert_allclose(
        explanation.contributions[:, budget] - inner.contributions[:, budget],
        model.price_shift(later),
    )
    assert (model.price_shift(later) > 0).all()
    assert inner_pipeline(model) is model.pipeline_


def test_a_copy_with_another_index_reads_its_own_levels() -> None:
    assert TABLE.level([2001])[0] == 110.0
    other = TABLE.model_copy(update={"index": {2000: 100.0, 2001: 120.0, 2002: 121.0}})
    assert other.level([2001])[0] == 120.0 and TABLE.level([2001])[0] == 110.0

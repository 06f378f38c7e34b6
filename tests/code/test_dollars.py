"""Constant dollars: conversions that round-trip, a stated rule after the last CPI year, and a
CPI package that reads its own data without the network."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from boxoffice.dollars import CpiTable
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

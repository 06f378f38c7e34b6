"""A revenue forecast far outside any film's is clipped (and flagged), never an overflow."""

from __future__ import annotations

import math

import numpy as np

from serving.predictor import LOG_REVENUE_CEILING, clip_log_revenue


def test_forecasts_outside_zero_to_a_trillion_are_clipped_and_flagged() -> None:
    values = np.array([17.5, -3.0, 800.0, np.nan, np.inf, LOG_REVENUE_CEILING])
    clipped, outside = clip_log_revenue(values)
    assert list(outside) == [False, True, True, True, True, False]
    assert clipped[0] == 17.5 and clipped[1] == 0.0 and clipped[2] == LOG_REVENUE_CEILING
    assert clipped[3] == 0.0 and clipped[4] == LOG_REVENUE_CEILING
    assert all(math.isfinite(math.expm1(v + 3.0)) for v in clipped)  # interval ends too

"""The two-model design, kept as the comparison the one distribution is measured against.

Before the one distribution (``training.distribution``), the service answered revenue with an
interval and P(hit) with a separate classifier; both were fitted on out-of-time forecasts as
of each origin (``training.forward.history``):

- Interval (``fit_interval``): split-conformal offsets (10th / 90th order statistics with the
  (n + 1) correction) of the revenue forecasts' residuals, pooled over horizons, then widened
  on each side by half the fitted yearly growth of the 80% width for every year of horizon
  beyond the pool's mean horizon.
- Calibration (``fit_calibration``): a logistic regression of the hit on the classifier's raw
  log-odds s, the horizon h - 1 and s·(h - 1).

Their answers could contradict each other (a forecast of 1.3 × the budget beside "Hit"): the
report shows how often, beside their scores. Also here: the calibration metrics (ECE with 10
equal-width bins, Brier, the reliability curve) every hit probability is scored with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from boxoffice.distribution import INTERVAL_LEVEL
from training.forward import MAX_HORIZON, ForwardForecasts, history

N_BINS = 10
# A horizon's residuals enter the width's growth rate when it has at least this many films.
MIN_PER_HORIZON = 100


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), p clipped to [1e-6, 1 - 1e-6]."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Interval:
    """Offsets around a log1p(revenue) forecast, widened by ``widen_per_year`` on each side for
    every year of horizon beyond ``reference_horizon``."""

    low_offset: float
    high_offset: float
    widen_per_year: float
    reference_horizon: float

    def bounds(self, log_revenue: np.ndarray, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        extra = self.widen_per_year * np.clip(
            np.asarray(horizon, dtype=float) - self.reference_horizon, 0, None
        )
        centre = np.asarray(log_revenue, dtype=float)
        return centre + self.low_offset - extra, centre + self.high_offset + extra


@dataclass(frozen=True)
class Calibration:
    """logit P = intercept + slope·s + horizon_coef·(h - 1) + interaction_coef·s·(h - 1), s the
    raw log-odds, h clipped to 1..max_horizon."""

    intercept: float
    slope: float
    horizon_coef: float
    interaction_coef: float
    max_horizon: int

    def apply(self, raw_probability: np.ndarray, horizon: np.ndarray) -> np.ndarray:
        s = logit(raw_probability)
        h = np.clip(np.asarray(horizon, dtype=float), 1, self.max_horizon) - 1
        return expit(
            self.intercept + self.slope * s + self.horizon_coef * h + self.interaction_coef * s * h
        )


def conformal_offsets(residuals: np.ndarray, level: float = INTERVAL_LEVEL) -> tuple[float, float]:
    """Split-conformal offsets: order statistics of the signed residuals (y_true - y_pred) with
    the (n + 1) correction."""
    residuals = np.sort(np.asarray(residuals, dtype=float))
    n = len(residuals)
    if n < 10:
        raise ValueError("need at least 10 residuals to fit an interval")
    tail = (1 - level) / 2
    low_rank = max(math.floor((n + 1) * tail), 1)
    high_rank = min(math.ceil((n + 1) * (1 - tail)), n)
    return float(residuals[low_rank - 1]), float(residuals[high_rank - 1])


def fit_interval(residuals: np.ndarray, horizon: np.ndarray) -> Interval:
    """An interval from out-of-time residuals at their horizons (1 .. MAX_HORIZON)."""
    residuals, horizon = np.asarray(residuals, dtype=float), np.asarray(horizon, dtype=int)
    low, high = conformal_offsets(residuals)
    hs, widths = [], []
    for h in range(1, MAX_HORIZON + 1):
        at_h = residuals[horizon == h]
        if len(at_h) >= MIN_PER_HORIZON:
            lo, hi = conformal_offsets(at_h)
            hs.append(h)
            widths.append(hi - lo)
    slope = max(float(np.polyfit(hs, widths, 1)[0]), 0.0) if len(hs) >= 3 else 0.0
    return Interval(low, high, slope / 2, float(horizon.mean()))


def fit_calibration(raw: np.ndarray, y_true: np.ndarray, horizon: np.ndarray) -> Calibration:
    """Logistic map of the raw log-odds and the horizon to P(hit)."""
    s = logit(raw)
    longest = int(min(MAX_HORIZON, np.max(horizon)))
    h = np.clip(np.asarray(horizon, dtype=float), 1, longest) - 1
    design = np.column_stack([s, h, s * h])
    # A few columns and thousands of rows: Newton's method converges in a handful of steps.
    fitted = LogisticRegression(C=1e4, solver="newton-cholesky", max_iter=200).fit(design, y_true)
    slope, horizon_coef, interaction = (float(c) for c in fitted.coef_[0])
    return Calibration(float(fitted.intercept_[0]), slope, horizon_coef, interaction, longest)


@dataclass(frozen=True)
class TwoModels:
    """The two-model design's answers for a group of films: the revenue forecast with its
    interval (log1p USD) and the separately calibrated P(hit)."""

    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    probability: np.ndarray


def two_models(
    revenue: ForwardForecasts,
    hit: ForwardForecasts,
    everything: tuple[ForwardForecasts, ForwardForecasts],
    y_all: np.ndarray,
    hit_all: np.ndarray,
) -> TwoModels:
    """The two-model design's answers for the same films forecast by the revenue model
    (``revenue``) and the classifier (``hit``, in the same order), each origin with the interval
    and calibration it had."""
    revenue_all, hit_forecasts_all = everything
    low, high = np.empty(len(revenue)), np.empty(len(revenue))
    probability = np.empty(len(hit))
    for origin in np.unique(revenue.origin):
        at = revenue.origin == origin
        past = history(revenue_all, int(origin))
        interval = fit_interval(y_all[past.row] - past.prediction, past.horizon)
        low[at], high[at] = interval.bounds(revenue.prediction[at], revenue.horizon[at])
        past = history(hit_forecasts_all, int(origin))
        calibration = fit_calibration(past.prediction, hit_all[past.row], past.horizon)
        probability[at] = calibration.apply(hit.prediction[at], hit.horizon[at])
    return TwoModels(revenue.prediction, low, high, probability)


def expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, n_bins: int = N_BINS
) -> float:
    """ECE with equal-width bins: sum over bins of |mean(p) - mean(y)| × share of rows."""
    y_true, proba = np.asarray(y_true, dtype=float), np.asarray(proba, dtype=float)
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(proba[in_bin].mean() - y_true[in_bin].mean())
    return float(ece)


def reliability_curve(
    y_true: np.ndarray, proba: np.ndarray, n_bins: int = N_BINS
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per non-empty equal-width bin."""
    proba = np.asarray(proba, dtype=float)
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    return [
        (
            float(proba[bins == b].mean()),
            float(np.asarray(y_true)[bins == b].mean()),
            int((bins == b).sum()),
        )
        for b in range(n_bins)
        if (bins == b).any()
    ]


def calibration_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    return {
        "ece": expected_calibration_error(y_true, proba),
        "brier": float(brier_score_loss(y_true, proba)),
    }

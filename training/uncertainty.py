"""Fit revenue intervals and hit calibration that hold on films later than the training data.

Both are fitted on out-of-time forecasts: the forward backtest's models, each fitted on the
films released before its origin, forecast every later film; a forecast's horizon is the number
of years between the film's release and the newest film its model learned from (1: the next
year). As of a given origin, the forecasts of the films of the ``HISTORY_YEARS`` years before
it with a horizon of at most ``MAX_HORIZON`` are used, and nothing later: that is all a model
fitted then could have known.

- Interval (``fit_interval``): split-conformal offsets (10th / 90th order statistics with the
  (n + 1) correction) of those forecasts' residuals, pooled over horizons, then widened on each
  side by half the fitted yearly growth of the 80% width for every year of horizon beyond the
  pool's mean horizon (``boxoffice.metadata.Interval``).
- Calibration (``fit_calibration``): a logistic regression of the hit on the raw log-odds s,
  the horizon h - 1 and s·(h - 1): Platt scaling that can temper (or shift) the probabilities
  with the horizon (``boxoffice.metadata.Calibration``).

``--holdout original`` keeps the original project's split: there, the interval is split
conformal on the validation part's residuals and the calibration is plain Platt scaling on the
validation part (no horizon terms), as before the forward backtest existed.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from boxoffice.metadata import Calibration, Interval, logit
from training.evaluate import best_f1_threshold

INTERVAL_LEVEL = 0.8
N_BINS = 10
HISTORY_YEARS = 10
MAX_HORIZON = 10
# A horizon's residuals enter the width's growth rate when it has at least this many films.
MIN_PER_HORIZON = 100


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


def fit_interval(
    residuals: np.ndarray, horizon: np.ndarray, level: float = INTERVAL_LEVEL
) -> Interval:
    """An interval from out-of-time residuals at their horizons (1 .. MAX_HORIZON)."""
    residuals, horizon = np.asarray(residuals, dtype=float), np.asarray(horizon, dtype=int)
    low, high = conformal_offsets(residuals, level)
    hs, widths = [], []
    for h in range(1, MAX_HORIZON + 1):
        at_h = residuals[horizon == h]
        if len(at_h) >= MIN_PER_HORIZON:
            lo, hi = conformal_offsets(at_h, level)
            hs.append(h)
            widths.append(hi - lo)
    slope = max(float(np.polyfit(hs, widths, 1)[0]), 0.0) if len(hs) >= 3 else 0.0
    return Interval(
        level=level,
        low_offset=low,
        high_offset=high,
        widen_per_year=slope / 2,
        reference_horizon=float(horizon.mean()),
        n_residuals=len(residuals),
        method=f"split conformal on out-of-time residuals (horizons 1-{MAX_HORIZON}, films of "
        f"the {HISTORY_YEARS} years before the origin), widened by half the yearly growth of "
        "the width beyond their mean horizon",
    )


def fit_split_interval(residuals: np.ndarray, level: float = INTERVAL_LEVEL) -> Interval:
    """Plain split conformal on held-out residuals (the same at every horizon)."""
    low, high = conformal_offsets(residuals, level)
    return Interval(
        level=level,
        low_offset=low,
        high_offset=high,
        widen_per_year=0.0,
        reference_horizon=0.0,
        n_residuals=len(residuals),
        method="split conformal on the validation part's residuals (as drawn)",
    )


def fit_calibration(
    raw: np.ndarray, y_true: np.ndarray, horizon: np.ndarray | None, fitted_on: str
) -> Calibration:
    """Logistic map of the raw log-odds (and, given horizons, of the horizon) to P(hit)."""
    s = logit(np.asarray(raw, dtype=float))
    # The horizon terms hold up to the longest horizon they were fitted on, and no further.
    longest = MAX_HORIZON
    if horizon is None:
        design = s[:, None]
    else:
        longest = int(min(MAX_HORIZON, np.max(horizon)))
        h = np.clip(np.asarray(horizon, dtype=float), 1, longest) - 1
        design = np.column_stack([s, h, s * h])
    # A few columns and thousands of rows: Newton's method converges in a handful of steps.
    fitted = LogisticRegression(C=1e4, solver="newton-cholesky", max_iter=200).fit(design, y_true)
    coef = list(fitted.coef_[0]) + [0.0] * (3 - design.shape[1])
    calibration = Calibration(
        intercept=float(fitted.intercept_[0]),
        slope=float(coef[0]),
        horizon_coef=float(coef[1]),
        interaction_coef=float(coef[2]),
        max_horizon=longest,
        n_predictions=len(s),
        fitted_on=fitted_on,
        best_f1_threshold=0.5,
    )
    calibrated = calibration.apply(raw, 1 if horizon is None else horizon)
    best_f1 = best_f1_threshold(y_true, calibrated)
    return calibration.model_copy(update={"best_f1_threshold": best_f1})


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

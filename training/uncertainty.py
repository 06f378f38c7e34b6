"""Revenue intervals and calibrated hit probabilities, fitted on validation, never on test.

- Intervals: split conformal prediction on the residuals of log1p(revenue) on the validation part
  as drawn (unfiltered, so exchangeable with the unfiltered test fold). The
  80% interval is [prediction + q_low, prediction + q_high] with q_low/q_high the 10th/90th
  percentiles of the signed residuals (with the finite-sample correction), so it holds
  whatever the model is.
- Calibration: the raw classifier is kept as it is and a map from its probability to a
  calibrated one is fitted on validation: Platt scaling on the log-odds (a logistic regression
  of the label on logit(p); monotone, so the ROC-AUC is unchanged) or isotonic regression. The
  method is picked by the expected calibration error of cross-fitted predictions on validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

from boxoffice.estimators import CalibratedClassifier, logit

INTERVAL_LEVEL = 0.8
N_BINS = 10


@dataclass(frozen=True)
class ConformalInterval:
    """Offsets (log1p units) added to a prediction to get the interval's ends."""

    level: float
    low: float
    high: float
    n_calibration: int

    def bounds(self, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return prediction + self.low, prediction + self.high

    @property
    def width(self) -> float:
        return self.high - self.low


def fit_conformal(
    y_true: np.ndarray, y_pred: np.ndarray, level: float = INTERVAL_LEVEL
) -> ConformalInterval:
    """Split-conformal offsets from validation residuals (y_true - y_pred)."""
    residuals = np.sort(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))
    n = len(residuals)
    if n < 10:
        raise ValueError("need at least 10 validation rows to fit an interval")
    tail = (1 - level) / 2
    # Order statistics with the (n + 1) correction, as split conformal prescribes.
    low_rank = max(math.floor((n + 1) * tail), 1)
    high_rank = min(math.ceil((n + 1) * (1 - tail)), n)
    return ConformalInterval(
        level, float(residuals[low_rank - 1]), float(residuals[high_rank - 1]), n
    )


def interval_metrics(
    interval: ConformalInterval, y_true: np.ndarray, y_pred: np.ndarray
) -> dict[str, float]:
    low, high = interval.bounds(np.asarray(y_pred, dtype=float))
    covered = (y_true >= low) & (y_true <= high)
    return {
        "level": interval.level,
        "coverage": float(covered.mean()),
        "mean_width_log": float(np.mean(high - low)),
        "p90_over_p10": float(math.exp(interval.width)),
        "n": len(y_true),
    }


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
    bins = np.minimum((np.asarray(proba) * n_bins).astype(int), n_bins - 1)
    return [
        (
            float(proba[bins == b].mean()),
            float(np.asarray(y_true)[bins == b].mean()),
            int((bins == b).sum()),
        )
        for b in range(n_bins)
        if (bins == b).any()
    ]


def _cross_fitted_ece(raw: np.ndarray, y: np.ndarray, method: str, seed: int) -> float:
    """ECE of calibrated probabilities where each row's map was fitted on the other folds."""
    proba = np.empty(len(y))
    for fit_idx, eval_idx in StratifiedKFold(5, shuffle=True, random_state=seed).split(raw, y):
        if method == "platt":
            mapping = LogisticRegression(C=1e6, max_iter=1000)
            mapping.fit(logit(raw[fit_idx])[:, None], y[fit_idx])
            proba[eval_idx] = mapping.predict_proba(logit(raw[eval_idx])[:, None])[:, 1]
        else:
            mapping = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
            proba[eval_idx] = mapping.fit(raw[fit_idx], y[fit_idx]).predict(raw[eval_idx])
    return expected_calibration_error(y, proba)


def calibrate(
    classifier: Any, X_val: Any, y_val: np.ndarray, seed: int
) -> tuple[CalibratedClassifier, dict[str, Any]]:
    """Fit the calibration map on validation; return it and the cross-fitted ECE per method."""
    raw = classifier.predict_proba(X_val)[:, 1]
    candidates = {m: _cross_fitted_ece(raw, y_val, m, seed) for m in ("platt", "isotonic")}
    # Isotonic must beat Platt clearly: it ties scores, which can cost ROC-AUC.
    method = "isotonic" if candidates["isotonic"] < candidates["platt"] - 0.005 else "platt"
    calibrated = CalibratedClassifier(classifier, method).fit(X_val, y_val)
    return calibrated, {"method": method, **{f"cv_ece_{m}": v for m, v in candidates.items()}}


def calibration_metrics(
    y_true: np.ndarray, raw: np.ndarray, calibrated: np.ndarray
) -> dict[str, float]:
    return {
        "ece_before": expected_calibration_error(y_true, raw),
        "ece_after": expected_calibration_error(y_true, calibrated),
        "brier_before": float(brier_score_loss(y_true, raw)),
        "brier_after": float(brier_score_loss(y_true, calibrated)),
    }

"""Metrics for the revenue (log1p USD) and hit models."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import (
    classification_report,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE, R² and MAE on the log1p(revenue) scale."""
    return {
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "n": len(y_true),
    }


def best_f1_threshold(y_true: np.ndarray, proba: np.ndarray) -> float:
    """The probability threshold with the best F1 (chosen on validation, never on test)."""
    precision, recall, thresholds = precision_recall_curve(y_true, proba)
    f1 = 2 * precision * recall / np.clip(precision + recall, 1e-12, None)
    # precision/recall have one more entry than thresholds (the "predict nothing" end).
    best = int(np.nanargmax(f1[:-1]))
    return float(thresholds[best])


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, threshold: float
) -> dict[str, object]:
    """ROC-AUC, and F1/precision/recall/confusion matrix at ``threshold``."""
    y_pred = (proba >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y_true, proba)) if len(np.unique(y_true)) == 2 else math.nan,
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist(),
        "classification_report": classification_report(
            y_true,
            y_pred,
            labels=[0, 1],
            target_names=["not hit", "hit"],
            zero_division=0,
            output_dict=True,
        ),
        "threshold": float(threshold),
        "positive_rate": float(np.mean(y_true)),
        "n": len(y_true),
    }


BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_METRICS = ("r2", "rmse", "mae", "roc_auc", "brier", "ece", "mean")


def _ece_rows(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Expected calibration error (equal-width bins) of each row of a block of draws."""
    n_draws, n = proba.shape
    bins = np.minimum((proba * n_bins).astype(int), n_bins - 1)
    slots = (np.arange(n_draws)[:, None] * n_bins + bins).ravel()
    size = n_draws * n_bins
    gap = np.bincount(slots, weights=(proba - y).ravel(), minlength=size)
    return np.abs(gap).reshape(n_draws, n_bins).sum(axis=1) / n


def bootstrap_scores(
    y_true: np.ndarray, y_score: np.ndarray, metric: str, resamples: int, seed: int
) -> np.ndarray:
    """``metric`` on ``resamples`` draws of the rows with replacement, computed a block of draws
    at a time; NaN where it is undefined (one class, or a constant target).

    Metrics: "r2", "rmse", "mae" (y_score: the predictions), "roc_auc", "brier", "ece"
    (y_score: probabilities), "mean" (the mean of y_score, e.g. interval coverage or width)."""
    if metric not in BOOTSTRAP_METRICS:
        raise ValueError(f"metric must be one of {BOOTSTRAP_METRICS}, got {metric!r}")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(y_true), size=(resamples, len(y_true)))
    y_all, score_all = np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float)
    out = np.empty(resamples)
    for start in range(0, resamples, 250):  # bounded memory: a few MB per block
        rows = draws[start : start + 250]
        y, score = y_all[rows], score_all[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            if metric == "r2":
                residual = ((y - score) ** 2).sum(axis=1)
                total = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
                value = np.where(total > 0, 1 - residual / total, np.nan)
            elif metric == "rmse":
                value = np.sqrt(((y - score) ** 2).mean(axis=1))
            elif metric == "mae":
                value = np.abs(y - score).mean(axis=1)
            elif metric == "brier":
                value = ((score - y) ** 2).mean(axis=1)
            elif metric == "mean":
                value = score.mean(axis=1)
            elif metric == "ece":
                value = _ece_rows(y, score)
            else:
                # Mann-Whitney: AUC = (rank sum of the positives - its minimum) / (pos x neg),
                # tied scores sharing their average rank, as roc_auc_score counts ties as 1/2.
                ranks = rankdata(score, axis=1)
                positives = y.sum(axis=1)
                pairs = positives * (y.shape[1] - positives)
                u = (ranks * y).sum(axis=1) - positives * (positives + 1) / 2
                value = np.where(pairs > 0, u / pairs, np.nan)
        out[start : start + len(rows)] = value
    return out


def bootstrap_interval(
    y_true: np.ndarray,
    y_score: np.ndarray,
    metric: str,
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> list[float]:
    """Percentile bootstrap interval of a test score: how far it could move on another draw of
    as many films. A bar inside it is not told apart from the score by this fold."""
    scores = bootstrap_scores(y_true, y_score, metric, resamples, seed)
    tail = 50 * (1 - level)
    low, high = np.nanpercentile(scores, [tail, 100 - tail])
    return [float(low), float(high)]

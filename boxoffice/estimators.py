"""The estimators a stored pipeline may end in that scikit-learn and XGBoost do not provide.

- ``LogRatioClassifier``: a hit probability from a regressor of log(revenue / budget).
- ``CalibratedClassifier``: a fitted classifier plus a probability map fitted on held-out rows
  (Platt scaling on the log-odds, or isotonic regression); ``training.uncertainty`` fits it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBRegressor


def _rows(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


class LogRatioClassifier(ClassifierMixin, BaseEstimator):
    """Hit probability from a regressor of the log revenue/budget ratio.

    ``fit(X, y)`` takes ``y`` = log(revenue / budget), the continuous quantity behind the label:
    a film is a hit (class 1) when ``y > threshold`` (``log(2)`` for "revenue > 2 × budget").
    A 0/1 label also works (it is its own "ratio" for any threshold in (0, 1)), but then the
    regressor learns nothing more than the label.

    - ``regressor_``: ``regressor`` fitted on all rows; its prediction is the film's score.
    - The probability is a logistic link on that score,
      ``P(hit) = expit(intercept_ + slope_ × (score − threshold))``, with ``intercept_`` and
      ``slope_`` fitted on out-of-fold scores (``cv`` KFold folds of ``regressor`` in ``fit``), so
      the link sees how wrong the regressor is on films it did not train on. The link is
      monotone (for ``slope_ > 0``), so the ROC-AUC is the regressor's own; the probabilities
      are calibrated again on validation downstream anyway.

    ``decision_function`` is the log-odds, an affine map of ``predict_log_ratio``; explaining
    ``regressor_`` therefore explains the classifier's score in log revenue/budget units.
    """

    def __init__(
        self,
        regressor: Any = None,
        threshold: float = math.log(2),
        cv: int = 3,
        random_state: int | None = 0,
    ) -> None:
        self.regressor = regressor
        self.threshold = threshold
        self.cv = cv
        self.random_state = random_state

    def _regressor(self) -> Any:
        return clone(self.regressor) if self.regressor is not None else XGBRegressor(n_jobs=1)

    def fit(self, X: Any, y: Any) -> LogRatioClassifier:
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or not np.isfinite(y).all():
            raise ValueError("y must be a 1-d array of finite log revenue/budget ratios")
        labels = (y > self.threshold).astype(int)
        if labels.min() == labels.max():
            raise ValueError("y has films on one side of the threshold only: cannot classify")
        # Out-of-fold scores, in a plain loop: a nested joblib Parallel (cross_val_predict)
        # would drive the caller's joblib_progress bar with its own task count.
        oof = np.empty(len(y))
        for fit_rows, score_rows in KFold(
            self.cv, shuffle=True, random_state=self.random_state
        ).split(X):
            fold = self._regressor().fit(_rows(X, fit_rows), y[fit_rows])
            oof[score_rows] = fold.predict(_rows(X, score_rows))
        link = LogisticRegression(C=1e6, max_iter=1000)
        link.fit((oof - self.threshold)[:, None], labels)
        self.slope_ = float(link.coef_[0, 0])
        self.intercept_ = float(link.intercept_[0])
        self.regressor_ = self._regressor().fit(X, y)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    @property
    def feature_importances_(self) -> np.ndarray:
        """The regressor's importances (what the reports plot)."""
        check_is_fitted(self, "regressor_")
        return self.regressor_.feature_importances_

    def predict_log_ratio(self, X: Any) -> np.ndarray:
        """The regressor's predicted log revenue/budget ratio."""
        check_is_fitted(self, "regressor_")
        return np.asarray(self.regressor_.predict(X), dtype=float)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of a hit."""
        return self.intercept_ + self.slope_ * (self.predict_log_ratio(X) - self.threshold)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


class CalibratedClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier plus a probability map fitted on held-out rows.

    ``fit`` fits only the map: the classifier is already trained and stays as it is.
    """

    def __init__(self, classifier: Any, method: str = "platt") -> None:
        self.classifier = classifier
        self.method = method

    def _raw(self, X: Any) -> np.ndarray:
        return self.classifier.predict_proba(X)[:, 1]

    def fit(self, X: Any, y: np.ndarray) -> CalibratedClassifier:
        raw = self._raw(X)
        if self.method == "platt":
            self.map_ = LogisticRegression(C=1e6, max_iter=1000).fit(logit(raw)[:, None], y)
        elif self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(raw, y)
        else:
            raise ValueError(f"unknown calibration method {self.method!r}")
        self.classes_ = np.array([0, 1])
        return self

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from raw ones."""
        if self.method == "platt":
            # The fitted logistic map written out: sklearn's predict_proba costs ~100 µs of
            # input checks per call, on every micro-batch of the service.
            slope, intercept = self.map_.coef_[0, 0], self.map_.intercept_[0]
            return expit(slope * logit(np.asarray(raw, dtype=float)) + intercept)
        return self.map_.predict(raw)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = self.calibrate(self._raw(X))
        return np.column_stack([1 - p, p])


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def raw_classifier(model: Any) -> Any:
    """The pipeline inside a calibrated classifier (the model itself when not calibrated)."""
    return model.classifier if isinstance(model, CalibratedClassifier) else model

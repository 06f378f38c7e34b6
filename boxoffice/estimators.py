"""The estimators a stored pipeline may end in that scikit-learn and XGBoost do not provide.

- ``LogRatioClassifier``: a hit probability from a regressor of log(revenue / budget).
- ``BlendRegressor``: gradient-boosted trees averaged with a ridge regression on standardised
  features; the trees may be held monotone in some features (more budget, never less revenue).
- ``BlendClassifier``: gradient-boosted trees and a logistic regression, their log-odds
  averaged; fitted on log(revenue / budget) like ``LogRatioClassifier`` (the features may
  learn from the ratio), it classifies ``y > threshold``.
- ``ConstantDollarTarget``: a revenue pipeline that learns revenue in constant dollars and
  answers in the dollars of each film's release year.
- ``ReleaseYearDollars``: a nominal revenue pipeline that answers a film released after the
  newest film it learned from in the dollars of its release year (the price level moves on
  where the data stops).
Both are ``DollarPipeline``: ``inner_pipeline`` reaches the pipeline inside either.

Each keeps its output exactly decomposable (``boxoffice.explain``), and ``model_cost`` measures
what a prediction costs without a clock.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.dollars import CpiTable

# XGBoost's C prediction call as ``Booster.inplace_predict`` makes it for a numpy array (3.x),
# read without the class it makes per call (``boosted_predict``); absent, the booster's method.
try:
    from xgboost._data_utils import array_interface
    from xgboost.core import _LIB, _check_call, c_bst_ulong, make_jcargs
except ImportError:  # pragma: no cover - another XGBoost's layout
    _LIB = None


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


def _monotone(n_features: int, increasing: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if j in increasing else 0 for j in range(n_features))


def _standardised_linear(scaler: StandardScaler, linear: Any, X: np.ndarray) -> np.ndarray:
    """``linear.predict(scaler.transform(X))`` (a ridge) or ``linear.decision_function(...)`` (a
    logistic regression): the same operations in the same order, so the same floats, without
    scikit-learn's per-call checks, which cost ~0.15 ms a call: most of a small batch's linear
    part (a single-film micro-batch scores a few films)."""
    scaled = (X - scaler.mean_) / scaler.scale_
    return np.ravel(scaled @ np.asarray(linear.coef_).T + linear.intercept_)


def boosted_predict(model: Any, X: np.ndarray, output_margin: bool = False) -> np.ndarray:
    """A fitted XGBoost estimator's values (a regressor's ``predict(X)``) or margins (any one's
    ``predict(X, output_margin=True)``; a classifier's values are its probabilities, not the
    labels its ``predict`` gives): the same C call its booster makes (every tree, or those up
    to its best iteration), without the scikit-learn
    wrapper's per-call work (a global-config context, a feature check; ~45 µs) and without
    the garbage ``Booster.inplace_predict`` leaves: in XGBoost 3.2 it wraps each answer in a
    class made for the call (``_data_utils.from_array_interface``), 25 objects in reference
    cycles that only the garbage collector frees. With the young generation collected every
    100,000 objects (``serving.worker.settle_gc``), a worker then stopped for 30-90 ms about
    every 4,000 calls: single films at 1 connection had a p99 of 50-80 ms against a p50 of
    1.5 ms. XGBoost's own call still costs ~180 µs whatever the rows (each makes a
    DMatrixProxy, whose Context reads the cgroup's CPU quota from /sys and compiles a regex for
    the device): a micro-batch of single films pays it once per model."""
    if getattr(model, "booster", None) == "gblinear":
        return np.asarray(model.predict(X, output_margin=output_margin), dtype=float)
    try:
        end = model.best_iteration + 1
    except AttributeError:
        end = 0
    booster = model.get_booster()
    if _LIB is None:  # another XGBoost: its own method
        return np.asarray(
            booster.inplace_predict(
                X,
                iteration_range=(0, end),
                predict_type="margin" if output_margin else "value",
                missing=model.missing,
                validate_features=False,
            ),
            dtype=float,
        )
    data = np.require(X, dtype=np.float64, requirements=("A", "C"))
    args = make_jcargs(
        type=1 if output_margin else 0,
        training=False,
        iteration_begin=0,
        iteration_end=end,
        missing=model.missing,
        strict_shape=False,
        cache_id=0,
    )
    shape, dims = ctypes.POINTER(c_bst_ulong)(), c_bst_ulong()
    answer = ctypes.POINTER(ctypes.c_float)()
    _check_call(
        _LIB.XGBoosterPredictFromDense(
            booster.handle,
            array_interface(data),
            args,
            ctypes.c_void_p(),
            ctypes.byref(shape),
            ctypes.byref(dims),
            ctypes.byref(answer),
        )
    )
    out = np.empty(tuple(int(shape[i]) for i in range(dims.value)), dtype=np.float32)
    ctypes.memmove(out.ctypes.data, answer, out.nbytes)
    return out.astype(float)


def pipeline_predict(pipeline: Any, X: Any) -> np.ndarray:
    """``pipeline.predict(X)`` of a fitted scikit-learn Pipeline: each step's transform, then the
    last step's predict, without the Pipeline's fitted checks (~0.1 ms a call, mostly
    ``get_tags``: a micro-batch's share)."""
    for _, step in pipeline.steps[:-1]:
        if step is not None and step != "passthrough":
            X = step.transform(X)
    return np.asarray(pipeline.steps[-1][1].predict(X), dtype=float)


# How far past the range it was fitted on a blend's linear part reads a column that may reach
# past it (``reaching``: the release year, and the columns the trees are monotone in), as a
# share of that range; every other column is read at most at the range itself. Measured on the
# selection years' forward forecasts (pre-release R², published table): every column held at
# the range itself 0.5588, at half of it again 0.5614, at all of it 0.5629 as with no hold.
LINEAR_REACH = 1.0


class _ClippedLinear:
    """A blend's linear part reads each column clipped to the range it was fitted on; the
    columns ``reaching`` names (None: every column) widened by ``LINEAR_REACH`` of it at each
    end. The trees are flat past the films they learned from; a linear term is not, and would
    carry a typo (a runtime of 13,000 minutes where the films run to 338) to any revenue: held
    at 338, not at the 635 a reach would allow, where the forecast was 3.5 times 338's. A blend
    fitted before this has no range: it reads the columns as given."""

    def _fit_range(self, X: np.ndarray) -> None:
        low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        reach = LINEAR_REACH * (high - low)
        reaching = getattr(self, "reaching", None)
        if reaching is not None:
            reach = np.where(np.isin(np.arange(X.shape[1]), reaching), reach, 0.0)
        self.low_, self.high_ = low - reach, high + reach

    def linear_inputs(self, X: np.ndarray) -> np.ndarray:
        low = getattr(self, "low_", None)
        return X if low is None else np.clip(X, low, self.high_)


class BlendRegressor(_ClippedLinear, RegressorMixin, BaseEstimator):
    """``boosted_weight`` × gradient-boosted trees + the rest × ridge regression (alpha
    ``alpha``) on standardised features. The trees are monotone increasing in the columns
    ``increasing`` (e.g. the log budget: a larger budget never lowers the forecast); the ridge
    reads the columns ``reaching`` (None: all) up to ``LINEAR_REACH`` past the range it was
    fitted on, every other column at most at that range (``_ClippedLinear``)."""

    def __init__(
        self,
        boosted: Any = None,
        alpha: float = 30.0,
        boosted_weight: float = 0.6,
        increasing: tuple[int, ...] = (),
        reaching: tuple[int, ...] | None = None,
    ) -> None:
        self.boosted = boosted
        self.alpha = alpha
        self.boosted_weight = boosted_weight
        self.increasing = increasing
        self.reaching = reaching

    def fit(self, X: Any, y: Any) -> BlendRegressor:
        X = np.asarray(X, dtype=float)
        boosted = clone(self.boosted) if self.boosted is not None else XGBRegressor(n_jobs=1)
        boosted.set_params(monotone_constraints=_monotone(X.shape[1], tuple(self.increasing)))
        self.boosted_ = boosted.fit(X, y)
        self.scaler_ = StandardScaler().fit(X)
        self.linear_ = Ridge(alpha=self.alpha).fit(self.scaler_.transform(X), y)
        self._fit_range(X)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "linear_")
        X = np.asarray(X, dtype=float)
        w = self.boosted_weight
        linear = _standardised_linear(self.scaler_, self.linear_, self.linear_inputs(X))
        return w * boosted_predict(self.boosted_, X) + (1 - w) * linear

    @property
    def feature_importances_(self) -> np.ndarray:
        """The trees' importances (what the reports plot)."""
        return self.boosted_.feature_importances_


class BlendClassifier(_ClippedLinear, ClassifierMixin, BaseEstimator):
    """Log-odds of a hit: ``boosted_weight`` × gradient-boosted trees' + the rest × a logistic
    regression's (``C``) on standardised features.

    ``fit(X, y)`` takes ``y`` = log(revenue / budget), as ``LogRatioClassifier`` does, and
    learns the label ``y > threshold``; a 0/1 label works too (for a threshold in (0, 1)).
    """

    def __init__(
        self,
        boosted: Any = None,
        C: float = 0.1,
        boosted_weight: float = 0.5,
        threshold: float = math.log(2),
    ) -> None:
        self.boosted = boosted
        self.C = C
        self.boosted_weight = boosted_weight
        self.threshold = threshold

    def fit(self, X: Any, y: Any) -> BlendClassifier:
        X = np.asarray(X, dtype=float)
        labels = (np.asarray(y, dtype=float) > self.threshold).astype(int)
        if labels.min() == labels.max():
            raise ValueError("y has films on one side of the threshold only: cannot classify")
        boosted = clone(self.boosted) if self.boosted is not None else XGBClassifier(n_jobs=1)
        self.boosted_ = boosted.fit(X, labels)
        self.scaler_ = StandardScaler().fit(X)
        self.linear_ = LogisticRegression(C=self.C, max_iter=5000).fit(
            self.scaler_.transform(X), labels
        )
        self._fit_range(X)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of a hit."""
        check_is_fitted(self, "linear_")
        X = np.asarray(X, dtype=float)
        w = self.boosted_weight
        boosted = boosted_predict(self.boosted_, X, output_margin=True)
        linear = _standardised_linear(self.scaler_, self.linear_, self.linear_inputs(X))
        return w * boosted + (1 - w) * linear

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    @property
    def feature_importances_(self) -> np.ndarray:
        return self.boosted_.feature_importances_


class DollarPipeline(RegressorMixin, BaseEstimator):
    """A revenue pipeline (``pipeline_``, fitted) whose forecasts are converted between the
    dollars of two years by the CPI-U (``cpi``); ``price_shift`` is what the conversion adds to
    each film's forecast (log units)."""

    def __init__(self, pipeline: Any = None, cpi: CpiTable | None = None) -> None:
        self.pipeline = pipeline
        self.cpi = cpi

    def _converted(self, log_revenue: np.ndarray, from_years: Any, to_years: Any) -> np.ndarray:
        """log1p(revenue) in dollars of ``from_years`` → in dollars of ``to_years``."""
        revenue = np.expm1(np.asarray(log_revenue, dtype=float))
        constant = self.cpi.to_constant(revenue, from_years)
        return np.log1p(np.clip(self.cpi.from_constant(constant, to_years), 0, None))

    def price_shift(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        inner = pipeline_predict(self.pipeline_, self.inner_columns(X))
        return self.predict(X) - inner

    def inner_columns(self, X: Any) -> Any:
        """The columns the inner pipeline reads (as given, unless a subclass converts them)."""
        return X


class ConstantDollarTarget(DollarPipeline):
    """A revenue pipeline fitted on log1p(revenue) in constant dollars of ``cpi.base_year``,
    answering log1p(revenue) in the dollars of each film's release year (as ``pipeline[0]``,
    its FilmFeatures, reads the year: the training median when a film gives none)."""

    def fit(self, X: Any, y: Any) -> ConstantDollarTarget:
        if self.cpi is None:
            raise ValueError("ConstantDollarTarget needs a CpiTable")
        years = np.asarray(X["release_year"], dtype=float)
        if not np.isfinite(years).all():
            raise ValueError("every training film needs a release year for constant dollars")
        revenue = np.expm1(np.asarray(y, dtype=float))
        self.pipeline_ = clone(self.pipeline).fit(X, np.log1p(self.cpi.to_constant(revenue, years)))
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        years = self.pipeline_[0].release_years(X)
        constant = pipeline_predict(self.pipeline_, X)
        return self._converted(constant, self.cpi.base_year, years)


def _with_columns(X: Any, **columns: Any) -> Any:
    """The same films with some columns replaced (a frame, or columns as lists)."""
    if hasattr(X, "assign"):
        return X.assign(**columns)
    return {**X, **{name: list(values) for name, values in columns.items()}}


class ReleaseYearDollars(DollarPipeline):
    """A nominal revenue pipeline that reads a film released after ``newest_year_`` (the newest
    film it learned from) as a film of that year, and answers in the film's own year's dollars:
    its budget is converted to ``newest_year_`` dollars and its year held there before the
    forecast, and the forecast converted back to its release year's (CPI-U, extrapolated past
    the table's last year at the stated rate). A
    nominal model extrapolates flat at the price level of its newest films: without this, a film
    of 2027 would be forecast in 2016 dollars and labelled 2027's."""

    def fit(self, X: Any, y: Any) -> ReleaseYearDollars:
        if self.cpi is None:
            raise ValueError("ReleaseYearDollars needs a CpiTable")
        years = np.asarray(X["release_year"], dtype=float)
        if not np.isfinite(years).any():
            raise ValueError("the training films need release years")
        self.newest_year_ = int(np.nanmax(years))
        self.pipeline_ = clone(self.pipeline).fit(X, y)
        return self

    def _later_years(self, X: Any) -> np.ndarray:
        """Each film's release year, held at ``newest_year_`` for the films up to it."""
        years = self.pipeline_[0].release_years(X)
        return np.maximum(years, self.newest_year_)

    def inner_columns(self, X: Any) -> Any:
        """A later film as the inner pipeline reads it: released in ``newest_year_``, with its
        budget in that year's dollars."""
        years = self._later_years(X)
        later = years > self.newest_year_
        if not later.any():
            return X
        given = np.asarray(X["release_year"], dtype=float)
        held = np.where(later, float(self.newest_year_), given)
        if "budget" not in X:
            return _with_columns(X, release_year=held)
        constant = self.cpi.to_constant(np.asarray(X["budget"], dtype=float), years)
        budget = self.cpi.from_constant(constant, np.full(len(years), self.newest_year_))
        return _with_columns(X, release_year=held, budget=budget)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        inner = pipeline_predict(self.pipeline_, self.inner_columns(X))
        years = self._later_years(X)
        if not (years > self.newest_year_).any():
            return inner
        return self._converted(inner, np.full(len(years), self.newest_year_), years)


def inner_pipeline(model: Any) -> Any:
    """The Pipeline (FilmFeatures first) inside a stored model, whatever dollars it answers in."""
    return model.pipeline_ if isinstance(model, DollarPipeline) else model


def model_cost(estimator: Any) -> int:
    """What predicting one film costs, counted without a clock: the tree levels it passes
    through (trees × depth, summed over the ensemble's trees) plus one per linear model.
    The same model costs the same on every machine, under any load."""
    if isinstance(estimator, DollarPipeline):
        return model_cost(estimator.pipeline_[-1])
    if isinstance(estimator, BlendRegressor | BlendClassifier):
        return model_cost(estimator.boosted_) + 1
    if isinstance(estimator, LogRatioClassifier):
        return model_cost(estimator.regressor_)
    if isinstance(estimator, XGBRegressor | XGBClassifier):
        return int(estimator.get_params()["n_estimators"]) * int(
            estimator.get_params()["max_depth"] or 6
        )
    if isinstance(estimator, RandomForestRegressor):
        return int(sum(tree.tree_.max_depth for tree in estimator.estimators_))
    if isinstance(estimator, GradientBoostingRegressor):
        return int(sum(tree.tree_.max_depth for tree in estimator.estimators_[:, 0]))
    if isinstance(estimator, DecisionTreeClassifier | DecisionTreeRegressor):
        return int(estimator.tree_.max_depth)
    if isinstance(estimator, LinearRegression | LogisticRegression):
        return 1
    raise TypeError(f"no cost measure for a {type(estimator).__name__}")

"""Per-prediction explanations: additive contributions of each feature to the raw model output.

For every model, ``base + sum(contributions) == raw output`` (log1p revenue for regressors,
log-odds for classifiers; a decision tree classifier is explained in probability units):

- XGBoost: exact TreeSHAP from XGBoost itself (``pred_contribs=True``); the log-ratio hit
  model's log-odds are an affine map of its XGBoost regressor, so its TreeSHAP scales exactly.
- Linear and logistic regression: exact, coefficient × standardised value; base = intercept.
- Blends of boosted trees and a linear model: the weighted sum of the two exact explanations
  (the classifier blend averages log-odds, so it stays exact too).
- A pipeline answering in the dollars of the release year (``ConstantDollarTarget``,
  ``ReleaseYearDollars``): the explanation of its inner forecast, the conversion of its
  revenue credited to the budget, which is converted alike on the way in: together they are
  the budget's effect in the release year's dollars (a price level moves revenue and budget
  alike, so it is no driver of a hit on its own).
- scikit-learn trees and ensembles (random forest, gradient boosting, decision tree): the
  path decomposition (each split's change in node value goes to the split's feature), which is
  exact in sum but, unlike TreeSHAP, order-dependent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import DMatrix, XGBClassifier, XGBRegressor

from boxoffice.distribution import hit_line
from boxoffice.estimators import (
    BlendClassifier,
    BlendRegressor,
    DollarPipeline,
    LogRatioClassifier,
    boosted_predict,
)
from boxoffice.features import INDICATOR_LISTS, LIST_FEATURES, feature_label, not_given


@dataclass
class Explanation:
    """Contributions of each feature for a set of films, in the model's raw output units."""

    base: np.ndarray  # (n_films,)
    contributions: np.ndarray  # (n_films, n_features)
    feature_names: list[str]
    units: str
    method: str
    values: np.ndarray | None = None  # (n_films, n_features): what each film's labels read

    def with_values(self, values: np.ndarray) -> Explanation:
        return replace(self, values=values)

    @property
    def output(self) -> np.ndarray:
        return self.base + self.contributions.sum(axis=1)

    def for_film(self, i: int, top: int | None = None) -> dict[str, Any]:
        """One film's explanation in the user's terms, largest first; the rest folded."""
        values = self.contributions[i]
        order = np.argsort(-np.abs(values), kind="stable")
        order = [j for j in order if values[j] != 0.0]
        shown = order if top is None else order[:top]
        read = self.values[i] if self.values is not None else None
        items = [
            {
                "feature": feature_label(
                    self.feature_names[j], None if read is None else float(read[j])
                ),
                "contribution": float(values[j]),
            }
            for j in shown
        ]
        rest = [j for j in order if j not in set(shown)]
        if rest:
            items.append({"feature": "other", "contribution": float(values[rest].sum())})
        return {
            "base": float(self.base[i]),
            "output": float(self.output[i]),
            "units": self.units,
            "method": self.method,
            "contributions": items,
        }


def explanation_method(estimator: Any) -> str:
    """How ``explain`` attributes this estimator's output (for reports and metadata)."""
    if isinstance(estimator, DollarPipeline):
        inner = explanation_method(estimator.pipeline_[-1])
        return f"{inner}, the conversion to the release year's dollars credited to the budget"
    if isinstance(estimator, BlendRegressor | BlendClassifier):
        return (
            "TreeSHAP (exact, XGBoost pred_contribs) of the trees plus coefficient × "
            "standardised value of the linear model, weighted as blended"
        )
    if isinstance(estimator, LogRatioClassifier):
        return (
            "TreeSHAP (exact, XGBoost pred_contribs) of the predicted log revenue/budget "
            "ratio, scaled to log-odds"
        )
    if isinstance(estimator, XGBRegressor | XGBClassifier):
        return "TreeSHAP (exact, XGBoost pred_contribs)"
    if isinstance(estimator, LinearRegression | LogisticRegression):
        return "linear (exact: coefficient × standardised value)"
    return "tree path decomposition (exact sum, order-dependent)"


# The feature the conversion of a dollar pipeline's forecast is credited to.
BUDGET_FEATURE = "log_budget"


def explain(pipeline: Any, columns: Any) -> Explanation:
    """Explain ``pipeline``'s raw output for the films in ``columns`` (raw film fields)."""
    if isinstance(pipeline, DollarPipeline):
        inner = explain(pipeline.pipeline_, pipeline.inner_columns(columns))
        shift = pipeline.price_shift(columns)
        if BUDGET_FEATURE in inner.feature_names:
            contributions = inner.contributions.copy()
            contributions[:, inner.feature_names.index(BUDGET_FEATURE)] += shift
            return replace(inner, contributions=contributions, method=explanation_method(pipeline))
        return Explanation(
            inner.base,
            np.hstack([inner.contributions, shift[:, None]]),
            [*inner.feature_names, "release_year_dollars"],
            inner.units,
            explanation_method(pipeline),
            None if inner.values is None else np.hstack([inner.values, shift[:, None] * np.nan]),
        )
    X = np.asarray(pipeline[:-1].transform(columns), dtype=float)
    names = list(pipeline[0].get_feature_names_out())
    # The labels read the features as made (an indicator is 0 or 1), before any scaling step.
    features = X if len(pipeline) == 2 else np.asarray(pipeline[0].transform(columns), dtype=float)
    return _explain_model(pipeline, X, names).with_values(
        _not_given_as_nan(features, names, columns)
    )


def _not_given_as_nan(features: np.ndarray, names: list[str], columns: Any) -> np.ndarray:
    """The features the labels read, those of a list the film left out (None) as NaN: its
    indicators, its count and its items' track record."""
    out = features
    for prefix, field in {**INDICATOR_LISTS, **LIST_FEATURES}.items():
        cells = columns.get(field) if hasattr(columns, "get") else None
        if cells is None:
            continue
        left_out = not_given(cells)
        at = [j for j, name in enumerate(names) if name.startswith(prefix)]
        if left_out.any() and at:
            out = out.copy() if out is features else out
            out[np.ix_(left_out, at)] = np.nan
    return out


def _explain_model(pipeline: Any, X: np.ndarray, names: list[str]) -> Explanation:
    """``explain`` of the pipeline's last step on its feature matrix ``X``."""
    model = pipeline[-1]
    method = explanation_method(model)
    if isinstance(model, BlendRegressor | BlendClassifier):
        # Explain each part on the same matrix, then weight them as the blend does.
        w = model.boosted_weight
        boosted = _explain_matrix(model.boosted_, X)
        linear_X = model.scaler_.transform(model.linear_inputs(X))
        coef = np.ravel(model.linear_.coef_)
        intercept = float(np.ravel(model.linear_.intercept_)[0])
        base = w * boosted[0] + (1 - w) * intercept
        contributions = w * boosted[1] + (1 - w) * linear_X * coef
        units = "log-odds" if isinstance(model, BlendClassifier) else "log1p USD"
        return Explanation(base, contributions, names, units, method)
    if isinstance(model, LogRatioClassifier):
        # Its log-odds are an affine map of the ratio regressor's output: scale its TreeSHAP.
        inner = _explain_model(
            Pipeline([*pipeline.steps[:-1], ("model", model.regressor_)]), X, names
        )
        base = model.intercept_ + model.slope_ * (inner.base - model.threshold)
        return Explanation(
            base, model.slope_ * inner.contributions, inner.feature_names, "log-odds", method
        )
    if isinstance(model, XGBRegressor | XGBClassifier):
        base, contributions = _explain_matrix(model, X)
        units = "log-odds" if isinstance(model, XGBClassifier) else "log1p USD"
        return Explanation(base, contributions, names, units, method)
    if isinstance(model, LinearRegression | LogisticRegression):
        coef = np.ravel(model.coef_)
        intercept = float(np.ravel(model.intercept_)[0])
        units = "log-odds" if isinstance(model, LogisticRegression) else "log1p USD"
        return Explanation(np.full(len(X), intercept), X * coef, names, units, method)
    if isinstance(model, RandomForestRegressor):
        parts = [_tree_paths(tree, X) for tree in model.estimators_]
        base = np.mean([p[0] for p in parts], axis=0)
        contributions = np.mean([p[1] for p in parts], axis=0)
        return Explanation(base, contributions, names, "log1p USD", method)
    if isinstance(model, GradientBoostingRegressor):
        base = model.init_.predict(X[:1]).ravel()[0] * np.ones(len(X))
        contributions = np.zeros_like(X)
        for tree in model.estimators_[:, 0]:
            tree_base, tree_contrib = _tree_paths(tree, X)
            base = base + model.learning_rate * tree_base
            contributions += model.learning_rate * tree_contrib
        return Explanation(base, contributions, names, "log1p USD", method)
    if isinstance(model, DecisionTreeRegressor | DecisionTreeClassifier):
        base, contributions = _tree_paths(model, X)
        units = "probability" if isinstance(model, DecisionTreeClassifier) else "log1p USD"
        return Explanation(base, contributions, names, units, method)
    raise TypeError(f"cannot explain a {type(model).__name__}")


def _tree_paths(tree: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base (root value) and per-feature contributions of one fitted sklearn tree."""
    t = tree.tree_
    value = t.value[:, 0, -1] if t.value.shape[2] > 1 else t.value[:, 0, 0]
    if isinstance(tree, DecisionTreeClassifier):
        value = t.value[:, 0, 1] / t.value[:, 0, :].sum(axis=1)
    parent = np.full(t.node_count, -1)
    for children in (t.children_left, t.children_right):
        has = children >= 0
        parent[children[has]] = np.arange(t.node_count)[has]
    nodes = np.arange(1, t.node_count)  # every node but the root has a parent
    delta = sparse.csr_matrix(
        (value[nodes] - value[parent[nodes]], (nodes, t.feature[parent[nodes]])),
        shape=(t.node_count, X.shape[1]),
    )
    path = tree.decision_path(X.astype(np.float32))
    contributions = np.asarray((path @ delta).todense())
    return np.full(len(X), value[0]), contributions


def _explain_matrix(
    model: XGBRegressor | XGBClassifier, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact TreeSHAP of an XGBoost model: (base, contributions) for the rows of X."""
    contribs = model.get_booster().predict(DMatrix(X), pred_contribs=True).astype(float)
    output = boosted_predict(model, X, output_margin=isinstance(model, XGBClassifier))
    # XGBoost sums in float32: the base absorbs the rounding (~1e-6) so that
    # base + contributions equals the model's own output exactly.
    contributions = contribs[:, :-1]
    return output - contributions.sum(axis=1), contributions


def in_points(
    revenue: dict[str, Any],
    distribution: Any,
    budget: float,
    horizon: float,
    hit_ratio: float,
    reference_budget: float,
    shift: float,
) -> dict[str, Any]:
    """A film's P(hit) explained by the drivers of its revenue forecast (``Explanation.for_film``,
    and ``shift``: how far the distribution's median sits from the forecast, the revenue
    explanation's last driver, ``LOCATION_LABEL``). P(hit) is read from the distribution around
    the forecast, so each driver moves it. It starts from an average film: the base forecast as
    its median, with the hit line and the spread of ``reference_budget`` (the training films'
    median). The drivers are added one by one, largest first, each credited with the change in
    P(hit) (in probability, ×100 for points) it made; the budget's also moves the hit line and
    the spread to the film's own budget, so that it says what the budget does to P(hit) (a
    larger budget raises the forecast and the revenue a hit needs alike), not only to revenue.
    Exact in sum (base + contributions = P(hit)), order-dependent."""

    def probability(centre: float, usd: float) -> float:
        spread = distribution.spreads(np.array([centre]), np.log1p(usd), horizon)
        return float(distribution.above(np.array([centre]), spread, hit_line(usd, hit_ratio))[0])

    drivers = list(revenue["contributions"])
    names = [item["feature"] for item in drivers]
    # The driver that moves the hit line: the budget's; when it is folded into "other" (the
    # explanation's top drivers asked for), that; else one of its own.
    moves_line = BUDGET_LABEL if BUDGET_LABEL in names else "other" if "other" in names else None
    if moves_line is None:
        moves_line = BUDGET_LABEL
        drivers.append({"feature": BUDGET_LABEL, "contribution": 0.0})
    drivers.append({"feature": LOCATION_LABEL, "contribution": shift})
    centre, usd = revenue["base"] - shift, reference_budget
    base = previous = probability(centre, usd)
    items = []
    for item in drivers:
        centre += item["contribution"]
        if item["feature"] == moves_line:
            usd = budget
        now = probability(centre, usd)
        items.append({"feature": item["feature"], "contribution": now - previous})
        previous = now
    return {
        "base": base,
        "output": previous,
        "units": "probability",
        "method": "each driver of the revenue forecast added in turn, largest first, credited "
        "with the change in P(hit) it made; the budget's also moves the hit line from the "
        "average film's budget to the film's",
        "reference_budget_usd": reference_budget,
        "contributions": items,
    }


# The budget's driver as labelled (boxoffice.features.feature_label of BUDGET_FEATURE).
BUDGET_LABEL = feature_label(BUDGET_FEATURE)
# The last driver of each explanation: the distribution's median sits this far from the
# pipeline's forecast (its location, the median of past forecasts' misses, and its spread).
LOCATION_LABEL = "past forecasts' typical miss"

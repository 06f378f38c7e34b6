"""The blends' linear part, computed without scikit-learn's per-call checks, gives the same
floats as scikit-learn's own scaler and linear models; the trees called on their booster and
a pipeline's steps run one by one give the same floats as their ``predict``."""

from __future__ import annotations

import gc

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.estimators import (
    LINEAR_REACH,
    BlendClassifier,
    BlendRegressor,
    boosted_predict,
    pipeline_predict,
)


def data(n: int = 120, k: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * rng.uniform(0.5, 30, size=k) + rng.uniform(-5, 50, size=k)
    y = X @ rng.normal(size=k) / 10 + rng.normal(size=n)
    return X, y


def test_regressor_linear_part_is_scikit_learns() -> None:
    X, y = data()
    blend = BlendRegressor(XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1)).fit(X, y)
    w = blend.boosted_weight
    for rows in (slice(0, 1), slice(0, 7), slice(None)):
        part = X[rows]
        expected = w * blend.boosted_.predict(part).astype(float) + (1 - w) * blend.linear_.predict(
            blend.scaler_.transform(part)
        )
        np.testing.assert_array_equal(blend.predict(part), expected)


def test_classifier_linear_part_is_scikit_learns() -> None:
    X, y = data(seed=1)
    blend = BlendClassifier(XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1), threshold=0)
    blend.fit(X, y)
    w = blend.boosted_weight
    for rows in (slice(0, 1), slice(0, 7), slice(None)):
        part = X[rows]
        expected = w * blend.boosted_.predict(part, output_margin=True).astype(float) + (
            1 - w
        ) * blend.linear_.decision_function(blend.scaler_.transform(part))
        np.testing.assert_array_equal(blend.decision_function(part), expected)


def test_the_linear_part_holds_each_column_within_the_range_it_was_fitted_on() -> None:
    """A typo far past the training films (a runtime of 13,000 minutes) moves neither part:
    the trees are flat there, and the linear part reads the column at most LINEAR_REACH of its
    range past its largest value."""
    X, y = data(seed=2)
    for blend, score in (
        (BlendRegressor(XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1)), "predict"),
        (
            BlendClassifier(XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1), threshold=0),
            "decision_function",
        ),
    ):
        blend.fit(X, y)
        at_edge, far = X[:3].copy(), X[:3].copy()
        column = X[:, 2]
        at_edge[:, 2] = column.max() + LINEAR_REACH * (column.max() - column.min())
        far[:, 2] = at_edge[0, 2] * 1000
        np.testing.assert_array_equal(getattr(blend, score)(far), getattr(blend, score)(at_edge))
        inside = X[:5]
        expected = blend.linear_.intercept_ + blend.scaler_.transform(inside) @ np.ravel(
            blend.linear_.coef_
        )
        w = blend.boosted_weight
        boosted = (
            blend.boosted_.predict(inside)
            if score == "predict"
            else blend.boosted_.predict(inside, output_margin=True)
        )
        np.testing.assert_allclose(
            getattr(blend, score)(inside), w * boosted + (1 - w) * np.ravel(expected), rtol=1e-6
        )


def test_only_the_reaching_columns_are_read_past_the_range() -> None:
    """With ``reaching`` named (the year and the monotone columns, as training sets it), every
    other column is held at the range itself: a runtime typo reads as the longest film, not
    as a film LINEAR_REACH of the range longer."""
    X, y = data(seed=4)
    blend = BlendRegressor(XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1), reaching=(0,))
    blend.fit(X, y)
    held, reached = X[:3].copy(), X[:3].copy()
    held[:, 2] = X[:, 2].max()
    reached[:, 2] = X[:, 2].max() * 1000 + 1e6
    np.testing.assert_array_equal(blend.predict(reached), blend.predict(held))
    assert blend.linear_.coef_[0] != 0
    span = X[:, 0].max() - X[:, 0].min()
    at_edge, past_max = X[:3].copy(), X[:3].copy()
    at_edge[:, 0] = X[:, 0].max()
    past_max[:, 0] = X[:, 0].max() + LINEAR_REACH * span / 2
    assert not np.array_equal(blend.predict(past_max), blend.predict(at_edge))
    np.testing.assert_allclose(blend.high_[1:], X[:, 1:].max(axis=0))
    np.testing.assert_allclose(blend.high_[0], X[:, 0].max() + LINEAR_REACH * span)


def test_the_boosters_own_call_is_the_estimators_predict() -> None:
    """``boosted_predict`` skips XGBoost's scikit-learn wrapper, not any tree: the same floats as
    ``predict`` (values and margins), also for a model stopped early at its best iteration."""
    X, y = data(seed=3)
    stopped = XGBRegressor(n_estimators=60, max_depth=2, n_jobs=1, early_stopping_rounds=3)
    stopped.fit(X[:80], y[:80], eval_set=[(X[80:], y[80:])], verbose=False)
    assert stopped.best_iteration + 1 < 60  # it did stop early: not every tree is read
    classifier = XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y > 0)
    for rows in (slice(0, 1), slice(0, 7), slice(None)):
        part = X[rows]
        np.testing.assert_array_equal(boosted_predict(stopped, part), stopped.predict(part))
        np.testing.assert_array_equal(
            boosted_predict(classifier, part, output_margin=True),
            classifier.predict(part, output_margin=True),
        )


def test_the_pipelines_steps_run_as_its_predict_runs_them() -> None:
    X, y = data(seed=4)
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("skip", "passthrough"), ("blend", BlendRegressor())]
    ).fit(X, y)
    np.testing.assert_array_equal(pipeline_predict(pipeline, X[:9]), pipeline.predict(X[:9]))


def test_the_boosters_call_leaves_nothing_for_the_garbage_collector() -> None:
    """XGBoost's ``inplace_predict`` makes a class per call, freed only by the garbage collector
    (in a worker that collects rarely, a pause of tens of ms); ``boosted_predict`` makes none."""
    X, y = data(seed=5)
    model = XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y)
    for predict, leaves_garbage in (
        (lambda: model.get_booster().inplace_predict(X[:3]), True),
        (lambda: boosted_predict(model, X[:3]), False),
    ):
        predict()
        gc.collect()
        for _ in range(20):
            predict()
        assert (gc.collect() > 0) is leaves_garbage

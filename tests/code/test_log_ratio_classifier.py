"""The xgboost_roi candidate: a classifier fitted on the log revenue/budget ratio."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import roc_auc_score
from xgboost import XGBRegressor

from boxoffice.estimators import LogRatioClassifier
from tests.helpers.films import films
from training.models import CLASSIFIERS, Candidate
from training.split import is_hit, log_ratio
from training.train import _fit_fold, _pick, _Search, forward_folds


def roi_candidate() -> Candidate:
    (candidate,) = [c for c in CLASSIFIERS if c.name == "xgboost_roi"]
    return candidate


def planted(n: int = 200, seed: int = 0):
    """Films whose log revenue/budget ratio is driven by runtime, plus noise."""
    data = films(n)
    rng = np.random.default_rng(seed)
    signal = (data["runtime"] - 115) / 20
    ratio = np.exp(math.log(2) + signal + 0.3 * rng.standard_normal(n))
    data["revenue"] = data["budget"] * ratio
    return data


def small_pipeline():
    pipeline = roi_candidate().pipeline("pre_release", seed=0)
    return pipeline.set_params(
        features__min_count=1, model__regressor__n_estimators=40, model__regressor__max_depth=2
    )


def test_is_a_classifier_that_clones_with_its_params() -> None:
    model = roi_candidate().build(0)
    assert is_classifier(model) and roi_candidate().target == "log_ratio"
    copy = clone(model)
    assert copy.get_params()["regressor__max_depth"] == model.get_params()["regressor__max_depth"]
    assert not hasattr(copy, "regressor_")
    fitted = clone(small_pipeline()).fit(planted(), log_ratio(planted()))
    assert not hasattr(small_pipeline()[-1], "regressor_")  # fitting a clone leaves it alone
    assert isinstance(fitted[-1].regressor_, XGBRegressor)


def test_fits_in_the_pipeline_and_predicts_probabilities() -> None:
    data = planted()
    pipeline = small_pipeline().fit(data, log_ratio(data))
    model = pipeline[-1]
    assert list(model.classes_) == [0, 1]
    proba = pipeline.predict_proba(data)
    assert proba.shape == (len(data), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    # The log-odds are an affine map of the predicted log ratio, increasing in it.
    X = pipeline[:-1].transform(data)
    score = model.predict_log_ratio(X)
    np.testing.assert_allclose(
        model.decision_function(X), model.intercept_ + model.slope_ * (score - model.threshold)
    )
    assert model.slope_ > 0
    assert set(pipeline.predict(data)) <= {0, 1}


def test_learns_the_planted_ratio_signal() -> None:
    train, test = planted(300, seed=0), planted(300, seed=1)
    pipeline = small_pipeline().fit(train, log_ratio(train))
    auc = roc_auc_score(is_hit(test, 2.0), pipeline.predict_proba(test)[:, 1])
    assert auc > 0.85
    # Its probabilities are about right: the hit rate where it says > 0.8 is high.
    proba = pipeline.predict_proba(test)[:, 1]
    assert is_hit(test, 2.0)[proba > 0.8].mean() > 0.8


def test_threshold_sets_the_label() -> None:
    data = planted()
    y = log_ratio(data)
    model = small_pipeline().set_params(model__threshold=math.log(3)).fit(data, y)
    labels = y > math.log(3)
    assert roc_auc_score(labels, model.predict_proba(data)[:, 1]) > 0.9


def test_the_forward_search_scores_a_ratio_candidate_on_the_hit_label() -> None:
    data = planted()
    cut = math.log(2)
    folds = forward_folds(data, (2005, 2010))
    labels = is_hit(data, 2.0)
    pipeline = small_pipeline().set_params(model__threshold=cut)
    search = _Search("hit", "post_release", None, pipeline, [{}], log_ratio(data), labels)
    forecasts = [_fit_fold(pipeline, {}, data, log_ratio(data), fold) for fold in folds]
    params, pooled, fold_sd, table = _pick(search, forecasts, folds)
    assert params == {} and len(table) == 1
    assert pooled > 0.8 and fold_sd >= 0  # ROC-AUC against the label
    assert np.array_equal(log_ratio(data) > cut, labels.astype(bool))


def test_rejects_a_target_on_one_side_of_the_threshold() -> None:
    data = planted()
    with pytest.raises(ValueError, match="one side"):
        small_pipeline().fit(data, np.full(len(data), 5.0))
    with pytest.raises(ValueError, match="finite"):
        small_pipeline().fit(data, np.full(len(data), np.nan))


def test_unknown_target_is_rejected() -> None:
    with pytest.raises(ValueError, match="target"):
        Candidate("x", lambda seed: LogRatioClassifier(), target="revenue")


def test_feature_importances_come_from_the_regressor() -> None:
    model = small_pipeline()[-1]
    assert not hasattr(model, "feature_importances_")
    pipeline = small_pipeline().fit(planted(), log_ratio(planted()))
    importances = pipeline[-1].feature_importances_
    assert importances.shape == (len(pipeline[0].get_feature_names_out()),)
    names = list(pipeline[0].get_feature_names_out())
    assert names[int(np.argmax(importances))] == "runtime"

"""Explanations add up to the model's own output for every kind of estimator we may choose."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier, XGBRegressor

from boxoffice.estimators import LogRatioClassifier
from boxoffice.explain import explain, explanation_method
from boxoffice.features import FilmFeatures, feature_label
from tests.helpers.films import films

ESTIMATORS = [
    (XGBRegressor(n_estimators=30, max_depth=3), False, False),
    (XGBClassifier(n_estimators=30, max_depth=3), False, True),
    (LinearRegression(), True, False),
    (LogisticRegression(), True, True),
    (RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0), False, False),
    (GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0), False, False),
    (DecisionTreeClassifier(max_depth=3, random_state=0), False, True),
    (LogRatioClassifier(XGBRegressor(n_estimators=30, max_depth=3), threshold=0.0), False, True),
]


def raw_output(pipeline: Pipeline, data: pd.DataFrame, classifier: bool) -> np.ndarray:
    model = pipeline[-1]
    X = pipeline[:-1].transform(data)
    if isinstance(model, XGBClassifier):
        return model.predict(X, output_margin=True)
    if isinstance(model, LogisticRegression | LogRatioClassifier):
        return model.decision_function(X)
    if classifier:
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


@pytest.mark.parametrize(
    ("estimator", "scaled", "classifier"),
    ESTIMATORS,
    ids=lambda v: type(v).__name__ if not isinstance(v, bool) else "",
)
def test_base_plus_contributions_is_the_raw_output(estimator, scaled, classifier) -> None:
    data = films(80)
    target = np.log1p(data["budget"]) + 0.01 * data["vote_count"] ** 0.5
    y = (target > target.median()).astype(int) if classifier else target
    if isinstance(estimator, LogRatioClassifier):  # learns the continuous ratio itself
        y = target - target.median()
    steps = [("features", FilmFeatures(min_count=1))]
    if scaled:
        steps.append(("scale", StandardScaler()))
    pipeline = Pipeline([*steps, ("model", estimator)]).fit(data, y)
    explanation = explain(pipeline, data.head(12))
    np.testing.assert_allclose(
        explanation.output, raw_output(pipeline, data.head(12), classifier), atol=1e-6
    )
    assert explanation.contributions.shape == (12, len(pipeline[0].get_feature_names_out()))
    assert explanation.method == explanation_method(estimator)


def test_top_k_folds_the_rest_into_other() -> None:
    data = films(60)
    pipeline = Pipeline(
        [("features", FilmFeatures(min_count=1)), ("model", XGBRegressor(n_estimators=20))]
    ).fit(data, np.log1p(data.budget))
    explanation = explain(pipeline, data.head(1))
    full = explanation.for_film(0)
    top = explanation.for_film(0, top=3)
    assert len(top["contributions"]) == 4 and top["contributions"][-1]["feature"] == "other"
    for answer in (full, top):
        total = answer["base"] + sum(c["contribution"] for c in answer["contributions"])
        assert total == pytest.approx(answer["output"], abs=1e-6)
    sizes = [abs(c["contribution"]) for c in full["contributions"]]
    assert sizes == sorted(sizes, reverse=True)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("log_budget", "budget"),
        ("genre_Science Fiction", "genre Science Fiction"),
        ("release_month", "release month"),
        ("company_Pixar", "company Pixar"),
        ("language_fr", "original language fr"),
        ("log_vote_count", "vote count"),
    ],
)
def test_feature_labels_are_in_user_terms(name: str, label: str) -> None:
    assert feature_label(name) == label


@pytest.mark.parametrize(
    ("name", "value", "label"),
    [
        ("genre_Drama", 0.0, "no genre Drama"),
        ("genre_Drama", 1.0, "genre Drama"),
        ("company_Legendary Pictures", 0.0, "no company Legendary Pictures"),
        ("company_record_mean", 0.0, "companies' track record, mean"),
        ("n_genres", 0.0, "number of genres"),
        ("country_US", float("nan"), "country US (not given)"),
    ],
)
def test_an_indicator_the_film_lacks_says_so(name: str, value: float, label: str) -> None:
    assert feature_label(name, value) == label


def test_each_films_drivers_read_its_own_indicators() -> None:
    data = films(80)
    big = np.array(["Big Studio" in c for c in data["production_companies"]])
    y = np.log1p(data["budget"]) + np.where(big, 1.0, -1.0)
    pipeline = Pipeline(
        [("features", FilmFeatures()), ("model", XGBRegressor(n_estimators=30, max_depth=3))]
    ).fit(data, y)
    explanation = explain(pipeline, data)
    labels = set()
    for i in range(len(data)):
        companies = set(data["production_companies"].iloc[i])
        for item in explanation.for_film(i)["contributions"]:
            feature = item["feature"]
            labels.add(feature)
            if feature.startswith("company "):
                assert feature.removeprefix("company ") in companies, (i, feature)
            if feature.startswith("no company "):
                assert feature.removeprefix("no company ") not in companies, (i, feature)
    assert {"company Big Studio", "no company Big Studio"} <= labels, labels


def test_a_scaled_pipeline_labels_indicators_by_the_features_as_made() -> None:
    """With a scaling step (the linear candidates), a 0 indicator is no longer 0 once scaled:
    the labels read the features before it."""
    data = films(80)
    big = np.array(["Big Studio" in c for c in data["production_companies"]])
    pipeline = Pipeline(
        [("features", FilmFeatures()), ("scale", StandardScaler()), ("model", LinearRegression())]
    ).fit(data, np.log1p(data["budget"]) + np.where(big, 1.0, -1.0))
    explanation = explain(pipeline, data)
    for i in range(len(data)):
        companies = set(data["production_companies"].iloc[i])
        for item in explanation.for_film(i)["contributions"]:
            if item["feature"].startswith("company "):
                assert item["feature"].removeprefix("company ") in companies, (i, item)
            if item["feature"].startswith("no company "):
                assert item["feature"].removeprefix("no company ") not in companies, (i, item)


def test_a_list_the_film_left_out_is_said_not_given_not_lacked() -> None:
    """Companies not given (None) are scored as none in particular: the driver says they were
    not given, where an empty list (given: none) says the film has no such company."""
    data = films(80)
    big = np.array(["Big Studio" in c for c in data["production_companies"]])
    pipeline = Pipeline(
        [("features", FilmFeatures()), ("model", XGBRegressor(n_estimators=30, max_depth=3))]
    ).fit(data, np.log1p(data["budget"]) + np.where(big, 1.0, -1.0))
    columns = {name: list(data[name]) for name in data.columns}
    columns["production_companies"] = [None, [], *columns["production_companies"][2:]]
    explanation = explain(pipeline, columns)
    left_out = [c["feature"] for c in explanation.for_film(0)["contributions"]]
    empty = [c["feature"] for c in explanation.for_film(1)["contributions"]]
    assert "company Big Studio (not given)" in left_out and "no company Big Studio" in empty
    assert not any(f.startswith("no company") for f in left_out)

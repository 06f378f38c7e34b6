"""The FilmFeatures transformer: contract, missing fields, vocabulary handling."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from boxoffice.features import FilmFeatures, ListColumn
from boxoffice.fields import TMDB_GENRES
from tests.helpers.films import films


def partial(transformer: FilmFeatures, frame: pd.DataFrame) -> np.ndarray:
    """Transform a frame that leaves out columns on purpose: that is imputed, with a warning."""
    with pytest.warns(UserWarning, match="FilmFeatures: no column"):
        return transformer.transform(frame)


def test_feature_sets_differ_only_by_post_release_signals() -> None:
    """The votes, and how many keywords TMDB's users tagged (which follows the votes)."""
    frame, y = films(), np.linspace(10, 20, len(films()))
    post = FilmFeatures("post_release", min_count=1, target_encoding=True).fit(frame, y)
    pre = FilmFeatures("pre_release", min_count=1, target_encoding=True).fit(frame, y)
    post_names, pre_names = set(post.get_feature_names_out()), set(pre.get_feature_names_out())
    assert post_names - pre_names == {
        "log_popularity",
        "vote_average",
        "log_vote_count",
        "n_keywords",
        "keyword_record_max",
        "keyword_record_count",
    }
    assert pre_names <= post_names
    assert len(pre.transform(frame)[0]) == len(pre_names)


def test_a_pre_release_forecast_reads_which_keywords_not_how_many() -> None:
    """Keywords the features know nothing of change no pre-release feature; post-release, their
    number is read."""
    frame, y = films(), np.linspace(10, 20, len(films()))
    more = frame.assign(keywords=[[*k, "unheard of 1", "unheard of 2"] for k in frame["keywords"]])
    pre = FilmFeatures("pre_release", min_count=1, target_encoding=True).fit(frame, y)
    np.testing.assert_array_equal(pre.transform(more), pre.transform(frame))
    post = FilmFeatures("post_release", min_count=1, target_encoding=True).fit(frame, y)
    assert not np.array_equal(post.transform(more), post.transform(frame))


def test_learned_state_ends_in_underscore_and_init_only_stores() -> None:
    transformer = FilmFeatures(n_companies=1, min_count=1)
    assert not hasattr(transformer, "companies_")
    transformer.fit(films())
    assert transformer.companies_ == ["Big Studio"]
    assert clone(transformer).get_params() == transformer.get_params()


def test_pandas_output_has_named_columns() -> None:
    transformer = FilmFeatures(min_count=1).set_output(transform="pandas")
    out = transformer.fit_transform(films())
    assert isinstance(out, pd.DataFrame)
    assert out.loc[1, "genre_Action"] == 1 and out.loc[0, "genre_Action"] == 0
    assert out.loc[1, "n_genres"] == 2
    assert out.loc[0, "keyword_sequel"] == 1
    assert out.loc[0, "log_budget"] == pytest.approx(np.log1p(films().loc[0, "budget"]))
    assert {f"genre_{g}" for g in TMDB_GENRES} <= set(out.columns)


def test_missing_optional_fields_are_imputed() -> None:
    transformer = FilmFeatures(min_count=1).fit(films())
    minimal = pd.DataFrame({"budget": [5e7], "runtime": [100.0]})
    out = partial(transformer, minimal)
    assert out.shape == (1, len(transformer.get_feature_names_out()))
    assert np.isfinite(out).all()
    names = list(transformer.get_feature_names_out())
    # A list not given: the typical number of items (half the films have 1 genre, half 2),
    # none in particular; numbers not given: their training medians.
    assert out[0, names.index("n_genres")] == 1.5
    assert not out[0, [n.startswith("genre_") for n in names]].any()
    assert out[0, names.index("n_spoken_languages")] == 2
    assert out[0, names.index("log_vote_count")] == transformer.medians_["vote_count"]


def test_an_empty_list_is_none() -> None:
    transformer = FilmFeatures(min_count=1).fit(films())
    names = list(transformer.get_feature_names_out())
    given = pd.DataFrame({"budget": [5e7], "runtime": [100.0], "genres": [[]], "keywords": [[]]})
    out = partial(transformer, given)
    assert out[0, names.index("n_genres")] == 0 and out[0, names.index("n_keywords")] == 0
    assert out[0, names.index("n_companies")] == 1  # not given: the median


def test_a_language_left_out_is_the_most_common_one() -> None:
    transformer = FilmFeatures(min_count=1).fit(films())  # 25 films in English, 5 in French
    assert transformer.language_mode_ == "en"
    names = list(transformer.get_feature_names_out())
    languages = ["fr", None, "xx", float("nan")]
    out = partial(transformer, pd.DataFrame({"budget": [5e7] * 4, "original_language": languages}))
    english, french = out[:, names.index("language_en")], out[:, names.index("language_fr")]
    assert list(english) == [0, 1, 0, 1] and list(french) == [1, 0, 0, 0]


def test_zero_runtime_and_unknown_values_are_unknown() -> None:
    transformer = FilmFeatures(min_count=1).fit(films())
    out = partial(
        transformer,
        pd.DataFrame(
            {
                "budget": [1e7],
                "runtime": [0.0],
                "genres": [["Not A Genre"]],
                "production_companies": [["Nobody"]],
            }
        ),
    )
    names = list(transformer.get_feature_names_out())
    assert out[0, names.index("runtime")] == transformer.medians_["runtime"]
    assert out[0, names.index("n_genres")] == 1
    assert out[0, [i for i, n in enumerate(names) if n.startswith("genre_")]].sum() == 0


def test_a_column_left_out_is_named_in_a_warning() -> None:
    """A renamed column would otherwise be imputed for every film without a word."""
    data = films()
    transformer = FilmFeatures("pre_release", min_count=1).fit(data)
    renamed = data.rename(columns={"runtime": "runtime_min", "keywords": "tags"})
    with pytest.warns(
        UserWarning, match=r"no column runtime, keywords; every film is scored as if"
    ):
        transformer.transform(renamed)
    with pytest.warns(UserWarning, match="no column runtime, keywords"):
        FilmFeatures("pre_release").fit(renamed)
    as_mapping = {column: list(renamed[column]) for column in renamed.columns}
    with pytest.warns(UserWarning, match="no column runtime, keywords"):
        transformer.transform(as_mapping)
    with pytest.warns(UserWarning, match="no column runtime, keywords") as caught:
        FilmFeatures("pre_release").fit_transform(renamed)
    assert len(caught) == 1  # fit_transform says it once
    # pre-release features do not read votes or popularity, so leaving them out is fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        transformer.transform(data.drop(columns=["popularity", "vote_average", "vote_count"]))
        transformer.transform({column: list(data[column]) for column in data.columns})


def test_accepts_a_mapping_of_columns_like_a_frame() -> None:
    data = films()
    transformer = FilmFeatures(min_count=1).fit(data)
    as_dict = {column: list(data[column]) for column in data.columns}
    np.testing.assert_array_equal(transformer.transform(as_dict), transformer.transform(data))


def test_list_columns_read_once_give_the_features_of_plain_lists() -> None:
    """The service's ListColumns (each list read once, kept for the next reader) against plain
    lists, on repeats (a track record counts an item once), None, [] and the cast's top-billed
    names, transformed twice (the second time from what the first read)."""
    data = films(40)
    data["production_companies"] = [["A", "B", "A"], ["B"], None, [], ["A", "C", "C", "B"]] * 8
    data["directors"] = [["D1"], ["D2", "D1", "D2"], None, ["D3"]] * 10
    data["cast"] = [[f"P{(i + j) % 15}" for j in range(i % 25)] for i in range(40)]
    y = np.log(data["budget"]) + np.arange(40) % 3
    transformer = FilmFeatures(min_count=1, target_encoding=True, credits=True).fit(data, y)
    plain = {column: list(data[column]) for column in data.columns}
    kept = {c: ListColumn(v) if isinstance(v[0], list) else v for c, v in plain.items()}
    expected = transformer.transform(plain)
    np.testing.assert_array_equal(transformer.transform(kept), expected)
    assert "listed" in vars(kept["production_companies"]) and "listed" in vars(kept["directors"])
    np.testing.assert_array_equal(transformer.transform(kept), expected)
    names = list(transformer.get_feature_names_out())
    assert expected[4, names.index("company_record_count")] == 3  # A, C, B: each once


def test_a_refit_or_a_stored_transformer_reads_its_own_vocabulary_and_track_record() -> None:
    """The vocabulary and track record are looked up through one table made at the first
    transform: a new fit makes it again, and it is not stored with the transformer."""
    data = films(40)
    data["keywords"] = [["a", "b"], ["b", "c"], ["c"], ["d", "a", "a"]] * 10
    y = np.log(data["budget"]) + np.arange(40) % 4
    other = data.assign(keywords=[["x", "c"], ["y"], ["x", "y", "a"], []] * 10)
    params = dict(min_count=1, n_keywords=2, target_encoding=True)
    refit = FilmFeatures(**params).fit(data, y)
    first = refit.transform(data)
    refit.fit(other, y[::-1])
    np.testing.assert_array_equal(
        refit.transform(data), FilmFeatures(**params).fit(other, y[::-1]).transform(data)
    )
    assert not np.array_equal(refit.transform(data), first)
    stored = pickle.loads(pickle.dumps(refit))
    assert "_kept_item_codes" in vars(refit) and "_kept_item_codes" not in vars(stored)
    np.testing.assert_array_equal(stored.transform(data), refit.transform(data))


def test_irrelevant_columns_are_ignored() -> None:
    data = films()
    transformer = FilmFeatures(min_count=1).fit(data)
    changed = data.assign(title="Something else", overview="x")
    np.testing.assert_array_equal(transformer.transform(changed), transformer.transform(data))


def test_in_a_pipeline() -> None:
    data = films()
    model = make_pipeline(FilmFeatures(min_count=1), LinearRegression())
    model.fit(data, np.log1p(data["budget"]) * 1.1)
    assert model.predict(data.head(3)).shape == (3,)


def test_bad_feature_set_and_empty_fit() -> None:
    with pytest.raises(ValueError, match="feature_set"):
        FilmFeatures("sometime").fit(films())
    with pytest.raises(ValueError, match="zero films"):
        FilmFeatures().fit(films().head(0))


def test_counts_and_indicators_match_a_film_by_film_reading() -> None:
    """The vectorised multi-hot against the plain definition, on awkward cells: repeated
    items, unknown items, a bare string, None, NaN and an empty list."""
    data = films(40)
    data["keywords"] = [["b", "a"], ["a", "a", "c"], ["c"], ["a", "b", "d"]] * 10
    transformer = FilmFeatures(min_count=10, n_keywords=2).fit(data)
    # a is in 30 films (once each however often it is listed), b and c in 20: ties go by name
    assert transformer.keywords_ == ["a", "b"]
    cells = [["b", "zzz", "b"], "a", None, float("nan"), [], ["c", "a"]]
    out = partial(transformer, pd.DataFrame({"budget": [1e7] * 6, "keywords": cells}))
    names = list(transformer.get_feature_names_out())
    counts = out[:, names.index("n_keywords")]
    median = transformer.count_medians_["keywords"]
    np.testing.assert_array_equal(counts, [2, 1, median, median, 0, 2])  # a repeat counts once
    indicators = out[:, [names.index("keyword_a"), names.index("keyword_b")]]
    np.testing.assert_array_equal(indicators, [[0, 1], [1, 0], [0, 0], [0, 0], [0, 0], [1, 0]])


def test_an_item_listed_twice_counts_once_and_list_sizes_have_a_range() -> None:
    data = films()
    transformer = FilmFeatures(min_count=1).fit(data)
    assert transformer.ranges_["keywords"] == (0.0, 1.0)
    assert transformer.ranges_["genres"] == (1.0, 2.0)
    names = list(transformer.get_feature_names_out())
    repeated = data.head(1).assign(keywords=[["sequel"] * 200])
    once = data.head(1).assign(keywords=[["sequel"]])
    np.testing.assert_array_equal(transformer.transform(repeated), transformer.transform(once))
    assert transformer.transform(repeated)[0, names.index("n_keywords")] == 1


def test_a_list_not_given_gets_a_typical_track_record_and_none_gets_none() -> None:
    data = films(60)
    y = np.log(data["budget"]) + np.where(
        [c == ["Big Studio"] for c in data["production_companies"]], 1, 0
    )
    transformer = FilmFeatures(min_count=1, target_encoding=True).fit(data, y)
    names = list(transformer.get_feature_names_out())
    record = [names.index(f"company_record_{s}") for s in ("mean", "max", "count")]
    left_out = partial(transformer, pd.DataFrame({"budget": [1e7]}))[0, record]
    none = transformer.transform(data.head(1).assign(production_companies=[[]]))[0, record]
    assert list(left_out) == transformer.typical_records_["production_companies"]
    assert left_out[2] >= 1 and list(none) == [0.0, 0.0, 0.0]

"""What a stored model carries is typed: it round-trips, and anything else fails loudly."""

from __future__ import annotations

import pytest

from boxoffice.metadata import MetadataError, parse_comparables, parse_metadata, to_stored
from tests.helpers.models import metadata, tiny_comparables


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("feature_set", ["pre_release", "post_release"])
def test_stored_metadata_round_trips_without_none(feature_set: str) -> None:
    typed = metadata(feature_set)
    stored = to_stored(typed)
    assert parse_metadata(stored) == typed
    assert "None" not in _strings(stored)
    assert parse_metadata(to_stored(typed)).backtest.pooled == typed.backtest.pooled
    assert parse_metadata(stored).distribution == typed.distribution


def test_an_unknown_key_fails_loudly() -> None:
    stored = to_stored(metadata("post_release"))
    with pytest.raises(MetadataError, match="predict_ms_typo"):
        parse_metadata({**stored, "predict_ms_typo": {}})


def test_a_missing_key_fails_loudly() -> None:
    stored = to_stored(metadata("post_release"))
    del stored["threshold"]
    with pytest.raises(MetadataError, match="threshold: Field required"):
        parse_metadata(stored)


def test_comparables_metadata_round_trips() -> None:
    meta = tiny_comparables().metadata
    assert parse_comparables(to_stored(meta)) == meta


def test_a_forecast_model_must_carry_its_distribution() -> None:
    stored = to_stored(metadata("post_release"))
    del stored["distribution"]["year_term"]
    with pytest.raises(MetadataError, match=r"distribution\.year_term"):
        parse_metadata(stored)


def test_the_targets_are_enforced_on_the_published_table_whatever_the_run_learned_from() -> None:
    """`backtest` of a run trained on another table, on the published table: its figures are
    the published table's, so its targets hold (and the other way round)."""
    from tests.helpers.models import metadata
    from training import config
    from training.pipeline import saved_models

    trained_elsewhere = metadata("pre_release")
    assert trained_elsewhere.data_sha256 != config.DATA_SHA256
    tag = "boxoffice-forecast-pre-release:x"
    assert not any(s.enforced for s in saved_models(trained_elsewhere, tag))
    assert all(s.enforced for s in saved_models(trained_elsewhere, tag, True))
    published = trained_elsewhere.model_copy(update={"data_sha256": config.DATA_SHA256})
    assert all(s.enforced for s in saved_models(published, tag))
    assert not any(s.enforced for s in saved_models(published, tag, False))
    # Its films re-saved (gzip, Parquet): the run records the published table by content.
    resaved = trained_elsewhere.model_copy(update={"published_table": True})
    assert all(s.enforced for s in saved_models(resaved, tag))
    # At another hit ratio the targets, set at the default one, are reported, not enforced.
    other_ratio = published.model_copy(update={"hit_ratio": 50.0})
    assert not any(s.enforced for s in saved_models(other_ratio, tag))

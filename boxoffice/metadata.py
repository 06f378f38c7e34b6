"""What a stored model carries, typed: written by training, read by serving, the CLI and bench.

BentoML keeps a model's metadata as YAML and refuses ``None``, so a field that may be absent is
declared with a default of ``None`` and left out when it is: the type says which fields those
are, and nothing is ever stored as the text "None". Every other field is required, and a key
this model does not know is an error: a stored model that does not match fails loudly at load.

The distribution here is what serving applies (``boxoffice.distribution``); the pickled
pipeline gives the forecast it is centred on.
"""

from __future__ import annotations

from typing import Any, Literal

import bentoml
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from boxoffice.config import FeatureSet
from boxoffice.distribution import RevenueDistribution
from boxoffice.dollars import CpiTable

# Bumped when what the service needs from a stored model changes; older runs are not served.
# 3: FilmFeatures learns the typical list sizes and original language for fields left out.
# 4: the pipelines pickle the runtime package (boxoffice.*), not training.*; typed metadata;
#    intervals and calibration that depend on the horizon; the comparable films.
# 5: one forecast model per feature set: revenue, its range and P(hit) read from one
#    distribution; no separate hit model.
# 6: the forecast may read the directors and the top-billed cast; a nominal forecast past its
#    newest film is answered in the release year's dollars.
MODEL_FORMAT = 7

# A parameter value as stored: parameters left at None (the estimator's default) are left out.
ParamValue = bool | int | float | str


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def horizons(release_years: Any, newest_year: int) -> np.ndarray:
    """Years between each film's release and the newest film the models learned from."""
    return np.asarray(release_years, dtype=float) - newest_year


# -- how the model was chosen and how it scores ------------------------------------------------
class Scores(_Record):
    """Metrics of one group of forecasts, with 95% bootstrap intervals where computed.

    Revenue: r2, rmse, mae (log1p USD) of the forecast, coverage and mean_width (log units) of
    the 80% range, crps (log units) of the distribution. Hit: roc_auc, ece (10 bins), brier,
    hit_rate, mean_probability of P(hit); f1, precision, recall at the verdict's threshold where
    a threshold applies. contradictions: the share of films whose forecast and verdict disagree
    (forecast at least the hit ratio times the budget while P(hit) < 0.5, or the reverse)."""

    n: int
    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]] = Field(default_factory=dict)


class CandidateSummary(_Record):
    """One compared candidate: its tuned parameters, its forward score (the choice), its cost,
    and its scores on the original project's split (fitted on the training part)."""

    params: dict[str, ParamValue]
    forward_mean: float
    forward_std: float
    # a revenue candidate's: ROC-AUC of its forecast's margin over the hit line (the choice)
    hit_auc: float | None = None
    cost: int
    eligible: bool  # cost within the cap
    validation: dict[str, float]
    test: dict[str, float]
    predict_ms: dict[str, float]  # measured on the training machine: reported, never a rule
    tune_seconds: float


class Selection(_Record):
    rule: str
    metric: str
    origins: list[int]  # the years predicted one year ahead, each by films released before it
    cost_cap: int
    candidates: dict[str, CandidateSummary]


class Backtest(_Record):
    """The chosen configuration refitted at each origin on the films released before it; its
    distribution as of each origin fitted on the out-of-time forecasts before it."""

    protocol: str
    origins: list[int]
    one_year_ahead: dict[int, Scores]  # each year, by the models fitted on the earlier films
    pooled: Scores  # one year ahead, pooled over the test years
    pooled_years: list[int]
    trained_to: int  # a single origin: fitted on the films up to this year ...
    later: Scores  # ... and scored on the later ones (pooled_years)
    by_horizon: dict[int, Scores]  # those forecasts by horizon
    baseline_pooled: Scores  # the original project's models under the same protocol
    baseline_later: Scores
    two_models_pooled: Scores  # the revenue model and a separate hit classifier, as before
    two_models_later: Scores
    dollars: dict[str, Scores]  # one-year-ahead point scores, nominal / constant dollars
    dollars_rule: str


class DesignSummary(_Record):
    """One candidate design of the distribution: what its spread reads, and its scores in the
    two development protocols (the choice) and the two test protocols (reported, never used)."""

    covariates: list[str]
    description: str
    eligible: bool
    note: str  # why it is not eligible ("" when it is)
    crps: float  # mean over the development protocols
    development: dict[str, Scores]  # "one_year_ahead", "trained_to"
    test: dict[str, Scores]


class DesignChoice(_Record):
    rule: str
    chosen: str
    development_years: list[int]
    development_origin: int
    candidates: dict[str, DesignSummary]


class SlateScores(_Record):
    """Random slates of ``size`` films of the test years forecast from one origin: how often
    the realised total revenue and number of hits fell inside the slate's 80% ranges, with the
    year term and with films taken as independent."""

    size: int
    slates: int
    revenue_coverage: float
    hits_coverage: float
    revenue_coverage_independent: float
    hits_coverage_independent: float
    mean_expected_hits: float
    mean_realised_hits: float


class SlateBacktest(_Record):
    trained_to: int
    years: list[int]
    draws: int
    seed: int
    method: str
    by_size: dict[int, SlateScores]


class CreditsUse(_Record):
    """Whether the forecast reads the directors and the top-billed cast: the credits table the
    run was given (none: ``table`` absent), and the forward comparison the choice was made on
    (one year ahead, nominal dollars: "without_development", "with_development", and the same
    "_tested", scored beside and never used)."""

    used: bool
    rule: str
    cast_top_billed: int
    table: str | None = None
    table_sha256: str | None = None
    films_credited: int = 0  # population films the table gives directors or cast for
    scores: dict[str, Scores] = Field(default_factory=dict)


class RowCounts(_Record):
    population: int
    fitted: int  # films the served pipeline learned from
    development: int  # films the choice was made on
    original_train: int
    original_validation: int
    original_test: int
    original_test_filtered: int


class CleaningCount(_Record):
    rule: str
    description: str
    part: str
    rows_before: int
    rows_removed: int


class ForecastMetadata(_Record):
    """Everything a stored forecast model carries: the revenue pipeline it is centred on, the
    distribution every answer is read from, how both were chosen and how they score."""

    format: Literal[7]
    run: str
    kind: Literal["forecast"]
    feature_set: FeatureSet
    algorithm: str  # of the revenue forecast
    estimator_class: str
    params: dict[str, ParamValue]
    raw_fields: list[str]
    features: list[str]
    target: str
    hit_ratio: float  # a hit: revenue > hit_ratio × budget
    threshold: float  # of is_hit (on P(hit)), unless a request gives its own
    explanation_method: str
    fitted_on: Literal["all_labelled", "original_train"]
    newest_year: int  # the newest release year among the films the pipeline learned from
    dollars: Literal["nominal", "constant"]
    credits: CreditsUse
    cpi: CpiTable
    distribution: RevenueDistribution
    design: DesignChoice
    selection: Selection  # of the revenue forecast
    hit_selection: Selection  # of the two-model design's classifier (compared, not served)
    original_split: dict[str, Scores]  # validation, test, test_filtered (chosen, on train)
    backtest: Backtest
    slates: SlateBacktest
    # The lowest and highest revenue of the films the pipeline learned from, in constant
    # dollars (of cpi.base_year): a forecast is compared with them in the same dollars.
    revenue_range_constant: tuple[float, float]
    rows: RowCounts
    cleaning: list[CleaningCount]
    data_sha256: str
    # The published TMDB 5000 table, as its file or re-saved (its films' sha256); a run saved
    # before this was recorded has False here and its file's sha256 above.
    published_table: bool = False
    seed: int
    profile: Literal["quick", "full"]
    timings: dict[str, float]  # seconds of each training stage
    library_versions: dict[str, str]


class ComparablesMetadata(_Record):
    """The comparable-films table stored with a run's models."""

    format: Literal[7]
    run: str
    kind: Literal["comparables"]
    films: int
    newest_year: int
    default_k: int
    weights: dict[str, float]
    similarity: str
    backtest_r2: dict[int, float]  # median log revenue of k comps as a forecast, by k
    backtest_r2_ci95: dict[int, tuple[float, float]]
    backtest_years: list[int]
    cpi: CpiTable
    data_sha256: str


class MetadataError(Exception):
    """A stored model's metadata does not match this version's; the message says how."""


def _parse(adapter: TypeAdapter[Any], raw: dict[str, Any]) -> Any:
    try:
        return adapter.validate_python(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        raise MetadataError(f"{error.error_count()} problem(s): {problems}") from None


def parse_metadata(raw: dict[str, Any]) -> ForecastMetadata:
    """Validate a model's metadata dict (as stored) into its typed model; MetadataError if it
    does not match, naming the first few keys that are missing, unknown or wrong."""
    return _parse(TypeAdapter(ForecastMetadata), raw)


def parse_comparables(raw: dict[str, Any]) -> ComparablesMetadata:
    return _parse(TypeAdapter(ComparablesMetadata), raw)


def read_metadata(model: bentoml.Model) -> ForecastMetadata:
    """A stored model's typed metadata; MetadataError naming the model if it does not match."""
    try:
        return parse_metadata(dict(model.info.metadata))
    except MetadataError as error:
        raise MetadataError(f"model {model.tag}: metadata does not match: {error}") from None


def read_comparables(model: bentoml.Model) -> ComparablesMetadata:
    try:
        return parse_comparables(dict(model.info.metadata))
    except MetadataError as error:
        raise MetadataError(f"model {model.tag}: metadata does not match: {error}") from None


def to_stored(metadata: BaseModel) -> dict[str, Any]:
    """Plain YAML-friendly data for BentoML (fields that are None are left out)."""
    return metadata.model_dump(mode="json", exclude_none=True)

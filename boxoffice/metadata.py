"""What a stored model carries, typed: written by training, read by serving, the CLI and bench.

BentoML keeps a model's metadata as YAML and refuses ``None``, so a field that may be absent is
declared with a default of ``None`` and left out when it is: the type says which fields those
are, and nothing is ever stored as the text "None". Every other field is required, and a key
this model does not know is an error: a stored model that does not match fails loudly at load.

The interval and the calibration here are what serving applies (``Interval.bounds``,
``Calibration.apply``); the pickled pipeline gives the raw forecast they apply to.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import bentoml
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from scipy.special import expit

from boxoffice.dollars import CpiTable

# Bumped when what the service needs from a stored model changes; older runs are not served.
# 3: FilmFeatures learns the typical list sizes and original language for fields left out.
# 4: the pipelines pickle the runtime package (boxoffice.*), not training.*; typed metadata;
#    intervals and calibration that depend on the horizon; the comparable films.
MODEL_FORMAT = 4

Task = Literal["revenue", "hit"]
FeatureSet = Literal["post_release", "pre_release"]
# A parameter value as stored: parameters left at None (the estimator's default) are left out.
ParamValue = bool | int | float | str


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- what serving applies ------------------------------------------------------------------
def horizons(release_years: Any, newest_year: int) -> np.ndarray:
    """Years between each film's release and the newest film the models learned from."""
    return np.asarray(release_years, dtype=float) - newest_year


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), p clipped to [1e-6, 1 - 1e-6]: the calibration's input, in fitting
    and in serving alike."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class Interval(_Record):
    """An interval around a log1p(revenue) forecast: the offsets fitted on out-of-time
    residuals, widened on each side by ``widen_per_year`` for every year of horizon beyond
    ``reference_horizon`` (the mean horizon of those residuals)."""

    level: float
    low_offset: float
    high_offset: float
    widen_per_year: float
    reference_horizon: float
    n_residuals: int
    method: str

    def offsets(self, horizon: Any) -> tuple[np.ndarray, np.ndarray]:
        extra = self.widen_per_year * np.clip(
            np.asarray(horizon, dtype=float) - self.reference_horizon, 0, None
        )
        return self.low_offset - extra, self.high_offset + extra

    def bounds(self, log_revenue: Any, horizon: Any) -> tuple[np.ndarray, np.ndarray]:
        """The interval's ends (log1p USD) around forecasts at their horizons."""
        low, high = self.offsets(horizon)
        return np.asarray(log_revenue, dtype=float) + low, np.asarray(
            log_revenue, dtype=float
        ) + high


class Calibration(_Record):
    """Calibrated P(hit) from the raw one: a logistic map of the raw log-odds s and the
    horizon h (clipped to 1..``max_horizon``, the horizons it was fitted on),
    logit P = intercept + slope·s + horizon_coef·(h - 1) + interaction_coef·s·(h - 1).
    With the horizon terms at 0 it is plain Platt scaling."""

    intercept: float
    slope: float
    horizon_coef: float
    interaction_coef: float
    max_horizon: int
    n_predictions: int
    fitted_on: str
    best_f1_threshold: float  # on the calibrated probabilities: reported, not used

    def apply(self, raw_probability: Any, horizon: Any) -> np.ndarray:
        s = logit(np.asarray(raw_probability, dtype=float))
        h = np.clip(np.asarray(horizon, dtype=float), 1, self.max_horizon) - 1
        return expit(
            self.intercept + self.slope * s + self.horizon_coef * h + self.interaction_coef * s * h
        )


# -- how the model was chosen and how it scores ------------------------------------------------
class Scores(_Record):
    """Metrics of one group of forecasts, with 95% bootstrap intervals where computed.

    Revenue: r2, rmse, mae (log1p USD), coverage and mean_width (log units) of the interval.
    Hit: roc_auc, ece (10 bins), brier, hit_rate, mean_probability; f1, precision, recall at
    the verdict's threshold where a threshold applies."""

    n: int
    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]] = Field(default_factory=dict)


class CandidateSummary(_Record):
    """One compared candidate: its tuned parameters, its forward score (the choice), its cost,
    and its scores on the original project's split (fitted on the training part)."""

    params: dict[str, ParamValue]
    forward_mean: float
    forward_std: float
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
    """The chosen configuration refitted at each origin on the films released before it."""

    protocol: str
    origins: list[int]
    one_year_ahead: dict[int, Scores]  # each year, by the models fitted on the earlier films
    pooled: Scores  # one year ahead, pooled over the years of the quality targets
    pooled_years: list[int]
    trained_to: int  # a single origin: fitted on the films up to this year ...
    later: Scores  # ... and scored on the later ones (pooled_years)
    by_horizon: dict[int, Scores]  # those forecasts by horizon
    baseline_pooled: Scores  # the original project's models under the same protocol
    baseline_later: Scores
    dollars: dict[str, Scores]  # one-year-ahead point scores, nominal / constant dollars
    dollars_rule: str


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


class _Common(_Record):
    """Everything a stored model carries, whatever its task."""

    format: Literal[4]
    run: str
    feature_set: FeatureSet
    algorithm: str
    estimator_class: str
    params: dict[str, ParamValue]
    raw_fields: list[str]
    features: list[str]
    target: str
    hit_ratio: float
    explanation_method: str
    fitted_on: Literal["all_labelled", "original_train"]
    newest_year: int  # the newest release year among the films the pipeline learned from
    dollars: Literal["nominal", "constant"]
    cpi: CpiTable
    selection: Selection
    original_split: dict[str, Scores]  # validation, test, test_filtered (chosen, on train)
    backtest: Backtest
    rows: RowCounts
    cleaning: list[CleaningCount]
    data_sha256: str
    seed: int
    profile: Literal["quick", "full"]
    timings: dict[str, float]  # seconds of each training stage
    library_versions: dict[str, str]


class RevenueMetadata(_Common):
    task: Literal["revenue"]
    interval: Interval
    revenue_range: tuple[float, float]  # of the films the pipeline learned from, USD


class HitMetadata(_Common):
    task: Literal["hit"]
    threshold: float  # of is_hit, unless a request gives its own
    calibration: Calibration


ModelMetadata = Annotated[RevenueMetadata | HitMetadata, Field(discriminator="task")]
_ADAPTER: TypeAdapter[RevenueMetadata | HitMetadata] = TypeAdapter(ModelMetadata)


class ComparablesMetadata(_Record):
    """The comparable-films table stored with a run's models."""

    format: Literal[4]
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


def parse_metadata(raw: dict[str, Any]) -> RevenueMetadata | HitMetadata:
    """Validate a model's metadata dict (as stored) into its typed model; MetadataError if it
    does not match, naming the first few keys that are missing, unknown or wrong."""
    return _parse(_ADAPTER, raw)


def parse_comparables(raw: dict[str, Any]) -> ComparablesMetadata:
    return _parse(TypeAdapter(ComparablesMetadata), raw)


def read_metadata(model: bentoml.Model) -> RevenueMetadata | HitMetadata:
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

"""What a stored model carries, typed: written by training, read by serving, the CLI and bench.

BentoML keeps a model's metadata as YAML and refuses ``None``, so a field that may be absent is
declared with a default of ``None`` and left out when it is: the type says which fields those
are, and nothing is ever stored as the text "None". Every other field is required, and a key
this model does not know is an error: a stored model that does not match fails loudly at load.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import bentoml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# Bumped when what the service needs from a stored model changes; older runs are not served.
# 3: FilmFeatures learns the typical list sizes and original language for fields left out.
# 4: the pipelines pickle the runtime package (boxoffice.*), not training.*; typed metadata.
MODEL_FORMAT = 4

Task = Literal["revenue", "hit"]
FeatureSet = Literal["post_release", "pre_release"]
# A parameter value as stored: parameters left at None (the estimator's default) are left out.
ParamValue = bool | int | float | str


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegressionScores(_Record):
    """Scores on log1p(revenue)."""

    rmse: float
    r2: float
    mae: float
    n: int
    r2_ci95: tuple[float, float] | None = None  # percentile bootstrap, on the test fold


class ClassificationScores(_Record):
    """Scores of hit probabilities, and of the verdict at ``threshold``."""

    roc_auc: float
    f1: float
    precision: float
    recall: float
    confusion_matrix: list[list[int]]
    classification_report: dict[str, dict[str, float] | float]
    threshold: float
    positive_rate: float
    n: int
    roc_auc_ci95: tuple[float, float] | None = None


Scores = RegressionScores | ClassificationScores


class CvScore(_Record):
    metric: str
    folds: int
    mean: float
    std: float


class Metrics(_Record):
    cv: CvScore
    validation: Scores
    test: Scores
    test_filtered: Scores


class CandidateScores(_Record):
    """One compared candidate: its CV score and headline metrics, its prediction time."""

    cv_mean: float
    validation: dict[str, float]
    test: dict[str, float]
    predict_ms: dict[str, float]


class RowCounts(_Record):
    population: int
    train: int
    validation: int
    test: int
    test_filtered: int


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
    selection: str
    cv_grid: list[dict[str, ParamValue]]  # every grid point's CV mean and sd
    predict_ms: dict[str, float]
    metrics: Metrics
    candidates: dict[str, CandidateScores]
    hit_ratio: float
    rows: RowCounts
    cleaning: list[CleaningCount]
    data_sha256: str
    seed: int
    profile: Literal["quick", "full"]
    training_seconds: float
    library_versions: dict[str, str]
    explanation_method: str


class Interval(_Record):
    """Offsets (log1p units) added to a revenue forecast to get its interval's ends."""

    level: float
    low_offset: float
    high_offset: float
    n_calibration: int
    method: str

    def bounds(self, log_revenue: Any) -> tuple[Any, Any]:
        """The interval's ends (log1p USD) around forecasts (a number or an array)."""
        return log_revenue + self.low_offset, log_revenue + self.high_offset


class IntervalScores(_Record):
    level: float
    coverage: float
    mean_width_log: float
    p90_over_p10: float
    n: int


class Calibration(_Record):
    method: Literal["platt", "isotonic"]
    cv_ece_platt: float
    cv_ece_isotonic: float
    fitted_on: str
    best_f1_threshold: float  # on the calibrated validation probabilities: reported, not used


class CalibrationScores(_Record):
    ece_before: float
    ece_after: float
    brier_before: float
    brier_after: float
    roc_auc_before: float
    roc_auc_after: float
    # (mean predicted, observed rate, films) per non-empty bin
    reliability_before: list[tuple[float, float, int]]
    reliability_after: list[tuple[float, float, int]]


class RevenueMetadata(_Common):
    task: Literal["revenue"]
    interval: Interval
    interval_validation: IntervalScores
    interval_test: IntervalScores
    interval_test_filtered: IntervalScores


class HitMetadata(_Common):
    task: Literal["hit"]
    threshold: float
    calibration: Calibration
    calibration_validation: CalibrationScores
    calibration_test: CalibrationScores
    calibration_test_filtered: CalibrationScores


ModelMetadata = Annotated[RevenueMetadata | HitMetadata, Field(discriminator="task")]
_ADAPTER: TypeAdapter[RevenueMetadata | HitMetadata] = TypeAdapter(ModelMetadata)


class MetadataError(Exception):
    """A stored model's metadata does not match this version's; the message says how."""


def parse_metadata(raw: dict[str, Any]) -> RevenueMetadata | HitMetadata:
    """Validate a metadata dict (as stored) into its typed model; MetadataError if it does not
    match, naming the first few keys that are missing, unknown or wrong."""
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or '(top)'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        raise MetadataError(f"{error.error_count()} problem(s): {problems}") from None


def read_metadata(model: bentoml.Model) -> RevenueMetadata | HitMetadata:
    """A stored model's typed metadata; MetadataError naming the model if it does not match."""
    try:
        return parse_metadata(dict(model.info.metadata))
    except MetadataError as error:
        raise MetadataError(f"model {model.tag}: metadata does not match: {error}") from None


def to_stored(metadata: RevenueMetadata | HitMetadata) -> dict[str, Any]:
    """Plain YAML-friendly data for BentoML (fields that are None are left out)."""
    return metadata.model_dump(mode="json", exclude_none=True)

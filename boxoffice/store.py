"""Save the chosen estimators to the BentoML model store and load them back.

The store honours ``BENTOML_HOME``. Each model holds the whole Pipeline (features + estimator) as
``pipeline.joblib`` plus its model card, and carries its metrics as metadata.
"""

from __future__ import annotations

import os
import platform
import secrets
import time
from pathlib import Path
from typing import Any

import bentoml
import joblib
import numpy as np
import pandas as pd
import sklearn
import xgboost

from boxoffice import config
from boxoffice.comparables import ComparableFilms
from boxoffice.metadata import (
    MODEL_FORMAT,
    ComparablesMetadata,
    ForecastMetadata,
    read_comparables,
    read_metadata,
    to_stored,
)

PIPELINE_FILE = "pipeline.joblib"
COMPARABLES_FILE = "comparables.joblib"
CARD_FILE = "MODEL_CARD.md"


class ModelNotFoundError(Exception):
    """A model is missing from the store; the message says how to train it."""


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "bentoml": bentoml.__version__,
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def new_run_id() -> str:
    """An id shared by the models of one training run, so they are served together (UTC)."""
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"


def save_model(
    pipeline: Any,
    metadata: ForecastMetadata,
    card_markdown: str | None = None,
) -> bentoml.Model:
    """Store ``pipeline`` (the revenue forecast the distribution is centred on) under the stable
    name for its feature set, versioned by its training run (the models of one run share it);
    return the model."""
    kind, feature_set, run = metadata.kind, metadata.feature_set, metadata.run
    name = config.model_name(kind, feature_set)
    labels = {"project": "boxoffice", "kind": kind, "feature_set": feature_set, "run": run}
    with bentoml.models.create(
        f"{name}:{run}", labels=labels, metadata=to_stored(metadata), module="boxoffice.store"
    ) as model:
        joblib.dump(pipeline, Path(model.path) / PIPELINE_FILE, compress=3)
        if card_markdown is not None:
            (Path(model.path) / CARD_FILE).write_text(card_markdown, encoding="utf-8")
    return bentoml.models.get(model.tag)


def save_comparables(comps: ComparableFilms, metadata: ComparablesMetadata) -> bentoml.Model:
    """Store the comparable-films table of a training run (derived from the data: it lives in
    the model store, never in the repository)."""
    name = config.model_name(*config.COMPARABLES)
    labels = {"project": "boxoffice", "kind": "comparables", "run": metadata.run}
    with bentoml.models.create(
        f"{name}:{metadata.run}",
        labels=labels,
        metadata=to_stored(metadata),
        module="boxoffice.store",
    ) as model:
        joblib.dump(comps, Path(model.path) / COMPARABLES_FILE, compress=3)
    return bentoml.models.get(model.tag)


def load_comparables(model: bentoml.Model) -> ComparableFilms:
    return joblib.load(Path(model.path) / COMPARABLES_FILE)


def get_model(kind: str, feature_set: str, version: str = "latest") -> bentoml.Model:
    """Look up a stored model, raising ModelNotFoundError with a how-to-train hint."""
    tag = f"{config.model_name(kind, feature_set)}:{version}"
    try:
        return bentoml.models.get(tag)
    except bentoml.exceptions.NotFound as error:
        raise ModelNotFoundError(
            f"model {tag} is not in the BentoML store ({bentoml_home()}). Train it with "
            "`make train` (or `python -m training train`)."
        ) from error


def resolve_run(run: str | None = None) -> dict[tuple[str, str], bentoml.Model]:
    """The models of one training run (``config.RUN_MODELS``: a forecast model per feature set
    and the comparable films): ``run``, or the newest run that has all of them (by the time its
    last model was saved; models without a run label are not served).

    Raises ModelNotFoundError naming what is missing and how to train it, and MetadataError
    when a model of that run does not carry the metadata this version reads.
    """
    if not (Path(bentoml_home()) / "models").is_dir():
        # Asking BentoML would create an empty store there: a listing writes nothing.
        raise ModelNotFoundError(
            f"no BentoML model store at {bentoml_home()}. Train the models with `make train` "
            "(or `python -m training train`)."
        )
    by_run: dict[str, dict[tuple[str, str], bentoml.Model]] = {}
    other_formats: dict[str, object] = {}  # run -> the format its models were stored in
    for key in config.RUN_MODELS:
        try:
            stored = bentoml.models.list(config.model_name(*key))
        except bentoml.exceptions.NotFound:  # raised when no model has this name yet
            stored = []
        for model in stored:
            run_id = model.info.labels.get("run")
            if not run_id:
                continue
            stored_format = model.info.metadata.get("format")
            if stored_format != MODEL_FORMAT:
                other_formats[run_id] = stored_format
                continue
            by_run.setdefault(run_id, {})[key] = model
    complete = sorted(
        (r for r, models in by_run.items() if len(models) == len(config.RUN_MODELS)),
        key=lambda r: max(m.info.creation_time for m in by_run[r].values()),
    )
    retrain = "Retrain with `make train` (or `python -m training train`)."
    if run is not None and run in other_formats:
        raise ModelNotFoundError(
            f"training run {run!r} is stored in model format {other_formats[run]}, which this "
            f"version does not serve (it needs format {MODEL_FORMAT}). {retrain}"
        )
    if run is None:
        if not complete:
            older = (
                f" (it holds {len(other_formats)} run(s) in an older model format, which this "
                f"version does not serve)"
                if other_formats
                else ""
            )
            raise ModelNotFoundError(
                f"no complete set of boxoffice models in model format {MODEL_FORMAT} in the "
                f"BentoML store ({bentoml_home()}){older}. {retrain}"
            )
        run = complete[-1]
    elif run not in complete:
        # The newest few (a store of 27 runs listed them all on one line).
        known = ", ".join(reversed(complete[-5:])) or "none"
        if len(complete) > 5:
            known = f"{len(complete)}, the newest {known}"
        raise ModelNotFoundError(
            f"training run {run!r} has no complete set of models in the BentoML store "
            f"({bentoml_home()}); complete runs, newest saved first: {known}."
        )
    for key, model in by_run[run].items():
        # fails loudly, at start-up, on a key missing or unknown
        read_comparables(model) if key == config.COMPARABLES else read_metadata(model)
    return by_run[run]


def load_pipeline(model: bentoml.Model) -> Any:
    return joblib.load(Path(model.path) / PIPELINE_FILE)


def bentoml_home() -> str:
    """Where the model store lives (BentoML's own default when BENTOML_HOME is unset)."""
    # As BentoML reads it: ~ and $VARIABLES expanded.
    return os.path.expanduser(
        os.path.expandvars(os.environ.get("BENTOML_HOME", str(Path.home() / "bentoml")))
    )

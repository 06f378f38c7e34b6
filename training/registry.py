"""Save the chosen estimators to the BentoML model store and load them back.

The store honours ``BENTOML_HOME``. Each model holds the whole Pipeline (features + estimator) as
``pipeline.joblib`` plus its model card, and carries its metrics as metadata.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import bentoml
import joblib
import numpy as np
import pandas as pd
import sklearn
import xgboost

from training import config

PIPELINE_FILE = "pipeline.joblib"
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


def save_model(
    task: str,
    feature_set: str,
    pipeline: Any,
    metadata: dict[str, Any],
    card_markdown: str | None = None,
) -> bentoml.Model:
    """Store ``pipeline`` under the stable name for (task, feature set); return the model."""
    name = config.model_name(task, feature_set)
    labels = {"project": "boxoffice", "task": task, "feature_set": feature_set}
    with bentoml.models.create(
        name, labels=labels, metadata=metadata, module="training.registry"
    ) as model:
        joblib.dump(pipeline, Path(model.path) / PIPELINE_FILE, compress=3)
        if card_markdown is not None:
            (Path(model.path) / CARD_FILE).write_text(card_markdown, encoding="utf-8")
    return bentoml.models.get(model.tag)


def get_model(task: str, feature_set: str, version: str = "latest") -> bentoml.Model:
    """Look up a stored model, raising ModelNotFoundError with a how-to-train hint."""
    tag = f"{config.model_name(task, feature_set)}:{version}"
    try:
        return bentoml.models.get(tag)
    except bentoml.exceptions.NotFound as error:
        raise ModelNotFoundError(
            f"model {tag} is not in the BentoML store ({bentoml_home()}). Train it with "
            "`make train` (or `python -m training train`)."
        ) from error


def load_pipeline(model: bentoml.Model) -> Any:
    return joblib.load(Path(model.path) / PIPELINE_FILE)


def bentoml_home() -> str:
    """Where the model store lives (BentoML's own default when BENTOML_HOME is unset)."""
    return os.environ.get("BENTOML_HOME", str(Path.home() / "bentoml"))

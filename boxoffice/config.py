"""Names shared by everything that stores or loads a model.

Importing this module has no side effects.
"""

from __future__ import annotations

# One stored model per task and feature set, and the comparable films (on pre-release fields):
# the models of one training run, served together.
FEATURE_SETS = ("post_release", "pre_release")
TASKS = ("revenue", "hit")
COMPARABLES = ("comparables", "pre_release")
RUN_MODELS = (*((task, fs) for fs in FEATURE_SETS for task in TASKS), COMPARABLES)
MODEL_NAME_PREFIX = "boxoffice"
# is_hit is P(hit) >= this unless a request gives its own: a calibrated "more likely than not".
DEFAULT_HIT_THRESHOLD = 0.5


def model_name(task: str, feature_set: str) -> str:
    """Name of a model in the BentoML store, e.g. ``boxoffice-revenue-post-release``."""
    if (task, feature_set) == COMPARABLES:
        return f"{MODEL_NAME_PREFIX}-comparables"
    if task not in TASKS or feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown model {task!r}/{feature_set!r}")
    return f"{MODEL_NAME_PREFIX}-{task}-{feature_set.replace('_', '-')}"

"""Which stored run is served: the newest complete one, by save time, never a label-less model.

Runs in a child process with its own BENTOML_HOME (BentoML reads it once, at import), so the
session's store with the quick-trained models is left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import time
    import bentoml
    from boxoffice.config import FEATURE_SETS, FORECAST, model_name
    from boxoffice.metadata import MODEL_FORMAT
    from boxoffice.store import ModelNotFoundError, resolve_run, save_comparables, save_model
    from tests.helpers.models import metadata, tiny_comparables

    comps = tiny_comparables()

    def save_run(run, parts=None):
        for feature_set in FEATURE_SETS:
            if parts is None or feature_set in parts:
                save_model({"stand-in": run}, metadata(feature_set, run))
                time.sleep(0.01)
        if parts is None:
            save_comparables(comps.films, comps.metadata.model_copy(update={"run": run}))

    def save_old_run(run):
        for feature_set in FEATURE_SETS:
            name = model_name(FORECAST, feature_set)
            labels = {"run": run}
            with bentoml.models.create(f"{name}:{run}", labels=labels, metadata={"format": 3}):
                pass

    try:
        resolve_run()
    except ModelNotFoundError as error:
        print("empty:", "no BentoML model store at" in str(error))
    save_old_run("20100101-000000-old")
    try:
        resolve_run()
    except ModelNotFoundError as error:
        print("only old:", "older model format" in str(error) and "make train" in str(error))
    try:
        resolve_run("20100101-000000-old")
    except ModelNotFoundError as error:
        print("old pinned:", "model format 3" in str(error) and "make train" in str(error))

    save_run("20990101-000000-late")  # sorts last as text, but is saved first
    save_run("20000101-000000-early")
    save_run("20500101-000000-part", parts=["post_release"])  # incomplete
    for feature_set in FEATURE_SETS:  # newest of all: a whole set of the right names, no label
        name = model_name(FORECAST, feature_set)
        with bentoml.models.create(f"{name}:nolabel", metadata={"format": MODEL_FORMAT}):
            pass
    def runs(models):
        return sorted({m.info.labels["run"] for m in models.values()})

    print("newest:", runs(resolve_run()))
    print("pinned:", runs(resolve_run("20990101-000000-late")))
    try:
        resolve_run("20500101-000000-part")
    except ModelNotFoundError as error:
        known = "newest saved first: 20000101-000000-early, 20990101-000000-late"
        print("incomplete refused:", known in str(error))
    """
)


def test_newest_complete_run_by_save_time(tmp_path: Path) -> None:
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "store"), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "empty: True",
        "only old: True",
        "old pinned: True",
        "newest: ['20000101-000000-early']",
        "pinned: ['20990101-000000-late']",
        "incomplete refused: True",
    ]


def test_the_store_is_where_bentoml_finds_it(monkeypatch, tmp_path: Path) -> None:
    """~ and $VARIABLES in BENTOML_HOME are expanded, as BentoML expands them."""
    from boxoffice.store import bentoml_home

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("STORES", "stores")
    monkeypatch.setenv("BENTOML_HOME", "~/$STORES/bentoml")
    assert bentoml_home() == str(tmp_path / "stores" / "bentoml")

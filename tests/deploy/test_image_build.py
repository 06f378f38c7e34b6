"""image/build.py and bentofile.yaml without Docker: what goes into the Bento, the pinned
requirements, the pinned models and labels, and the message when there is no Docker engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bentoml._internal.bento.build_config import BentoPathSpec

from image import build
from tests.deploy import manifests as m

RUN_MODELS = [
    "boxoffice-forecast-post-release:aaaa",
    "boxoffice-forecast-pre-release:cccc",
    "boxoffice-comparables:eeee",
]


@pytest.fixture(scope="module")
def bentofile() -> dict:
    return yaml.safe_load(build.BENTOFILE.read_text(encoding="utf-8"))


def test_bento_holds_only_the_serving_code(bentofile: dict) -> None:
    spec = BentoPathSpec(bentofile["include"], bentofile["exclude"], str(m.ROOT))
    included = build.packed_files()
    assert "service.py" in included
    assert "boxoffice/features.py" in included and "serving/predictor.py" in included
    # The analyst page (serving/ui.py serves serving/ui/): every file of it, licences included.
    page = sorted(
        path.relative_to(m.ROOT).as_posix()
        for path in (m.ROOT / "serving" / "ui").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    assert {
        "serving/ui/index.html",
        "serving/ui/slate.html",
        "serving/ui/vendor/chart.js/LICENSE.md",
        "serving/ui/vendor/papaparse/LICENSE.md",
    } <= set(page)
    assert set(page) <= set(included)
    for path in included:
        assert path == "service.py" or path.split("/")[0] in ("serving", "boxoffice"), path
        assert path.endswith(".py") or path in page, path
    for unwanted in (
        "data/tmdb_5000_movies.csv",
        "training/train.py",
        "boxoffice/tmdb_5000_movies.csv",
        "reports/training_report.md",
        "serving/__pycache__/schema.cpython-311.pyc",
        "tests/conftest.py",
        "image/requirements.txt",
        "reports/screenshot.png",
    ):
        assert not spec.includes(unwanted), unwanted


def test_requirements_are_the_lock_without_training_only_packages(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    assert build.export_requirements(path, build.tool_env())
    assert not build.export_requirements(path, build.tool_env())  # unchanged: not rewritten
    # The committed pins a plain `bentoml build` reads are the lock's: no drift.
    assert build.REQUIREMENTS.read_text() == path.read_text(), "make image rewrites them"
    pins = {
        line.split("==")[0]: line.split("==")[1].split(" ;")[0]
        for line in path.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for package in ("bentoml", "scikit-learn", "xgboost-cpu", "pandas", "numpy", "pydantic"):
        assert package in pins, package
    assert not set(build.TRAINING_ONLY_PACKAGES) & set(pins)
    assert "cpi" not in pins  # the CPI table is stored with the models
    assert "pytest" not in pins and "ruff" not in pins  # no dev group
    import sklearn

    assert pins["scikit-learn"] == sklearn.__version__  # the lock the tests run on


def test_generated_bentofile_pins_the_run(tmp_path: Path, bentofile: dict) -> None:
    path = tmp_path / "bentofile.yaml"
    build.write_bentofile(RUN_MODELS, path)
    generated = yaml.safe_load(path.read_text())
    assert generated["models"] == RUN_MODELS
    assert {k: v for k, v in generated.items() if k != "models"} == {
        k: v for k, v in bentofile.items() if k != "models"
    }
    with pytest.raises(build.BuildError, match="not the service's"):
        build.write_bentofile(RUN_MODELS[:2], path)


def test_labels_name_the_run_and_each_model_version() -> None:
    assert build.model_labels("20261124-093515-3d4d", RUN_MODELS) == {
        "training-run": "20261124-093515-3d4d",
        "boxoffice-forecast-post-release": "aaaa",
        "boxoffice-forecast-pre-release": "cccc",
        "boxoffice-comparables": "eeee",
    }


def test_no_docker_client_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build.shutil, "which", lambda name, **_: None)
    with pytest.raises(build.BuildError, match=r"no Docker engine.*image/docker-up\.sh"):
        build.check_docker()


def test_no_running_engine_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(build.BuildError, match=r"no running Docker engine \(Cannot connect"):
        build.check_docker()


def test_a_docker_engine_that_does_not_answer_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(build, "DOCKER_TIMEOUT", 0.5)
    with pytest.raises(build.BuildError, match=r"`docker info --format` did not answer in 0.5 s"):
        build.check_docker()
    with pytest.raises(build.BuildError, match=r"did not answer"):
        build.image_id("boxoffice:local")


def test_no_models_says_how_to_train(tmp_path: Path) -> None:
    # A fresh process: the BentoML store is configured once per process.
    code = "from image.build import resolve_models; resolve_models(None)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=m.ROOT,
        env={**os.environ, "BENTOML_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("image.build.BuildError:") and "make train" in last, last


def test_the_image_is_also_tagged_with_the_bentos_version() -> None:
    """`boxoffice:local` is reused by every build; the version tag is one per build, the one
    to push and name in the kustomization on a real cluster."""
    from image.build import versioned_image

    bento = "boxoffice:mujj2vxsfsvuuax4"
    assert versioned_image("boxoffice:local", bento) == "boxoffice:mujj2vxsfsvuuax4"
    assert versioned_image("boxoffice", bento) == "boxoffice:mujj2vxsfsvuuax4"
    assert versioned_image("reg.example:5000/team/boxoffice:rc1", bento) == (
        "reg.example:5000/team/boxoffice:mujj2vxsfsvuuax4"
    )

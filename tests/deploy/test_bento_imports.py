"""Every module the Bento packs imports, the stored models load and answer, and the analyst
page is served from the packed files, in an environment built from the image's package list
alone (image/requirements.txt: uv.lock without the dev group and the training-only packages),
from a folder holding only the packed files: what `bentoml containerize` puts in the image,
without Docker."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from image import build

pytestmark = pytest.mark.slow

CHECK = textwrap.dedent(
    """
    import importlib, importlib.util, pathlib, sys
    modules = sorted(
        ".".join(p.with_suffix("").parts).removesuffix(".__init__")
        for p in pathlib.Path(".").rglob("*.py")
    )
    for name in modules:
        importlib.import_module(name)  # service: resolves the run and reads its metadata
    assert importlib.util.find_spec("training") is None, "training/ is importable"
    for name in ("matplotlib", "joblib_progress", "pytest"):
        assert importlib.util.find_spec(name) is None, f"{name} is in the image's packages"
    from serving.predictor import Predictor
    from serving.schema import EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM, Film
    import service
    predictor = Predictor.from_store(service.RUN_MODELS)  # unpickles the forecast pipelines
    films = [Film.model_validate(EXAMPLE_FILM), Film.model_validate(EXAMPLE_PRE_RELEASE_FILM)]
    rows = predictor.both(films)["predictions"]
    print("imported:", " ".join(modules))
    print("answered:", [row["model"] for row in rows])
    import asyncio, httpx
    from serving.ui import app

    async def page():
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
            return [
                (await client.get(path)).status_code
                for path in (
                    "/",
                    "/app.js",
                    "/slate.html",
                    "/vendor/chart.js/chart.umd.js",
                    "/vendor/papaparse/papaparse.min.js",
                    "/settings.json",
                )
            ]

    print("page:", asyncio.run(page()))
    """
)


@pytest.fixture(scope="module")
def image_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with exactly the image's pinned packages (uv installs from its cache)."""
    root = tmp_path_factory.mktemp("image-env")
    env = build.tool_env()
    requirements = root / "requirements.txt"
    build.export_requirements(requirements, env)
    uv = shutil.which("uv", path=env["PATH"])
    assert uv, "uv is not installed: run `make setup`"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), "-r", str(requirements)],
        check=True,
        timeout=600,
    )
    return python


def test_packed_modules_import_and_answer_with_the_image_packages(
    image_python: Path, quick_training, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    for path in build.packed_files():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build.ROOT / path, source / path)
    done = subprocess.run(
        [str(image_python), "-c", CHECK],
        cwd=source,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(source),
            "BENTOML_HOME": str(quick_training["bentoml_home"]),
            "BENTOML_DO_NOT_TRACK": "true",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "serving.predictor" in done.stdout and "service" in done.stdout.split()
    assert "answered: ['post_release', 'pre_release']" in done.stdout
    assert "page: [200, 200, 200, 200, 200, 200]" in done.stdout

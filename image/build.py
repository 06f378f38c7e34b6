"""Build the Bento and the container image that deploy/ runs: `python -m image.build`.

`make image` runs this. Steps, each bounded and each failure a one-line error:

1. a Docker engine must answer (`docker info`); this does not start one (image/docker-up.sh does);
2. the local base image (bentofile.yaml `docker.base_image`) is built by image/build-base.sh if
   missing: there is no registry to pull one from;
3. the training run to pack: $BOXOFFICE_RUN, else the newest complete run in the store;
4. image/requirements.txt (committed, rewritten when uv.lock moved): exact pins exported from
   uv.lock (no dev group, no training-only
   plotting packages); build/bentofile.yaml: bentofile.yaml with the run's model versions;
5. `bentoml build` with labels naming the run and the model versions, then
   `bentoml containerize` tagged with the image deploy/kustomization.yaml names and with the
   Bento's version (``versioned_image``: the tag to push and deploy on a real cluster),
   carrying the same labels as OCI image labels.

The image, timings and size are printed and written to build/image.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated

import typer
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build"
BENTOFILE = ROOT / "bentofile.yaml"
KUSTOMIZATION = ROOT / "deploy" / "kustomization.yaml"
BUILD_BASE_SCRIPT = ROOT / "image" / "build-base.sh"
UV_FALLBACK = ROOT / ".tools" / "bin" / "uv"
BENTOML = Path(sys.executable).parent / "bentoml"
# Imported by training only (report figures, progress bars, the CPI table it stores with the
# models): not needed to serve.
TRAINING_ONLY_PACKAGES = ("matplotlib", "joblib-progress", "cpi", "pycountry")
DEPLOY_IMAGE_NAME = "boxoffice"
DOCKER_TIMEOUT = 60.0  # seconds for a short docker client call (info, inspect, rmi)


class BuildError(Exception):
    """A precondition or a step failed; the message says what to do."""


@dataclass
class ImageBuild:
    image: str
    bento: str
    run: str
    models: list[str]
    size_bytes: int
    seconds: dict[str, float] = field(default_factory=dict)


def versioned_image(image: str, bento: str) -> str:
    """The image's name tagged with the Bento's version (``boxoffice:mujj2vxsfsvuuax4``): one
    tag per build, to push to a registry and name in deploy/kustomization.yaml (``local`` is
    reused by every build, which a cluster would not roll out)."""
    name = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{name}:{bento.split(':', 1)[1]}"


def deploy_image() -> str:
    """The image reference deploy/ runs: the `images` entry of deploy/kustomization.yaml."""
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    for entry in kustomization.get("images", []):
        if entry.get("name") == DEPLOY_IMAGE_NAME:
            if not entry.get("newTag"):
                raise BuildError(f"{KUSTOMIZATION}: the {DEPLOY_IMAGE_NAME!r} image has no newTag")
            return f"{entry.get('newName', DEPLOY_IMAGE_NAME)}:{entry['newTag']}"
    raise BuildError(f"{KUSTOMIZATION} has no `images` entry named {DEPLOY_IMAGE_NAME!r}")


def base_image() -> str:
    return yaml.safe_load(BENTOFILE.read_text(encoding="utf-8"))["docker"]["base_image"]


def check_docker() -> None:
    """Raise BuildError unless a Docker engine answers."""
    if shutil.which("docker") is None:
        raise BuildError(
            "no Docker engine: the `docker` client is not installed. As root, "
            "`bash image/docker-up.sh` installs Debian's docker.io and starts dockerd."
        )
    result = docker(["info", "--format", "{{.ServerVersion}}"])
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no answer"])[-1]
        raise BuildError(
            f"no running Docker engine ({reason}). Start one with `bash image/docker-up.sh` "
            "(as root), or run `make container-test`, which starts it."
        )


def docker(args: list[str]) -> subprocess.CompletedProcess[str]:
    """A short docker client call; an engine that does not answer is a BuildError."""
    try:
        return subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=DOCKER_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BuildError(
            f"`docker {' '.join(args[:2])}` did not answer in {DOCKER_TIMEOUT:g} s: is dockerd "
            "stuck? (its log: /tmp/dockerd.log when started by image/docker-up.sh)"
        ) from None


def image_id(ref: str) -> str | None:
    result = docker(["image", "inspect", "--format", "{{.Id}}", ref])
    return result.stdout.strip() if result.returncode == 0 else None


def image_size(ref: str) -> int:
    result = docker(["image", "inspect", "--format", "{{.Size}}", ref])
    if result.returncode != 0:
        raise BuildError(f"cannot read the size of {ref}: {result.stderr.strip()[:300]}")
    return int(result.stdout.strip())


def tool_env() -> dict[str, str]:
    """Environment of the build commands: no telemetry, no BuildKit (no buildx here), uv."""
    env = dict(os.environ)
    env["BENTOML_DO_NOT_TRACK"] = "true"
    env["DOCKER_BUILDKIT"] = "0"
    if shutil.which("uv") is None and UV_FALLBACK.exists():
        env["PATH"] = f"{UV_FALLBACK.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_step(args: list[str], what: str, env: dict[str, str], timeout: float) -> str:
    """Run one build command; on failure raise with the last lines of its output."""
    try:
        result = subprocess.run(
            args,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BuildError(f"{what} did not finish in {timeout:.0f} s") from error
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def resolve_models(run: str | None) -> tuple[str, list[str]]:
    """The run to pack and its model tags (the run service.py would serve)."""
    from boxoffice.store import ModelNotFoundError, resolve_run

    try:
        models = resolve_run(run)
    except ModelNotFoundError as error:
        raise BuildError(str(error)) from error
    run_id = next(iter(models.values())).info.labels["run"]
    return run_id, sorted(str(model.tag) for model in models.values())


# The service's pins, committed so that a plain `bentoml build` finds them (bentofile.yaml's
# requirements_txt); `make image` checks them against uv.lock and rewrites them when it moved.
REQUIREMENTS = ROOT / "image" / "requirements.txt"


def requirements_text(env: dict[str, str]) -> str:
    """uv.lock's pins of what the service runs (no dev group, no training-only packages)."""
    uv = shutil.which("uv", path=env["PATH"])
    if uv is None:
        raise BuildError("uv is not installed: run `make setup` first")
    prune = [arg for name in TRAINING_ONLY_PACKAGES for arg in ("--prune", name)]
    text = run_step(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--no-header",
            "--no-annotate",
            *prune,
        ],
        "uv export",
        env,
        timeout=120,
    )
    header = (
        "# Generated by image/build.py from uv.lock (uv export --frozen --no-dev): do not edit.\n"
    )
    return header + text


def export_requirements(path: Path, env: dict[str, str]) -> bool:
    """Write uv.lock's pins to ``path``; whether they changed it."""
    text = requirements_text(env)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def packed_files() -> list[str]:
    """The files (relative POSIX paths) bentofile.yaml's include/exclude put into the Bento,
    matched as `bentoml build` matches them."""
    from bentoml._internal.bento.build_config import BentoPathSpec

    config = yaml.safe_load(BENTOFILE.read_text(encoding="utf-8"))
    spec = BentoPathSpec(config["include"], config.get("exclude", []), str(ROOT))
    packed = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in {".git", ".venv", ".tools"}]
        for name in filenames:
            path = Path(dirpath, name).relative_to(ROOT).as_posix()
            if spec.includes(path):
                packed.append(path)
    return sorted(packed)


def write_bentofile(models: list[str], path: Path) -> None:
    """bentofile.yaml with `models` pinned to exact versions."""
    config = yaml.safe_load(BENTOFILE.read_text(encoding="utf-8"))
    declared = config.get("models", [])
    names = sorted(tag.split(":")[0] for tag in models)
    if sorted(declared) != names:
        raise BuildError(f"bentofile.yaml models {declared} are not the service's {names}")
    config["models"] = models
    header = "# Generated by image/build.py from bentofile.yaml: models pinned to one run.\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def model_labels(run: str, models: list[str]) -> dict[str, str]:
    """Labels naming the training run and each model's version."""
    labels = {"training-run": run}
    labels.update(dict(tag.split(":", 1) for tag in models))
    return labels


def build_image(
    image: str | None = None, run: str | None = None, log=print, timeout: float = 1800
) -> ImageBuild:
    """Build the Bento and containerize it; return what was built and how long it took."""
    image = image or deploy_image()
    check_docker()
    env = tool_env()
    seconds: dict[str, float] = {}

    base = base_image()
    if image_id(base) is None:
        log(f"building the base image {base} (image/build-base.sh)")
        start = time.monotonic()
        # The tag the bentofile names, whatever BASE_IMAGE the caller's environment holds.
        base_env = {**env, "BASE_IMAGE": base}
        run_step(["bash", str(BUILD_BASE_SCRIPT)], "image/build-base.sh", base_env, timeout)
        seconds["base_image"] = round(time.monotonic() - start, 1)

    run_id, models = resolve_models(run)
    log(f"packing training run {run_id}: {', '.join(models)}")
    BUILD_DIR.mkdir(exist_ok=True)
    if export_requirements(REQUIREMENTS, env):
        log(f"{REQUIREMENTS.relative_to(ROOT)} rewritten from uv.lock: commit it")
    write_bentofile(models, BUILD_DIR / "bentofile.yaml")
    labels = model_labels(run_id, models)
    # The service resolves its models when `bentoml build` imports it: the same run.
    env["BOXOFFICE_RUN"] = run_id

    start = time.monotonic()
    label_args = [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]
    out = run_step(
        [str(BENTOML), "build", "-f", "build/bentofile.yaml", *label_args, "-o", "tag", "."],
        "bentoml build",
        env,
        timeout,
    )
    tags = [line.split("__tag__:", 1)[1].strip() for line in out.splitlines() if "__tag__:" in line]
    if not tags:
        raise BuildError(f"bentoml build printed no tag:\n{out[-2000:]}")
    bento = tags[-1]
    seconds["bento_build"] = round(time.monotonic() - start, 1)
    log(f"built Bento {bento} in {seconds['bento_build']} s")

    start = time.monotonic()
    oci_labels = {
        "org.opencontainers.image.title": "boxoffice",
        "org.opencontainers.image.version": bento.split(":", 1)[1],
        "boxoffice.bento": bento,
        **{f"boxoffice.{key}": value for key, value in labels.items()},
    }
    # BentoML 1.4.39 copies the Bento to a temporary directory and then refuses to read the
    # Dockerfile template there unless it lies under the working directory: keep it in build/.
    tmp_dir = BUILD_DIR / "tmp"
    tmp_dir.mkdir(exist_ok=True)
    run_step(
        [
            str(BENTOML),
            "containerize",
            bento,
            "--opt",
            "network=host",
            *[
                arg
                for key, value in oci_labels.items()
                for arg in ("--opt", f"label={key}={value}")
            ],
            "-t",
            image,
            "-t",
            versioned_image(image, bento),
        ],
        "bentoml containerize",
        {**env, "TMPDIR": str(tmp_dir)},
        timeout,
    )
    new_id = image_id(image)
    if new_id is None:
        raise BuildError(f"bentoml containerize finished but {image} is not in Docker")
    seconds["containerize"] = round(time.monotonic() - start, 1)
    # The image this one replaced keeps its version tag, to roll back to (`docker rmi
    # boxoffice:<version>` reclaims its ~0.7 GB).
    size = image_size(image)
    log(f"containerized {image} and {versioned_image(image, bento)} in {seconds['containerize']} s")
    result = ImageBuild(
        image=image,
        bento=bento,
        run=run_id,
        models=models,
        size_bytes=size,
        seconds=seconds,
    )
    (BUILD_DIR / "image.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    return result


def main(
    image: Annotated[
        str | None,
        typer.Option(help="Image name:tag (default: the one deploy/kustomization.yaml runs)."),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            envvar="BOXOFFICE_RUN",
            help="Training run to pack (default: the newest complete run in the store).",
        ),
    ] = None,
) -> None:
    """Build the Bento (bentoml build) and its image (bentoml containerize) for deploy/."""
    try:
        result = build_image(image, run)
    except BuildError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None
    total = sum(result.seconds.values())
    typer.echo(
        f"image {result.image}: {result.size_bytes / 1e6:.0f} MB, Bento {result.bento}, "
        f"run {result.run}; build {total:.0f} s ({result.seconds})"
    )


if __name__ == "__main__":
    typer.run(main)

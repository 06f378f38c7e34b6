"""The image, run the way deploy/'s Deployment says a kubelet would run it: `make container-test`.

No Kubernetes cluster runs here, so this test plays the kubelet with Docker:

1. starts the Docker engine if needed (image/docker-up.sh installs Debian's docker.io if missing);
2. packs the models of $BENTOML_HOME, or, when it is not set, of a quick training into a
   temporary store, with `python -m image.build` (what `make image` runs; it builds the local
   base image first if missing);
3. runs the image with what the rendered manifest says (`kubectl kustomize deploy/`): port,
   user and group, read-only root filesystem, dropped capabilities, no privilege escalation,
   the emptyDir volumes, memory and CPU limits, environment; polls the startup then readiness
   probe with the manifest's paths and timings;
4. sends the seed's example films and a batch through the published port and compares the
   answers with the same models served by `bentoml serve`; measures memory and CPU idle and
   under a short load;
5. on a second container, deletes the "pod" as a kubelet does (preStop, then SIGTERM) while
   requests are in flight, and checks none of them fails and the container exits in time.

Only addresses on the loopback interface are used; every container started is removed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from serving.client import SEED_CURL_FILM, SEED_FILMS
from serving.schema import EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM
from tests.deploy import manifests as m
from tests.deploy.measurements import MEASUREMENTS
from tests.helpers.servers import served

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("BOXOFFICE_CONTAINER_TEST") != "1",
        reason="builds and runs the image in Docker: `make container-test`",
    ),
]

# Read before any fixture points BENTOML_HOME at a temporary store.
GIVEN_BENTOML_HOME = os.environ.get("BENTOML_HOME")
JSON = {"content-type": "application/json"}
FILMS = [*SEED_FILMS, SEED_CURL_FILM, EXAMPLE_FILM, EXAMPLE_PRE_RELEASE_FILM]
LOAD_SECONDS = 15
_names = itertools.count(1)


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def last_lines(text: str, n: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def mib(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def docker_memory(text: str) -> int:
    """Docker's "457.1MiB" / "1.2GiB" / "900kB" as bytes."""
    units = {"B": 1, "kB": 1e3, "KiB": 2**10, "MB": 1e6, "MiB": 2**20, "GB": 1e9, "GiB": 2**30}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * units[unit])
    raise ValueError(f"unknown memory size {text!r}")


# --- the pod, as the manifest describes it ------------------------------------------------------


def docker_run_args(objects: list[m.Manifest], name: str) -> list[str]:
    """`docker run` arguments that give the container what the kubelet would give it."""
    pod = m.pod_spec(objects)
    container = m.main_container(objects)
    context = m.security_context(objects)
    args = ["run", "--detach", "--name", name, "--label", "boxoffice.container-test=1"]
    user = context["runAsUser"]
    args += ["--user", f"{user}:{context.get('runAsGroup', user)}"]
    if "fsGroup" in pod.get("securityContext", {}):
        args += ["--group-add", str(pod["securityContext"]["fsGroup"])]
    if context.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    for capability in context.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", capability]
    for capability in context.get("capabilities", {}).get("add", []):
        args += ["--cap-add", capability]
    if context.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    # RuntimeDefault is Docker's default seccomp profile: nothing to add.
    assert context.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        memory = str(m.memory_bytes(limits["memory"]))
        args += ["--memory", memory, "--memory-swap", memory]  # no swap, as on a kubelet
    if "cpu" in limits:
        args += ["--cpus", str(m.cpu_cores(limits["cpu"]))]
    for item in container.get("env", []):
        assert "value" in item, f"env {item['name']}: only plain values are emulated"
        args += ["--env", f"{item['name']}={item['value']}"]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        assert "emptyDir" in volume, f"volume {mount['name']}: only emptyDir is emulated"
        empty_dir = volume["emptyDir"] or {}
        if empty_dir.get("medium") == "Memory":
            size = m.memory_bytes(empty_dir.get("sizeLimit", "64Mi"))
            args += ["--tmpfs", f"{mount['mountPath']}:rw,size={size},mode=1777"]
        else:  # a node-disk emptyDir: an anonymous volume, removed with the container
            args += ["--mount", f"type=volume,dst={mount['mountPath']}"]
    for port in container.get("ports", []):
        args += ["--publish", f"127.0.0.1::{port['containerPort']}"]
    assert "command" not in container, "the manifest overrides the entrypoint: not emulated"
    return [*args, container["image"], *container.get("args", [])]


class Pod:
    """One container started from the manifest, with the kubelet's probes and shutdown."""

    def __init__(self, objects: list[m.Manifest]) -> None:
        self.objects = objects
        self.container = m.main_container(objects)
        self.name = f"boxoffice-ct-{os.getpid()}-{next(_names)}"
        self.id = ""
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        self.id = docker(*docker_run_args(self.objects, self.name)).stdout.strip()
        self.port = int(docker("port", self.id, "3000/tcp").stdout.split(":")[-1].splitlines()[0])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def state(self) -> dict[str, Any]:
        return json.loads(docker("inspect", "--format", "{{json .State}}", self.id).stdout)

    def logs(self) -> str:
        result = docker("logs", self.id, check=False)
        return last_lines(result.stdout + result.stderr)

    def exec(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return docker("exec", self.id, *command, timeout=timeout, check=False)

    def stats(self) -> tuple[float, int]:
        """CPU (cores) and memory (bytes) as `docker stats` reports them."""
        out = docker("stats", "--no-stream", "--format", "{{json .}}", self.id).stdout
        row = json.loads(out)
        used = row["MemUsage"].split("/")[0].strip()
        return float(row["CPUPerc"].rstrip("%")) / 100, docker_memory(used)

    def probe(self, kind: str) -> float:
        """Run the manifest's probe as the kubelet does until it succeeds; seconds since start."""
        probe = self.container[kind]
        get = probe["httpGet"]
        assert m.port_number(self.container, get["port"]) == 3000
        period = probe.get("periodSeconds", 10)
        time.sleep(probe.get("initialDelaySeconds", 0))
        failures = successes = 0
        while True:
            tick = time.monotonic()
            if not self.state()["Running"]:
                pytest.fail(f"the container exited while {kind} ran:\n{self.logs()}")
            try:
                response = httpx.get(self.url + get["path"], timeout=probe.get("timeoutSeconds", 1))
                ok = 200 <= response.status_code < 400
            except httpx.HTTPError:
                ok = False
            if ok:
                failures, successes = 0, successes + 1
                if successes >= probe.get("successThreshold", 1):
                    return time.monotonic() - self.started
            else:
                failures, successes = failures + 1, 0
                if failures >= probe.get("failureThreshold", 3):
                    pytest.fail(
                        f"{kind} {get['path']} failed {failures} times: the kubelet would "
                        f"restart the container\n{self.logs()}"
                    )
            time.sleep(max(0.0, period - (time.monotonic() - tick)))

    def wait_ready(self) -> tuple[float, float]:
        """Startup probe, then readiness probe (liveness starts with readiness)."""
        startup = self.probe("startupProbe")
        return startup, self.probe("readinessProbe")

    def remove(self) -> None:
        if self.id:
            docker("rm", "--force", "--volumes", self.id, check=False)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_engine() -> None:
    start = time.monotonic()
    try:
        result = subprocess.run(
            ["bash", str(m.ROOT / "image" / "docker-up.sh")],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("no Docker engine: image/docker-up.sh did not finish in 600 s", pytrace=False)
    if result.returncode != 0:
        reason = last_lines(result.stderr, 1) or f"exit {result.returncode}"
        pytest.fail(f"no Docker engine and cannot start one: {reason}", pytrace=False)
    MEASUREMENTS["docker_up_seconds"] = round(time.monotonic() - start, 1)


@pytest.fixture(scope="module")
def model_store(request: pytest.FixtureRequest, docker_engine: None) -> Path:
    """$BENTOML_HOME as given, or a quick training into a temporary store."""
    if GIVEN_BENTOML_HOME:
        return Path(GIVEN_BENTOML_HOME)
    from training.data import DataError, locate_dataset

    try:
        locate_dataset(request.config.getoption("--data"))
    except DataError as error:
        pytest.fail(
            f"BENTOML_HOME is not set and there is no data to train on: {error}", pytrace=False
        )
    start = time.monotonic()
    request.getfixturevalue("quick_training")
    MEASUREMENTS["quick_training_seconds"] = round(time.monotonic() - start, 1)
    return Path(os.environ["BENTOML_HOME"])


@pytest.fixture(scope="module")
def image(model_store: Path) -> dict[str, Any]:
    """`python -m image.build` (= `make image`): the Bento and the image deploy/ runs."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "image.build"],
        cwd=m.ROOT,
        env={**os.environ, "BENTOML_HOME": str(model_store)},
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make image failed:\n{last_lines(result.stderr)}", pytrace=False)
    info = json.loads((m.ROOT / "build" / "image.json").read_text(encoding="utf-8"))
    MEASUREMENTS["image"] = info["image"]
    MEASUREMENTS["bento"] = info["bento"]
    MEASUREMENTS["image_size_mb"] = round(info["size_bytes"] / 1e6)
    MEASUREMENTS["image_build_seconds"] = info["seconds"]
    MEASUREMENTS["make_image_wall_seconds"] = round(time.monotonic() - start, 1)
    return info


@pytest.fixture(scope="module")
def objects() -> list[m.Manifest]:
    return m.render()


@pytest.fixture(scope="module")
def start_pod(image: dict[str, Any], objects: list[m.Manifest]) -> Iterator[Callable[[], Pod]]:
    pods: list[Pod] = []

    def start() -> Pod:
        assert m.main_container(objects)["image"] == image["image"]
        pod = Pod(objects)
        pods.append(pod)
        pod.start()
        return pod

    yield start
    for pod in pods:
        pod.remove()


@pytest.fixture(scope="module")
def pod(start_pod: Callable[[], Pod]) -> Pod:
    pod = start_pod()
    startup, ready = pod.wait_ready()
    MEASUREMENTS["docker_run_to_startup_probe_seconds"] = round(startup, 1)
    MEASUREMENTS["docker_run_to_ready_seconds"] = round(ready, 1)
    return pod


@pytest.fixture(scope="module")
def reference_url(image: dict[str, Any], model_store: Path) -> Iterator[str]:
    """The same training run served by `bentoml serve service:Forecaster` from the work tree."""
    env = {"BENTOML_HOME": str(model_store), "BOXOFFICE_RUN": image["run"]}
    with served(env, timeout=120) as url:
        yield url


# --- the image ----------------------------------------------------------------------------------


def test_image_runs_as_the_manifest_user_and_packs_only_the_bento(
    image: dict[str, Any], objects: list[m.Manifest]
) -> None:
    config = json.loads(
        docker("image", "inspect", "--format", "{{json .Config}}", image["image"]).stdout
    )
    assert config["User"] == "bentoml"
    # As root, so that find sees every directory. Data: the dataset anywhere, any table outside
    # the packages' own (sklearn ships toy CSVs).
    script = (
        "id -u bentoml; id -g bentoml; cd /home/bentoml/bento; find src models -type f | sort; "
        "echo DATA; find / -xdev -iname 'tmdb*' 2>/dev/null; find / -xdev -path /app/.venv "
        "-prune -o \\( -name '*.csv' -o -name '*.parquet' \\) -print 2>/dev/null; true"
    )
    out = docker(
        "run", "--rm", "--network", "none", "--user", "0", image["image"], "bash", "-c", script
    ).stdout
    lines = out.splitlines()
    context = m.security_context(objects)
    assert int(lines[0]) == context["runAsUser"] and int(lines[1]) == context["runAsGroup"]
    files = lines[2 : lines.index("DATA")]
    assert lines[lines.index("DATA") + 1 :] == [], "no data files in the image"
    source = [f for f in files if f.startswith("src/") and "__pycache__" not in f]
    assert "src/service.py" in source
    # The analyst page's static files: exactly the repository's serving/ui/ tree.
    ui = sorted(f for f in source if f.startswith("src/serving/ui/"))
    assert ui == sorted(
        f"src/{p.relative_to(m.ROOT).as_posix()}"
        for p in (m.ROOT / "serving/ui").rglob("*")
        if p.is_file()
    )
    assert all(
        f == "src/bentofile.yaml" or (f.endswith(".py") and f.count("/") <= 2)
        for f in source
        if f not in ui
    ), source
    # models/<name>/<version>/<file> (models/<name>/latest names the version)
    packed = {
        "/".join(f.split("/")[1:3]) for f in files if f.startswith("models/") and f.count("/") >= 3
    }
    assert packed == {tag.replace(":", "/") for tag in image["models"]}


# --- the running pod ----------------------------------------------------------------------------


def test_container_runs_with_the_manifest_security_context(
    pod: Pod, objects: list[m.Manifest]
) -> None:
    context = m.security_context(objects)
    assert pod.exec("id", "-u").stdout.strip() == str(context["runAsUser"])
    denied = pod.exec("touch", "/home/bentoml/bento/written")
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr
    status = dict(
        line.split(":", 1) for line in pod.exec("cat", "/proc/1/status").stdout.splitlines()
    )
    assert int(status["CapEff"].strip(), 16) == 0  # capabilities: drop ALL
    assert status["NoNewPrivs"].strip() == "1"  # allowPrivilegeEscalation: false
    assert status["Seccomp"].strip() == "2"  # a seccomp filter (RuntimeDefault)
    env = pod.exec("env").stdout
    bentoml_home = next(
        item["value"] for item in m.main_container(objects)["env"] if item["name"] == "BENTOML_HOME"
    )
    assert f"BENTOML_HOME={bentoml_home}" in env
    # BentoML wrote its home on the volume: the only writable place.
    assert pod.exec("test", "-d", f"{bentoml_home}/prometheus_multiproc_dir").returncode == 0


def test_probes_answer_and_the_packed_models_serve(pod: Pod, image: dict[str, Any]) -> None:
    startup = MEASUREMENTS["docker_run_to_startup_probe_seconds"]
    budget = (
        pod.container["startupProbe"]["periodSeconds"]
        * pod.container["startupProbe"]["failureThreshold"]
    )
    assert startup < budget / 2, "start-up uses more than half the startup probe's budget"
    for kind in ("livenessProbe", "readinessProbe"):
        response = httpx.get(pod.url + pod.container[kind]["httpGet"]["path"], timeout=2)
        assert response.status_code == 200
    body = httpx.post(f"{pod.url}/predict_revenue", json=SEED_CURL_FILM, timeout=30).json()
    assert body["model_version"] in image["models"]
    assert "Read-only file system" not in pod.logs()


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_answers_match_bentoml_serve(pod: Pod, reference_url: str) -> None:
    with httpx.Client(timeout=30) as client:
        for film in FILMS:
            for path in ("/predict_revenue", "/predict_hit"):
                ours = client.post(pod.url + path, json=film)
                reference = client.post(reference_url + path, json=film)
                assert ours.status_code == reference.status_code == 200, ours.text
                assert same(ours.json(), reference.json()), (path, film)
        batch = {"films": FILMS}
        ours = client.post(f"{pod.url}/predict_batch", json=batch)
        reference = client.post(f"{reference_url}/predict_batch", json=batch)
        assert ours.status_code == reference.status_code == 200
        assert len(ours.json()["predictions"]) == len(FILMS)
        assert same(ours.json(), reference.json())
        for path, body in (
            (
                "/predict_scenarios",
                {
                    "film": EXAMPLE_FILM,
                    "scenarios": [{"budget": 5e7}, {"release_date": "2012-12-14"}],
                },
            ),
            ("/comparable_films", {**EXAMPLE_PRE_RELEASE_FILM, "k": 8}),
            # A slate's films are dated (the original project's films give no date) and give
            # every post-release field or none (theirs give no vote count).
            (
                "/predict_slate",
                {
                    "films": [
                        {
                            "release_date": "2015-06-12",
                            **({"vote_count": 1000.0} if "popularity" in film else {}),
                            **film,
                        }
                        for film in FILMS
                    ],
                    "studio_share": 0.45,
                    "marketing_usd": 1e7,
                },
            ),
        ):
            ours = client.post(pod.url + path, json=body)
            reference = client.post(reference_url + path, json=body)
            assert ours.status_code == reference.status_code == 200, ours.text
            assert same(ours.json(), reference.json()), path
        # The analyst page and its assets, from the read-only image.
        page = client.get(f"{pod.url}/ui/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        for asset in (
            "app.js",
            "app.css",
            "common.js",
            "slate",
            "slate.js",
            "vendor/chart.js/chart.umd.js",
            "vendor/papaparse/papaparse.min.js",
        ):
            pages = page.text + client.get(f"{pod.url}/ui/slate").text
            assert asset in pages
            assert client.get(f"{pod.url}/ui/{asset}").status_code == 200, asset
        bad = {"runtime": -5}
        assert client.post(f"{pod.url}/predict_revenue", json=bad).status_code == 400
        assert client.post(f"{reference_url}/predict_revenue", json=bad).status_code == 400


def random_batch(n_films: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    return {
        "films": [
            {**rng.choice(FILMS), "runtime": round(rng.uniform(80, 170), 1)} for _ in range(n_films)
        ]
    }


def requests_in_progress(url: str, endpoint: str) -> int:
    """Requests to `endpoint` the server's workers are answering now, from its /metrics.

    BentoML's metrics middleware counts a request from the moment uvicorn has parsed its headers
    and called the app until the app returns; uvicorn's shutdown waits for exactly these."""
    text = httpx.get(url + "/metrics", timeout=10).text
    return round(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "bentoml_service_request_in_progress"
            and sample.labels.get("endpoint") == endpoint
        )
    )


class Load:
    """Client threads POSTing until stopped; each answer is recorded with when it came."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        # (kind, status code or error, answered at, request body sent at or None)
        self.results: list[tuple[str, int | str, float, float | None]] = []
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _post(
        self,
        client: httpx.Client,
        kind: str,
        path: str,
        body: bytes,
        hold: threading.Event | None = None,
    ) -> None:
        """POST `body`; with `hold`, send half of it, wait for `hold` to be set, then the rest."""
        sent: list[float] = []

        def trace(event: str, info: dict) -> None:  # httpcore's request trace
            if event == "http11.send_request_body.complete":
                sent.append(time.monotonic())

        def halves() -> Iterator[bytes]:
            yield body[: len(body) // 2]
            assert hold is not None
            hold.wait(timeout=60)
            yield body[len(body) // 2 :]

        headers = {**JSON, "content-length": str(len(body))}
        try:
            response = client.post(
                self.url + path,
                content=body if hold is None else halves(),
                headers=headers,
                extensions={"trace": trace},
            )
            outcome: int | str = response.status_code
        except httpx.HTTPError as error:
            outcome = f"{type(error).__name__}: {error}"
        with self._lock:
            self.results.append((kind, outcome, time.monotonic(), sent[0] if sent else None))

    def singles(self, n_threads: int) -> None:
        films = [json.dumps(film).encode() for film in FILMS]

        def loop(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(timeout=60) as client:
                while not self.stop.is_set():
                    path = rng.choice(("/predict_revenue", "/predict_hit"))
                    self._post(client, "single", path, rng.choice(films))

        self._spawn(loop, n_threads)

    def batches(self, n_threads: int, n_films: int, hold: threading.Event | None = None) -> None:
        """Batches until stopped; with `hold`, one batch per thread, each held halfway."""
        # Encoded before any thread starts, so that the threads send at once.
        first = len(self.threads)
        bodies = [json.dumps(random_batch(n_films, first + i)).encode() for i in range(n_threads)]

        def loop(seed: int) -> None:
            with httpx.Client(timeout=60) as client:
                while True:
                    body = bodies[seed - first]
                    self._post(client, f"batch{n_films}", "/predict_batch", body, hold)
                    if hold is not None or self.stop.is_set():
                        return

        self._spawn(loop, n_threads)

    def _spawn(self, target: Callable[[int], None], n_threads: int) -> None:
        for _ in range(n_threads):
            thread = threading.Thread(target=target, args=(len(self.threads),), daemon=True)
            self.threads.append(thread)
            thread.start()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "client threads still waiting"

    def failures(self) -> list[tuple[str, int | str, float, float | None]]:
        return [result for result in self.results if result[1] != 200]


def test_memory_and_cpu_idle_and_under_load(pod: Pod) -> None:
    cpu_idle, memory_idle = pod.stats()
    samples: list[tuple[float, int]] = []
    load = Load(pod.url)
    load.singles(16)
    load.batches(2, 1000)

    def sample() -> None:
        while not load.stop.is_set():
            samples.append(pod.stats())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(LOAD_SECONDS)
    load.stop.set()
    load.join(60)
    sampler.join(10)
    assert load.failures() == []
    state = pod.state()
    assert state["Running"] and not state["OOMKilled"]
    limit = m.memory_bytes(pod.container["resources"]["limits"]["memory"])
    request = m.memory_bytes(pod.container["resources"]["requests"]["memory"])
    peak = max(memory for _, memory in samples)
    assert peak < request < limit, "the request should cover this load, the limit bursts"
    singles = sum(1 for kind, *_ in load.results if kind == "single")
    MEASUREMENTS["memory_idle_mib"] = mib(memory_idle)
    MEASUREMENTS["memory_under_load_peak_mib"] = mib(peak)
    MEASUREMENTS["cpu_idle_cores"] = round(cpu_idle, 2)
    MEASUREMENTS["cpu_under_load_cores_mean_peak"] = (
        round(sum(cpu for cpu, _ in samples) / len(samples), 2),
        round(max(cpu for cpu, _ in samples), 2),
    )
    MEASUREMENTS["load"] = (
        f"{LOAD_SECONDS} s, 16 clients of single films + 2 of 1,000-film batches "
        f"(Python clients on the same 2 cores): {singles / LOAD_SECONDS:.0f} single req/s, "
        f"0 errors"
    )
    MEASUREMENTS["tmp_volume_used"] = pod.exec("du", "-sh", "/tmp").stdout.split()[0]


# --- shutdown -----------------------------------------------------------------------------------


def test_sigterm_lets_in_flight_requests_finish(
    start_pod: Callable[[], Pod], objects: list[m.Manifest]
) -> None:
    """Pod deletion as the kubelet does it: preStop (traffic still arrives while the endpoint is
    removed), then SIGTERM while requests are in flight, then SIGKILL at the grace period.

    "In flight" is what deploy/README.md promises: requests whose headers a worker has parsed.
    The batches are held that way on purpose: each client sends its headers and half its body,
    SIGTERM is sent once the server's /metrics counts all of them in progress, and only then do
    the clients send the rest. A fixed pause instead would race: a request still in a client's
    or the kernel's buffers at SIGTERM is one the server never saw (the preStop sleep is what
    keeps such requests away in a cluster)."""
    pod = start_pod()
    pod.wait_ready()
    grace = m.pod_spec(objects)["terminationGracePeriodSeconds"]
    pre_stop = pod.container["lifecycle"]["preStop"]["exec"]["command"]
    n_batches, start_limit = 8, 10.0

    singles = Load(pod.url)
    singles.singles(8)
    time.sleep(1)
    deleted = time.monotonic()
    ran = pod.exec(*pre_stop, timeout=grace)
    assert ran.returncode == 0, f"preStop {pre_stop} exited {ran.returncode}: {ran.stderr}"
    pre_stop_seconds = time.monotonic() - deleted
    # The endpoint is gone: no new requests, but long batches are still being sent.
    singles.stop.set()
    singles.join(10)
    assert singles.failures() == [], pod.logs()
    release = threading.Event()
    batches = Load(pod.url)
    try:
        batches.batches(n_batches, 10_000, hold=release)
        sent = time.monotonic()
        while (started := requests_in_progress(pod.url, "/predict_batch")) < n_batches:
            if time.monotonic() - sent > start_limit:
                pytest.fail(
                    f"{start_limit:.0f} s after they were sent, the server had started only "
                    f"{started} of {n_batches} batches\n{pod.logs()}"
                )
            time.sleep(0.02)
        all_started = time.monotonic() - sent
        sigterm = time.monotonic()
        docker("kill", "--signal", "TERM", pod.id)
        # The rest of the bodies go once the workers are shutting down: they no longer answer
        # a new request (their listening sockets are closed).
        while True:
            try:
                httpx.get(pod.url + "/readyz", timeout=0.2)
            except httpx.HTTPError:
                break
            if time.monotonic() - sigterm > start_limit:
                pytest.fail(f"new requests still answered {start_limit:.0f} s after SIGTERM")
        shutting_down = time.monotonic() - sigterm
        running_at_release = pod.state()["Running"]
    finally:
        release.set()
    batches.join(grace)
    remaining = grace - (time.monotonic() - deleted)
    try:
        exit_code = int(docker("wait", pod.id, timeout=max(1.0, remaining)).stdout.strip())
    except subprocess.TimeoutExpired:
        docker("kill", "--signal", "KILL", pod.id, check=False)
        pytest.fail(f"still running at the end of the {grace} s grace period:\n{pod.logs()}")
    exited = time.monotonic()

    timeline = [
        f"{outcome} (body sent {'-' if at_sent is None else f'{at_sent - sigterm:+.3f}'} s, "
        f"answered {at_answer - sigterm:+.3f} s from SIGTERM)"
        for _, outcome, at_answer, at_sent in batches.results
    ]
    assert running_at_release, "the container exited before the batches were sent in full"
    assert batches.failures() == [], "\n".join([*timeline, pod.logs()])
    assert len(batches.results) == n_batches
    assert exit_code == 0, pod.logs()
    during_pre_stop = sum(
        1 for r in singles.results if deleted <= r[2] <= deleted + pre_stop_seconds
    )
    MEASUREMENTS["sigterm"] = (
        f"{during_pre_stop} requests answered during preStop ({pre_stop_seconds:.1f} s); "
        f"{n_batches} 10,000-film batches in flight at SIGTERM (headers read "
        f"{all_started:.2f} s after sending, rest of the bodies sent {shutting_down:.2f} s "
        f"after SIGTERM, when new requests were no longer answered) all answered 200, the last "
        f"{max(r[2] for r in batches.results) - sigterm:.1f} s after SIGTERM; exit code "
        f"{exit_code} {exited - sigterm:.1f} s after SIGTERM, {exited - deleted:.1f} s of the "
        f"{grace} s grace"
    )

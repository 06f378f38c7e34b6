"""deploy/ renders with kustomize, every object passes strict schema validation, and the
Deployment keeps the promises of issue 4 (replicas, probes, resources, security, shutdown)."""

from __future__ import annotations

import ast
import json
import re

import kubernetes_validate
import pytest

from image.build import deploy_image
from serving.middleware import TABLE_ROUTE
from serving.schema import EXAMPLE_PRE_RELEASE_FILM, MAX_BATCH
from serving.ui import STATIC_DIR, UI_PATH
from tests.deploy import manifests as m

# The oldest Kubernetes still commonly run by kind/minikube and the newest schema shipped.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
API_PATHS = (
    "/predict_revenue",
    "/predict_hit",
    "/predict_batch",
    "/predict_scenarios",
    "/predict_slate",
    "/predict_table",
    "/comparable_films",
)


@pytest.fixture(scope="module")
def objects() -> list[m.Manifest]:
    return m.render()


def service_decorator_settings() -> dict:
    """The keyword arguments of service.py's @bentoml.service(...), read without importing it
    (importing it needs trained models)."""
    tree = ast.parse((m.ROOT / "service.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith(
                    "service"
                ):
                    return {kw.arg: ast.literal_eval(kw.value) for kw in decorator.keywords}
    raise AssertionError("no @bentoml.service(...) in service.py")


@pytest.mark.skipif(m.kubectl() is None, reason="kubectl is not installed")
def test_kustomize_renders_what_the_plain_renderer_renders() -> None:
    rendered = m.render_kubectl()
    key = lambda obj: (obj["kind"], obj["metadata"]["name"])  # noqa: E731
    assert sorted(rendered, key=key) == sorted(m.render_plain(), key=key)


def test_kustomization_has_the_expected_objects(objects: list[m.Manifest]) -> None:
    kinds = sorted(obj["kind"] for obj in objects)
    assert kinds == sorted(
        [
            "Namespace",
            "ServiceAccount",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
        ]
    )
    namespace = m.find(objects, "Namespace")["metadata"]["name"]
    assert all(
        obj["metadata"].get("namespace") == namespace
        for obj in objects
        if obj["kind"] != "Namespace"
    )
    assert m.ingress()["metadata"]["namespace"] == namespace


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_object_passes_strict_schema_validation(
    objects: list[m.Manifest], version: str
) -> None:
    for obj in [*objects, m.ingress()]:
        kubernetes_validate.validate(obj, version, strict=True)


def test_strict_validation_rejects_an_unknown_field(objects: list[m.Manifest]) -> None:
    deployment = m.find(objects, "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_deployment_rollout_and_image(objects: list[m.Manifest]) -> None:
    deployment = m.find(objects, "Deployment")
    spec = deployment["spec"]
    # the HorizontalPodAutoscaler owns the count (at least 2): apply would reset a number here
    assert "replicas" not in spec
    assert m.find(objects, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["strategy"]["rollingUpdate"]["maxSurge"] >= 1
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    container = m.main_container(objects)
    # The image `make image` builds and tags, used as a local image (kind/minikube load).
    assert container["image"] == deploy_image()
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert m.port_number(container, "http") == 3000


def test_probes_use_bentoml_endpoints(objects: list[m.Manifest]) -> None:
    container = m.main_container(objects)
    paths = {
        name: container[name]["httpGet"]["path"]
        for name in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert paths == {
        "startupProbe": "/livez",
        "readinessProbe": "/readyz",
        "livenessProbe": "/livez",
    }
    for name in paths:
        assert m.port_number(container, container[name]["httpGet"]["port"]) == 3000
    startup = container["startupProbe"]
    # The server does not answer while the models load: the startup probe covers it.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60


def test_resources_are_set_and_consistent(objects: list[m.Manifest]) -> None:
    resources = m.main_container(objects)["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert m.memory_bytes(requests["memory"]) <= m.memory_bytes(limits["memory"])
    assert m.cpu_cores(requests["cpu"]) <= m.cpu_cores(limits["cpu"])
    # Two workers with all four models loaded measured ~460 MiB idle, ~970 MiB at worst.
    assert m.memory_bytes(requests["memory"]) >= 640 * 2**20
    assert m.memory_bytes(limits["memory"]) >= 1200 * 2**20
    # One core per worker: a limit below the worker count throttles a busy pod.
    workers = service_decorator_settings().get("workers", 1)
    assert m.cpu_cores(limits["cpu"]) >= workers


def test_local_disk_is_bounded_above_what_the_pod_may_write(objects: list[m.Manifest]) -> None:
    """The pod writes /tmp (its emptyDir's sizeLimit) and its log (the kubelet's default
    rotation keeps 5 files of 10 MiB): the ephemeral-storage request covers both, so the
    scheduler counts them, and the limit bounds them."""
    resources = m.main_container(objects)["resources"]
    request = m.memory_bytes(resources["requests"]["ephemeral-storage"])
    limit = m.memory_bytes(resources["limits"]["ephemeral-storage"])
    tmp = next(v for v in m.pod_spec(objects)["volumes"] if v["name"] == "tmp")
    logs = 5 * 10 * 2**20
    assert m.memory_bytes(tmp["emptyDir"]["sizeLimit"]) + logs <= request <= limit


def test_pod_security_restricted_profile(objects: list[m.Manifest]) -> None:
    """The checks of the Pod Security Standards "restricted" profile, plus a read-only root."""
    pod = m.pod_spec(objects)
    context = m.security_context(objects)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(field, False)
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == 1034, "the image's bentoml user owns the packed models"
    assert context.get("runAsGroup", 1034) != 0
    assert context["allowPrivilegeEscalation"] is False
    assert not context.get("privileged", False)
    assert context["capabilities"]["drop"] == ["ALL"]
    assert set(context["capabilities"].get("add", [])) <= {"NET_BIND_SERVICE"}
    assert context["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost")
    assert context["readOnlyRootFilesystem"] is True
    allowed_volumes = {"emptyDir", "configMap", "secret", "projected", "downwardAPI"}
    for volume in pod.get("volumes", []):
        assert set(volume) - {"name"} <= allowed_volumes, volume
    namespace = m.find(objects, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_writable_paths_are_volumes(objects: list[m.Manifest]) -> None:
    container = m.main_container(objects)
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in m.pod_spec(objects)["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    env = {item["name"]: item.get("value") for item in container["env"]}
    # BentoML creates its home at start; the root filesystem is read-only.
    assert env["BENTOML_HOME"].startswith("/tmp/")


def test_the_proxys_scheme_is_believed_behind_the_network_policy(
    objects: list[m.Manifest],
) -> None:
    """uvicorn reads X-Forwarded-Proto only from the addresses FORWARDED_ALLOW_IPS names (the
    loopback by default): behind the Ingress's TLS, /ui redirected to http://. Trusting every
    address is safe only because the NetworkPolicy admits no one but the namespace's pods and
    the ingress controller."""
    container = m.main_container(objects)
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["FORWARDED_ALLOW_IPS"] == "*"
    policy = m.find(objects, "NetworkPolicy")["spec"]
    assert "Ingress" in policy["policyTypes"] and len(policy["ingress"]) == 1


def test_graceful_shutdown_covers_the_longest_request(objects: list[m.Manifest]) -> None:
    pod = m.pod_spec(objects)
    command = m.main_container(objects)["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = float(command[1])
    traffic_timeout = service_decorator_settings().get("traffic", {}).get("timeout", 60)
    # preStop, then SIGTERM: BentoML finishes in-flight requests (each bounded by the traffic
    # timeout) before it exits; the kubelet kills at the end of the grace period.
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + traffic_timeout + 5


def test_service_routes_port_80_to_the_container(objects: list[m.Manifest]) -> None:
    service = m.find(objects, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    assert m.port_number(m.main_container(objects), port["targetPort"]) == 3000
    pod_labels = m.find(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_autoscaler_and_disruption_budget(objects: list[m.Manifest]) -> None:
    deployment = m.find(objects, "Deployment")
    hpa = m.find(objects, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    (metric,) = hpa["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    pdb = m.find(objects, "PodDisruptionBudget")["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()
    # With the minimum of 2 replicas a drain may take one pod, never both.
    assert pdb.get("maxUnavailable") == 1 or pdb.get("minAvailable") == 1


def test_ingress_routes_the_api_paths_and_the_page_to_the_service(
    objects: list[m.Manifest],
) -> None:
    service = m.find(objects, "Service")
    (rule,) = m.ingress()["spec"]["rules"]
    paths = {p["path"]: p["backend"]["service"] for p in rule["http"]["paths"]}
    kinds = {p["path"]: p["pathType"] for p in rule["http"]["paths"]}
    assert tuple(paths) == (*API_PATHS, UI_PATH)
    assert kinds == {**dict.fromkeys(API_PATHS, "Exact"), UI_PATH: "Prefix"}
    # The pages call these APIs from the browser, through the same host.
    called = {
        f"/{name}"
        for page in ("app.js", "slate.js")
        for name in re.findall(r'"\.\./(\w+)"', (STATIC_DIR / page).read_text(encoding="utf-8"))
    }
    assert called and called <= set(API_PATHS), called
    port_names = {port["name"] for port in service["spec"]["ports"]}
    for backend in paths.values():
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in port_names
    source = (m.ROOT / "service.py").read_text(encoding="utf-8")
    for path in API_PATHS:
        if path == TABLE_ROUTE:  # answered by the middleware, not an API of service.py
            continue
        assert re.search(rf"def {path.lstrip('/')}\(", source), f"service.py has no {path}"


def nginx_size_bytes(text: str) -> int:
    """An nginx size ("32m", "512k", "1g", "100") in bytes."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", text.strip())
    assert match, f"not an nginx size: {text!r}"
    return int(match.group(1)) * 1024 ** " kmg".index(match.group(2).lower() or " ")


def test_ingress_admits_the_largest_batch_with_margin() -> None:
    """ingress-nginx refuses bodies over 1 MiB by default (413); 10,000 films do not fit."""
    annotations = m.ingress()["metadata"]["annotations"]
    limit = nginx_size_bytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    # A film like the dataset's largest as the client sends it (97 keywords, ~2 KB as below;
    # `python -m bench.body_size`), in Python's default JSON spelling (spaces: the larger one).
    film = {
        **EXAMPLE_PRE_RELEASE_FILM,
        "popularity": 18.790102,
        "vote_average": 6.2,
        "vote_count": 293.0,
        "keywords": [f"keyword {i:03d}" for i in range(97)],
        "production_companies": [f"Production Company {i}" for i in range(5)],
        "spoken_languages": ["en"],
    }
    body = json.dumps({"films": [film] * MAX_BATCH}).encode()
    assert len(body) > 2**20
    assert limit >= 1.5 * len(body), (limit, len(body))


def test_network_policy_admits_the_service_port_only_from_the_namespace_and_ingress(
    objects: list[m.Manifest],
) -> None:
    policy = m.find(objects, "NetworkPolicy")["spec"]
    deployment = m.find(objects, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["egress"] == []  # no outbound traffic: the service calls nothing
    (rule,) = policy["ingress"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port_names = {port["name"] for port in container["ports"]}
    assert [p["port"] for p in rule["ports"]] == ["http"] and "http" in port_names
    sources = rule["from"]
    assert {"podSelector": {}} in sources  # the namespace's own pods
    (controller,) = [s for s in sources if "namespaceSelector" in s]
    assert controller["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert controller["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "ingress-nginx"}
    assert len(sources) == 2  # nothing else

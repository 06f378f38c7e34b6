"""Render deploy/ as `kubectl apply -k deploy/` would, and read the pod spec out of it.

`kubectl kustomize` renders when kubectl is installed. Without it, `render_plain` applies the only
kustomize features deploy/kustomization.yaml uses (resources, namespace, images) and refuses any
other, so it cannot silently drift; the manifest tests check both give the same objects.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = ROOT / "deploy"
INGRESS_FILE = DEPLOY_DIR / "ingress.yaml"
PLAIN_KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "images"}
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass"}

Manifest = dict[str, Any]


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render_kubectl(directory: Path = DEPLOY_DIR) -> list[Manifest]:
    out = subprocess.run(
        [kubectl() or "kubectl", "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def render_plain(directory: Path = DEPLOY_DIR) -> list[Manifest]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(kustomization) - PLAIN_KUSTOMIZATION_KEYS
    if unknown:
        raise ValueError(f"render_plain does not implement kustomize's {sorted(unknown)}")
    objects: list[Manifest] = []
    for resource in kustomization["resources"]:
        text = (directory / resource).read_text(encoding="utf-8")
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    namespace = kustomization.get("namespace")
    for obj in objects:
        if namespace and obj["kind"] not in CLUSTER_SCOPED_KINDS:
            obj["metadata"]["namespace"] = namespace
        for container in pod_containers(obj):
            container["image"] = retag(container["image"], kustomization.get("images", []))
    return objects


def retag(image: str, rules: list[dict[str, str]]) -> str:
    name, _, tag = image.partition(":")
    for rule in rules:
        if rule["name"] == name:
            return f"{rule.get('newName', name)}:{rule.get('newTag', tag or 'latest')}"
    return image


def pod_containers(obj: Manifest) -> list[Manifest]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def render(directory: Path = DEPLOY_DIR) -> list[Manifest]:
    """The objects `kubectl apply -k` would create (kubectl's rendering when it is installed)."""
    return render_kubectl(directory) if kubectl() else render_plain(directory)


def ingress() -> Manifest:
    return yaml.safe_load(INGRESS_FILE.read_text(encoding="utf-8"))


def find(objects: list[Manifest], kind: str) -> Manifest:
    matches = [obj for obj in objects if obj["kind"] == kind]
    assert len(matches) == 1, f"expected one {kind}, found {len(matches)}"
    return matches[0]


def pod_spec(objects: list[Manifest]) -> Manifest:
    return find(objects, "Deployment")["spec"]["template"]["spec"]


def main_container(objects: list[Manifest]) -> Manifest:
    containers = pod_spec(objects)["containers"]
    assert len(containers) == 1, "one container per pod: the forecaster"
    return containers[0]


def security_context(objects: list[Manifest]) -> Manifest:
    """The container's effective securityContext: the pod's, overridden by the container's."""
    merged = copy.deepcopy(pod_spec(objects).get("securityContext", {}))
    merged.update(main_container(objects).get("securityContext", {}))
    return merged


def port_number(container: Manifest, port: int | str) -> int:
    """A probe's or Service's target port: a number, or the name of a container port."""
    if isinstance(port, int):
        return port
    for item in container.get("ports", []):
        if item.get("name") == port:
            return int(item["containerPort"])
    raise KeyError(f"container has no port named {port!r}")


def memory_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if quantity.endswith(suffix):
            return int(float(quantity[: -len(suffix)]) * factor)
    return int(quantity)


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)

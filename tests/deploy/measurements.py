"""Measurements of the container test (image size, build and start times, memory, CPU...):
test_container.py fills MEASUREMENTS, conftest.py prints it at the end of the run and keeps it
in build/."""

from __future__ import annotations

from typing import Any

from tests.deploy.manifests import ROOT

MEASUREMENTS: dict[str, Any] = {}
REPORT_FILE = ROOT / "build" / "container-test.json"

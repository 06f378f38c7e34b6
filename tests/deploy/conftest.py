"""Prints the container test's measurements at the end of the run and keeps them in build/."""

from __future__ import annotations

import json
import time

from tests.deploy.manifests import ROOT
from tests.deploy.measurements import MEASUREMENTS, REPORT_FILE

SESSION_START = time.monotonic()


def pytest_terminal_summary(terminalreporter) -> None:
    if not MEASUREMENTS:
        return
    MEASUREMENTS["container_test_seconds"] = round(time.monotonic() - SESSION_START, 1)
    terminalreporter.section("container measurements")
    for key, value in MEASUREMENTS.items():
        terminalreporter.write_line(f"{key}: {value}")
    REPORT_FILE.parent.mkdir(exist_ok=True)
    REPORT_FILE.write_text(json.dumps(MEASUREMENTS, indent=2) + "\n", encoding="utf-8")
    terminalreporter.write_line(f"(written to {REPORT_FILE.relative_to(ROOT)})")

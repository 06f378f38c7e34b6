"""A schema-driven fuzz run: schemathesis against every POST operation of a running service's
/docs.json, with its reports read back into a few numbers (used by tests/service/test_fuzz.py).

Every check schemathesis has runs but `positive_data_acceptance`: the film model has rules
across fields that OpenAPI cannot express (a budget or a log_budget, the two agreeing,
explain_top only with explain, TMDB genre names, ISO codes, release years 1870-2100), so some
schema-valid films are refused with a 400 that names the rule, by design. Generation is
derandomized (`--generation-deterministic`): the same document gives the same requests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.helpers import openapi

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Test cases per operation and phase; 300 gives ~570 requests per operation (examples, coverage
# and fuzzing phases), in about 30 s for the three APIs of 2026-12.
MAX_EXAMPLES = 300
# Failure codes of schemathesis 4 (`st explain ST108`): ST103-ST111 are answers that do not
# conform to the document (status code, content type, headers, body schema).
CONFORMANCE_CODES = {f"ST1{n:02d}" for n in range(3, 12)}


@dataclass
class FuzzResult:
    operations: list[str]  # the POST operations of the document, "POST /path"
    # "METHOD /path" -> status counts; other methods come from the unsupported-method check
    statuses: dict[str, Counter] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)  # schemathesis' failures, by kind
    errors: list[dict] = field(default_factory=list)  # schema or network errors
    exit_code: int = 0
    seconds: float = 0.0
    output: str = ""

    @property
    def n_requests(self) -> int:
        return sum(sum(counts.values()) for counts in self.statuses.values())

    @property
    def n_post_requests(self) -> int:
        return sum(sum(self.statuses.get(op, Counter()).values()) for op in self.operations)

    @property
    def n_server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for status, n in c.items() if status >= 500)

    @property
    def n_conformance_failures(self) -> int:
        return sum(f["count"] for f in self.failures if f["code"] in CONFORMANCE_CODES)

    @property
    def covered(self) -> list[str]:
        """The document's POST operations that got at least one POST request."""
        return [op for op in self.operations if self.statuses.get(op, {})]

    def summary(self) -> dict:
        return {
            "requests": self.n_requests,
            "post_requests": self.n_post_requests,
            "operations": self.operations,
            "status_counts": {
                op: dict(sorted(counts.items())) for op, counts in sorted(self.statuses.items())
            },
            "server_errors_5xx": self.n_server_errors,
            "conformance_failures": self.n_conformance_failures,
            "failures": self.failures,
            "errors": self.errors,
            "schemathesis_exit_code": self.exit_code,
            "seconds": round(self.seconds, 1),
        }


def post_operations(url: str) -> list[str]:
    document = httpx.get(f"{url}/docs.json", timeout=30).raise_for_status().json()
    return [f"POST {path}" for path, _ in openapi.post_operations(document)]


def run_schemathesis(url: str, report_dir: Path, max_examples: int = MAX_EXAMPLES) -> FuzzResult:
    """Fuzz every POST operation of `url`/docs.json; reports (JSON, HAR, output) in report_dir,
    which is emptied first."""
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/docs.json",
        "--include-method",
        "POST",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(max_examples),
        "--generation-deterministic",
        "--continue-on-failure",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "json,har",
        "--report-json-path",
        str(report_dir / "report.json"),
        "--report-har-path",
        str(report_dir / "requests.har"),
    ]
    result = FuzzResult(operations=post_operations(url))
    started = time.monotonic()
    # In report_dir, schemathesis also keeps what `st replay <id>` needs (.schemathesis/).
    process = subprocess.run(
        command, cwd=report_dir, capture_output=True, text=True, timeout=1800, check=False
    )
    result.seconds = time.monotonic() - started
    result.exit_code = process.returncode
    result.output = process.stdout + process.stderr
    (report_dir / "output.txt").write_text(result.output, encoding="utf-8")
    report_path = report_dir / "report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
        result.failures = report.get("failures", [])
        result.errors = report.get("errors", [])
    har_path = report_dir / "requests.har"
    if har_path.exists():
        entries = json.loads(har_path.read_text(encoding="utf-8"))["log"]["entries"]
        for entry in entries:
            operation = f"{entry['request']['method']} {urlsplit(entry['request']['url']).path}"
            result.statuses.setdefault(operation, Counter())[entry["response"]["status"]] += 1
    return result

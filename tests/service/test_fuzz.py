"""Schema-driven fuzzing of the real service: `make fuzz` (skipped otherwise; CI runs it).

schemathesis generates requests from /docs.json for every POST operation it documents (APIs
added later are fuzzed without touching this file), against `bentoml serve` on the models of
$BENTOML_HOME, or, when it is not set, of a quick training into a temporary store. No answer
may be a 5xx, every answer must conform to the document, and schema-violating requests must be
refused (see tests/helpers/fuzz.py for the checks). Reports: build/fuzz/.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers.fuzz import run_schemathesis
from tests.helpers.servers import served
from training import config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("BOXOFFICE_FUZZ") != "1", reason="schema-driven fuzz run: `make fuzz`"
    ),
]

# Read before any fixture points BENTOML_HOME at a temporary store.
GIVEN_BENTOML_HOME = os.environ.get("BENTOML_HOME")
REPORT_DIR = config.PROJECT_ROOT / "build" / "fuzz"
MIN_REQUESTS = 1_000


@pytest.fixture(scope="module")
def fuzz_url(request: pytest.FixtureRequest):
    home = GIVEN_BENTOML_HOME or request.getfixturevalue("quick_training")["bentoml_home"]
    with served({"BENTOML_HOME": str(home)}) as url:
        yield url


def test_fuzz_every_post_operation(fuzz_url: str, capsys: pytest.CaptureFixture) -> None:
    result = run_schemathesis(fuzz_url, REPORT_DIR)
    summary = result.summary()
    (REPORT_DIR / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    with capsys.disabled():
        print(
            f"\nfuzz: {result.n_requests} requests ({result.n_post_requests} POST over "
            f"{len(result.covered)}/{len(result.operations)} operations: "
            f"{', '.join(result.operations)}), {result.n_server_errors} 5xx, "
            f"{result.n_conformance_failures} conformance failures, "
            f"{sum(f['count'] for f in result.failures)} failures in all, "
            f"{len(result.errors)} errors, {result.seconds:.0f} s; reports in "
            f"{REPORT_DIR.relative_to(config.PROJECT_ROOT)}/"
        )
    tail = result.output[-6000:]
    assert result.covered == result.operations, tail
    assert result.n_post_requests >= MIN_REQUESTS, tail
    assert result.n_server_errors == 0, tail
    assert result.failures == [] and result.errors == [], tail
    assert result.exit_code == 0, tail

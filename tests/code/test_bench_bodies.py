"""The benchmark's request bodies are what the API takes (a refused body would measure 400s)."""

from __future__ import annotations

import json
import random

import pytest

from bench.run import N_SCENARIOS, SCENARIOS
from serving.schema import BatchRequest, Film, ScenariosRequest, SlateRequest

REQUEST_MODELS = {
    "/predict_revenue": Film,
    "/predict_batch": BatchRequest,
    "/predict_scenarios": ScenariosRequest,
    "/predict_slate": SlateRequest,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_body_is_a_valid_request(name: str) -> None:
    scenario = SCENARIOS[name]
    bodies = scenario.bodies(random.Random(42))
    assert len({json.dumps(body) for body in bodies}) > 1  # varied
    for body in bodies:
        REQUEST_MODELS[scenario.path].model_validate(body)


def test_scenario_bodies_hold_one_film_and_100_scenarios() -> None:
    bodies = SCENARIOS["scenarios"].bodies(random.Random(42))
    assert SCENARIOS["scenarios"].films_per_request == N_SCENARIOS == 100
    for body in bodies:
        request = ScenariosRequest.model_validate(body)
        assert len(request.scenarios) == N_SCENARIOS
        changed = {field for change in request.scenarios for field in change.model_fields_set}
        assert changed == {"budget", "release_date", "genres"}


def test_one_core_rounds_of_the_two_worker_baseline_are_named() -> None:
    from types import SimpleNamespace

    from bench.run import _one_core_rounds

    def run(server: str, ok_rps: float, cores: float) -> SimpleNamespace:
        cpu = SimpleNamespace(server_cpu_s=15 * cores, elapsed_s=15.0)
        return SimpleNamespace(scenario="batch", server=server, ok_rps=ok_rps, cpu=cpu)

    runs = [run("baseline2", 91.0, 1.93), run("baseline2", 48.4, 1.0), run("service", 78.5, 1.9)]
    (said,) = _one_core_rounds(runs, 78_500)
    assert "one core in 1 of 2 batch round(s)" in said and "91,000 films/s" in said
    assert said.endswith("0.86x")
    assert _one_core_rounds([run("baseline2", 91.0, 1.93)], 78_500) == []

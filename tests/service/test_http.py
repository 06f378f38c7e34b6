"""HTTP tests against a real `bentoml serve` process (quick-trained models, temporary store)."""

from __future__ import annotations

import asyncio
import math
import re
import time
from concurrent.futures import ProcessPoolExecutor

import httpx
import pytest

from bench.harness import bentoml_serve, free_port
from boxoffice.explain import LOCATION_LABEL
from serving.client import SEED_CURL_FILM, SEED_FILMS
from serving.predictor import BATCH_SLICE
from serving.schema import EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.bad_input import BAD_BATCHES, BAD_FILMS, error_text

pytestmark = pytest.mark.slow

ORIGINAL_CLIENT_FILM = {
    "runtime": 118.0,
    "popularity": 28.670477,
    "vote_avg": 5.7,
    "log_budget": 17.370859,
}


def test_original_client_request_format(http: httpx.Client) -> None:
    revenue = http.post("/predict_revenue", json=ORIGINAL_CLIENT_FILM)
    hit = http.post("/predict_hit", json=ORIGINAL_CLIENT_FILM)
    assert revenue.status_code == 200 and hit.status_code == 200
    body = revenue.json()
    # The original client applies expm1 to `revenue`.
    assert 10 < body["revenue"] < 25
    assert body["log_revenue"] == body["revenue"]
    assert math.isclose(math.expm1(body["revenue"]), body["revenue_usd"], rel_tol=1e-9)
    assert body["model"] == "post_release"
    assert body["model_version"].startswith("boxoffice-forecast-post-release:")
    assert 0 <= hit.json()["probability"] <= 1
    assert isinstance(hit.json()["is_hit"], bool)


def test_seed_curl_example(http: httpx.Client) -> None:
    response = http.post("/predict_revenue", json=SEED_CURL_FILM)
    assert response.status_code == 200
    assert response.json()["model"] == "post_release"
    # The curl film gives no lists, date or language: the answer says how each was scored.
    assert response.json()["warnings"] == [
        "genres, production_companies, production_countries, keywords not given: scored as a "
        "typical number, none in particular",
        "release_year, release_month not given (no release_date): scored with the training "
        "median, so answered in that year's dollars at its horizon (dollars_year, "
        "horizon_years): give the release date for the film's own",
        "original_language not given: scored as 'en', the most common",
    ]


def test_a_language_left_out_is_the_most_common_one(http: httpx.Client) -> None:
    film = {k: v for k, v in EXAMPLE_PRE_RELEASE_FILM.items() if k != "original_language"}
    left_out = http.post("/predict_revenue", json=film).json()
    english = http.post("/predict_revenue", json={**film, "original_language": "en"}).json()
    french = http.post("/predict_revenue", json={**film, "original_language": "fr"}).json()
    assert left_out["revenue"] == english["revenue"] != french["revenue"]
    assert "original_language not given: scored as 'en', the most common" in left_out["warnings"]
    assert not any("original_language" in w for w in english["warnings"])


def test_lists_given_silence_their_warnings_and_codes_are_normalised(
    http: httpx.Client,
) -> None:
    film = {**EXAMPLE_PRE_RELEASE_FILM, "production_countries": ["us"], "keywords": []}
    answer = http.post("/predict_revenue", json=film).json()
    assert not any("not given" in w for w in answer["warnings"])  # [] is an answer: none
    upper = http.post("/predict_revenue", json={**film, "production_countries": ["US"]}).json()
    assert answer["revenue"] == upper["revenue"]
    no_genres = http.post("/predict_revenue", json={**film, "genres": []}).json()
    assert any(
        w.startswith("genres: 0 items is outside the training range") for w in no_genres["warnings"]
    )


def test_a_list_left_out_is_typical_not_empty(http: httpx.Client) -> None:
    """The original project's clients send no lists: a list left out counts as a typical film's
    (its number of items and its track record: tests/code/test_features.py), not as none."""
    left_out = http.post("/predict_revenue", json=SEED_CURL_FILM).json()
    for field in ("production_companies", "keywords"):
        empty = http.post("/predict_revenue", json={**SEED_CURL_FILM, field: []}).json()
        assert left_out["revenue"] != empty["revenue"], field
        assert not any(field in w for w in empty["warnings"])
        assert any(field in w and "typical" in w for w in left_out["warnings"])


def test_case_and_null_spellings_read_as_their_plain_forms(http: httpx.Client) -> None:
    plain = http.post("/predict_revenue", json={**SEED_CURL_FILM, "original_language": "en"})
    upper = http.post("/predict_revenue", json={**SEED_CURL_FILM, "original_language": " EN"})
    assert upper.status_code == 200 and upper.json()["revenue"] == plain.json()["revenue"]
    film = {k: v for k, v in SEED_CURL_FILM.items() if k != "vote_average"}
    alias = http.post("/predict_revenue", json={**film, "vote_average": None, "vote_avg": 7.8})
    assert alias.status_code == 200
    assert (
        alias.json()["revenue"]
        == http.post("/predict_revenue", json=SEED_CURL_FILM).json()["revenue"]
    )


def test_errors_do_not_echo_huge_values(http: httpx.Client) -> None:
    response = http.post(
        "/predict_revenue", json={"runtime": 100, "budget": 1e6, "genres": ["x" * 1_000_000]}
    )
    assert response.status_code == 400 and len(response.content) < 5_000


def test_model_choice(http: httpx.Client) -> None:
    pre = http.post("/predict_revenue", json=EXAMPLE_PRE_RELEASE_FILM).json()
    assert pre["model"] == "pre_release"
    forced = http.post("/predict_hit", json={**SEED_CURL_FILM, "model": "pre_release"}).json()
    assert forced["model"] == "pre_release"
    assert any("ignored" in w for w in forced["warnings"])
    post = http.post(
        "/predict_revenue", json={**EXAMPLE_PRE_RELEASE_FILM, "model": "post_release"}
    ).json()
    assert post["model"] == "post_release"
    assert any("training median" in w for w in post["warnings"])


def test_out_of_range_values_are_flagged(http: httpx.Client) -> None:
    body = http.post("/predict_revenue", json={"runtime": 900, "budget": 5e10}).json()
    assert any(w.startswith("runtime 900") for w in body["warnings"])
    said = "budget $50B is outside the training range [$"
    assert any(w.startswith(said) for w in body["warnings"])


def test_batch_keeps_order_and_matches_single_calls(http: httpx.Client) -> None:
    films = [*SEED_FILMS, EXAMPLE_PRE_RELEASE_FILM, SEED_CURL_FILM]
    response = http.post("/predict_batch", json={"films": films})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["index"] for p in predictions] == list(range(len(films)))
    for film, prediction in zip(films, predictions, strict=True):
        single = http.post("/predict_revenue", json=film).json()
        hit = http.post("/predict_hit", json=film).json()
        assert prediction["log_revenue"] == pytest.approx(single["revenue"], abs=1e-9)
        assert prediction["probability"] == pytest.approx(hit["probability"], abs=1e-9)
        assert prediction["model"] == single["model"]
        assert prediction["revenue_p10_usd"] == pytest.approx(single["revenue_p10_usd"])
        versions = response.json()["models"][prediction["model"]]
        assert versions["model_version"] == single["model_version"] == hit["model_version"]
        assert prediction["is_hit"] == hit["is_hit"]
        for key in ("profit_usd", "p_profit", "break_even_revenue_usd"):
            assert prediction[key] == pytest.approx(single[key], rel=1e-12)


def test_batch_answered_in_slices_reads_as_one(http: httpx.Client) -> None:
    """Batches are computed BATCH_SLICE films at a time: indices, models and answers must not
    show the seams, whichever feature sets each slice happens to hold."""
    n_post = BATCH_SLICE + 100  # slice 1: post-release only, slice 2: both, slice 3: pre only
    films = [SEED_FILMS[i % len(SEED_FILMS)] for i in range(n_post)]
    films += [EXAMPLE_PRE_RELEASE_FILM] * (2 * BATCH_SLICE - 100 + 7)
    films[-1] = {**EXAMPLE_PRE_RELEASE_FILM, "explain": True, "explain_top": 3}
    body = http.post("/predict_batch", json={"films": films}).json()
    predictions = body["predictions"]
    assert [p["index"] for p in predictions] == list(range(len(films)))
    assert set(body["models"]) == {"post_release", "pre_release"}
    for i in (0, BATCH_SLICE - 1, BATCH_SLICE, n_post - 1, n_post, len(films) - 1):
        single = http.post("/predict_revenue", json=films[i]).json()
        assert predictions[i]["log_revenue"] == pytest.approx(single["revenue"], abs=1e-9)
        assert predictions[i]["model"] == single["model"]
    assert "explanation" in predictions[-1]
    assert not any("explanation" in p for p in predictions[:-1])


def test_batch_of_10000_is_accepted(http: httpx.Client) -> None:
    films = [{"runtime": 90 + i % 60, "budget": 1e6 * (1 + i % 200)} for i in range(10_000)]
    response = http.post("/predict_batch", json={"films": films})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 10_000


# A few rows of each class of error (the whole table runs against the models in
# tests/code/test_schema.py): a wrong type, a field left out, a range, two fields that
# disagree, an unknown name, a date, an unknown field, a number too large for the models.
LIVE_BAD_FILMS = [BAD_FILMS[i] for i in (0, 2, 4, 8, 10, 18, 22, 26, 28)]


@pytest.mark.parametrize(("film", "message"), LIVE_BAD_FILMS)
@pytest.mark.parametrize("endpoint", ["/predict_revenue", "/predict_hit"])
def test_bad_film_is_400_naming_the_field(
    http: httpx.Client, endpoint: str, film: dict, message: str
) -> None:
    response = http.post(endpoint, json=film)
    assert response.status_code == 400
    assert re.search(message, error_text(response.json()["detail"])), response.text


@pytest.mark.parametrize(
    "raw",
    [
        '{"runtime": 118',
        "[]",
        "null",
        "",
        "not json",
        '{"runtime": NaN, "budget": 1}',
        '{"runtime": 100, "budget": Infinity}',
    ],
)
def test_malformed_or_non_finite_json_is_400(http: httpx.Client, raw: str) -> None:
    response = http.post(
        "/predict_revenue", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(("films", "message"), [BAD_BATCHES[0], BAD_BATCHES[3]])
def test_bad_batch_is_400_naming_index(http: httpx.Client, films: list, message: str) -> None:
    response = http.post("/predict_batch", json={"films": films})
    assert response.status_code == 400
    assert re.search(message, error_text(response.json()["detail"])), response.text


def test_probes_and_metrics(http: httpx.Client) -> None:
    assert http.get("/readyz").status_code == 200
    assert http.get("/livez").status_code == 200
    assert "boxoffice_micro_batch_size" in http.get("/metrics").text


def _batch_stats(metrics: str, queue: str) -> tuple[float, float]:
    values = {}
    for kind in ("sum", "count"):
        match = re.search(
            rf'boxoffice_micro_batch_size_{kind}\{{[^}}]*queue="{queue}"[^}}]*\}} '
            r"([0-9.e+]+)",
            metrics,
        )
        values[kind] = float(match.group(1)) if match else 0.0
    return values["sum"], values["count"]


def _fire(server_url: str, n_requests: int, offset: int) -> list[int]:
    """One client process: n_requests single-film posts over 16 connections at once."""

    async def run() -> list[int]:
        async with httpx.AsyncClient(
            base_url=server_url, timeout=30, limits=httpx.Limits(max_connections=16)
        ) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/predict_revenue", json={**ORIGINAL_CLIENT_FILM, "runtime": 80 + i % 90}
                    )
                    for i in range(offset, offset + n_requests)
                )
            )
            return [r.status_code for r in responses]

    return asyncio.run(run())


def test_concurrent_single_films_are_micro_batched(server_url: str) -> None:
    # Several client processes: one Python client alone cannot keep two workers busy.
    n_clients, n_requests = 4, 300
    before = _batch_stats(httpx.get(f"{server_url}/metrics").text, "revenue")
    with ProcessPoolExecutor(n_clients) as pool:
        statuses = [
            s
            for result in pool.map(
                _fire,
                [server_url] * n_clients,
                [n_requests] * n_clients,
                range(0, n_clients * n_requests, n_requests),
            )
            for s in result
        ]
    after = _batch_stats(httpx.get(f"{server_url}/metrics").text, "revenue")
    assert statuses == [200] * (n_clients * n_requests)
    films, calls = after[0] - before[0], after[1] - before[1]
    assert films == n_clients * n_requests
    assert films / calls > 1.0


def test_start_without_models_fails_at_once_with_how_to_train(tmp_path) -> None:
    env = {"BENTOML_HOME": str(tmp_path / "empty-store")}
    server = bentoml_serve(free_port(), tmp_path / "serve.log", env)
    server.start()
    started = time.monotonic()
    try:
        returncode = server.proc.wait(timeout=60)
    finally:
        server.stop()
    assert returncode != 0
    assert time.monotonic() - started < 60
    assert "make train" in server.log_path.read_text()


def test_in_a_container_a_worker_gone_fails_the_liveness_probe(quick_training, tmp_path) -> None:
    """BentoML starts no worker in a dead one's place in a container (BENTOML_CONTAINERIZED, as
    the image sets it): the others would answer every probe at half the capacity. /livez then
    fails (503) so that Kubernetes restarts the container, and the log says why."""
    import psutil

    env = {"BENTOML_HOME": str(quick_training["bentoml_home"]), "BENTOML_CONTAINERIZED": "true"}
    server = bentoml_serve(free_port(), tmp_path / "serve.log", env)
    server.start()
    try:
        server.wait_ready(90)
        # A new connection per request, as the kubelet probes: a kept-alive one may be the
        # killed worker's, reset.
        url = server.base_url
        assert all(httpx.get(f"{url}/livez").status_code == 200 for _ in range(10))
        workers = psutil.Process(server.proc.pid).children()
        assert len(workers) == 2
        workers[0].kill()
        deadline = time.monotonic() + 30
        statuses = []
        while time.monotonic() < deadline:
            # wait_ready saw one worker ready: the other may still load its models, answering
            # nothing until it has (the probe waits in the socket's backlog), for seconds under
            # load: more than httpx's default 5 s.
            statuses.append(httpx.get(f"{url}/livez", timeout=30).status_code)
            if statuses[-1] == 503:
                break
            time.sleep(0.2)
        assert statuses[-1] == 503, statuses
        answer = httpx.post(f"{url}/predict_revenue", json=EXAMPLE_PRE_RELEASE_FILM, timeout=10)
        assert answer.status_code == 200
        assert "1 of the 2 workers are running" in server.log_path.read_text()
    finally:
        server.stop()


INTERVAL_FIELDS = {
    "revenue_p10_usd",
    "revenue_p90_usd",
    "log_revenue_p10",
    "log_revenue_p90",
    "interval_level",
}
TIME_FIELDS = {"dollars_year", "horizon_years"}
PROFIT_FIELDS = {
    "profit_usd",
    "profit_p10_usd",
    "profit_p90_usd",
    "p_profit",
    "break_even_revenue_usd",
    "studio_share",
    "marketing_usd",
}
SEED_REVENUE_FIELDS = {
    "revenue",
    "log_revenue",
    "revenue_usd",
    "model",
    "model_version",
    "warnings",
}


def test_without_explain_only_range_time_and_profit_fields_are_new(http: httpx.Client) -> None:
    body = http.post("/predict_revenue", json=SEED_CURL_FILM).json()
    assert set(body) == SEED_REVENUE_FIELDS | INTERVAL_FIELDS | TIME_FIELDS | PROFIT_FIELDS
    assert body["revenue_p10_usd"] < body["revenue_usd"] < body["revenue_p90_usd"]
    assert body["interval_level"] == 0.8
    hit = http.post("/predict_hit", json=SEED_CURL_FILM).json()
    assert set(hit) == {
        "probability",
        "is_hit",
        "threshold",
        "hit_ratio",
        "hit_revenue_usd",
        "p_profit",
        "model",
        "model_version",
        "warnings",
        *TIME_FIELDS,
    }
    # One distribution: the verdict agrees with the forecast, and P(profit > 0) at the default
    # assumptions is P(hit).
    assert hit["hit_revenue_usd"] == 2.0 * SEED_CURL_FILM["budget"]
    assert (body["revenue_usd"] >= hit["hit_revenue_usd"]) == hit["is_hit"]
    assert hit["p_profit"] == hit["probability"] == body["p_profit"]


@pytest.mark.parametrize("top", [None, 3])
def test_explanations_add_up_to_the_prediction(http: httpx.Client, top: int | None) -> None:
    film = {**EXAMPLE_PRE_RELEASE_FILM, "explain": True}
    if top:
        film["explain_top"] = top
    revenue = http.post("/predict_revenue", json=film).json()
    explanation = revenue["explanation"]
    total = explanation["base"] + sum(c["contribution"] for c in explanation["contributions"])
    assert total == pytest.approx(revenue["revenue"], abs=1e-6)
    assert explanation["output"] == pytest.approx(revenue["revenue"], abs=1e-6)
    features = [c["feature"] for c in explanation["contributions"]]
    assert "budget" in features or "other" in features
    assert features[-1] == LOCATION_LABEL
    if top:
        assert len(features) == top + 2 and features[-2] == "other"
    for item in explanation["contributions"]:
        assert item["factor"] == pytest.approx(math.exp(item["contribution"]))
    hit = http.post("/predict_hit", json=film).json()
    points = hit["explanation"]
    assert points["units"] == "probability"
    total = points["base"] + sum(c["contribution"] for c in points["contributions"])
    assert total == pytest.approx(hit["probability"], abs=1e-9)
    plain = http.post("/predict_revenue", json=EXAMPLE_PRE_RELEASE_FILM).json()
    assert plain["revenue"] == revenue["revenue"] and "explanation" not in plain


def test_batch_explains_only_films_that_ask(http: httpx.Client) -> None:
    films = [SEED_CURL_FILM, {**SEED_CURL_FILM, "explain": True, "explain_top": 2}]
    predictions = http.post("/predict_batch", json={"films": films}).json()["predictions"]
    assert "explanation" not in predictions[0]
    explanation = predictions[1]["explanation"]
    for task, value in (("revenue", predictions[1]["log_revenue"]), ("hit", None)):
        part = explanation[task]
        total = part["base"] + sum(c["contribution"] for c in part["contributions"])
        assert total == pytest.approx(part["output"], abs=1e-6)
        if value is not None:
            assert part["output"] == pytest.approx(value, abs=1e-6)

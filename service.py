"""BentoML service: box-office revenue and hit forecasts for films.

validate (serving.schema) -> predict (serving.predictor, micro-batched) -> format.
The models of one training run are declared at class level so `bentoml build` packs them; set
BOXOFFICE_RUN to pin a run (see `python -m training models`), the newest complete run otherwise.
"""

from __future__ import annotations

import logging
import os
import sys

import bentoml
from starlette.responses import Response

from boxoffice.config import COMPARABLES, COMPARABLES_K, FORECAST
from boxoffice.metadata import MetadataError
from boxoffice.store import ModelNotFoundError, resolve_run
from serving import jsonio
from serving.batching import MicroBatcher
from serving.middleware import install_contract
from serving.predictor import Predictor
from serving.schema import (
    BatchRequest,
    BatchResult,
    ComparablesRequest,
    ComparablesResult,
    Film,
    FilmChanges,
    HitResult,
    RevenueResult,
    ScenariosRequest,
    ScenariosResult,
    SlateRequest,
    SlateResult,
)
from serving.ui import UI_PATH
from serving.ui import app as ui_app
from serving.worker import Siblings, register, settle_gc

try:
    RUN_MODELS = resolve_run(os.environ.get("BOXOFFICE_RUN") or None)
except (ModelNotFoundError, MetadataError) as error:
    sys.exit(f"error: {error}")
# `bentoml serve` imports this module first in its own process, then again in each worker,
# which inherits this environment (circus copy_env): pinning the run here keeps every worker,
# including one restarted after a newer training run, on the run resolved at start-up.
os.environ["BOXOFFICE_RUN"] = next(iter(RUN_MODELS.values())).info.labels["run"]


# The analyst's page (serving/ui.py): static, so any worker or pod can serve any request.
@bentoml.asgi_app(ui_app, path=UI_PATH)
@bentoml.service(
    name="boxoffice",
    workers=2,
    traffic={"timeout": 30},
    # Measured with wrk (32 connections): access logs and per-request tracing spans cost a
    # large share of single-film throughput; metrics (/metrics) stay on.
    logging={"access": {"enabled": False}},
    tracing={
        "excluded_urls": "predict_revenue,predict_hit,predict_batch,predict_scenarios,"
        "predict_slate,comparable_films"
    },
)
class Forecaster:
    post_release = bentoml.models.BentoModel(RUN_MODELS[(FORECAST, "post_release")].tag)
    pre_release = bentoml.models.BentoModel(RUN_MODELS[(FORECAST, "pre_release")].tag)
    comparables = bentoml.models.BentoModel(RUN_MODELS[COMPARABLES].tag)

    def __init__(self) -> None:
        self.predictor = Predictor.from_store(
            {
                (FORECAST, "post_release"): self.post_release,
                (FORECAST, "pre_release"): self.pre_release,
                COMPARABLES: self.comparables,
            }
        )
        settle_gc()
        logging.getLogger("boxoffice.service").info(
            "serving training run %s: %s",
            os.environ["BOXOFFICE_RUN"],
            "; ".join(
                f"{fs} {m.metadata.algorithm} fitted on films up to {m.metadata.newest_year}, "
                f"a hit above {m.metadata.hit_ratio:g} x budget"
                for fs, m in self.predictor.models.items()
            ),
        )
        self.revenue_queue = MicroBatcher("revenue", self.predictor.revenue)
        self.hit_queue = MicroBatcher("hit", self.predictor.hit)
        # /predict_batch's columnar path, /predict_table and the single films that validate are
        # answered by the middleware (serving/middleware.py) with this worker's predictor and
        # queues; the APIs below answer the rest (and document every API).
        register(
            self.predictor, {"predict_revenue": self.revenue_queue, "predict_hit": self.hit_queue}
        )
        # /livez fails once a worker has gone (serving.worker)
        self.siblings = Siblings(Forecaster)

    def __is_alive__(self) -> bool:
        return self.siblings.alive()

    def __is_ready__(self) -> bool:
        return len(self.predictor.models) + (self.predictor.comparables is not None) == len(
            RUN_MODELS
        )

    @bentoml.api(input_spec=Film)
    async def predict_revenue(self, **film: object) -> RevenueResult:
        """Revenue of one film: its median in `revenue` (log1p USD, as the original API) and in
        USD, its 80% range, and the profit under the film's assumptions."""
        return json_response(await self.revenue_queue.submit(Film.model_construct(**film)))

    @bentoml.api(input_spec=Film)
    async def predict_hit(self, **film: object) -> HitResult:
        """P(one film's revenue > the hit ratio × its budget), from the same distribution."""
        return json_response(await self.hit_queue.submit(Film.model_construct(**film)))

    # Scenarios and slates are scored in one pass each (a 500-film slate: ~250 ms), so BentoML
    # runs them in its thread pool (plain `def`), not on the event loop, which goes on reading
    # and micro-batching other requests meanwhile (XGBoost's prediction is thread-safe).
    @bentoml.api(input_spec=ScenariosRequest)
    def predict_scenarios(self, film: Film, scenarios: list[FilmChanges]) -> ScenariosResult:
        """Both forecasts for a film and 1 to 500 changes to it (budget, date, genres, ...)."""
        request = ScenariosRequest.model_construct(film=film, scenarios=scenarios)
        return json_response(self.predictor.scenarios(request))

    @bentoml.api(input_spec=ComparablesRequest)
    async def comparable_films(self, k: int = COMPARABLES_K, **film: object) -> ComparablesResult:
        """The k films of the training data most like this one before release (1 to 50)."""
        return json_response(self.predictor.comparable_films(Film.model_construct(**film), k))

    @bentoml.api(input_spec=BatchRequest)
    async def predict_batch(self, films: list[Film]) -> BatchResult:
        """Both forecasts for 1 to 10,000 films in one call, in the order given."""
        answer = await self.predictor.batch_json(films)
        return Response(answer, media_type="application/json")

    @bentoml.api(input_spec=SlateRequest)
    def predict_slate(
        self, films: list[Film], studio_share: float, marketing_usd: float
    ) -> SlateResult:
        """1 to 500 films as a slate: each film's forecast and profit, and the slate's total
        revenue and profit, number of hits and P(total profit > 0), simulated together."""
        request = SlateRequest.model_construct(
            films=films, studio_share=studio_share, marketing_usd=marketing_usd
        )
        return json_response(self.predictor.slate(request))


# JSON-only bodies (415 otherwise), gzip bodies, the columnar /predict_batch and /predict_table,
# quiet client errors, /docs.json as valid OpenAPI 3.0: serving/middleware.py.
install_contract(Forecaster)


def json_response(payload: object) -> Response:
    # The answers are built as plain dicts and serialized once here; the annotated result models
    # document them. Letting BentoML re-validate them costs more than the models on a batch.
    return Response(jsonio.dumps(payload), media_type="application/json")

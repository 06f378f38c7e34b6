"""The typed metadata of each forecast model and the comparable films, and saving them (with
their model cards) to the BentoML model store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boxoffice.comparables import WEIGHTS, ComparableFilms
from boxoffice.config import DEFAULT_HIT_THRESHOLD, FORECAST, model_name
from boxoffice.dollars import CpiTable
from boxoffice.estimators import inner_pipeline
from boxoffice.explain import explanation_method
from boxoffice.features import RAW_FIELDS
from boxoffice.fields import CREDIT_FIELDS
from boxoffice.metadata import (
    MODEL_FORMAT,
    Backtest,
    CandidateSummary,
    ComparablesMetadata,
    CreditsUse,
    DesignChoice,
    ForecastMetadata,
    Selection,
    SlateBacktest,
    parse_metadata,
)
from boxoffice.store import library_versions, save_comparables, save_model
from training import model_card
from training.refit import Served
from training.split import Splits
from training.train import COST_CAP, TaskChoice, development_films


@dataclass
class RunInfo:
    """What every model of one training run shares."""

    run: str
    data_sha256: str
    seed: int
    profile: str
    hit_ratio: float
    holdout: str
    cpi: CpiTable
    published: bool = False  # the published TMDB 5000 table (training.data.LoadedData)


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values; parameters left at None are the estimator's default: left out."""
    plain = json.loads(
        json.dumps(params, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )
    return {k: v for k, v in plain.items() if v is not None}


def selection(choice: TaskChoice) -> Selection:
    """How a task's candidates were tuned and one chosen, with every candidate's scores."""
    headline = "rmse" if choice.task == "revenue" else "roc_auc"
    shown = (headline, "r2", "rmse", "mae", "f1")
    return Selection(
        rule=choice.rule,
        metric=choice.metric,
        origins=list(choice.origins),
        cost_cap=COST_CAP,
        candidates={
            r.name: CandidateSummary(
                params=_params(r.params),
                forward_mean=r.forward_mean,
                forward_std=r.forward_std,
                hit_auc=r.hit_auc,
                cost=r.cost,
                eligible=r.eligible,
                validation={k: float(v) for k, v in r.metrics["validation"].items() if k in shown},
                test={k: float(v) for k, v in r.metrics["test"].items() if k in shown},
                predict_ms=r.predict_ms,
                tune_seconds=round(r.tune_seconds, 2),
            )
            for r in choice.candidates
        },
    )


def forecast_metadata(
    info: RunInfo,
    feature_set: str,
    revenue: TaskChoice,
    hit: TaskChoice,
    served: Served,
    dollars: str,
    credits: CreditsUse,
    design: DesignChoice,
    backtest: Backtest,
    slates: SlateBacktest,
    splits: Splits,
    timings: dict[str, float],
) -> ForecastMetadata:
    pipeline = served.pipeline
    inner = inner_pipeline(pipeline)
    estimator = inner[-1]
    revenue_usd = info.cpi.to_constant(
        served.films["revenue"].to_numpy(dtype=float), served.films["release_year"]
    )
    plain = {
        k: v for k, v in estimator.get_params().items() if isinstance(v, int | float | str | bool)
    }
    raw: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "run": info.run,
        "kind": FORECAST,
        "feature_set": feature_set,
        "algorithm": revenue.chosen.name,
        "estimator_class": type(estimator).__name__,
        "params": _params({**plain, **revenue.chosen.params}),
        "raw_fields": [f for f in RAW_FIELDS if credits.used or f not in CREDIT_FIELDS],
        "features": list(inner[:-1].get_feature_names_out()),
        "target": "log1p(revenue)",
        "hit_ratio": info.hit_ratio,
        "threshold": DEFAULT_HIT_THRESHOLD,
        "explanation_method": explanation_method(pipeline if inner is not pipeline else estimator),
        "fitted_on": "original_train" if info.holdout == "original" else "all_labelled",
        "newest_year": served.newest_year,
        "dollars": dollars,
        "credits": credits,
        "cpi": info.cpi,
        "distribution": served.distribution,
        "design": design,
        "selection": selection(revenue),
        "hit_selection": selection(hit),
        "original_split": served.original_split,
        "backtest": backtest,
        "slates": slates,
        "revenue_range_constant": (float(revenue_usd.min()), float(revenue_usd.max())),
        "rows": {
            "population": splits.n_population,
            "fitted": len(served.films),
            "development": len(development_films(splits, revenue.origins[-1])),
            "original_train": len(splits.train),
            "original_validation": len(splits.val),
            "original_test": len(splits.test),
            "original_test_filtered": len(splits.test_filtered),
        },
        "cleaning": [vars(c) for c in splits.rule_counts],
        "data_sha256": info.data_sha256,
        "published_table": info.published,
        "seed": info.seed,
        "profile": info.profile,
        "timings": timings,
        "library_versions": library_versions(),
    }
    return parse_metadata(
        {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in raw.items()}
    )


def save_run(
    metadata: dict[str, ForecastMetadata],
    pipelines: dict[str, Any],
    comps: ComparableFilms,
    comps_meta: ComparablesMetadata,
    baseline_split: dict[str, Any],
    cards_dir: Path,
    timings: dict[str, float],
) -> list[str]:
    """Store the forecast models (with their cards, also written to ``cards_dir``) and the
    comparable films; return the models' tags."""
    cards_dir.mkdir(parents=True, exist_ok=True)
    tags = []
    for feature_set, meta in metadata.items():
        meta = meta.model_copy(update={"timings": dict(timings)})
        name = model_name(FORECAST, feature_set)
        tag = f"{name}:{meta.run}"
        card = model_card.render(meta, tag, baseline_split)
        (cards_dir / f"{name}.md").write_text(card, encoding="utf-8")
        tags.append(str(save_model(pipelines[feature_set], meta, card).tag))
    save_comparables(comps, comps_meta)
    return tags


def comparables_metadata(
    info: RunInfo,
    films: int,
    newest_year: int,
    default_k: int,
    backtest_r2: dict[int, float],
    backtest_ci: dict[int, tuple[float, float]],
    backtest_years: list[int],
) -> ComparablesMetadata:
    return ComparablesMetadata(
        format=MODEL_FORMAT,
        run=info.run,
        kind="comparables",
        films=films,
        newest_year=newest_year,
        default_k=default_k,
        weights=dict(WEIGHTS),
        similarity="1 / (1 + Euclidean distance) in the weighted, standardised space of "
        "the pre-release fields",
        backtest_r2=backtest_r2,
        backtest_r2_ci95=backtest_ci,
        backtest_years=backtest_years,
        cpi=info.cpi,
        data_sha256=info.data_sha256,
    )

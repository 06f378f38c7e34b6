"""How the models score films whose lists and original language are left out (as the original
project's clients send them): `python -m bench.missing_lists` (uses $BENTOML_HOME's newest run,
or $BOXOFFICE_RUN, and the dataset; train that run with --holdout original so that the
validation part is held out).

Scores the validation part three ways: as it is; with every list and the original language left
out, which FilmFeatures scores as the typical (training median) number of items, none in
particular (``count_medians_``), and the most common language (``language_mode_``); and with
them given as none (empty lists, a language no training film has), which is what left-out
fields counted as before. Revenue: R² of the forecast (the median); hit: ROC-AUC, Brier score
and mean P(hit), read from the same distribution, against the actual hit rate. The test fold is
not used: this chose how the service treats a field that is not given.
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.metrics import brier_score_loss, r2_score, roc_auc_score

from boxoffice.config import FEATURE_SETS, FORECAST
from boxoffice.distribution import read_forecasts
from boxoffice.fields import LIST_FIELDS
from boxoffice.metadata import horizons, read_metadata
from boxoffice.store import resolve_run
from serving.predictor import LoadedModel
from training import config
from training.data import load_movies
from training.split import is_hit, log_revenue, make_splits


def main() -> None:
    found = resolve_run(os.environ.get("BOXOFFICE_RUN") or None)
    val = make_splits(load_movies().frame).val
    fitted_on = read_metadata(found[(FORECAST, "pre_release")]).fitted_on
    if fitted_on != "original_train":
        print(
            "note: this run learned from every labelled film, the validation part included; "
            "for held-out figures, train with --holdout original and set BOXOFFICE_RUN to it"
        )
    left_out = val.assign(
        original_language=None, **{name: [None] * len(val) for name in LIST_FIELDS}
    )
    as_none = val.assign(
        original_language="xx", **{name: [[] for _ in range(len(val))] for name in LIST_FIELDS}
    )
    y_revenue, y_hit = log_revenue(val), is_hit(val, config.HIT_RATIO)
    print(f"validation part: {len(val):,} films, hit rate {y_hit.mean():.3f}")
    budget = val["budget"].to_numpy(dtype=float)
    for feature_set in FEATURE_SETS:
        model = LoadedModel.load(found[(FORECAST, feature_set)])
        rows = (("given", val), ("left out: typical", left_out), ("as none", as_none))
        for label, frame in rows:
            horizon = horizons(model.features.release_years(frame), model.metadata.newest_year)
            read = read_forecasts(
                model.distribution,
                model.pipeline.predict(frame),
                budget,
                horizon,
                model.metadata.hit_ratio,
            )
            p = read.probability
            print(
                f"{feature_set:12s} {label:18s} R² {r2_score(y_revenue, read.median):.3f}  AUC "
                f"{roc_auc_score(y_hit, p):.3f}  Brier {brier_score_loss(y_hit, p):.4f}  mean P "
                f"{np.mean(p):.3f}"
            )


if __name__ == "__main__":
    main()

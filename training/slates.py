"""The slate backtest: does a slate's 80% range hold for slates of later films?

Trained up to the year before the test years, the chosen configuration forecasts every film of
the test years; the distribution is the one it had then. Random slates of ``SIZES`` films of
those years (``N_SLATES`` of each size, seeded) are simulated as the service simulates a slate
(``boxoffice.slate``), with the year term and with films taken as independent, and compared
with what happened: the realised total revenue and number of hits inside the slate's 80%
ranges, and the expected number of hits beside the realised one.
"""

from __future__ import annotations

import numpy as np

from boxoffice.config import DEFAULT_STUDIO_SHARE
from boxoffice.distribution import HIGH, LOW
from boxoffice.metadata import SlateBacktest, SlateScores
from boxoffice.slate import SlateFilms, hit_range, simulate
from training.backtest import Truth
from training.calendar import Calendar
from training.distribution import DistributionFits
from training.forward import from_origin

SIZES = (5, 10, 20)
N_SLATES = {"full": 500, "quick": 100}
N_DRAWS = {"full": 2000, "quick": 500}


def slate_backtest(
    fits: DistributionFits,
    design: str,
    calendar: Calendar,
    truth: Truth,
    revenue_usd: np.ndarray,
    seed: int,
) -> SlateBacktest:
    """``revenue_usd``: every population film's realised revenue (as drawn)."""
    origin = calendar.trained_to + 1
    group = from_origin(fits.forecasts, origin, calendar.test_years)
    distribution = fits.as_of(origin, design)
    read = fits.read(group, design)
    budget = fits.budget[group.row]
    films = SlateFilms(
        centre=group.prediction,
        spread=read.spread,
        horizon=group.horizon.astype(float),
        release_year=group.year,
        budget=budget,
        marketing=np.zeros(len(group)),
        studio_share=np.full(len(group), DEFAULT_STUDIO_SHARE),
        distribution=[distribution] * len(group),
        hit_ratio=fits.hit_ratio,
    )
    realised_revenue = revenue_usd[group.row]
    realised_hit = truth.hit[group.row]
    rng = np.random.default_rng(seed)
    n_slates, n_draws = N_SLATES[calendar.profile], N_DRAWS[calendar.profile]
    by_size = {}
    for size in SIZES:
        inside = {True: [0, 0], False: [0, 0]}
        expected = realised = 0.0
        for _ in range(n_slates):
            pick = rng.choice(len(group), size, replace=False)
            slate = SlateFilms(
                **{
                    name: value[pick] if isinstance(value, np.ndarray) else value
                    for name, value in vars(films).items()
                    if name != "distribution"
                },
                distribution=[distribution] * size,
            )
            for shared in (True, False):
                draws = simulate(slate, n_draws, int(rng.integers(2**31)), shared)
                low, high = np.quantile(draws.revenue, [LOW, HIGH])
                inside[shared][0] += low <= realised_revenue[pick].sum() <= high
                fewest, most = hit_range(draws.hits)
                inside[shared][1] += fewest <= realised_hit[pick].sum() <= most
            expected += read.probability[pick].sum()
            realised += realised_hit[pick].sum()
        by_size[size] = SlateScores(
            size=size,
            slates=n_slates,
            revenue_coverage=inside[True][0] / n_slates,
            hits_coverage=inside[True][1] / n_slates,
            revenue_coverage_independent=inside[False][0] / n_slates,
            hits_coverage_independent=inside[False][1] / n_slates,
            mean_expected_hits=expected / n_slates,
            mean_realised_hits=realised / n_slates,
        )
    return SlateBacktest(
        trained_to=calendar.trained_to,
        years=list(calendar.test_years),
        draws=n_draws,
        seed=seed,
        method=f"{n_slates} random slates of each size drawn (seed {seed}) from the "
        f"{len(group):,} films of {calendar.test_years[0]}-{calendar.test_years[-1]}, "
        f"forecast by the models fitted up to {calendar.trained_to} with the distribution "
        f"and year term they had then; each slate simulated {n_draws:,} times",
        by_size=by_size,
    )

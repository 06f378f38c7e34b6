"""A slate of films simulated together: total revenue, total profit and the number of hits.

Each film keeps the distribution it is answered with alone (``boxoffice.distribution``); what
the simulation adds is that films are not independent: out-of-time forecasts of one year's
films are too high or too low together, and a model's forecasts of every later year drift
together (the year term, measured on the backtest's out-of-time forecasts, ``YearTerm``).
Films are tied by a Gaussian copula: a film's draws are ranked by its copula score
√ρ_c·D + √ρ_y·G_year + √(1 − ρ_c − ρ_y)·E_film, D shared by every film of the slate, G_year by
the films of its release year, E_film its own, all standard normal, and its k-th lowest of n
draws is its own distribution's quantile at (k + 0.5) / n (``_ranked_levels``); ρ_c and ρ_y
are the drift's and the year's variances over the film's own (its spread × Z's normal scale,
squared), together at most ``MAX_SHARED``. Every film's own distribution is unchanged (its
median, range and P(hit) over the draws are those of its single answer, to 1 / n); only how
the films move together is added. A hit in a draw is revenue above the hit ratio times the
budget, so the hit count moves with the shared terms too.

``N_DRAWS`` draws from a generator seeded with ``SEED``, dealt to the films in a canonical
order of what is simulated of them (``canonical_order``): the same slate always gets the same
answer, in whatever order its films are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boxoffice.distribution import HIGH, LOG_REVENUE_CEILING, LOW, RevenueDistribution, hit_line

N_DRAWS = 4000
SEED = 0
MAX_SHARED = 0.9
# Films are drawn this many at a time: memory stays at a few MB whatever the slate's size.
CHUNK = 100


@dataclass
class SlateFilms:
    """The films of a slate as the service answers them one by one (arrays, one per film)."""

    centre: np.ndarray  # the forecast, log1p USD
    spread: np.ndarray
    horizon: np.ndarray
    release_year: np.ndarray
    budget: np.ndarray  # USD
    marketing: np.ndarray  # USD
    studio_share: np.ndarray
    distribution: list[RevenueDistribution]  # each film's
    hit_ratio: float


@dataclass
class SlateDraws:
    """Per draw: the slate's total revenue and total profit (USD) and its number of hits."""

    revenue: np.ndarray
    profit: np.ndarray
    hits: np.ndarray


def shared_weights(
    distribution: RevenueDistribution, spread: np.ndarray, horizon: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each film's shares of its normal score made up by the term every film of the slate
    shares (the models' drift) and by its release year's own term; together at most
    MAX_SHARED."""
    common, own_year = distribution.year_term.parts(horizon)
    scale = (np.asarray(spread) * distribution.normal_scale()) ** 2
    total = (common + own_year) / scale
    shrink = np.minimum(1.0, MAX_SHARED / np.maximum(total, 1e-12))
    return common / scale * shrink, own_year / scale * shrink


def simulate(
    films: SlateFilms, n_draws: int = N_DRAWS, seed: int = SEED, shared: bool = True
) -> SlateDraws:
    """Draw the slate ``n_draws`` times (``shared=False``: films as independent)."""
    rng = np.random.default_rng(seed)
    years, year_of = np.unique(films.release_year, return_inverse=True)
    drift = rng.standard_normal((n_draws, 1))
    year_terms = rng.standard_normal((n_draws, len(years)))
    revenue = np.zeros(n_draws)
    profit = np.zeros(n_draws)
    hits = np.zeros(n_draws, dtype=np.int64)
    by_distribution: dict[int, list[int]] = {}
    for i in canonical_order(films):
        by_distribution.setdefault(id(films.distribution[i]), []).append(int(i))
    for members in by_distribution.values():
        distribution = films.distribution[members[0]]
        levels, table = distribution.table()
        for start in range(0, len(members), CHUNK):
            at = np.asarray(members[start : start + CHUNK])
            spread = films.spread[at]
            common, own_year = shared_weights(distribution, spread, films.horizon[at])
            if not shared:
                common, own_year = 0 * common, 0 * own_year
            own = rng.standard_normal((n_draws, len(at)))
            score = (
                np.sqrt(common) * drift
                + np.sqrt(own_year) * year_terms[:, year_of[at]]
                + np.sqrt(1 - common - own_year) * own
            )
            z = np.interp(_ranked_levels(score), levels, table)
            log_revenue = np.clip(
                films.centre[at] + distribution.location + spread * z, 0.0, LOG_REVENUE_CEILING
            )  # as each film's answer reads its distribution
            dollars = np.expm1(log_revenue)
            revenue += dollars.sum(axis=1)
            profit += (
                films.studio_share[at] * dollars - films.budget[at] - films.marketing[at]
            ).sum(axis=1)
            hits += (log_revenue > hit_line(films.budget[at], films.hit_ratio)).sum(axis=1)
    return SlateDraws(revenue, profit, hits)


def canonical_order(films: SlateFilms) -> np.ndarray:
    """The films sorted by everything the simulation reads of them: the draws a film gets do
    not depend on where it is listed (films equal in all of it are interchangeable)."""
    identity = [(d.design, d.location, d.n_residuals) for d in films.distribution]
    rank = {key: i for i, key in enumerate(sorted(set(identity)))}  # pre- or post-release
    kind = [rank[key] for key in identity]
    keys = (
        films.studio_share,
        films.marketing,
        films.budget,
        films.release_year,
        films.horizon,
        films.spread,
        films.centre,
        kind,
    )  # np.lexsort sorts by the last key first
    return np.lexsort([np.asarray(k, dtype=float) for k in keys])


def _ranked_levels(score: np.ndarray) -> np.ndarray:
    """Each film's draws at the levels (k + 0.5) / n in the order of its copula scores (a
    column per film): the films move together as the scores rank them, and each film's draws
    are its own distribution's quantiles, evenly spaced, so a film's median, range and
    P(hit) over the draws are its single answer's (to 1 / n), where ``ndtr(score)`` left
    Monte Carlo noise (a one-film slate's P(total profit > 0) 0.667 beside its p_profit
    0.656)."""
    n = len(score)
    by_film = np.ascontiguousarray(score.T)  # each film's draws in a row: sorted faster
    ranks = np.empty(by_film.shape, dtype=np.intp)
    np.put_along_axis(ranks, np.argsort(by_film, axis=1), np.arange(n)[None, :], axis=1)
    return ((ranks + 0.5) / n).T


def at_least(hits: np.ndarray, n_films: int) -> np.ndarray:
    """P(at least k hits) for k = 0 .. n_films, from the draws' hit counts."""
    counts = np.bincount(hits, minlength=n_films + 1)[: n_films + 1]
    return np.cumsum(counts[::-1])[::-1] / len(hits)


def hit_range(hits: np.ndarray) -> tuple[int, int]:
    """The 80% range of the number of hits: its 10th and 90th percentiles (as counted)."""
    low, high = np.quantile(hits, [LOW, HIGH], method="inverted_cdf")
    return int(low), int(high)

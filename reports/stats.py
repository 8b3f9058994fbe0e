"""The statistics the score analysis states, written out so anyone can check them: every function
takes counts (aggregated in the database) and returns numbers, never reads a lead.

- Wilson's interval for a proportion (a close rate): honest with small counts and with 0 % or
  100 %, where the textbook p ± 1.96·√(p(1-p)/n) collapses to nothing.
- The concordance (AUC) from a histogram of scores of won and lost leads: the chance that a won
  lead had scored higher than a lost one (ties count half), with the Hanley–McNeil interval.
- Two proportions compared (a z test on the pooled rate) and the ratio of two rates (a lift) with
  the interval of its logarithm.
- Shrunken log odds: a rule seen on few leads is pulled toward "no effect" before it becomes
  points (a Bayesian-flavoured add-half and n/(n+k) shrinkage, said in docs/score-analysis.md).
"""

from __future__ import annotations

import math

Z95 = 1.959964


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The 95 % Wilson score interval of successes/trials; (None, None) with no trials."""
    if trials <= 0:
        return None, None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def auc(won_by_score: dict[int, int], lost_by_score: dict[int, int]) -> tuple[float | None, float | None, float | None]:
    """(AUC, low, high): the chance a won lead outscored a lost one, ties half, from counts per
    score; the interval by Hanley & McNeil (1982). None when either side is empty."""
    won_total, lost_total = sum(won_by_score.values()), sum(lost_by_score.values())
    if not won_total or not lost_total:
        return None, None, None
    below = 0  # lost leads with a lower score than the current one
    concordant = 0.0
    for score in sorted(set(won_by_score) | set(lost_by_score)):
        won, lost = won_by_score.get(score, 0), lost_by_score.get(score, 0)
        concordant += won * (below + lost / 2)
        below += lost
    area = concordant / (won_total * lost_total)
    q1, q2 = area / (2 - area), 2 * area * area / (1 + area)
    variance = (area * (1 - area) + (won_total - 1) * (q1 - area * area) + (lost_total - 1) * (q2 - area * area)) / (
        won_total * lost_total
    )
    half = Z95 * math.sqrt(max(variance, 0.0))
    return area, max(0.0, area - half), min(1.0, area + half)


def two_proportions(a_successes: int, a_trials: int, b_successes: int, b_trials: int) -> float | None:
    """The two-sided p-value that two rates are equal (z test on the pooled rate); None when a
    side is empty or the pooled rate is 0 or 1 (no difference can be seen)."""
    if not a_trials or not b_trials:
        return None
    pooled = (a_successes + b_successes) / (a_trials + b_trials)
    if pooled in (0, 1):
        return None
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a_trials + 1 / b_trials))
    z = (a_successes / a_trials - b_successes / b_trials) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def chi_square_p(observed: list[int], expected_shares: list[float]) -> float | None:
    """The p-value that counts `observed` follow `expected_shares` (a goodness-of-fit test);
    None with too few answers to say (fewer than 5 expected in a cell is pooled away)."""
    total = sum(observed)
    cells = [(o, s * total) for o, s in zip(observed, expected_shares, strict=True) if s > 0]
    cells = [(o, e) for o, e in cells if e >= 1]
    if total < 10 or len(cells) < 2:
        return None
    statistic = sum((o - e) ** 2 / e for o, e in cells)
    return _chi2_survival(statistic, len(cells) - 1)


def _chi2_survival(x: float, k: int) -> float:
    """P(χ²ₖ > x) through the regularised upper incomplete gamma function (series/fraction)."""
    a, x = k / 2, x / 2
    if x <= 0:
        return 1.0
    if x < a + 1:  # the series for the lower function
        term = total = 1 / a
        n = a
        for _ in range(500):
            n += 1
            term *= x / n
            total += term
            if term < total * 1e-12:
                break
        return max(0.0, 1 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    b, c, d = x + 1 - a, 1 / 1e-300, 1 / (x + 1 - a)  # Lentz's continued fraction for the upper one
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = b + an / c
        c = c if abs(c) > 1e-300 else 1e-300
        h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)


def rate_ratio(a_successes: int, a_trials: int, b_successes: int, b_trials: int):
    """(lift, low, high): rate a ÷ rate b with the 95 % interval of its logarithm (add-half to
    every count, so a zero does not make it infinite); Nones when a side is empty."""
    if not a_trials or not b_trials:
        return None, None, None
    a_rate = (a_successes + 0.5) / (a_trials + 1)
    b_rate = (b_successes + 0.5) / (b_trials + 1)
    lift = a_rate / b_rate
    spread = math.sqrt(1 / (a_successes + 0.5) - 1 / (a_trials + 1) + 1 / (b_successes + 0.5) - 1 / (b_trials + 1))
    return lift, lift * math.exp(-Z95 * spread), lift * math.exp(Z95 * spread)


SHRINK_LEADS = 30  # a rule seen on this many leads keeps half its measured effect
POINTS_PER_LOG_ODDS = 15  # doubling the odds of closing ≈ 10 points
MAX_POINTS = 50


def suggested_points(won_with: int, with_total: int, won_without: int, without_total: int) -> int | None:
    """The points the outcomes suggest: the log odds ratio of closing with the rule against
    without it (add-half), shrunk toward 0 by n/(n+SHRINK_LEADS), times POINTS_PER_LOG_ODDS,
    within ±MAX_POINTS. None when either side is empty."""
    if not with_total or not without_total:
        return None
    odds_with = (won_with + 0.5) / (with_total - won_with + 0.5)
    odds_without = (won_without + 0.5) / (without_total - won_without + 0.5)
    shrunk = math.log(odds_with / odds_without) * with_total / (with_total + SHRINK_LEADS)
    return max(-MAX_POINTS, min(MAX_POINTS, round(shrunk * POINTS_PER_LOG_ODDS)))

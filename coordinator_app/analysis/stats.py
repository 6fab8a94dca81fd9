"""Small-sample statistics of the analysis, in pure Python (no SciPy): exact binomial tails,
Fisher's exact test, weighted Cohen's κ, ICC(A,1), the mean difference with its t-interval, the
sign test, a seeded two-sample permutation test and Spearman's ρ.

Methods and sources: `/work/shared/OBJECTIVITY.md` §4–§5. The t quantile is computed, not tabled:
bisection on the Student t CDF, which is the regularised incomplete beta function evaluated by its
continued fraction (Lentz's method, as in Numerical Recipes §6.4).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

# -- binomial ---------------------------------------------------------------------------------


def _log_pmf_terms(m: int, p: float, lo: int, hi: int) -> list[float]:
    lp, lq = math.log(p), math.log1p(-p)
    lgm = math.lgamma(m + 1)
    return [lgm - math.lgamma(i + 1) - math.lgamma(m - i + 1) + i * lp + (m - i) * lq for i in range(lo, hi + 1)]


def _log_sum_exp(terms: list[float]) -> float:
    top = max(terms)
    return top + math.log(math.fsum(math.exp(t - top) for t in terms))


def _binom_range(m: int, p: float, lo: int, hi: int) -> float:
    """P(lo ≤ X ≤ hi) for X ~ Bin(m, p), summed in log space over the requested side."""
    lo, hi = max(lo, 0), min(hi, m)
    if lo > hi:
        return 0.0
    if p <= 0.0:
        return 1.0 if lo == 0 else 0.0
    if p >= 1.0:
        return 1.0 if hi == m else 0.0
    return min(1.0, math.exp(_log_sum_exp(_log_pmf_terms(m, p, lo, hi))))


def binom_sf(k: int, m: int, p: float = 0.5) -> float:
    """P(X ≥ k) for X ~ Binomial(m, p)."""
    return _binom_range(m, p, k, m)


def binom_cdf(k: int, m: int, p: float = 0.5) -> float:
    """P(X ≤ k) for X ~ Binomial(m, p)."""
    return _binom_range(m, p, 0, k)


def sign_test(diffs: Sequence[float]) -> float | None:
    """Two-sided sign test: p = min(1, 2·P(Bin(n₊+n₋, ½) ≥ max(n₊, n₋))); None without non-zero diffs."""
    plus = sum(1 for d in diffs if d > 0)
    minus = sum(1 for d in diffs if d < 0)
    if plus + minus == 0:
        return None
    return min(1.0, 2 * binom_sf(max(plus, minus), plus + minus))


# -- Fisher's exact test ----------------------------------------------------------------------


def _log_hypergeom(a: int, row1: int, col1: int, total: int) -> float:
    def lc(n: int, k: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    return lc(col1, a) + lc(total - col1, row1 - a) - lc(total, row1)


def fisher_exact(a: int, b: int, c: int, d: int, alternative: str = "two-sided") -> float:
    """Fisher's exact test of the 2×2 table [[a, b], [c, d]]. `alternative`: "two-sided" (sum of
    the tables no more likely than the observed one), "greater" (a at least as large), "less"."""
    row1, col1, total = a + b, a + c, a + b + c + d
    lo, hi = max(0, row1 + col1 - total), min(row1, col1)
    logs = {x: _log_hypergeom(x, row1, col1, total) for x in range(lo, hi + 1)}
    if alternative == "greater":
        chosen = [v for x, v in logs.items() if x >= a]
    elif alternative == "less":
        chosen = [v for x, v in logs.items() if x <= a]
    else:
        cut = logs[a] + 1e-7
        chosen = [v for v in logs.values() if v <= cut]
    return min(1.0, math.exp(_log_sum_exp(chosen)))


# -- agreement --------------------------------------------------------------------------------


def weighted_kappa(pairs: Sequence[tuple[int, int]], categories: Sequence[int],
                   weights: str = "quadratic") -> float | None:
    """Cohen's weighted κ over ordered categories (Cohen 1968; OBJECTIVITY.md §5.2):
    κ_w = 1 − Σ w·O / Σ w·E, w = |i − j| / (K − 1) ("linear") or its square ("quadratic"); "none"
    gives Cohen's unweighted κ. None when undefined (no pairs, or no expected disagreement)."""
    k = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    used = [(index[x], index[y]) for x, y in pairs if x in index and y in index]
    if not used or k < 2:
        return None
    n = len(used)
    rows, cols = [0] * k, [0] * k
    observed: dict[tuple[int, int], int] = {}
    for i, j in used:
        rows[i] += 1
        cols[j] += 1
        observed[(i, j)] = observed.get((i, j), 0) + 1

    def weight(i: int, j: int) -> float:
        if weights == "none":
            return 0.0 if i == j else 1.0
        w = abs(i - j) / (k - 1)
        return w * w if weights == "quadratic" else w

    disagree_o = sum(weight(i, j) * cnt for (i, j), cnt in observed.items()) / n
    disagree_e = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k)) / (n * n)
    if disagree_e <= 0:
        return None
    return 1.0 - disagree_o / disagree_e


def icc_a1(rows: Sequence[Sequence[float]]) -> float | None:
    """ICC(A,1): two-way random effects, absolute agreement, single rater (McGraw & Wong 1996,
    = Shrout & Fleiss ICC(2,1)); `rows` = n targets × k ratings. None when undefined."""
    n = len(rows)
    if n < 2:
        return None
    k = len(rows[0])
    if k < 2 or any(len(r) != k for r in rows):
        return None
    grand = sum(sum(r) for r in rows) / (n * k)
    row_means = [sum(r) / k for r in rows]
    col_means = [sum(r[j] for r in rows) / n for j in range(k)]
    ss_total = sum((x - grand) ** 2 for r in rows for x in r)
    ss_r = k * sum((m - grand) ** 2 for m in row_means)
    ss_c = n * sum((m - grand) ** 2 for m in col_means)
    ms_r = ss_r / (n - 1)
    ms_c = ss_c / (k - 1)
    ms_e = (ss_total - ss_r - ss_c) / ((n - 1) * (k - 1))
    denominator = ms_r + (k - 1) * ms_e + (k / n) * (ms_c - ms_e)
    if denominator <= 0:
        return None
    return (ms_r - ms_e) / denominator


def icc_band(icc: float | None) -> str | None:
    """Koo & Li (2016) bands: < 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, > 0.9 excellent."""
    if icc is None:
        return None
    if icc < 0.5:
        return "poor"
    if icc < 0.75:
        return "moderate"
    return "good" if icc <= 0.9 else "excellent"


# -- Student t --------------------------------------------------------------------------------


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with df degrees of freedom (df = inf: the normal)."""
    if math.isinf(df):
        return 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t, by bisection on `t_cdf` (to 1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    while hi - lo > 1e-12 * max(1.0, hi):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def mean_ci95(values: Sequence[float]) -> tuple[float | None, tuple[float, float] | None]:
    """Mean and its 95 % t-interval mean ± t(0.975, n−1)·s/√n (None under 2 values)."""
    n = len(values)
    if n == 0:
        return None, None
    mean = math.fsum(values) / n
    if n < 2:
        return mean, None
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return mean, (mean - half, mean + half)


# -- permutation test -------------------------------------------------------------------------


def permutation_normal(drawn_size: int, observed: float, pooled: Sequence[float], upper: bool) -> float:
    """The permutation distribution of the sum of `drawn_size` values drawn without replacement from
    `pooled`, by its exact mean and variance and the normal curve (continuity-corrected for integer
    scores): P(sum ≥ observed) if `upper`, else P(sum ≤ observed)."""
    n = len(pooled)
    mu = math.fsum(pooled) / n
    var_pop = math.fsum((v - mu) ** 2 for v in pooled) / n
    var = drawn_size * var_pop * (n - drawn_size) / (n - 1) if n > 1 else 0.0
    expected = drawn_size * mu
    if var <= 0:
        hit = observed <= expected + 1e-9 if upper else observed >= expected - 1e-9
        return 1.0 if hit else 0.0
    z = (observed - 0.5 - expected) / math.sqrt(var) if upper else (observed + 0.5 - expected) / math.sqrt(var)
    return 0.5 * math.erfc(z / math.sqrt(2.0)) if upper else 0.5 * math.erfc(-z / math.sqrt(2.0))


def permutation_test(higher: Sequence[float], lower: Sequence[float], permutations: int = 2000,
                     seed: int = 20260, stop_after: int = 50, exact_up_to: int = 60) -> float:
    """One-sided p that `higher` has a mean at least as far above `lower`'s as observed, under
    random relabelling of the pooled values. Only the smaller group is drawn (its sum fixes the
    difference). Seeded: reproducible. Besag & Clifford's sequential rule stops once `stop_after`
    relabellings reached the observed value (p = h/k), so clearly non-significant tests end early;
    otherwise p = (count + 1) / (permutations + 1). When both groups exceed `exact_up_to`, the same
    permutation distribution is taken by its exact mean and variance (`permutation_normal`): the
    drawing would cost ~permutations × group size and the normal limit is then accurate."""
    n_h, n_l = len(higher), len(lower)
    if n_h == 0 or n_l == 0:
        return 1.0
    pooled = list(higher) + list(lower)
    if n_h <= n_l:
        size, observed, sign = n_h, math.fsum(higher), 1.0
    else:
        size, observed, sign = n_l, math.fsum(lower), -1.0
    if min(n_h, n_l) > exact_up_to:
        return permutation_normal(size, observed, pooled, upper=sign > 0)
    rng = random.Random(seed)
    count = 0
    for done in range(1, permutations + 1):
        drawn = sum(rng.sample(pooled, size))
        if sign * (drawn - observed) >= -1e-9:
            count += 1
            if count >= stop_after:
                return count / done
    return (count + 1) / (permutations + 1)


# -- ranks ------------------------------------------------------------------------------------


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for pos in range(i, j + 1):
            ranks[order[pos]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    n = len(x)
    if n < 2 or n != len(y):
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's ρ: Pearson's r of the ranks (ties get their mean rank). None when undefined."""
    if len(x) != len(y):
        return None
    return pearson(_ranks(x), _ranks(y))

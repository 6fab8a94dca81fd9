"""The statistics of the analysis against figures computed independently: brute-force exact sums with
`fractions.Fraction`, published worked examples (cited where used) and implementations written
differently in the test."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from coordinator_app.analysis import stats

# -- binomial tails -----------------------------------------------------------------------------


def _binom_exact(m: int, p: Fraction, lo: int, hi: int) -> Fraction:
    return sum((Fraction(math.comb(m, i)) * p**i * (1 - p) ** (m - i) for i in range(max(lo, 0), min(hi, m) + 1)),
               Fraction(0))


@pytest.mark.parametrize("m", [0, 1, 2, 5, 11, 16, 40, 97])
@pytest.mark.parametrize("p", [Fraction(1, 2), Fraction(3, 10), Fraction(1, 17), Fraction(9, 10)])
def test_binomial_tails_match_exact_sums(m: int, p: Fraction) -> None:
    for k in range(-1, m + 2):
        sf = _binom_exact(m, p, k, m)
        cdf = _binom_exact(m, p, 0, k)
        assert stats.binom_sf(k, m, float(p)) == pytest.approx(float(sf), rel=1e-10, abs=1e-300)
        assert stats.binom_cdf(k, m, float(p)) == pytest.approx(float(cdf), rel=1e-10, abs=1e-300)


def test_binomial_tails_of_large_groups_and_edge_probabilities() -> None:
    # A pooled year: m in the thousands, tails far out; exact with Fraction for p = 1/2.
    m, k = 1200, 660
    exact = Fraction(sum(math.comb(m, i) for i in range(k, m + 1)), 2**m)
    assert stats.binom_sf(k, m) == pytest.approx(float(exact), rel=1e-9)
    assert stats.binom_cdf(0, 11) == pytest.approx(0.5**11, rel=1e-12)                     # OBJECTIVITY.md §8: 0.00049
    assert stats.binom_sf(0, 5, 0.0) == 1.0 and stats.binom_sf(1, 5, 0.0) == 0.0
    assert stats.binom_cdf(4, 5, 1.0) == 0.0 and stats.binom_cdf(5, 5, 1.0) == 1.0


def test_sign_test() -> None:
    # 9 positive, 1 negative, zeros dropped: p = 2·P(Bin(10, ½) ≥ 9) = 2·11/1024
    assert stats.sign_test([1] * 9 + [-2] + [0] * 5) == pytest.approx(22 / 1024)
    assert stats.sign_test([0, 0]) is None
    assert stats.sign_test([1, -1]) == 1.0


# -- Fisher -------------------------------------------------------------------------------------


def test_fisher_lady_tasting_tea() -> None:
    # Fisher (1935), The Design of Experiments §2: 8 cups, 3 of 4 identified: P(≥ 3) = 17/70.
    assert stats.fisher_exact(3, 1, 1, 3, "greater") == pytest.approx(17 / 70)
    assert stats.fisher_exact(3, 1, 1, 3) == pytest.approx(34 / 70)


def _fisher_brute(a: int, b: int, c: int, d: int) -> Fraction:
    row1, col1, total = a + b, a + c, a + b + c + d

    def prob(x: int) -> Fraction:
        return Fraction(math.comb(col1, x) * math.comb(total - col1, row1 - x), math.comb(total, row1))

    observed = prob(a)
    support = range(max(0, row1 + col1 - total), min(row1, col1) + 1)
    return sum((prob(x) for x in support if prob(x) <= observed), Fraction(0))


def test_fisher_two_sided_matches_brute_force() -> None:
    rng = random.Random(3)
    for _ in range(60):
        a, b, c, d = (rng.randint(0, 15) for _ in range(4))
        if a + b + c + d == 0:
            continue
        assert stats.fisher_exact(a, b, c, d) == pytest.approx(float(_fisher_brute(a, b, c, d)), rel=1e-9)


# -- κ ------------------------------------------------------------------------------------------

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: 100 pregnancies classified by two
# abstractors (Ectopic / AIU / NIU); the R package irrCAC ships it as `cont3x3abstractors` and its
# documented example prints Cohen's κ = 0.7964094 and quadratic-weighted κ = 0.8921569.
GWET_TABLE = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


def _pairs(table: list[list[int]], categories: list[int]) -> list[tuple[int, int]]:
    return [(categories[i], categories[j]) for i, row in enumerate(table) for j, cnt in enumerate(row)
            for _ in range(cnt)]


def test_kappa_published_examples() -> None:
    pairs = _pairs(GWET_TABLE, [0, 1, 2])
    assert stats.weighted_kappa(pairs, [0, 1, 2], "none") == pytest.approx(0.7964094, abs=1e-7)
    assert stats.weighted_kappa(pairs, [0, 1, 2], "quadratic") == pytest.approx(0.8921569, abs=1e-7)
    # Wikipedia «Cohen's kappa», worked example: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15: κ = 0.4.
    yes_no = _pairs([[20, 5], [10, 15]], [1, 0])
    assert stats.weighted_kappa(yes_no, [0, 1], "none") == pytest.approx(0.4)
    # With two categories every weighting is Cohen's κ (OBJECTIVITY.md §5.2: 1-point tasks).
    assert stats.weighted_kappa(yes_no, [0, 1], "quadratic") == pytest.approx(0.4)


def _kappa_brute(pairs: list[tuple[int, int]], cats: list[int], power: int) -> Fraction:
    """Agreement-weight form: κ = (P_o − P_e) / (1 − P_e), w = 1 − (|i − j| / (K − 1))^power, exact."""
    n, k = len(pairs), len(cats)

    def agree(x: int, y: int) -> Fraction:
        return 1 - Fraction(abs(cats.index(x) - cats.index(y)), k - 1) ** power

    p_o = sum((agree(x, y) for x, y in pairs), Fraction(0)) / n
    first = [x for x, _ in pairs]
    second = [y for _, y in pairs]
    p_e = sum((agree(x, y) * first.count(x) * second.count(y) for x in cats for y in cats), Fraction(0)) / (n * n)
    return (p_o - p_e) / (1 - p_e)


def test_weighted_kappa_matches_brute_force() -> None:
    rng = random.Random(11)
    for trial in range(40):
        cats = list(range(2, 6)) if trial % 2 else list(range(0, 4))
        pairs = []
        for _ in range(rng.randint(5, 60)):
            x = rng.choice(cats)
            pairs.append((x, min(max(x + rng.choice([-1, 0, 0, 1, 2]), cats[0]), cats[-1])))
        if len({x for x, _ in pairs}) < 2:
            continue
        for weights, power in (("linear", 1), ("quadratic", 2)):
            assert stats.weighted_kappa(pairs, cats, weights) == pytest.approx(float(_kappa_brute(pairs, cats, power)))


def test_kappa_undefined() -> None:
    assert stats.weighted_kappa([], [0, 1, 2]) is None
    assert stats.weighted_kappa([(2, 2)] * 10, [0, 1, 2]) is None        # no expected disagreement


# -- ICC ----------------------------------------------------------------------------------------

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), Table 2: 6 targets × 4 judges; Table 4 gives
# ICC(2,1) = 0.29 (= McGraw & Wong's ICC(A,1)).
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def test_icc_shrout_fleiss_table() -> None:
    assert round(stats.icc_a1(SHROUT_FLEISS), 2) == 0.29


def _icc_components(rows: list[list[int]]) -> Fraction:
    """ICC(A,1) from the variance components of the two-way model (McGraw & Wong 1996, Table 4):
    σ²_r = (MSR − MSE)/k, σ²_c = (MSC − MSE)/n, ICC = σ²_r / (σ²_r + σ²_c + σ²_e), exact."""
    n, k = len(rows), len(rows[0])
    cells = [Fraction(x) for r in rows for x in r]
    grand = sum(cells) / (n * k)
    rm = [Fraction(sum(r), k) for r in rows]
    cm = [Fraction(sum(r[j] for r in rows), n) for j in range(k)]
    resid = sum((Fraction(rows[i][j]) - rm[i] - cm[j] + grand) ** 2 for i in range(n) for j in range(k))
    msr = k * sum((m - grand) ** 2 for m in rm) / (n - 1)
    msc = n * sum((m - grand) ** 2 for m in cm) / (k - 1)
    mse = resid / ((n - 1) * (k - 1))
    var_r, var_c = (msr - mse) / k, (msc - mse) / n
    return var_r / (var_r + var_c + mse)


def test_icc_matches_variance_components() -> None:
    rng = random.Random(5)
    for _ in range(30):
        n = rng.randint(3, 40)
        rows = []
        for _ in range(n):
            true = rng.randint(0, 24)
            rows.append([true, true - rng.choice([0, 0, 1, 2])])
        expected = _icc_components(rows)
        assert stats.icc_a1(rows) == pytest.approx(float(expected))


def test_icc_penalises_a_systematic_shift() -> None:
    rows = [[x, x] for x in range(0, 24, 2)]
    assert stats.icc_a1(rows) == pytest.approx(1.0)
    shifted = [[x, x - 3] for x in range(0, 24, 2)]
    assert stats.icc_a1(shifted) < 0.95                     # absolute agreement sees the shift
    assert stats.icc_a1([[1, 2]]) is None
    assert stats.icc_band(0.3) == "poor" and stats.icc_band(0.8) == "good" and stats.icc_band(0.95) == "excellent"


# -- t ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("df", "t975"), [(1, 12.706), (4, 2.776), (5, 2.571), (9, 2.262), (10, 2.228), (14, 2.145),
                                          (19, 2.093), (29, 2.045), (49, 2.010), (math.inf, 1.960)])
def test_t_quantile_matches_the_table(df: float, t975: float) -> None:
    # Two-sided 95 % critical values of Student's t (OBJECTIVITY.md §4.6, any printed t table).
    assert round(stats.t_quantile(0.975, df), 3) == t975
    assert stats.t_quantile(0.025, df) == pytest.approx(-stats.t_quantile(0.975, df))


def test_t_cdf_closed_forms() -> None:
    # df = 1 is the Cauchy: F(t) = ½ + atan(t)/π; df = 2: F(t) = ½ + t / (2√(2 + t²)).
    for t in (-3.0, -0.5, 0.0, 0.7, 4.2):
        assert stats.t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)
        assert stats.t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


def test_mean_ci95() -> None:
    values = [3, 1, 0, 2, 2, 1, 0, 1, 4, 1]                 # n = 10, df 9: t = 2.262
    mean, ci = stats.mean_ci95(values)
    sd = math.sqrt(sum((v - 1.5) ** 2 for v in values) / 9)
    assert mean == 1.5
    assert ci[0] == pytest.approx(1.5 - 2.2622 * sd / math.sqrt(10), abs=1e-3)
    assert ci[1] == pytest.approx(1.5 + 2.2622 * sd / math.sqrt(10), abs=1e-3)
    assert stats.mean_ci95([2]) == (2.0, None) and stats.mean_ci95([]) == (None, None)


# -- permutation ---------------------------------------------------------------------------------


def _permutation_exact(higher: list[int], lower: list[int]) -> float:
    pooled = higher + lower
    observed = sum(higher)
    combos = list(itertools.combinations(range(len(pooled)), len(higher)))
    return sum(1 for c in combos if sum(pooled[i] for i in c) >= observed) / len(combos)


@pytest.mark.parametrize(("higher", "lower"), [([2, 2, 2, 1, 2], [0, 1, 0, 1, 2, 0]),
                                               ([1, 1, 1, 0, 1, 1, 1], [0, 1, 0, 0, 1, 0, 1, 1]),
                                               ([2, 1, 1, 0], [1, 1, 0, 2, 1]),
                                               ([2, 2, 1, 2, 1, 2, 0], [0, 1, 0, 1])])   # larger group first
def test_permutation_test_approximates_the_exact_enumeration(higher: list[int], lower: list[int]) -> None:
    exact = _permutation_exact(higher, lower)
    full = stats.permutation_test(higher, lower, permutations=4000, seed=20260, stop_after=10**9)
    assert full == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 4000) + 1e-3)
    # The sequential rule (Besag & Clifford) stops early only far from the 0.05 line: same decision.
    p = stats.permutation_test(higher, lower)
    assert (p < 0.05) == (exact < 0.05)
    assert stats.permutation_test(higher, lower) == p              # seeded: reproducible


def test_large_groups_use_the_normal_limit_of_the_same_distribution() -> None:
    rng = random.Random(8)
    for shift in (0.0, 0.15, 0.3):
        higher = [min(2, max(0, round(rng.gauss(1.0 + shift, 0.7)))) for _ in range(80)]
        lower = [min(2, max(0, round(rng.gauss(1.0, 0.7)))) for _ in range(110)]
        drawn = stats.permutation_test(higher, lower, permutations=4000, stop_after=10**9, exact_up_to=10**9)
        normal = stats.permutation_test(higher, lower)                   # both groups > 60: the normal limit
        assert normal == pytest.approx(drawn, abs=0.02)
        assert stats.permutation_test(lower, higher) == pytest.approx(
            stats.permutation_test(lower, higher, permutations=4000, stop_after=10**9, exact_up_to=10**9), abs=0.02)


def test_permutation_test_extremes() -> None:
    assert stats.permutation_test([1] * 15, [0] * 15) < 0.001
    assert stats.permutation_test([0] * 15, [1] * 15) > 0.9
    assert stats.permutation_test([], [1, 0]) == 1.0


# -- Spearman ------------------------------------------------------------------------------------


def test_spearman_published_example() -> None:
    # Wikipedia «Spearman's rank correlation coefficient», worked example (IQ vs hours of TV): ρ = −29/165.
    iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
    tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]
    assert stats.spearman(iq, tv) == pytest.approx(-29 / 165)


def test_spearman_with_ties_matches_the_d_squared_formula_without_ties() -> None:
    rng = random.Random(2)
    for _ in range(20):
        n = rng.randint(3, 15)
        x = rng.sample(range(100), n)
        y = rng.sample(range(100), n)
        rx = {v: i + 1 for i, v in enumerate(sorted(x))}
        ry = {v: i + 1 for i, v in enumerate(sorted(y))}
        d2 = sum((rx[a] - ry[b]) ** 2 for a, b in zip(x, y))
        assert stats.spearman(x, y) == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))
    assert stats.spearman([1, 2, 2, 3], [1, 2, 2, 3]) == pytest.approx(1.0)
    assert stats.spearman([1, 1, 1], [1, 2, 3]) is None

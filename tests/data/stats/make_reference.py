#!/usr/bin/python3
"""Writes reference.json: data sets and expected statistics for tests/unit/stats_test.cpp.

The expected values come from numpy and scipy, independently of the C++ code:
  median      numpy.median
  percentile  numpy.percentile(method='linear')  (numpy's default, R type 7)
  mean        numpy.mean
  stddev      numpy.std(ddof=1)                   (null when n < 2)
  median_ci   ranks chosen from scipy.stats.binom: the largest j in [1, ceil(n/2)] with
              P(j <= B <= n-j) >= level - 1e-12, B ~ Binomial(n, 1/2); the interval is
              [x_(j), x_(n+1-j)] of the sorted sample. No such j: [min, max], meets_level false.

Re-run after changing the data: /usr/bin/python3 tests/data/stats/make_reference.py
(needs Debian's python3-numpy and python3-scipy). The output is deterministic (fixed seed).
"""

import json
import math
import pathlib

import numpy as np
import scipy
from scipy.stats import binom

OUT = pathlib.Path(__file__).with_name("reference.json")
PERCENTILES = [0, 1, 5, 25, 50, 75, 90, 95, 99, 99.9, 100]
LEVEL_TOLERANCE = 1e-12

rng = np.random.default_rng(20240611)


def latencies_ns(n, median_ns):
    """Integer nanosecond latencies from a log-normal distribution (ties are possible)."""
    return [float(v) for v in np.rint(rng.lognormal(math.log(median_ns), 0.4, n))]


def distinct(n):
    """n distinct non-integer values in random order, so CI ranks map to unique values."""
    values = rng.permutation(np.arange(1, n + 1) * 1000.0 + rng.uniform(0.0, 999.0, n))
    return [float(v) for v in values]


def stats_case(name, xs):
    a = np.asarray(xs, dtype=np.float64)
    return {
        "name": name,
        "data": xs,
        "median": float(np.median(a)),
        "mean": float(np.mean(a)),
        "stddev": float(np.std(a, ddof=1)) if len(a) >= 2 else None,
        "percentiles": [[p, float(np.percentile(a, p, method="linear"))] for p in PERCENTILES],
    }


def ci_case(name, xs, level):
    n = len(xs)
    s = sorted(xs)
    best = 0
    for j in range(1, (n + 1) // 2 + 1):
        coverage = float(binom.cdf(n - j, n, 0.5) - binom.cdf(j - 1, n, 0.5))
        if coverage >= level - LEVEL_TOLERANCE:
            best = j
    if best == 0:
        low, high, meets = s[0], s[-1], False
        achieved = float(binom.cdf(n - 1, n, 0.5) - binom.cdf(0, n, 0.5))
    else:
        low, high, meets = s[best - 1], s[n - best], True
        achieved = float(binom.cdf(n - best, n, 0.5) - binom.cdf(best - 1, n, 0.5))
    return {"name": name, "level": level, "data": xs, "rank_low": best or 1,
            "rank_high": n + 1 - (best or 1), "low": low, "high": high,
            "achieved_level": achieved, "meets_level": meets}


datasets = [
    stats_case("n1", [42.0]),
    stats_case("n2", [7.0, 3.0]),
    stats_case("odd_n11", latencies_ns(11, 1_500_000)),
    stats_case("even_n10", latencies_ns(10, 250_000)),
    stats_case("ties_n12", [5.0, 1.0, 5.0, 9.0, 3.0, 5.0, 9.0, 1.0, 5.0, 9.0, 2.0, 5.0]),
    stats_case("all_equal_n6", [7.0] * 6),
    stats_case("signed_fractions_n9", [float(v) for v in np.round(rng.normal(0.0, 3.0, 9), 6)]),
    stats_case("lognormal_n1000", latencies_ns(1000, 80_000)),
]

ci_cases = []
for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 20, 30, 50, 100, 500, 1000]:
    ci_cases.append(ci_case(f"distinct_n{n}_95", distinct(n), 0.95))
for n in [8, 9, 10, 20, 100]:
    ci_cases.append(ci_case(f"distinct_n{n}_99", distinct(n), 0.99))
for n in [5, 10, 50]:
    ci_cases.append(ci_case(f"distinct_n{n}_90", distinct(n), 0.90))
# Boundary: [min, max] of n = 6 covers with exactly 1 - 2/64 = 0.96875.
ci_cases.append(ci_case("boundary_n6_exact_level", distinct(6), 0.96875))
ci_cases.append(ci_case("boundary_n6_above_level", distinct(6), 0.97))
TIES = [5.0, 1.0, 5.0, 9.0, 3.0, 5.0, 9.0, 1.0, 5.0, 9.0, 2.0, 5.0]
ci_cases.append(ci_case("ties_n12_95", TIES, 0.95))
ci_cases.append(ci_case("lognormal_n40_95", latencies_ns(40, 3_000_000), 0.95))

lines = ["{",
         f'"generator": "tests/data/stats/make_reference.py (numpy {np.__version__}, '
         f'scipy {scipy.__version__})",',
         '"datasets": [']
lines += [json.dumps(d) + ("," if i + 1 < len(datasets) else "") for i, d in enumerate(datasets)]
lines += ["],", '"median_ci": [']
lines += [json.dumps(c) + ("," if i + 1 < len(ci_cases) else "") for i, c in enumerate(ci_cases)]
lines += ["]", "}"]
OUT.write_text("\n".join(lines) + "\n")
print(f"wrote {OUT} ({len(datasets)} data sets, {len(ci_cases)} median CI cases)")

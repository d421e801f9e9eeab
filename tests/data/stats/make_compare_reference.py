#!/usr/bin/python3
"""Writes compare_reference.json: cases and expected values for tests/unit/stats_compare_test.cpp.

Expected values are computed here with numpy and scipy, independently of the C++ code:
  bootstrap   the percentile bootstrap, replaying lumos' documented SplitMix64 stream in
              Python (index = next() % n; numerator indices before denominator indices in a
              ratio round), statistic by numpy.median / numpy.mean, interval ends by
              numpy.percentile(method='linear') at 100*(1-level)/2 and 100*(1+level)/2.
              scipy.stats.bootstrap(method='percentile') on the same data is stored as a
              loose cross-check (its random stream differs).
  welch       scipy.stats.ttest_ind(log b, log a, equal_var=False) for t and the p-value;
              Welch-Satterthwaite df; the interval exp(diff -+ scipy.stats.t.ppf((1+level)/2,
              df) * se); Hedges' g from the pooled SD with J = 1 - 3 / (4 (na + nb) - 9).
  tukey       quartiles by numpy.percentile(method='linear'); fences q1 - k iqr, q3 + k iqr.

Re-run after changing the data: /usr/bin/python3 tests/data/stats/make_compare_reference.py
(Debian's python3-numpy and python3-scipy). Deterministic (fixed seeds).
"""

import json
import math
import pathlib

import numpy as np
import scipy
from scipy import stats

OUT = pathlib.Path(__file__).with_name("compare_reference.json")
MASK = (1 << 64) - 1
rng = np.random.default_rng(61106)


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def index(self, n):
        return self.next() % n


def statistic(name, xs):
    return float(np.median(xs)) if name == "median" else float(np.mean(xs))


def lat(n, median_ns, sigma=0.3):
    return [float(v) for v in np.rint(rng.lognormal(math.log(median_ns), sigma, n))]


def bootstrap_case(name, xs, stat, level, resamples, seed):
    g = SplitMix64(seed)
    n = len(xs)
    reps = []
    for _ in range(resamples):
        reps.append(statistic(stat, [xs[g.index(n)] for _ in range(n)]))
    low = float(np.percentile(reps, 100 * (1 - level) / 2, method="linear"))
    high = float(np.percentile(reps, 100 * (1 + level) / 2, method="linear"))
    case = {"name": name, "data": xs, "statistic": stat, "level": level,
            "resamples": resamples, "seed": seed, "low": low, "high": high}
    if n >= 2:  # scipy needs two observations
        fn = np.median if stat == "median" else np.mean
        sp = stats.bootstrap((np.asarray(xs),), fn, confidence_level=level,
                             n_resamples=resamples, method="percentile",
                             random_state=np.random.default_rng(1))
        case["scipy_low"] = float(sp.confidence_interval.low)
        case["scipy_high"] = float(sp.confidence_interval.high)
    return case


def ratio_case(name, num, den, stat, level, resamples, seed):
    g = SplitMix64(seed)
    reps = []
    for _ in range(resamples):
        a = [num[g.index(len(num))] for _ in range(len(num))]
        b = [den[g.index(len(den))] for _ in range(len(den))]
        reps.append(statistic(stat, a) / statistic(stat, b))
    return {"name": name, "numerator": num, "denominator": den, "statistic": stat,
            "level": level, "resamples": resamples, "seed": seed,
            "low": float(np.percentile(reps, 100 * (1 - level) / 2, method="linear")),
            "high": float(np.percentile(reps, 100 * (1 + level) / 2, method="linear"))}


def welch_case(name, a, b, level):
    la, lb = np.log(a), np.log(b)
    na, nb = len(la), len(lb)
    va, vb = np.var(la, ddof=1), np.var(lb, ddof=1)
    sa, sb = va / na, vb / nb
    se = math.sqrt(sa + sb)
    diff = float(np.mean(lb) - np.mean(la))
    df = (sa + sb) ** 2 / (sa ** 2 / (na - 1) + sb ** 2 / (nb - 1))
    res = stats.ttest_ind(lb, la, equal_var=False)
    q = float(stats.t.ppf((1 + level) / 2, df))
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    g = diff / pooled * (1 - 3 / (4 * (na + nb) - 9))
    low, high = math.exp(diff - q * se), math.exp(diff + q * se)
    return {"name": name, "a": a, "b": b, "level": level, "speedup": math.exp(diff),
            "low": low, "high": high, "t": float(res.statistic), "df": float(df),
            "p_value": float(res.pvalue), "hedges_g": g,
            "significant": bool(low > 1 or high < 1)}


def tukey_case(name, xs, k):
    q1, q3 = (float(v) for v in np.percentile(xs, [25, 75], method="linear"))
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return {"name": name, "data": xs, "k": k, "q1": q1, "q3": q3, "low": lo, "high": hi,
            "outliers": [bool(x < lo or x > hi) for x in xs]}


base = lat(30, 2_000_000)
bootstrap = [
    bootstrap_case("median_n30", base, "median", 0.95, 4000, 20240611),
    bootstrap_case("mean_n30", base, "mean", 0.95, 4000, 20240611),
    bootstrap_case("median_n11_99", lat(11, 50_000, 0.5), "median", 0.99, 3000, 7),
    bootstrap_case("mean_n200_90", lat(200, 800_000), "mean", 0.90, 1000, 12345),
    bootstrap_case("median_n1", [42.0], "median", 0.95, 100, 1),
]
ratios = [
    ratio_case("median_ratio_interp_over_aot", lat(30, 96_000_000, 0.2), lat(30, 800_000, 0.4),
               "median", 0.99, 3000, 99),
    ratio_case("mean_ratio_uneven_n", lat(12, 1_000_000), lat(25, 1_100_000), "mean", 0.95,
               3000, 5),
]
welch = [
    welch_case("aot_vs_interp_clear", lat(30, 800_000, 0.3), lat(30, 96_000_000, 0.2), 0.99),
    welch_case("close_no_difference", lat(40, 1_000_000, 0.2), lat(40, 1_010_000, 0.2), 0.99),
    welch_case("a_slower_95", lat(20, 1_500_000, 0.1), lat(25, 1_000_000, 0.3), 0.95),
    welch_case("small_uneven", lat(3, 10_000, 0.5), lat(8, 30_000, 0.1), 0.99),
    welch_case("cold_native_vs_runc", lat(30, 4_800_000, 0.4), lat(30, 183_000_000, 0.3), 0.99),
]
ties = [5.0, 1.0, 5.0, 9.0, 3.0, 5.0, 9.0, 1.0, 5.0, 9.0, 2.0, 5.0]
tukey = [
    tukey_case("lognormal_n50", lat(50, 500_000, 0.6), 1.5),
    tukey_case("with_spikes", lat(20, 100_000, 0.05) + [900_000.0, 20_000.0], 1.5),
    tukey_case("far_out_k3", lat(20, 100_000, 0.05) + [900_000.0, 150_000.0], 3.0),
    tukey_case("ties", ties, 1.5),
    tukey_case("n1", [3.0], 1.5),
]

doc = {"generator": f"tests/data/stats/make_compare_reference.py (numpy {np.__version__}, "
                    f"scipy {scipy.__version__})",
       "bootstrap": bootstrap, "bootstrap_ratio": ratios, "welch": welch, "tukey": tukey}
OUT.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {OUT}: {len(bootstrap)} bootstrap, {len(ratios)} ratio, {len(welch)} welch, "
      f"{len(tukey)} tukey cases")

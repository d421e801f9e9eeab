// Comparison of two runtimes' latencies: effect size as a speed ratio with a confidence interval.
//
// Method (as Sightglass, but on the log scale, where latency ratios are symmetric): Welch's
// t-interval for the difference of the mean log latencies, exponentiated, is a confidence
// interval for the ratio of geometric means. It is stated as "A is 1.32x to 1.37x faster than
// B (99% CI)" or "no significant difference" when the interval contains 1.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lumos/stats/stats.hpp"

namespace lumos::stats {

/// Default confidence level of compare_latencies (Sightglass uses 99%).
inline constexpr double kCompareLevel = 0.99;

/// Outcome of comparing latencies of A against B.
struct Comparison {
  std::string a_name, b_name;    ///< labels used by describe(), e.g. "wasmedge-aot"
  std::size_t n_a = 0, n_b = 0;  ///< positive samples used (non-positive ones are dropped)
  double level = kNaN;           ///< confidence level, e.g. 0.99
  /// Geometric-mean latency of B / that of A: > 1 means A is faster ("speedup of A over B").
  double speedup = kNaN;
  double speedup_low = kNaN;   ///< lower end of the CI of speedup
  double speedup_high = kNaN;  ///< upper end of the CI of speedup
  double t = kNaN;             ///< Welch t statistic of mean(log B) - mean(log A)
  double df = kNaN;            ///< Welch-Satterthwaite degrees of freedom
  double p_value = kNaN;       ///< two-sided
  double hedges_g = kNaN;      ///< standardized effect size on the log scale (pooled SD, bias-corrected)
  bool valid = false;          ///< enough data (>= 2 positive samples each, some variance)
  bool significant = false;    ///< valid and the CI excludes 1
};

/// Compares latencies of A and B (any positive unit, the same for both). Values <= 0 or NaN
/// are ignored. Fewer than 2 usable values in either sample, or zero variance in both, gives
/// valid = false (and NaNs), never a crash.
Comparison compare_latencies(const std::vector<double>& a, const std::vector<double>& b, double level = kCompareLevel,
                             std::string a_name = "A", std::string b_name = "B");

/// One sentence: "A is 1.32x to 1.37x faster than B (99% CI)", "B is ... faster than A ...",
/// "no significant difference between A and B (99% CI: 0.97x to 1.04x)", or "not enough data
/// to compare A and B". Ratios with 3 significant digits.
std::string describe(const Comparison& c);

}  // namespace lumos::stats

// Robust descriptive statistics over samples: median, percentiles, mean, stddev, median CI.
//
// Pure free functions, no I/O, no global state. They work on any unit: the value unit of
// every result is the unit of the input (lumos callers pass durations as nanoseconds in a
// double, e.g. `static_cast<double>(d.count())` of a std::chrono::nanoseconds).
//
// Empty input never crashes: every function returns NaN (or an Interval of NaNs). A NaN
// anywhere in the input makes median, percentile and median_ci return NaN, as numpy does.
#pragma once

#include <limits>
#include <vector>

namespace lumos::stats {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Median (the 50th percentile under percentile()'s rule: mean of the two middle values for
/// even n). NaN for empty input.
double median(std::vector<double> xs);

/// The p-th percentile, p in [0, 100], by linear interpolation between order statistics:
/// numpy.percentile's default `method='linear'` (R type 7). With the sorted sample x[0..n-1]
/// and h = (n - 1) * p / 100, the result is x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] -
/// x[floor(h)]). NaN for empty input, or p outside [0, 100] or NaN.
double percentile(std::vector<double> xs, double p);

/// Arithmetic mean. NaN for empty input.
double mean(const std::vector<double>& xs);

/// Sample standard deviation (divisor n - 1, numpy's `ddof=1`). NaN for fewer than 2 values.
double stddev(const std::vector<double>& xs);

/// A confidence interval [low, high] in the unit of the sample.
struct Interval {
  double low = kNaN;
  double high = kNaN;
  double level = kNaN;           ///< requested confidence level, e.g. 0.95
  double achieved_level = kNaN;  ///< P(low <= true median <= high) of the chosen order statistics
  bool meets_level = false;      ///< achieved_level reaches level (within 1e-12)
};

/// Distribution-free confidence interval for the population median from order statistics
/// (the sign-test interval; valid for any continuous distribution, conservative with ties).
///
/// Rule: with the sorted sample X_(1) <= ... <= X_(n) and B ~ Binomial(n, 1/2), the pair
/// (X_(j), X_(n+1-j)) covers the median with probability 1 - 2 * P(B <= j - 1). The pair is
/// always symmetric in rank (k = n + 1 - j), and j is the LARGEST rank in [1, ceil(n/2)]
/// whose coverage is >= level (a 1e-12 tolerance absorbs rounding in the binomial CDF), i.e.
/// the narrowest symmetric interval that reaches the level. achieved_level is that coverage.
///
/// When even j = 1 does not reach the level (n <= 5 for level 0.95, since [min, max] covers
/// with 1 - 2^(1-n)), the result is [min, max] with meets_level = false and achieved_level =
/// 1 - 2^(1-n) (0 for n = 1). Empty input or a NaN value: low = high = achieved_level = NaN,
/// meets_level = false. level is expected in (0, 1); a level >= 1 is never met.
Interval median_ci(std::vector<double> xs, double level = 0.95);

}  // namespace lumos::stats

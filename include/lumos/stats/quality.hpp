// Data quality of samples: outlier marking and adaptive stopping.
//
// Pure functions over numbers. Outliers are marked, never silently dropped: callers decide
// (cells::group counts them).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lumos/stats/stats.hpp"

namespace lumos::stats {

/// Tukey's fences of a sample: [q1 - k * iqr, q3 + k * iqr] with numpy 'linear' quartiles.
struct Fences {
  double q1 = kNaN, q3 = kNaN;
  double low = kNaN, high = kNaN;
};

/// Tukey fences with factor k (1.5: "outlier", 3: "far out"). NaNs for empty or NaN input.
Fences tukey_fences(const std::vector<double>& xs, double k = 1.5);

/// true at every index whose value lies outside tukey_fences(xs, k). All false when the fences
/// are undefined (empty input or a NaN).
std::vector<bool> mark_outliers(const std::vector<double>& xs, double k = 1.5);

/// When to stop repeating a cell: the CI of the median is narrow enough relative to the median.
struct StopRule {
  double target_rel_half_width = 0.05;  ///< stop at (high - low) / 2 <= target * median
  double level = 0.95;                  ///< level of the median CI (median_ci)
  std::size_t min_n = 10;               ///< never stop before this many samples
  std::size_t max_n = 200;              ///< always stop here
};

struct StopDecision {
  bool stop = false;
  double rel_half_width = kNaN;  ///< (high - low) / 2 / median of the current samples
  std::string reason;            ///< "ci narrow enough", "max_n reached", "" while going on
};

/// Adaptive repetitions: whether a cell with these samples may stop (for the engine's loop).
StopDecision adaptive_stop(const std::vector<double>& xs, const StopRule& rule = {});

}  // namespace lumos::stats

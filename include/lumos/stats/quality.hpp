// Data quality of samples: outlier marking, adaptive stopping, and whether a sample is one
// population (no drift between its halves, one mode).
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

/// What may make a sample more than one population: when to call a shift between its halves
/// drift, and what counts as a mode of its density.
struct PopulationRule {
  std::size_t min_n = 20;        ///< fewer samples: not checked
  double level = 0.95;           ///< level of each half's median CI (median_ci)
  double min_shift = 0.10;       ///< drift: the higher half's median exceeds the lower's by more than this share
  double min_mode_share = 0.10;  ///< a mode holds at least this share of the samples...
  double max_valley = 0.7;       ///< ...and the density between two modes falls below this share of the lower peak
};

/// A mode of a sample's density (on the log scale, where latencies are closer to symmetric).
struct Peak {
  double at = kNaN;  ///< where the density peaks, in the unit of the sample
  double share = 0;  ///< share of the samples in the mode's basin
};

/// Whether samples taken in order look like one population.
struct Population {
  bool checked = false;      ///< enough positive samples (rule.min_n) to tell
  double half_ratio = kNaN;  ///< median of the second half / median of the first half
  bool drift = false;        ///< the halves' median CIs are disjoint and one median exceeds the other by > min_shift
  std::vector<Peak> peaks;   ///< modes of the density, by location; one for a unimodal sample
  bool bimodal() const { return peaks.size() >= 2; }
  bool one_population() const { return !drift && !bimodal(); }
};

/// Checks samples in the order they were taken (NaN and non-positive values are left out):
/// drift compares the first half with the second; modes come from a Gaussian kernel density of
/// the logs (Silverman's bandwidth, which over-smooths rather than invents modes), whose local
/// maxima are merged with a neighbour while they hold less than min_mode_share of the samples or
/// the valley between them stays above max_valley of the lower peak.
Population population_check(const std::vector<double>& xs_in_order, const PopulationRule& rule = {});

}  // namespace lumos::stats

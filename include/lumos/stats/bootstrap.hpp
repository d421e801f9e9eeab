// Seeded percentile-bootstrap confidence intervals of a statistic and of a ratio of statistics.
//
// Pure and reproducible: the same data, seed and resample count give the same interval on
// every machine. The random stream is SplitMix64 (below), chosen because it is a few lines in
// any language, so tests/data/stats/make_reference.py can replay it exactly in Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lumos/stats/stats.hpp"

namespace lumos::stats {

/// SplitMix64 (Steele, Lea, Flood 2014): state += 0x9e3779b97f4a7c15, then two xor-shift-
/// multiply rounds. Deterministic, no global state.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  /// An index in [0, n) as next() % n (modulo bias below n / 2^64, irrelevant here). n > 0.
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// The statistic a bootstrap resamples.
enum class Statistic { kMedian, kMean };

/// Default number of bootstrap resamples.
inline constexpr std::size_t kDefaultResamples = 10000;
/// Default seed: results are reproducible unless the caller asks for another stream.
inline constexpr std::uint64_t kDefaultSeed = 20240611;

/// Percentile bootstrap CI of statistic(xs) at `level` (e.g. 0.95).
///
/// Algorithm (replayed by make_reference.py): rng = SplitMix64(seed); for each of `resamples`
/// rounds draw xs.size() indices with rng.index(n) in order and compute the statistic of that
/// resample; the interval is percentile(stats, 100 * (1 - level) / 2) and percentile(stats,
/// 100 * (1 + level) / 2) of the resampled statistics (numpy 'linear', see percentile()).
/// achieved_level = level and meets_level = true when it could be computed. Empty input, a
/// NaN value, resamples == 0 or level outside (0, 1): an Interval of NaNs, meets_level false.
Interval bootstrap_ci(const std::vector<double>& xs, Statistic statistic, double level,
                      std::size_t resamples = kDefaultResamples, std::uint64_t seed = kDefaultSeed);

/// Percentile bootstrap CI of statistic(numerator) / statistic(denominator). Each round draws
/// numerator.size() indices, then denominator.size() indices, from one SplitMix64(seed)
/// stream. Same failure rules as bootstrap_ci; a zero denominator statistic in any round
/// makes the result NaN.
Interval bootstrap_ratio_ci(const std::vector<double>& numerator, const std::vector<double>& denominator,
                            Statistic statistic, double level, std::size_t resamples = kDefaultResamples,
                            std::uint64_t seed = kDefaultSeed);

}  // namespace lumos::stats

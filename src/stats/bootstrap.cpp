// Seeded percentile bootstrap (SplitMix64 resampling, numpy-linear percentiles of the replicates).
#include "lumos/stats/bootstrap.hpp"

#include <algorithm>
#include <cmath>

namespace lumos::stats {
namespace {

bool usable(const std::vector<double>& xs) {
  return !xs.empty() && std::none_of(xs.begin(), xs.end(), [](double x) { return std::isnan(x); });
}

double statistic_of(std::vector<double>& sample, Statistic s) {
  return s == Statistic::kMedian ? median(sample) : mean(sample);
}

void resample(const std::vector<double>& xs, SplitMix64& rng, std::vector<double>& out) {
  out.resize(xs.size());
  for (double& v : out) v = xs[rng.index(xs.size())];
}

Interval interval_from(std::vector<double> replicates, double level) {
  Interval ci;
  ci.level = level;
  if (std::any_of(replicates.begin(), replicates.end(), [](double x) { return !std::isfinite(x); })) {
    return ci;
  }
  ci.low = percentile(replicates, 100.0 * (1.0 - level) / 2.0);
  ci.high = percentile(std::move(replicates), 100.0 * (1.0 + level) / 2.0);
  ci.achieved_level = level;
  ci.meets_level = true;
  return ci;
}

}  // namespace

std::uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Interval bootstrap_ci(const std::vector<double>& xs, Statistic statistic, double level, std::size_t resamples,
                      std::uint64_t seed) {
  Interval ci;
  ci.level = level;
  if (!usable(xs) || resamples == 0 || !(level > 0.0 && level < 1.0)) return ci;
  SplitMix64 rng(seed);
  std::vector<double> replicates, sample;
  replicates.reserve(resamples);
  for (std::size_t b = 0; b < resamples; ++b) {
    resample(xs, rng, sample);
    replicates.push_back(statistic_of(sample, statistic));
  }
  return interval_from(std::move(replicates), level);
}

Interval bootstrap_ratio_ci(const std::vector<double>& numerator, const std::vector<double>& denominator,
                            Statistic statistic, double level, std::size_t resamples, std::uint64_t seed) {
  Interval ci;
  ci.level = level;
  if (!usable(numerator) || !usable(denominator) || resamples == 0 || !(level > 0.0 && level < 1.0)) {
    return ci;
  }
  SplitMix64 rng(seed);
  std::vector<double> replicates, num, den;
  replicates.reserve(resamples);
  for (std::size_t b = 0; b < resamples; ++b) {
    resample(numerator, rng, num);
    resample(denominator, rng, den);
    const double d = statistic_of(den, statistic);
    replicates.push_back(d == 0.0 ? kNaN : statistic_of(num, statistic) / d);
  }
  return interval_from(std::move(replicates), level);
}

}  // namespace lumos::stats

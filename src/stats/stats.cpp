// Descriptive statistics and the order-statistic confidence interval for the median.
#include "lumos/stats/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>

namespace lumos::stats {
namespace {

bool has_nan(const std::vector<double>& xs) {
  return std::any_of(xs.begin(), xs.end(), [](double x) { return std::isnan(x); });
}

// numpy's _lerp: a + (b - a) * t, computed from the b side for t >= 0.5 so that t = 1 gives b
// exactly. Mirrored so results agree with numpy to the last bit where possible.
double lerp_like_numpy(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// Coverage below this distance from the requested level still counts as reaching it: the
// binomial CDF is computed in floating point, and exact levels such as 1 - 2/64 must match.
constexpr double kLevelTolerance = 1e-12;

}  // namespace

double median(std::vector<double> xs) {
  if (xs.empty() || has_nan(xs)) return kNaN;
  const std::size_t n = xs.size();
  const auto mid = xs.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(xs.begin(), mid, xs.end());
  const double upper = *mid;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(xs.begin(), mid);
  return (lower + upper) / 2;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty() || has_nan(xs) || !(p >= 0.0 && p <= 100.0)) return kNaN;
  const std::size_t n = xs.size();
  // Same operation order as numpy: q = p / 100, virtual index = (n - 1) * q.
  const double h = static_cast<double>(n - 1) * (p / 100.0);
  const auto lo = std::min(static_cast<std::size_t>(std::floor(h)), n - 1);
  const double gamma = h - static_cast<double>(lo);
  const auto lo_it = xs.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(xs.begin(), lo_it, xs.end());
  const double a = *lo_it;
  if (lo + 1 >= n) return a;
  const double b = *std::min_element(lo_it + 1, xs.end());
  return lerp_like_numpy(a, b, gamma);
}

double mean(const std::vector<double>& xs) {
  if (xs.empty()) return kNaN;
  double sum = 0.0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double stddev(const std::vector<double>& xs) {
  if (xs.size() < 2) return kNaN;
  // Two passes (deviations from the mean) rather than sum of squares: no cancellation.
  const double m = mean(xs);
  double ss = 0.0;
  for (double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

Interval median_ci(std::vector<double> xs, double level) {
  Interval ci;
  ci.level = level;
  if (xs.empty() || has_nan(xs)) return ci;
  std::sort(xs.begin(), xs.end());
  const std::size_t n = xs.size();

  // Walk j = 1, 2, ... while the symmetric pair (X_(j), X_(n+1-j)) still reaches the level.
  // cdf = P(B <= j - 1) for B ~ Binomial(n, 1/2); the pmf is carried in log space so that
  // 2^-n does not underflow for large n.
  const double ln2 = std::numbers::ln2;
  double log_pmf = -static_cast<double>(n) * ln2;  // log P(B = 0)
  double cdf = 0.0;
  std::size_t best_j = 0;  // 0: no pair reaches the level
  double best_coverage = kNaN;
  double full_range_coverage = kNaN;
  for (std::size_t j = 1; j <= (n + 1) / 2; ++j) {
    const std::size_t i = j - 1;  // cdf += P(B = i)
    cdf += std::exp(log_pmf);
    const double coverage = 1.0 - 2.0 * cdf;
    if (j == 1) full_range_coverage = coverage;
    if (!(coverage >= level - kLevelTolerance)) break;
    best_j = j;
    best_coverage = coverage;
    log_pmf += std::log(static_cast<double>(n - i)) - std::log(static_cast<double>(i + 1));
  }

  if (best_j == 0) {
    ci.low = xs.front();
    ci.high = xs.back();
    ci.achieved_level = full_range_coverage;
    ci.meets_level = false;
    return ci;
  }
  ci.low = xs[best_j - 1];
  ci.high = xs[n - best_j];
  ci.achieved_level = best_coverage;
  ci.meets_level = true;
  return ci;
}

}  // namespace lumos::stats

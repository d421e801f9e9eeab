// Tukey outlier fences and the adaptive stopping rule.
#include "lumos/stats/quality.hpp"

#include <algorithm>
#include <cmath>

namespace lumos::stats {

Fences tukey_fences(const std::vector<double>& xs, double k) {
  Fences f;
  f.q1 = percentile(xs, 25.0);
  f.q3 = percentile(xs, 75.0);
  if (std::isnan(f.q1) || std::isnan(f.q3)) return f;
  const double iqr = f.q3 - f.q1;
  f.low = f.q1 - k * iqr;
  f.high = f.q3 + k * iqr;
  return f;
}

std::vector<bool> mark_outliers(const std::vector<double>& xs, double k) {
  const Fences f = tukey_fences(xs, k);
  std::vector<bool> out(xs.size(), false);
  if (std::isnan(f.low)) return out;
  for (std::size_t i = 0; i < xs.size(); ++i) out[i] = xs[i] < f.low || xs[i] > f.high;
  return out;
}

StopDecision adaptive_stop(const std::vector<double>& xs, const StopRule& rule) {
  StopDecision d;
  if (!xs.empty()) {
    const Interval ci = median_ci(xs, rule.level);
    const double m = median(xs);
    if (ci.meets_level && m != 0.0) d.rel_half_width = (ci.high - ci.low) / 2.0 / std::abs(m);
  }
  if (xs.size() >= rule.max_n) {
    d.stop = true;
    d.reason = "max_n reached";
  } else if (xs.size() >= rule.min_n && d.rel_half_width <= rule.target_rel_half_width) {
    d.stop = true;
    d.reason = "ci narrow enough";
  }
  return d;
}

}  // namespace lumos::stats

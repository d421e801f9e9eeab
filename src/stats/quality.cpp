// Tukey outlier fences, cold/warm contamination of invocations, and the adaptive stopping rule.
#include "lumos/stats/quality.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

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

bool is_start_phase(const std::string& phase) {
  static constexpr std::array<std::string_view, 7> kStart = {
      "sandbox_start", "runtime_init", "aot_check", "load", "validate", "instantiate",
      "start_other"};
  return std::find(kStart.begin(), kStart.end(), phase) != kStart.end();
}

InstanceState observed_instance(const telemetry::Invocation& inv,
                                std::optional<bool> explicit_cold) {
  if (explicit_cold) return *explicit_cold ? InstanceState::kCold : InstanceState::kWarm;
  if (inv.phases.empty()) return InstanceState::kUnknown;
  const bool any_start = std::any_of(inv.phases.begin(), inv.phases.end(),
                                     [](const auto& kv) { return is_start_phase(kv.first); });
  return any_start ? InstanceState::kCold : InstanceState::kWarm;
}

std::optional<std::string> contamination(const telemetry::Invocation& inv,
                                         std::optional<bool> explicit_cold) {
  const InstanceState seen = observed_instance(inv, explicit_cold);
  if (inv.mode == "cold" && seen == InstanceState::kWarm) {
    return std::string("cold request met a warm instance");
  }
  if (inv.mode == "warm" && seen == InstanceState::kCold) {
    return std::string("warm request met a cold instance");
  }
  return std::nullopt;
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

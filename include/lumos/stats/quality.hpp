// Data quality of samples: outlier marking, cold/warm contamination, adaptive stopping.
//
// Pure functions. Outliers are marked, never silently dropped: callers decide. A contaminated
// invocation (the instance it met contradicts the requested mode) is excluded by callers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/record.hpp"

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

/// What served an invocation.
enum class InstanceState { kUnknown, kCold, kWarm };

/// Phases that only a freshly started instance reports (docs/ARCHITECTURE.md, phase vocabulary).
bool is_start_phase(const std::string& phase);

/// The instance an invocation met: `explicit_cold` when the engine recorded it (a pool result
/// saying it met a cold or warm instance), else inferred from the phases: any start phase
/// present means a cold instance, only in-request phases mean a warm one, no phases: unknown.
InstanceState observed_instance(const telemetry::Invocation& inv,
                                std::optional<bool> explicit_cold = std::nullopt);

/// Why an invocation is contaminated ("cold request met a warm instance", "warm request met a
/// cold instance"), or std::nullopt when its mode and the observed instance agree or either is
/// unknown.
std::optional<std::string> contamination(const telemetry::Invocation& inv,
                                         std::optional<bool> explicit_cold = std::nullopt);

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

// Per-cell summary of invocation records (function x runtime x mode x input) and its text forms.
//
// Pure: the functions return data or strings and never print; the caller owns stdout/files.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::report {

/// Confidence level of SummaryRow::median_ci_ns.
inline constexpr double kSummaryCiLevel = 0.95;

/// Statistics of one cell. Times are nanoseconds; they are NaN when n_ok == 0.
struct SummaryRow {
  std::string function, runtime, mode, input;
  std::size_t n = 0;      ///< invocations in the cell, failed ones included
  std::size_t n_ok = 0;   ///< invocations with ok == true; all statistics use only these
  double median_ns = stats::kNaN;  ///< median of e2e
  double p95_ns = stats::kNaN;     ///< 95th percentile of e2e (numpy 'linear')
  double p99_ns = stats::kNaN;     ///< 99th percentile of e2e (numpy 'linear')
  stats::Interval median_ci_ns;    ///< kSummaryCiLevel CI of the e2e median (stats::median_ci)
  /// Phase name -> median over the ok invocations that recorded that phase.
  std::map<std::string, double> phase_median_ns;
  /// Distinct non-empty exec_mode values of all the cell's invocations, sorted, comma-joined
  /// ("aot", "aot,interpreter"); empty if none was recorded.
  std::string exec_modes;
};

/// Groups invocations by function x runtime x mode x input and computes each cell's row.
/// Rows are sorted by function, runtime (native, runc, podman, wasmedge-interp, wasmedge-aot,
/// then others alphabetically), mode (cold, warm, then others alphabetically), input.
/// Empty input gives no rows.
std::vector<SummaryRow> summarize(const std::vector<telemetry::Invocation>& invocations);

/// Aligned text table for a terminal, one line per row plus a header and a rule, '\n'-ended:
/// function, runtime, mode, input, ok/n, median, p95, p99, 95% CI of the median, exec.
/// Times use adaptive units (ns, us, ms, s) with 3 significant digits; "-" when n_ok == 0.
/// A CI that does not reach its level (too few ok samples: [min, max] is shown) is marked
/// with '*' and explained in a note after the table.
std::string format_summary_table(const std::vector<SummaryRow>& rows);

/// The same rows as CSV (RFC 4180, '\n' line ends) with a header line; times in ns, printed
/// in shortest round-trip form, empty when undefined (n_ok == 0). Columns: function, runtime,
/// mode, input, n, n_ok, median_ns, p95_ns, p99_ns, median_ci_low_ns, median_ci_high_ns,
/// median_ci_level, median_ci_achieved_level, median_ci_meets_level (true/false),
/// exec_modes, then one phase_<name>_median_ns column per phase seen in any row, by name.
std::string format_summary_csv(const std::vector<SummaryRow>& rows);

/// One line of the I/O-serialization view: what moving and (de)serializing the data costs
/// for a function on a runtime, against native and AoT.
struct IoRow {
  std::string function, input, io, runtime;
  std::size_t n = 0;                 ///< ok invocations used (warm ones; cold if none is warm)
  double io_ser_ns = stats::kNaN;    ///< median of deserialize + serialize + baas_get + baas_put
  double compute_ns = stats::kNaN;   ///< median compute, for scale
  double vs_native = stats::kNaN;    ///< io_ser_ns / the native row's (same function, input, io)
  double vs_aot = stats::kNaN;       ///< io_ser_ns / the wasmedge-aot row's
};

/// The I/O-serialization view of invocations, sorted like summarize().
std::vector<IoRow> io_serialization_view(const std::vector<telemetry::Invocation>& invocations);

/// Aligned text table of the view, with a note on how to read the ratios.
std::string format_io_view(const std::vector<IoRow>& rows);

/// One level of a load cell (closed-loop concurrency or open-loop rate).
struct LoadRow {
  std::string function, input, io, runtime, load;
  double level = 0;                   ///< concurrency (closed) or requests/s (open)
  std::size_t n = 0, n_ok = 0;
  double throughput_per_s = stats::kNaN;  ///< ok responses / wall time of the level
  double p50_ns = stats::kNaN, p95_ns = stats::kNaN, p99_ns = stats::kNaN;
  double cold_rate = stats::kNaN;     ///< share of requests that met a new instance
};

/// Load view: throughput, tail latency and cold-start rate per level. Wall time of a level =
/// from its first issue to its last response (offset_ns + e2e_ns), never a sum of latencies.
std::vector<LoadRow> load_view(const std::vector<telemetry::Invocation>& invocations);
std::string format_load_view(const std::vector<LoadRow>& rows);

}  // namespace lumos::report

// Text views of results: the per-cell summary, the I/O-serialization view and the load view.
//
// Pure: every view is computed from cells::group() (the one grouping of records) and returns
// data or strings; nothing prints.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "lumos/cells/cells.hpp"
#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::report {

/// Confidence level of SummaryRow::median_ci_ns (the cells layer's).
inline constexpr double kSummaryCiLevel = cells::kCiLevel;

/// Statistics of one cell. Times are nanoseconds; they are NaN when n_ok == 0.
struct SummaryRow {
  std::string function, runtime;
  std::string mode;   ///< cells::CellKey::mode_label(): "cold", "warm", "closed 4", ...
  std::string input;  ///< cells::CellKey::input_label(): "small" or "small@baas"
  std::string profile;
  std::size_t n = 0;               ///< invocations in the cell, failed ones included
  std::size_t n_ok = 0;            ///< usable invocations (ok, not contaminated); all statistics use only these
  std::size_t n_contaminated = 0;  ///< ok invocations the cells layer excluded
  double median_ns = stats::kNaN;  ///< median of e2e
  double p95_ns = stats::kNaN;     ///< 95th percentile of e2e (numpy 'linear')
  double p99_ns = stats::kNaN;     ///< 99th percentile of e2e (numpy 'linear')
  stats::Interval median_ci_ns;    ///< kSummaryCiLevel CI of the e2e median (stats::median_ci)
  /// Phase name -> median over the usable invocations that recorded that phase.
  std::map<std::string, double> phase_median_ns;
  /// Distinct non-empty exec_mode values of all the cell's invocations, sorted, comma-joined.
  std::string exec_modes;
};

/// One row per cell of cells::group(), in its order. Empty input gives no rows.
std::vector<SummaryRow> summarize(const std::vector<telemetry::Invocation>& invocations);
/// The same rows from cells already grouped.
std::vector<SummaryRow> rows_of(const std::vector<cells::Cell>& cells);

/// Aligned text table for a terminal, one line per row plus a header and a rule, '\n'-ended:
/// function, runtime, mode, input, [profile,] ok/n, median, p95, p99, 95% CI of the median,
/// exec. A CI that does not reach its level is marked '*', excluded invocations are counted in
/// a note after the table.
std::string format_summary_table(const std::vector<SummaryRow>& rows);

/// The same rows as CSV (RFC 4180, '\n' line ends) with a header line; times in ns, printed
/// in shortest round-trip form, empty when undefined (n_ok == 0). Columns: function, runtime,
/// mode, input, profile, n, n_ok, n_contaminated, median_ns, p95_ns, p99_ns, median_ci_low_ns,
/// median_ci_high_ns, median_ci_level, median_ci_achieved_level, median_ci_meets_level,
/// exec_modes, then one phase_<name>_median_ns column per phase seen in any row, by name.
std::string format_summary_csv(const std::vector<SummaryRow>& rows);

/// One line of the I/O-serialization view: what moving and (de)serializing the data costs
/// for a function on a runtime, against native and AoT.
struct IoRow {
  std::string function, input, io, runtime, profile;
  std::size_t n = 0;                ///< usable invocations of the cell used (warm; cold if none is warm)
  double io_ser_ns = stats::kNaN;   ///< cells::Cell::serde_io
  double compute_ns = stats::kNaN;  ///< median compute, for scale
  double vs_native = stats::kNaN;   ///< io_ser_ns / the native row's (same function, input, io)
  double vs_aot = stats::kNaN;      ///< io_ser_ns / the wasmedge-aot row's
};

/// The I/O-serialization view of invocations, sorted like cells::group().
std::vector<IoRow> io_serialization_view(const std::vector<telemetry::Invocation>& invocations);

/// Aligned text table of the view, with a note on how to read the ratios.
std::string format_io_view(const std::vector<IoRow>& rows);

/// One level of a load cell (closed-loop concurrency, open-loop rate, trace time scale).
struct LoadRow {
  std::string function, input, io, runtime, load, profile;
  double level = 0;  ///< concurrency (closed), requests/s (open), time scale (trace)
  std::size_t n = 0, n_ok = 0;
  double throughput_per_s = stats::kNaN;  ///< cells::Cell::throughput_rps
  double p50_ns = stats::kNaN, p95_ns = stats::kNaN, p99_ns = stats::kNaN;
  double cold_rate = stats::kNaN;   ///< share of requests that started a new instance
  std::size_t process_starts = 0;   ///< requests that started a new process/sandbox
  std::size_t instance_starts = 0;  ///< requests that started a new instance in a live host
};

/// Load view: throughput, tail latency and cold-start rate per level, from the load cells.
std::vector<LoadRow> load_view(const std::vector<telemetry::Invocation>& invocations);
std::string format_load_view(const std::vector<LoadRow>& rows);

/// The start of a function's instance at each level on one runtime: a new process from scratch
/// (the cold cell's start), a new instance in a live sandbox (the instance cell's start: a
/// WasmEdge instance in a live host, a process forked from a zygote), and the warm round trip
/// for scale. Direct io, sequential cells; NaN where the run has no such cell.
struct StartLevelRow {
  std::string function, input, runtime, profile;
  double process_start_ns = stats::kNaN;   ///< cells::Cell::start of the cold cell
  double instance_start_ns = stats::kNaN;  ///< cells::Cell::start of the instance cell
  double instance_e2e_ns = stats::kNaN;    ///< e2e median of the instance cell
  double warm_e2e_ns = stats::kNaN;        ///< e2e median of the warm cell
  std::size_t n_process = 0, n_instance = 0;
};

/// The start-level view, from cells that have a cold or instance cell, sorted like cells::group().
std::vector<StartLevelRow> start_levels_view(const std::vector<telemetry::Invocation>& invocations);
/// Aligned text table of the view; `not_applicable` lines ("runc: why") follow it.
std::string format_start_levels(const std::vector<StartLevelRow>& rows, const std::vector<std::string>& not_applicable);

/// A warm cell beside the floor (kFloorRuntime) measured in the same run: same function, input,
/// profile and placement, direct io.
struct FloorRow {
  std::string function, input, runtime, profile;
  telemetry::Placement placement = telemetry::Placement::kFree;
  double warm_ns = stats::kNaN;   ///< e2e median of the warm cell
  double floor_ns = stats::kNaN;  ///< e2e median of the floor's warm cell
  std::size_t n_warm = 0, n_floor = 0;
  double multiple() const { return warm_ns / floor_ns; }
};

/// The floor view: every warm cell that has a floor beside it, in cells::group() order.
std::vector<FloorRow> floor_view(const std::vector<cells::Cell>& cells);
std::vector<FloorRow> floor_view(const std::vector<telemetry::Invocation>& invocations);
/// Aligned text table of the view, with a line saying what the floor is.
std::string format_floor_view(const std::vector<FloorRow>& rows);

/// Noise of one sequential cell: whether its samples are one population (no drift between the
/// halves, one mode), and with `lumos run --repeat K` the run-to-run spread of its median beside
/// the within-run CI.
struct NoiseRow {
  std::string label;  ///< cells::CellKey::label()
  std::size_t n_ok = 0;
  double median_ns = stats::kNaN;
  stats::Population population;        ///< cells::Cell::population
  double ci_half = stats::kNaN;        ///< within-run CI half-width / median (cells::Cell::ci_rel_half_width)
  std::size_t repeats = 0;             ///< repeats with usable samples
  double repeat_spread = stats::kNaN;  ///< run-to-run half-spread / median (cells::Cell::repeat_spread)
  double lowest_repeat_ns = stats::kNaN, highest_repeat_ns = stats::kNaN;  ///< extremes of the repeats' medians
  /// Checked and not one population.
  bool flagged() const { return population.checked && !population.one_population(); }
};

/// The noise view: every sequential cell with usable samples, in cells::group() order.
std::vector<NoiseRow> noise_view(const std::vector<cells::Cell>& cells);
/// "one population", "drift: second half 1.32x the first", "2 modes: 14.1 us (62%), 51.0 us
/// (38%)" (both joined by "; "), or "not checked (fewer than 20 samples)".
std::string describe_population(const stats::Population& p);
/// The flagged cells (or a line saying none is), then, when any cell has two or more repeats,
/// each cell's run-to-run spread beside its within-run CI.
std::string format_noise_view(const std::vector<NoiseRow>& rows);

/// A plain-text table: the header, a rule of dashes, then the rows, columns padded to their
/// widest cell (`right`: right-aligned), two blanks between columns, no trailing blanks.
std::string aligned_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right);

}  // namespace lumos::report

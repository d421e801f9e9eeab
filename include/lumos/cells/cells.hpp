// Records -> cells: the one grouping of invocations that every view uses (summary, load view,
// report, model, the run's progress line). Contamination and outliers are decided here, once.
//
// Pure functions over telemetry records; nothing prints.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lumos/stats/quality.hpp"
#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::cells {

using telemetry::Io;
using telemetry::LoadKind;
using telemetry::Mode;

/// Confidence level of Cell::median_ci.
inline constexpr double kCiLevel = 0.95;

/// Identity of a cell: everything a configuration is made of. Sequential cells have load
/// kNone and level 0; a load cell is one level of one load generator.
struct CellKey {
  std::string function, input, runtime;
  Mode mode = Mode::kCold;
  Io io = Io::kDirect;
  std::string profile = "cloud";  ///< the record's profile; "cloud" when it has none (the host as it is)
  LoadKind load = LoadKind::kNone;
  double level = 0;  ///< closed: concurrency; open: requests/s; trace: time scale
  /// Where the instance ran relative to lumos' client: same-cpu and cross-cpu round trips are
  /// different measurements (a cross-CPU wake-up costs tens of microseconds here).
  telemetry::Placement placement = telemetry::Placement::kFree;

  auto operator<=>(const CellKey&) const = default;
  /// Clients that ran at once: 1 for sequential cells, the level for closed loops, 0 otherwise.
  int concurrency() const;
  /// Whether requests of this cell start new instances (cold) by design.
  bool sequential() const { return load == LoadKind::kNone; }
  /// "medium" or "medium@baas".
  std::string input_label() const;
  /// "cold", "warm", "closed 4", "open 10/s", "trace x1".
  std::string mode_label() const;
  /// "fibonacci/medium wasmedge-aot warm direct edge-pi"
  std::string label() const;
};

/// The cell an invocation belongs to.
CellKey key_of(const telemetry::Invocation& inv);

/// Why an ok invocation must not count (its instance contradicts the requested mode: a cold
/// request that reports no start phases, a warm one that reports them), or nullopt. Load
/// records are never contaminated: their pool decides, and fresh_instance says what it did.
std::optional<std::string> contamination(const telemetry::Invocation& inv);

/// Statistics of one cell over its usable invocations (ok and not contaminated). Times in ns;
/// NaN when n_usable == 0.
struct Cell {
  CellKey key;
  std::size_t n = 0;               ///< invocations in the cell, failed ones included
  std::size_t n_ok = 0;            ///< usable invocations: ok and not contaminated
  std::size_t n_contaminated = 0;  ///< ok invocations excluded by contamination()
  std::size_t n_outliers = 0;      ///< usable samples outside Tukey's fences (marked, kept)
  std::size_t n_fresh = 0;         ///< invocations (all) whose request started a new instance
  std::size_t n_fresh_ok = 0;      ///< usable invocations that started a new instance
  /// Invocations (all) whose request started a new process or sandbox (a `sandbox_start`
  /// phase), and those whose request started a new instance in a live one (an instance-start
  /// phase: fork, wasi_setup, first_call): which start each request met.
  std::size_t n_process_starts = 0, n_instance_starts = 0;
  std::vector<double> e2e_ns;  ///< the usable samples, in record order
  double e2e_median = stats::kNaN, e2e_p95 = stats::kNaN, e2e_p99 = stats::kNaN;
  stats::Interval median_ci;           ///< kCiLevel CI of the e2e median (stats::median_ci)
  double warm_e2e_mean = stats::kNaN;  ///< mean e2e of usable invocations on a live instance
  double start = stats::kNaN;          ///< median sum of start phases
  double compute = stats::kNaN;        ///< median `compute`
  double serde = stats::kNaN;          ///< median `deserialize` + `serialize`
  double io = stats::kNaN;             ///< median `baas_get` + `baas_put`
  /// Median of deserialize + serialize + baas_get + baas_put over the usable invocations that
  /// report any of them (NaN if none does): what moving and (de)serializing the data costs.
  double serde_io = stats::kNaN;
  double overhead = stats::kNaN;               ///< median of e2e minus all the above
  double cpu_ns = stats::kNaN;                 ///< median CPU time (NaN if not recorded)
  double peak_rss = stats::kNaN;               ///< median peak RSS bytes
  double bytes = 0;                            ///< median bytes_in + bytes_out
  double baas_bytes = 0;                       ///< median baas_bytes_in + baas_bytes_out
  std::map<std::string, double> phase_median;  ///< phase -> median over usable invocations that have it
  /// Distinct non-empty exec modes of all the cell's invocations, sorted, comma-joined.
  std::string exec_modes;
  /// Usable responses / wall time from the first issue to the last response (load cells: by
  /// offset_ns; sequential cells: by started_at); NaN when it cannot be told.
  double throughput_rps = stats::kNaN;
  /// Sequential cells: whether the usable samples, in record order, look like one population
  /// (stats::population_check: no drift between the halves, one mode). Unchecked for load cells,
  /// whose latencies mix queueing and starts by design.
  stats::Population population;
  /// e2e median of each repeat of the run (`lumos run --repeat K`, the record's `repeat`) that
  /// has usable samples, by repeat index; one entry for a run without repeats.
  std::map<int, double> repeat_medians;
  /// Share of all invocations whose request started a new instance.
  double fresh_rate() const;
  /// Run-to-run spread of the median: (max - min) / 2 / median of repeat_medians, the same form
  /// as the within-run CI's half-width over the median; NaN with fewer than two repeats.
  double repeat_spread() const;
  /// The within-run CI's half-width over the median: (high - low) / 2 / median.
  double ci_rel_half_width() const;
};

/// Groups invocations into cells: one cell per key_of(), sorted by function, runtime
/// (kRuntimeOrder), mode, input, io, profile, load, level, placement.
std::vector<Cell> group(const std::vector<telemetry::Invocation>& invocations);

/// The same ordering as group()'s, for views that sort their own rows.
bool key_less(const CellKey& a, const CellKey& b);

}  // namespace lumos::cells

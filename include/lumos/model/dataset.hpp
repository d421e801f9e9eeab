// Results folders as model input: invocations with their optional drivers, grouped into cells.
//
// Reads DIR/invocations.jsonl and DIR/manifest.json directly, so fields that other parts of
// lumos add over time (`concurrency`, `profile`, `cold_start`) are used when present and
// defaulted when absent: concurrency 1, profile "cloud", instance state inferred from phases.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"
#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::model {

/// Environment-level drivers of one profile (an edge device, a cloud VM).
struct Environment {
  std::string name = "cloud";
  double cpu_share = 1.0;                 ///< speed of one single-threaded request: min(1, CPU quota)
  std::optional<double> device_cpus;      ///< CPU capacity of the whole device (quota, cpuset); none: the host's
  std::optional<double> memory_mb;        ///< memory limit; none: unlimited
  double rtt_ms = 0.0;                    ///< round trip function <-> BaaS added by the link emulator
  std::optional<double> bandwidth_mbps;   ///< link bandwidth; none: not limited
};

/// Built-in profiles: env::builtin_profile's `cloud`, `edge-pi`, `edge-tiny` (experiments/
/// profiles/*.yaml), plus `edge` as another name for `edge-pi`.
std::map<std::string, Environment> default_profiles();

/// Profile from JSON. Reads env::to_json(Profile) (`cpu.quota`, `cpu.cpuset`,
/// `memory.limit_bytes`, `link.rtt_ns`, `link.bandwidth_bps`; 0 = unlimited), the YAML form of
/// an experiment's inline profile (`memory.limit: 1GiB`, `link.rtt: 20ms`, `link.bandwidth:
/// 50Mbit`), and flat keys (`cpu_share`, `memory_mb`, `rtt_ms`, `bandwidth_mbps`).
Environment environment_from_json(const std::string& name, const nlohmann::json& j);
nlohmann::json to_json(const Environment& e);

/// One invocation with the drivers the model needs.
struct Observation {
  telemetry::Invocation inv;
  int concurrency = 1;               ///< closed-loop clients when it ran (results field `concurrency`)
  /// Environment profile name: the record's `profile` field, else the run's (manifest
  /// `profile` or `experiment.profile`), else "cloud".
  std::string profile = "cloud";
  std::optional<bool> met_cold;      ///< engine's own record of the instance state, if any
  std::optional<std::string> contamination;  ///< why it is excluded (stats::contamination)
  /// Load cells (results fields `load`, `offset_ns`): when the request was issued since its
  /// level began, in ns; nullopt for sequential repetitions.
  std::optional<double> offset_ns;
};

/// Sizes (bytes) of what a node must fetch to start a function on a runtime.
struct ModuleSizes {
  /// "function/runtime" -> bytes of the artifact or image that runtime starts.
  std::map<std::string, std::uint64_t> bytes;
  std::string source;  ///< "images: PATH", "artifacts: DIR" or "" when none were found
};

/// A results folder, loaded.
struct Dataset {
  std::filesystem::path dir;
  std::vector<Observation> observations;
  std::map<std::string, Environment> profiles;  ///< defaults, overridden by the manifest's
  ModuleSizes module_sizes;
  int host_cpus = 1;                 ///< manifest environment.cpus_online
  nlohmann::json manifest;           ///< as read (null if missing)
  std::size_t failed = 0;            ///< invocations with ok == false
  std::size_t contaminated = 0;      ///< ok invocations excluded by the contamination check
};

/// Where module sizes come from: an images JSON (issue "real images": `lumos images` output)
/// and/or an artifacts folder (build/artifacts). Both optional.
struct LoadOptions {
  std::optional<std::filesystem::path> images_json;
  std::optional<std::filesystem::path> artifacts_dir;
};

/// Loads DIR/invocations.jsonl (required) and DIR/manifest.json (optional). Fails with kIo when
/// the results file is missing or unreadable, naming the path; a malformed line fails with
/// kConfig naming the line number.
Result<Dataset> load_dataset(const std::filesystem::path& dir, const LoadOptions& options = {});

/// Loads several folders as one data set (e.g. a quick run and a concurrency sweep).
Result<Dataset> load_datasets(const std::vector<std::filesystem::path>& dirs,
                              const LoadOptions& options = {});

/// Module sizes from an images JSON: an array (or {"images": [...]}) of objects with
/// `function`, a flavour (`image`/`kind`/`variant`/`flavour`: container-scratch,
/// container-debian, wasm, wasm-aot) and a size (`pulled_bytes`/`compressed_bytes`/
/// `size_bytes`/`bytes`). Runtimes map to flavours: runc/podman -> container-debian (else
/// container-scratch), wasmedge-interp -> wasm, wasmedge-aot -> wasm-aot, native -> scratch.
Result<ModuleSizes> module_sizes_from_images(const std::filesystem::path& images_json);
/// One image-size entry: function, flavour, pulled bytes (what a node downloads).
struct ImageSize {
  std::string function, flavour;
  std::uint64_t pulled_bytes = 0;
  std::optional<std::uint64_t> unpacked_bytes;
};
Result<std::vector<ImageSize>> read_image_sizes(const std::filesystem::path& images_json);

/// Module sizes from build artifacts: <dir>/<function>/<function> (native, runc),
/// <function>.wasm (interpreter), <function>.aot.wasm (AoT).
ModuleSizes module_sizes_from_artifacts(const std::filesystem::path& artifacts_dir);

/// Identity of a cell: everything a configuration is made of.
struct CellKey {
  std::string function, input, runtime;
  std::string mode;  ///< "cold", "warm", or for load levels "closed" (N clients) / "open" (rate)
  std::string io, profile;
  int concurrency = 1;  ///< closed-loop clients (1 for sequential repetitions, 0 for open loop)
  auto operator<=>(const CellKey&) const = default;
  /// "fibonacci/medium wasmedge-aot warm direct cloud c1"
  std::string label() const;
};

/// Medians of one cell over its ok, uncontaminated invocations. Times in ns.
struct Cell {
  CellKey key;
  std::size_t n = 0, n_ok = 0, n_contaminated = 0, n_outliers = 0;
  std::size_t n_cold = 0;           ///< ok invocations that met a new instance (load cells)
  double warm_e2e_mean = stats::kNaN;  ///< mean e2e of the ok invocations on a warm instance
  std::vector<double> e2e_ns;       ///< the samples (ok, uncontaminated)
  double e2e_median = stats::kNaN, e2e_p95 = stats::kNaN;
  double start = stats::kNaN;       ///< median sum of start phases (cold cells)
  double compute = stats::kNaN;     ///< median `compute`
  double serde = stats::kNaN;       ///< median `deserialize` + `serialize`
  double io = stats::kNaN;          ///< median `baas_get` + `baas_put`
  double overhead = stats::kNaN;    ///< median of e2e minus all the above (per invocation)
  double cpu_ns = stats::kNaN;      ///< median CPU time (NaN if not recorded)
  double peak_rss = stats::kNaN;    ///< median peak RSS bytes
  double bytes = 0;                 ///< bytes_in + bytes_out (median)
  double baas_bytes = 0;            ///< baas_bytes_in + baas_bytes_out (median)
  std::map<std::string, double> phase_median;  ///< every phase's median
  /// Completed requests / wall time from the first request's start to the last response
  /// (needs `started_at`); NaN when it cannot be told.
  double throughput_rps = stats::kNaN;
};

/// Groups the observations into cells (sorted by key). Cells with no usable invocation are kept
/// with n_ok == 0 and NaN medians.
std::vector<Cell> make_cells(const Dataset& data);

/// Milliseconds since the epoch of an ISO-8601 UTC time "2026-11-27T04:14:33.052Z"; nullopt if
/// malformed.
std::optional<double> parse_utc_ms(const std::string& iso);

}  // namespace lumos::model

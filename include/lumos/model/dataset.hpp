// Results folders as model input: invocations with their optional drivers, grouped into cells.
//
// Records come from telemetry::read_results; cells from cells::group. This file adds what the
// model needs beside them: the profiles' drivers and the module sizes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/cells/cells.hpp"
#include "lumos/common/result.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::model {

/// Environment-level drivers of one profile (an edge device, a cloud VM).
struct Environment {
  std::string name = "cloud";
  double cpu_share = 1.0;                ///< speed of one single-threaded request: min(1, CPU quota)
  std::optional<double> device_cpus;     ///< CPU capacity of the whole device (quota, cpuset); none: the host's
  std::optional<double> memory_mb;       ///< memory limit; none: unlimited
  double rtt_ms = 0.0;                   ///< round trip function <-> BaaS added by the link emulator
  std::optional<double> bandwidth_mbps;  ///< link bandwidth; none: not limited
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

/// Sizes (bytes) of what a node must fetch to start a function on a runtime.
struct ModuleSizes {
  /// "function/runtime" -> bytes of the artifact or image that runtime starts.
  std::map<std::string, std::uint64_t> bytes;
  std::string source;  ///< "images: PATH", "artifacts: DIR" or "" when none were found
};

/// A results folder, loaded.
struct Dataset {
  std::filesystem::path dir;
  /// The records of every folder (telemetry::read_results: profile filled from the manifest).
  std::vector<telemetry::Invocation> records;
  std::map<std::string, Environment> profiles;  ///< defaults, overridden by the manifest's
  ModuleSizes module_sizes;
  int host_cpus = 1;             ///< manifest environment.cpus_online
  nlohmann::json manifest;       ///< as read (null if missing)
  std::size_t failed = 0;        ///< invocations with ok == false
  std::size_t contaminated = 0;  ///< ok invocations excluded by cells::contamination
  std::size_t torn_lines = 0;    ///< torn last lines skipped (killed writers)
};

/// Where module sizes come from: an images JSON (issue "real images": `lumos images` output)
/// and/or an artifacts folder (build/artifacts). Both optional.
struct LoadOptions {
  std::optional<std::filesystem::path> images_json;
  std::optional<std::filesystem::path> artifacts_dir;
};

/// Loads a results folder through telemetry::read_results (the one reader: its errors name the
/// file and line), plus the profiles and host CPUs its manifest records.
Result<Dataset> load_dataset(const std::filesystem::path& dir, const LoadOptions& options = {});

/// Loads several folders as one data set (e.g. a quick run and a concurrency sweep).
Result<Dataset> load_datasets(const std::vector<std::filesystem::path>& dirs, const LoadOptions& options = {});

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

/// Cells are the cells layer's (the one grouping every view shares).
using CellKey = cells::CellKey;
using Cell = cells::Cell;

}  // namespace lumos::model

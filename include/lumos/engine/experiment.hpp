// The experiment file (YAML): which functions x inputs x runtimes x modes x repetitions.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/build/function_spec.hpp"
#include "lumos/common/result.hpp"
#include "lumos/engine/load_spec.hpp"
#include "lumos/env/profile.hpp"
#include "lumos/stats/quality.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::engine {

struct FunctionSelection {
  std::string name;
  std::vector<std::string> inputs;  ///< empty: every input of the function
  /// A function defined in the experiment file itself (same keys as function.yaml, paths
  /// relative to the experiment file), e.g. a user's unchanged program or module.
  std::optional<build::FunctionSpec> inline_spec;
  /// Per-function overrides of the experiment-wide lists (e.g. keep slow inputs off the
  /// interpreter); empty/0: use the experiment's.
  std::vector<std::string> runtimes, modes, io;
  int repetitions = 0;
};

struct Experiment {
  std::string name;
  std::string description;
  std::filesystem::path file;  ///< where it was read from (empty if from text)
  std::vector<FunctionSelection> functions;
  std::vector<std::string> runtimes;         ///< default: all real runtimes
  std::vector<std::string> modes;            ///< "cold", "warm"; default both
  std::vector<std::string> io = {"direct"};  ///< "direct" and/or "baas"
  std::string baas_address;                  ///< an existing Redis (host:port); empty: lumos starts one
  std::string baas_password;                 ///< its AUTH password ("" none); lumos' own Redis makes its own
  /// `load:` and `pool:` sections, parsed (see docs/ARCHITECTURE.md); nullopt: sequential repetitions.
  std::optional<LoadSpec> load;
  /// `profile:` a built-in name (cloud, edge-pi, edge-tiny), a profile file or a mapping.
  std::optional<env::Profile> profile;
  int repetitions = 30;  ///< recorded invocations per cell
  int warmup = 1;        ///< unrecorded requests before a warm cell
  /// `placement:` where a sequential cell's instance runs relative to lumos' client thread.
  telemetry::Placement placement = telemetry::Placement::kSameCpu;
  /// `order: interleaved` (the default): sequential cells run in rounds of `batch:` repetitions
  /// each, in an order shuffled per round from `seed:` (unset: a seed drawn at the run's start and
  /// kept in the manifest); `order: sequential`: each cell whole, one after another.
  bool interleaved = true;
  int batch = 5;
  std::optional<std::uint64_t> seed;
  /// `adaptive: {target, level, min}`: stop a sequential cell once its median's CI half-width
  /// is under target x median (at least `min` repetitions, at most `repetitions`).
  std::optional<stats::StopRule> adaptive;
  std::chrono::milliseconds timeout{10'000};         ///< per invocation (request -> response)
  std::chrono::milliseconds start_timeout{30'000};   ///< per instance start
  std::vector<std::filesystem::path> function_dirs;  ///< where function folders are found
  nlohmann::json raw;                                ///< the file as JSON, for the manifest
};

/// Parses YAML text. Relative function_dirs are resolved against base_dir; the built-in
/// functions/ folder of the source tree is always searched last. Errors name `origin`,
/// the key and what is expected.
Result<Experiment> parse_experiment(const std::string& yaml_text, const std::filesystem::path& base_dir,
                                    const std::string& origin);

/// Reads and parses an experiment file.
Result<Experiment> load_experiment(const std::filesystem::path& file);

}  // namespace lumos::engine

// The steps of `lumos run` before the engine runs: open the run (experiment, results folder,
// what a resumed run has done), plan it (build every function, fill the engine's plan), set up
// its environment (profile CPUs, BaaS, link emulator) and start its manifest. Internal to src/cli.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "lumos/baas/redis.hpp"
#include "lumos/build/builder.hpp"
#include "lumos/common/result.hpp"
#include "lumos/engine/experiment.hpp"
#include "lumos/engine/runner.hpp"
#include "lumos/env/link_emulator.hpp"
#include "lumos/env/netns.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::cli::steps {

struct Flags {
  std::filesystem::path experiment;
  std::filesystem::path out;
  std::filesystem::path resume;  ///< a results folder to complete
  int reps = 0;
  int repeat = 1;  ///< --repeat K: the whole experiment K times into one results folder
  bool quiet = false;
};

/// UTC now as "20261202-093012" (results folder names, manifest times).
std::string timestamp();

/// A run about to start: its experiment, its results folder and what is recorded there already.
struct OpenRun {
  Flags flags;  ///< as given, or as the resumed run's manifest says
  engine::Experiment experiment;
  std::string experiment_text;  ///< the YAML, kept in the manifest for --resume
  nlohmann::json previous;      ///< the resumed run's manifest; null for a new run
  std::filesystem::path out;
  std::set<engine::RecordKey> done;  ///< records a resumed run has (not run again)
  std::size_t recorded_before = 0;   ///< their number (load levels and trace passes share keys)
};

/// Reads the experiment (or the manifest of --resume), makes the results folder and, when
/// resuming, repairs a torn last line and collects what is done. Refuses a folder that already
/// holds results unless resuming.
Result<OpenRun> open_run(const Flags& flags);

/// The engine's plan: every function built (incrementally, each once) with its inputs read.
struct PlannedRun {
  engine::RunPlan plan;
  build::Toolchain toolchain;
  std::map<std::string, build::BuildResult> builds;
};

/// Builds the functions and fills the plan; plan.done points at run.done.
Result<PlannedRun> plan_run(OpenRun& run);

/// What a run starts around the engine, stopped in reverse order when it goes out of scope.
struct Environment {
  runtime::ToolPaths tools;
  std::unique_ptr<env::LinkedNetns> netns;
  std::unique_ptr<baas::RedisServer> redis;
  std::unique_ptr<env::LinkEmulator> link;  // after redis: stops first
  nlohmann::json baas = nullptr;            ///< the manifest's "baas"
};

/// Keeps lumos off the profile's CPUs, and for BaaS cells connects to the experiment's Redis or
/// starts lumos' own (with a network path for containers and the profile's emulated link).
/// A Redis that cannot start is a warning: its cells are recorded as failed.
Result<Environment> set_up_environment(const engine::Experiment& experiment, engine::RunPlan& plan);

/// Where lumos' own Redis and the link emulator's proxy thread ran: for each, the CPU it last ran
/// on and the CPUs it was allowed (the scheduler chose among them); null for what was not started.
nlohmann::json infrastructure_placement(const Environment& environment);

/// The manifest written before the first invocation (status "running").
nlohmann::json start_manifest(const OpenRun& run, const PlannedRun& planned, const Environment& environment);

}  // namespace lumos::cli::steps

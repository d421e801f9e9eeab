// Runs an experiment's cells (function x input x runtime x mode) and streams invocation records.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lumos/baas/redis.hpp"
#include "lumos/cells/cells.hpp"
#include "lumos/engine/load_spec.hpp"
#include "lumos/engine/pool.hpp"
#include "lumos/env/profile.hpp"
#include "lumos/runtime/runtime.hpp"
#include "lumos/stats/quality.hpp"
#include "lumos/telemetry/jsonl.hpp"
#include "lumos/trace/trace.hpp"

namespace lumos::engine {

struct InputCase {
  std::string name;
  std::string request;                         ///< bytes sent to the function
  std::optional<std::string> expected;         ///< checked against the response when present
  std::optional<std::string> expected_sha256;  ///< hex SHA-256 of the exact response body
  int expected_exit = 0;                       ///< command functions: the ok exit code
  /// Command functions: path relative to the working directory -> expected content.
  std::map<std::string, std::string> expected_files;
};

/// How a command function runs (see build::CommandSpec); empty for SDK functions.
struct CommandSetup {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<std::filesystem::path> dirs;  ///< copied into each run's working directory
};

/// A function ready to run: its inputs and the artifacts `lumos build` made.
struct FunctionUnderTest {
  std::string name;
  std::vector<InputCase> inputs;
  runtime::Artifacts artifacts;
  bool baas = true;  ///< built with BaaS support (false: its BaaS cells are not run)
  /// Overrides of the plan's lists for this function (empty/0: the plan's).
  std::vector<std::string> runtimes, modes, io;
  int repetitions = 0;
  /// Set for command functions: one-shot runs (cold only; warm cells are not run).
  std::optional<CommandSetup> command;
};

/// What resume compares: an invocation's place in the run (see record_key).
struct RecordKey {
  std::string function, input, runtime;
  telemetry::Io io = telemetry::Io::kDirect;
  telemetry::Mode mode = telemetry::Mode::kCold;
  telemetry::LoadKind load = telemetry::LoadKind::kNone;
  double level = 0;
  int rep = 0;
  int repeat = 0;  ///< the run of the experiment (RunPlan::repeat)
  auto operator<=>(const RecordKey&) const = default;
};

struct RunPlan {
  std::string run_id;  ///< written into every record (the manifest's run_id)
  /// Which run of the experiment this is (`lumos run --repeat K` runs the plan K times into one
  /// results folder), written into every record as `repeat`; resume tells repeats apart.
  int repeat = 0;
  std::vector<FunctionUnderTest> functions;
  std::vector<std::string> runtimes;
  std::vector<std::string> modes;
  /// "direct": the input travels in the request; "baas": the function fetches it from Redis
  /// and stores its output there (SDK functions built with BaaS support only).
  std::vector<std::string> io = {"direct"};
  /// The Redis server of BaaS cells (lumos' own or one the experiment names).
  std::optional<baas::Endpoint> baas;
  int repetitions = 30;
  int warmup = 1;
  /// Sequential cells without a cgroup slot: lumos pins its client thread to one CPU and spawns
  /// the instance pinned to the same CPU (kSameCpu) or another (kCrossCpu); kFree pins nothing.
  /// Under a profile with a cpuset the slot decides (the instance on the device's CPUs, lumos
  /// off them: kCrossCpu). Needs spawn_scope; without it nothing is pinned (kFree).
  telemetry::Placement placement = telemetry::Placement::kFree;
  /// Adaptive repetitions: a sequential cell stops once the CI of its median e2e is narrow
  /// enough (stats::adaptive_stop); `repetitions` is then the most a cell runs.
  std::optional<stats::StopRule> adaptive;
  /// Interleaved repetitions (set): sequential cells run in rounds, every cell its next `batch`
  /// repetitions per round, in an order shuffled from `seed` per round (round_order), so drift
  /// during a run spreads over every runtime alike; live instances stay up across rounds.
  /// Unset: each cell runs whole, one after another, in plan order. Load levels and trace
  /// passes always run whole.
  struct Interleave {
    int batch = 5;
    std::uint64_t seed = 1;
  };
  std::optional<Interleave> interleave;
  /// Called after each round of sequential cells (1-based round, rounds), e.g. for progress.
  std::function<void(int, int)> on_round;
  /// When set, cells are function x input x io x runtime x load level (modes are not used).
  std::optional<LoadSpec> load;
  /// Resuming: record_key() of every invocation already recorded; those are skipped
  /// (load levels and trace passes with any record are skipped whole). Not owned.
  const std::set<RecordKey>* done = nullptr;
  /// Called after every recorded invocation (concurrently from client threads in load cells:
  /// must be thread-safe), e.g. to draw a progress bar.
  std::function<void()> on_invocation;
  /// Environment profile: each cell gets a cgroup slot with its CPU/memory limits, and
  /// every runtime's instances are spawned inside it through `spawn_scope` (shared with the
  /// runtimes' ToolPaths).
  std::optional<env::Profile> profile;
  std::shared_ptr<SpawnScope> spawn_scope;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds start_timeout{30'000};
};

/// Progress of a run, reported after each cell (for the CLI's progress lines).
struct CellReport {
  std::size_t index = 0;  ///< 1-based
  std::size_t count = 0;
  std::string function, input, io, runtime, mode;  ///< mode: "closed N" / "open R/s" for load cells
  int ok = 0, failed = 0;
  std::string first_error;
  /// The cell's records of this run grouped by the cells layer (load cells: one per level), so
  /// the progress line prints the medians every other view prints.
  std::vector<cells::Cell> cells;
  int skipped = 0;               ///< repetitions not run because the adaptive rule stopped the cell
  double ci_rel_half_width = 0;  ///< adaptive cells: the median CI's half-width / median at the stop
};

struct RunTotals {
  std::size_t invocations = 0;
  std::size_t failed = 0;
  /// What the runtimes checked while preparing ("<runtime>: <function>: ..."), see
  /// runtime::Runtime::checks.
  std::vector<std::string> checks;
};

/// The CPUs of a placement from the calling thread's affinity: the client on lumos' last CPU,
/// the instance on the same one (same-cpu) or on the first (cross-cpu); with one CPU a
/// cross-cpu placement is same-cpu. kFree (or no affinity): -1, -1.
struct PlacementCpus {
  telemetry::Placement placement = telemetry::Placement::kFree;
  int client = -1, instance = -1;
};
PlacementCpus placement_cpus(telemetry::Placement wanted);
/// Pins the calling thread to one CPU; false if the kernel refused.
bool pin_calling_thread(int cpu);

/// A runtime x mode of the plan that the runtime does not have (runtime::mode_support): its
/// cells are not run, and the run's header and manifest say so.
struct NotApplicable {
  std::string runtime;
  telemetry::Mode mode;
  std::string why;
};
std::vector<NotApplicable> not_applicable(const RunPlan& plan);

using RuntimeFactory = std::function<Result<std::unique_ptr<runtime::Runtime>>(const std::string&)>;

/// Runs every cell (interleaved or in order, see RunPlan::interleave) and writes each invocation to `sink` as soon as
/// it completes. A missing runtime, a failed build, a crash, trap or timeout becomes ok=false records; the run goes on.
/// Fails only when the sink cannot be written.
Result<RunTotals> run_plan(const RunPlan& plan, const RuntimeFactory& make_runtime, telemetry::InvocationSink& sink,
                           const std::function<void(const CellReport&)>& on_cell = {});

/// Identity of an invocation within a run: repeat, function, input, io, runtime, mode and rep
/// (for load records: the load kind and level instead of mode and rep).
RecordKey record_key(const telemetry::Invocation& inv);

/// Invocations run_plan() is expected to record (open-loop levels: rate x duration).
std::size_t expected_invocations(const RunPlan& plan);

/// Number of cells run_plan() will run (warm cells of one-shot programs and BaaS cells of
/// functions without BaaS support are left out).
std::size_t count_cells(const RunPlan& plan);

/// The order of `n` cells in round `round` (0-based) of an interleaved run: a permutation that
/// depends only on the seed and the round (resume repeats it).
std::vector<std::size_t> round_order(std::size_t n, std::uint64_t seed, int round);

/// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);

/// Compares a response with the expected output, ignoring trailing whitespace on both.
bool output_matches(std::string_view actual, std::string_view expected);

}  // namespace lumos::engine

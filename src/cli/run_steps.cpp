// The steps of `lumos run` before the engine runs (run_steps.hpp).
#include "run_steps.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "lumos/common/files.hpp"
#include "lumos/env/cgroup.hpp"
#include "lumos/env/profile.hpp"
#include "lumos/telemetry/jsonl.hpp"
#include "lumos/telemetry/manifest.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "subcommands.hpp"

namespace lumos::cli::steps {
namespace fs = std::filesystem;
namespace {

telemetry::ToolVersionCommands version_commands(const runtime::ToolPaths& tools, const build::Toolchain& tc) {
  return {
      {"wasmedge", {tc.wasmedge.string(), "--version"}},
      {"runc", {tools.runc, "--version"}},
      {"crun", runtime::crun_version_command(tools)},
      {"cc", {tc.host_cc, "--version"}},
      {"clang", {tc.cc, "--version"}},
      {"podman", {"podman", "--version"}},
      {"umoci", {"umoci", "--version"}},
      {"skopeo", {"skopeo", "--version"}},
  };
}

// The manifest's "artifacts": per function and artifact kind, the compiler (program and the
// first line of its --version) and flags that made it; each compiler is asked once.
nlohmann::json artifacts_manifest(const std::map<std::string, build::BuildResult>& builds) {
  std::map<std::string, std::string> versions;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [function, built] : builds) {
    for (const auto& item : built.items) {
      nlohmann::json a = {{"path", item.path.string()}, {"ok", item.error.empty()}};
      if (item.prebuilt) {
        a["compiler"] = "prebuilt";
      } else if (!item.compiler.empty()) {
        auto it = versions.find(item.compiler);
        if (it == versions.end()) it = versions.emplace(item.compiler, build::compiler_version(item.compiler)).first;
        a["compiler"] = fs::path(item.compiler).filename().string();
        a["version"] = it->second;
        a["flags"] = item.flags;
      }
      out[function][item.kind] = std::move(a);
    }
  }
  return out;
}

// "20261202T093012Z-3f9a1c2e": the start time and 32 random bits.
std::string new_run_id() {
  std::random_device rd;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("{}-{:08x}", stamp, rd());
}

// Drops a torn last line (a run killed mid-write) so appended records start on a new line.
Result<void> trim_torn_tail(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size == 0) return {};
  std::string text = read_file_or_empty(path);
  auto last_newline = text.rfind('\n');
  std::size_t keep = last_newline == std::string::npos ? 0 : last_newline + 1;
  if (keep == text.size()) return {};
  fs::resize_file(path, keep, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot repair " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

Result<OpenRun> open_run(const Flags& flags_in) {
  OpenRun run;
  run.flags = flags_in;
  Flags& flags = run.flags;
  // --resume DIR: the same experiment (as recorded in the manifest), skipping what is done.
  std::string& experiment_text = run.experiment_text;
  nlohmann::json& previous = run.previous;
  if (!flags.resume.empty()) {
    auto m = telemetry::read_json_file(flags.resume / "manifest.json");
    if (!m)
      return fail(ErrorCode::kUsage, flags.resume.string() + " has no readable manifest.json: is it a results folder?");
    previous = *m;
    flags.experiment = previous.value("experiment_file", "");
    flags.out = flags.resume;
    flags.reps = previous.value("repetitions_override", 0);
    flags.repeat = previous.value("repeats", 1);
    experiment_text = previous.value("experiment_yaml", "");
  }
  auto experiment = experiment_text.empty()
                        ? engine::load_experiment(flags.experiment)
                        : engine::parse_experiment(experiment_text, fs::path(flags.experiment).parent_path(),
                                                   flags.experiment.string());
  if (!experiment) return tl::unexpected(experiment.error());
  if (!experiment_text.empty()) experiment->file = flags.experiment;
  if (flags.reps > 0) experiment->repetitions = flags.reps;

  run.out = flags.out.empty() ? fs::path("results") / (experiment->name + "-" + timestamp()) : flags.out;
  if (!flags.resume.empty()) {
    if (auto t = trim_torn_tail(run.out / "invocations.jsonl"); !t) return tl::unexpected(t.error());
    auto existing = telemetry::read_invocations(run.out / "invocations.jsonl");
    if (!existing && existing.error().code != ErrorCode::kIo) {
      return fail(existing.error().code,
                  existing.error().message + " (resume needs every recorded line to know what is done)");
    }
    if (existing) {
      for (const auto& inv : existing->invocations) run.done.insert(engine::record_key(inv));
      run.recorded_before = existing->invocations.size();
    }
    std::printf("Resuming %s: %zu invocations already recorded\n", run.out.c_str(), run.recorded_before);
  } else if (fs::exists(run.out / "invocations.jsonl")) {
    return fail(ErrorCode::kUsage, run.out.string() +
                                       " already holds results; choose another --out, "
                                       "remove that folder, or complete it with --resume " +
                                       run.out.string());
  }
  if (experiment_text.empty()) experiment_text = read_file_or_empty(flags.experiment);
  std::error_code ec;
  fs::create_directories(run.out, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create " + run.out.string() + ": " + ec.message());
  run.experiment = std::move(*experiment);
  return run;
}

Result<PlannedRun> plan_run(OpenRun& run) {
  // Resolve and build every function (incremental).
  const engine::Experiment* experiment = &run.experiment;
  const Flags& flags = run.flags;
  PlannedRun planned;
  engine::RunPlan& plan = planned.plan;
  std::vector<build::FunctionSpec> resolved;
  for (const auto& f : experiment->functions) {
    auto spec = f.inline_spec ? Result<build::FunctionSpec>(*f.inline_spec)
                              : build::find_function(f.name, experiment->function_dirs);
    if (!spec) return tl::unexpected(spec.error());
    resolved.push_back(std::move(*spec));
  }
  planned.toolchain = build::default_toolchain();
  const auto& tc = planned.toolchain;
  fs::path artifacts_dir = default_artifacts_dir();
  std::set<std::string> distinct;
  for (const auto& spec : resolved) distinct.insert(spec.name);
  std::printf("Building %zu function(s) into %s\n", distinct.size(), artifacts_dir.c_str());
  auto& builds = planned.builds;  // a function selected twice is built once
  plan.done = &run.done;
  // One id per run; a resumed run goes on under the id it started with.
  const auto& previous = run.previous;
  plan.run_id = previous.is_object() && previous.contains("run_id") && previous["run_id"].is_string()
                    ? previous["run_id"].get<std::string>()
                    : new_run_id();
  plan.runtimes = experiment->runtimes;
  plan.modes = experiment->modes;
  plan.io = experiment->io;
  plan.load = experiment->load;
  plan.repetitions = experiment->repetitions;
  plan.warmup = experiment->warmup;
  plan.placement = experiment->placement;
  plan.adaptive = experiment->adaptive;
  if (experiment->interleaved && !experiment->load) {  // load levels and trace passes run whole
    // The order's seed: the experiment's, else the one a resumed run started with (so resume
    // repeats the order), else a new one, kept in the manifest.
    engine::RunPlan::Interleave interleave;
    interleave.batch = experiment->batch;
    if (experiment->seed) {
      interleave.seed = *experiment->seed;
    } else if (previous.is_object() && previous.contains("order") && previous["order"].contains("seed") &&
               previous["order"]["seed"].is_number_unsigned()) {
      interleave.seed = previous["order"]["seed"].get<std::uint64_t>();
    } else {
      std::random_device rd;
      interleave.seed = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    }
    plan.interleave = interleave;
  }
  plan.timeout = experiment->timeout;
  plan.start_timeout = experiment->start_timeout;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& spec = resolved[i];
    auto it = builds.find(spec.name);
    if (it == builds.end()) {
      it = builds.emplace(spec.name, build::build_function(spec, artifacts_dir, tc)).first;
      print_build(it->second);
    }
    const auto& built = it->second;
    engine::FunctionUnderTest fut;
    fut.name = spec.name;
    fut.artifacts = built.artifacts;
    fut.baas = spec.kind == "sdk" && spec.baas;
    const auto& sel = experiment->functions[i];
    fut.runtimes = sel.runtimes;
    fut.modes = sel.modes;
    fut.io = sel.io;
    fut.repetitions = sel.repetitions;
    if (spec.kind == "command")
      fut.command = engine::CommandSetup{spec.command.args, spec.command.env, spec.command.dirs};
    const auto& wanted = experiment->functions[i].inputs;
    for (const auto& in : spec.inputs) {
      if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), in.name) == wanted.end()) continue;
      engine::InputCase c;
      c.name = in.name;
      c.request = read_file_or_empty(in.generated ? built.generated_dir / in.file : in.file);
      if (in.expected) c.expected = read_file_or_empty(*in.expected);
      c.expected_sha256 = in.expected_sha256;
      c.expected_exit = in.expected_exit;
      for (const auto& [path, file] : in.expected_files) c.expected_files[path] = read_file_or_empty(file);
      fut.inputs.push_back(std::move(c));
    }
    for (const auto& w : wanted) {
      bool found = std::any_of(spec.inputs.begin(), spec.inputs.end(), [&](const auto& in) { return in.name == w; });
      if (!found) {
        return fail(ErrorCode::kConfig, flags.experiment.string() + ": function " + spec.name + " has no input '" + w +
                                            "' (see " + (spec.dir / "function.yaml").string() + ")");
      }
    }
    plan.functions.push_back(std::move(fut));
  }
  plan.profile = experiment->profile;
  return planned;
}

Result<Environment> set_up_environment(const engine::Experiment& experiment, engine::RunPlan& plan) {
  // Environment profile: CPU/memory limits per cell (a cgroup slot every instance is born in).
  Environment environment;
  auto& tools = environment.tools;
  tools = runtime::default_tool_paths(self_exe(), "/run/lumos");
  plan.spawn_scope = std::make_shared<SpawnScope>();
  tools.spawn_scope = plan.spawn_scope;
  if (plan.profile && !plan.profile->cpuset.empty()) {
    // The load generator, Redis and the link emulator stay off the emulated device's CPUs.
    auto kept = env::keep_off_cpus(plan.profile->cpuset);
    if (!kept) return tl::unexpected(kept.error());
    std::string list;
    for (int c : *kept) list += (list.empty() ? "" : ",") + std::to_string(c);
    std::printf("Profile %s: functions on CPU %s, lumos and Redis on %s\n", plan.profile->name.c_str(),
                plan.profile->cpuset.c_str(), kept->empty() ? "the same CPUs (no other CPU left)" : list.c_str());
  }

  // BaaS: an existing Redis, or lumos' own (with a network path for containers).
  auto& netns = environment.netns;
  auto& redis = environment.redis;
  auto& link = environment.link;
  auto& baas_info = environment.baas;
  bool any_baas = std::find(plan.io.begin(), plan.io.end(), "baas") != plan.io.end();
  for (const auto& f : plan.functions) {
    any_baas = any_baas || std::find(f.io.begin(), f.io.end(), "baas") != f.io.end();
  }
  if (any_baas) {
    if (!experiment.baas_address.empty()) {
      auto endpoint = baas::parse_endpoint(experiment.baas_address);
      if (!endpoint) return tl::unexpected(endpoint.error());
      endpoint->password = experiment.baas_password;
      plan.baas = *endpoint;
      baas_info = {{"address", endpoint->to_string()}, {"started_by_lumos", false}};
    } else {
      auto ns = env::LinkedNetns::create();
      if (ns) {
        netns = std::move(*ns);
      } else {
        std::fprintf(stderr, "lumos: warning: %s; BaaS cells on runc will fail\n", ns.error().to_string().c_str());
      }
      std::vector<std::string> binds;
      if (netns) binds.push_back(netns->host_ip());
      auto server = baas::RedisServer::start(binds);
      if (!server) {
        std::fprintf(stderr, "lumos: %s; BaaS cells will be recorded as failed\n", server.error().to_string().c_str());
      } else {
        redis = std::move(*server);
        plan.baas = redis->endpoint();
        std::printf("Started redis-server on %s for BaaS cells\n", redis->endpoint().to_string().c_str());
        baas_info = {{"address", redis->endpoint().to_string()},
                     {"started_by_lumos", true},
                     {"container_netns", netns ? netns->path() : ""}};
      }
    }
    if (plan.baas) {
      // Functions reach Redis through the profile's emulated link (RTT, jitter, bandwidth) if
      // it has one; lumos' own seeding and checking talk to Redis directly.
      baas::Endpoint function_side = *plan.baas;
      if (plan.profile && !plan.profile->link.ideal()) {
        std::vector<std::string> binds;
        if (netns) binds.push_back(netns->host_ip());
        auto em = env::LinkEmulator::start(*plan.baas, plan.profile->link, binds);
        if (!em) return tl::unexpected(em.error());
        link = std::move(*em);
        function_side = link->endpoint();
        std::printf("Emulating the %s link to Redis on %s\n", plan.profile->name.c_str(),
                    function_side.to_string().c_str());
      }
      setenv("LUMOS_BAAS_ADDR", function_side.to_string().c_str(), 1);
      setenv("LUMOS_BAAS_PASSWORD", function_side.password.c_str(), 1);
      tools.baas_password = function_side.password;
      if (netns) {
        // The containers' only way out: the BaaS endpoint (Redis, or the link emulator before it).
        if (auto filtered = netns->allow_only(function_side.port); !filtered) return tl::unexpected(filtered.error());
        tools.container_netns = netns->path();
        tools.container_baas_addr = netns->host_ip() + ":" + std::to_string(function_side.port);
      }
    }
  }
  return environment;
}

nlohmann::json infrastructure_placement(const Environment& environment) {
  const auto where = [](pid_t pid) -> nlohmann::json {
    if (pid <= 0) return nullptr;
    const auto last = telemetry::process_last_cpu(pid);
    return {{"last_cpu", last ? nlohmann::json(*last) : nlohmann::json(nullptr)},
            {"allowed_cpus", telemetry::allowed_cpus(pid)}};
  };
  return {{"redis", environment.redis ? where(environment.redis->pid()) : nlohmann::json(nullptr)},
          {"link_emulator", environment.link ? where(environment.link->thread_id()) : nlohmann::json(nullptr)}};
}

nlohmann::json start_manifest(const OpenRun& run, const PlannedRun& planned, const Environment& environment) {
  const auto& experiment = run.experiment;
  const auto& previous = run.previous;
  const auto& plan = planned.plan;
  const auto& tc = planned.toolchain;
  nlohmann::json manifest;
  manifest["schema_version"] = telemetry::kSchemaVersion;
  manifest["run_id"] = plan.run_id;
  manifest["lumos_version"] = LUMOS_VERSION;
  manifest["experiment_file"] = experiment.file.string();
  manifest["experiment"] = experiment.raw;
  manifest["experiment_yaml"] = run.experiment_text;
  manifest["repetitions_override"] = run.flags.reps;
  manifest["repeats"] = run.flags.repeat;
  if (!previous.is_null()) {
    manifest["started_at"] = previous.value("started_at", "");
    manifest["resumed_at"] = previous.value("resumed_at", nlohmann::json::array());
    manifest["resumed_at"].push_back(timestamp());
  }
  if (previous.is_null()) manifest["started_at"] = timestamp();
  manifest["status"] = "running";
  manifest["order"] =
      plan.interleave
          ? nlohmann::json{{"order", "interleaved"}, {"batch", plan.interleave->batch}, {"seed", plan.interleave->seed}}
          : nlohmann::json{{"order", "sequential"}};
  manifest["baas"] = environment.baas;
  manifest["profile"] = plan.profile ? env::to_json(*plan.profile) : nlohmann::json(nullptr);
  manifest["environment"] =
      telemetry::environment_fingerprint(version_commands(environment.tools, tc), LUMOS_SOURCE_DIR);
  manifest["toolchain"] = {
      {"opt_level", tc.opt_level},
      {"wasm_target", "wasm32-wasi"},
      {"aot", "wasmedge compile --optimize " + tc.opt_level},
      {"native", {{"cc", tc.cc}, {"cxx", tc.cxx}, {"cxx_stdlib", "libc++ (static, " + tc.libcxx_root.string() + ")"}}},
      {"native_gcc", {{"cc", tc.host_cc}, {"cxx", tc.host_cxx}, {"cxx_stdlib", "libstdc++"}}},
      {"wasm", {{"cc", tc.wasm_cc}, {"cxx", tc.wasm_cxx}}}};
  manifest["artifacts"] = artifacts_manifest(planned.builds);
  return manifest;
}

}  // namespace lumos::cli::steps

// `lumos run`: an experiment file (or a results folder to resume) -> build -> run -> record -> summary.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lumos/baas/redis.hpp"
#include "lumos/build/builder.hpp"
#include "lumos/common/files.hpp"
#include "lumos/common/format.hpp"
#include "lumos/engine/experiment.hpp"
#include "lumos/engine/runner.hpp"
#include "lumos/env/cgroup.hpp"
#include "lumos/env/link_emulator.hpp"
#include "lumos/env/netns.hpp"
#include "lumos/env/profile.hpp"
#include "lumos/runtime/runtime.hpp"
#include "lumos/telemetry/jsonl.hpp"
#include "lumos/telemetry/manifest.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;
namespace {

struct RunFlags {
  fs::path experiment;
  fs::path out;
  fs::path resume;  ///< a results folder to complete
  int reps = 0;
  bool quiet = false;
};

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

telemetry::ToolVersionCommands version_commands(const runtime::ToolPaths& tools, const build::Toolchain& tc) {
  return {
      {"wasmedge", {tc.wasmedge.string(), "--version"}},
      {"runc", {tools.runc, "--version"}},
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

int cmd_run(const RunFlags& flags_in) {
  RunFlags flags = flags_in;
  // --resume DIR: the same experiment (as recorded in the manifest), skipping what is done.
  std::string experiment_text;
  nlohmann::json previous;
  if (!flags.resume.empty()) {
    auto m = telemetry::read_json_file(flags.resume / "manifest.json");
    if (!m)
      return report_error(
          {ErrorCode::kUsage, flags.resume.string() + " has no readable manifest.json: is it a results folder?"});
    previous = *m;
    flags.experiment = previous.value("experiment_file", "");
    flags.out = flags.resume;
    flags.reps = previous.value("repetitions_override", 0);
    experiment_text = previous.value("experiment_yaml", "");
  }
  auto experiment = experiment_text.empty()
                        ? engine::load_experiment(flags.experiment)
                        : engine::parse_experiment(experiment_text, fs::path(flags.experiment).parent_path(),
                                                   flags.experiment.string());
  if (!experiment) return report_error(experiment.error());
  if (!experiment_text.empty()) experiment->file = flags.experiment;
  if (flags.reps > 0) experiment->repetitions = flags.reps;

  fs::path out = flags.out.empty() ? fs::path("results") / (experiment->name + "-" + timestamp()) : flags.out;
  std::set<engine::RecordKey> done;
  std::size_t recorded_before = 0;  // records (load levels and trace passes share keys)
  if (!flags.resume.empty()) {
    if (auto t = trim_torn_tail(out / "invocations.jsonl"); !t) return report_error(t.error());
    auto existing = telemetry::read_invocations(out / "invocations.jsonl");
    if (!existing && existing.error().code != ErrorCode::kIo) {
      return report_error({existing.error().code,
                           existing.error().message + " (resume needs every recorded line to know what is done)"});
    }
    if (existing) {
      for (const auto& inv : existing->invocations) done.insert(engine::record_key(inv));
      recorded_before = existing->invocations.size();
    }
    std::printf("Resuming %s: %zu invocations already recorded\n", out.c_str(), recorded_before);
  } else if (fs::exists(out / "invocations.jsonl")) {
    return report_error({ErrorCode::kUsage, out.string() +
                                                " already holds results; choose another --out, "
                                                "remove that folder, or complete it with --resume " +
                                                out.string()});
  }
  if (experiment_text.empty()) experiment_text = read_file_or_empty(flags.experiment);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return report_error({ErrorCode::kIo, "cannot create " + out.string() + ": " + ec.message()});

  // Resolve and build every function (incremental).
  std::vector<build::FunctionSpec> resolved;
  for (const auto& f : experiment->functions) {
    auto spec = f.inline_spec ? Result<build::FunctionSpec>(*f.inline_spec)
                              : build::find_function(f.name, experiment->function_dirs);
    if (!spec) return report_error(spec.error());
    resolved.push_back(std::move(*spec));
  }
  auto tc = build::default_toolchain();
  fs::path artifacts_dir = default_artifacts_dir();
  std::set<std::string> distinct;
  for (const auto& spec : resolved) distinct.insert(spec.name);
  std::printf("Building %zu function(s) into %s\n", distinct.size(), artifacts_dir.c_str());
  std::map<std::string, build::BuildResult> builds;  // a function selected twice is built once
  engine::RunPlan plan;
  plan.done = &done;
  // One id per run; a resumed run goes on under the id it started with.
  plan.run_id = previous.is_object() && previous.contains("run_id") && previous["run_id"].is_string()
                    ? previous["run_id"].get<std::string>()
                    : new_run_id();
  plan.runtimes = experiment->runtimes;
  plan.modes = experiment->modes;
  plan.io = experiment->io;
  plan.load = experiment->load;
  plan.repetitions = experiment->repetitions;
  plan.warmup = experiment->warmup;
  plan.adaptive = experiment->adaptive;
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
        return report_error({ErrorCode::kConfig, flags.experiment.string() + ": function " + spec.name +
                                                     " has no input '" + w + "' (see " +
                                                     (spec.dir / "function.yaml").string() + ")"});
      }
    }
    plan.functions.push_back(std::move(fut));
  }

  auto tools = runtime::default_tool_paths(self_exe(), "/run/lumos");
  // Environment profile: CPU/memory limits per cell (a cgroup slot every instance is born in).
  plan.profile = experiment->profile;
  plan.spawn_scope = std::make_shared<SpawnScope>();
  tools.spawn_scope = plan.spawn_scope;
  if (plan.profile && !plan.profile->cpuset.empty()) {
    // The load generator, Redis and the link emulator stay off the emulated device's CPUs.
    auto kept = env::keep_off_cpus(plan.profile->cpuset);
    if (!kept) return report_error(kept.error());
    std::string list;
    for (int c : *kept) list += (list.empty() ? "" : ",") + std::to_string(c);
    std::printf("Profile %s: functions on CPU %s, lumos and Redis on %s\n", plan.profile->name.c_str(),
                plan.profile->cpuset.c_str(), kept->empty() ? "the same CPUs (no other CPU left)" : list.c_str());
  }

  // BaaS: an existing Redis, or lumos' own (with a network path for containers).
  std::unique_ptr<env::LinkedNetns> netns;
  std::unique_ptr<baas::RedisServer> redis;
  std::unique_ptr<env::LinkEmulator> link;  // declared after redis: stops first
  nlohmann::json baas_info = nullptr;
  bool any_baas = std::find(plan.io.begin(), plan.io.end(), "baas") != plan.io.end();
  for (const auto& f : plan.functions) {
    any_baas = any_baas || std::find(f.io.begin(), f.io.end(), "baas") != f.io.end();
  }
  if (any_baas) {
    if (!experiment->baas_address.empty()) {
      auto endpoint = baas::parse_endpoint(experiment->baas_address);
      if (!endpoint) return report_error(endpoint.error());
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
        if (!em) return report_error(em.error());
        link = std::move(*em);
        function_side = link->endpoint();
        std::printf("Emulating the %s link to Redis on %s\n", plan.profile->name.c_str(),
                    function_side.to_string().c_str());
      }
      setenv("LUMOS_BAAS_ADDR", function_side.to_string().c_str(), 1);
      if (netns) {
        tools.container_netns = netns->path();
        tools.container_baas_addr = netns->host_ip() + ":" + std::to_string(function_side.port);
      }
    }
  }
  nlohmann::json manifest;
  manifest["schema_version"] = telemetry::kSchemaVersion;
  manifest["run_id"] = plan.run_id;
  manifest["lumos_version"] = LUMOS_VERSION;
  manifest["experiment_file"] = experiment->file.string();
  manifest["experiment"] = experiment->raw;
  manifest["experiment_yaml"] = experiment_text;
  manifest["repetitions_override"] = flags.reps;
  if (!previous.is_null()) {
    manifest["started_at"] = previous.value("started_at", "");
    manifest["resumed_at"] = previous.value("resumed_at", nlohmann::json::array());
    manifest["resumed_at"].push_back(timestamp());
  }
  if (previous.is_null()) manifest["started_at"] = timestamp();
  manifest["status"] = "running";
  manifest["baas"] = baas_info;
  manifest["profile"] = plan.profile ? env::to_json(*plan.profile) : nlohmann::json(nullptr);
  manifest["environment"] = telemetry::environment_fingerprint(version_commands(tools, tc), LUMOS_SOURCE_DIR);
  manifest["toolchain"] = {
      {"opt_level", tc.opt_level},
      {"wasm_target", "wasm32-wasi"},
      {"aot", "wasmedge compile --optimize " + tc.opt_level},
      {"native", {{"cc", tc.cc}, {"cxx", tc.cxx}, {"cxx_stdlib", "libc++ (static, " + tc.libcxx_root.string() + ")"}}},
      {"native_gcc", {{"cc", tc.host_cc}, {"cxx", tc.host_cxx}, {"cxx_stdlib", "libstdc++"}}},
      {"wasm", {{"cc", tc.wasm_cc}, {"cxx", tc.wasm_cxx}}}};
  manifest["artifacts"] = artifacts_manifest(builds);
  if (auto w = telemetry::write_json_file(out / "manifest.json", manifest); !w) return report_error(w.error());

  auto writer = telemetry::JsonlWriter::open(out / "invocations.jsonl");
  if (!writer) return report_error(writer.error());
  std::size_t cells = engine::count_cells(plan);
  auto factory = [&tools](const std::string& name) { return runtime::make_runtime(name, tools); };
  // A live progress bar with ETA on a terminal (the per-cell lines below stay in logs too).
  const bool tty = isatty(STDOUT_FILENO) && !flags.quiet;
  const std::size_t expected = engine::expected_invocations(plan);
  std::printf("Running %s: %zu cells, %s%zu invocations expected -> %s/invocations.jsonl\n", experiment->name.c_str(),
              cells, plan.adaptive ? "up to " : "", expected, out.c_str());
  // A resumed run's bar starts at what is recorded already; its ETA comes from this run's pace.
  const std::size_t before = std::min(recorded_before, expected);
  std::atomic<std::size_t> recorded{before};
  std::mutex progress_mutex;
  auto last_draw = std::chrono::steady_clock::now();
  const auto progress_start = last_draw;
  if (tty) {
    plan.on_invocation = [&] {
      std::size_t n = ++recorded;
      std::lock_guard lock(progress_mutex);
      auto now = std::chrono::steady_clock::now();
      if (now - last_draw < std::chrono::milliseconds(100) && n < expected) return;
      last_draw = now;
      double elapsed = std::chrono::duration<double>(now - progress_start).count();
      double frac = expected ? std::min(1.0, static_cast<double>(n) / static_cast<double>(expected)) : 0.0;
      double eta = n > before && n < expected
                       ? elapsed * static_cast<double>(expected - n) / static_cast<double>(n - before)
                       : 0;
      int filled = static_cast<int>(frac * 30);
      std::printf("\r  [%s%s] %zu/%zu invocations, %.0fs elapsed, ETA %.0fs   ", std::string(filled, '#').c_str(),
                  std::string(30 - filled, '.').c_str(), n, expected, elapsed, eta);
      std::fflush(stdout);
    };
  }
  auto t0 = std::chrono::steady_clock::now();
  auto totals = engine::run_plan(plan, factory, *writer, [&](const engine::CellReport& c) {
    recorded += static_cast<std::size_t>(c.skipped);  // the adaptive rule stopped the cell early
    if (flags.quiet) return;
    if (tty) std::printf("\r%-100s\r", "");  // clear the progress bar line
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double eta = elapsed / static_cast<double>(c.index) * static_cast<double>(c.count - c.index);
    std::string input = c.io == "baas" ? c.input + "@baas" : c.input;
    // The medians of the cells layer, as `lumos summary` prints them (one per load level).
    std::string medians;
    if (c.cells.size() > 4) medians = fmt::format("of {} cells in `lumos summary`", c.cells.size());  // a trace pass
    for (const auto& cell : c.cells.size() > 4 ? std::vector<cells::Cell>{} : c.cells) {
      if (!medians.empty()) medians += ", ";
      medians += text::duration(cell.e2e_median);
      if (!cell.key.sequential()) medians += " (" + cell.key.mode_label() + ")";
    }
    std::printf("[%3zu/%zu] %-10s %-7s %-16s %-4s  %3d ok %3d failed  median %-10s  (%.0fs, ETA %.0fs)\n", c.index,
                c.count, c.function.c_str(), input.c_str(), c.runtime.c_str(), c.mode.c_str(), c.ok, c.failed,
                medians.empty() ? "-" : medians.c_str(), elapsed, eta);
    if (c.skipped > 0) {
      std::printf("          adaptive: stopped after %d repetitions, median CI +-%.1f%%\n", c.ok + c.failed,
                  c.ci_rel_half_width * 100);
    }
    if (!c.first_error.empty()) std::printf("          first error: %s\n", c.first_error.substr(0, 300).c_str());
    std::fflush(stdout);
  });
  if (!totals) return report_error(totals.error());
  manifest["status"] = "finished";
  manifest["finished_at"] = timestamp();
  // Counts over the whole results file (a resumed run adds to what was there).
  auto all = telemetry::read_invocations(out / "invocations.jsonl");
  std::size_t n_all = all ? all->invocations.size() : totals->invocations;
  std::size_t failed_all = 0;
  if (all) {
    for (const auto& inv : all->invocations) failed_all += inv.ok ? 0 : 1;
  }
  manifest["invocations"] = n_all;
  manifest["failed_invocations"] = all ? failed_all : totals->failed;
  if (auto w = telemetry::write_json_file(out / "manifest.json", manifest); !w) return report_error(w.error());

  std::printf("\n");
  print_summary(out, false, false, plan.load.has_value());
  std::printf("\n%zu invocations, %zu failed. Results: %s/invocations.jsonl, manifest: %s/manifest.json\n",
              totals->invocations, totals->failed, out.c_str(), out.c_str());
  return totals->failed == 0 ? 0 : kExitSomeFailed;
}

}  // namespace

Subcommand add_run_command(CLI::App& parent) {
  auto flags = std::make_shared<RunFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("run", "Run an experiment file and record every invocation");
  auto* experiment_opt = sub.app->add_option("experiment", flags->experiment, "Experiment YAML file");
  auto* resume_opt = sub.app->add_option(
      "--resume", flags->resume, "Complete an interrupted run in this results folder (no invocation lost or repeated)");
  experiment_opt->excludes(resume_opt);
  sub.app->callback([flags] {
    if (flags->experiment.empty() && flags->resume.empty()) {
      throw CLI::RequiredError("an experiment file (or --resume DIR)");
    }
  });
  sub.app->add_option("--out,-o", flags->out, "Results folder (default results/<name>-<time>)");
  sub.app->add_option("--reps", flags->reps, "Override the experiment's repetitions")->check(CLI::PositiveNumber);
  sub.app->add_flag("--quiet,-q", flags->quiet, "No per-cell progress lines");
  sub.app->footer("Exit codes: 0 all invocations ok, 3 some failed (see results), 1 error, 2 usage.");
  sub.run = [flags] { return cmd_run(*flags); };
  return sub;
}

}  // namespace lumos::cli

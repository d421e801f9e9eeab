// `lumos run`: an experiment file (or a results folder to resume) -> plan (build) -> environment
// -> manifest -> run with progress -> summary. The steps before the run are in run_steps.cpp.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lumos/common/format.hpp"
#include "lumos/telemetry/jsonl.hpp"
#include "lumos/telemetry/manifest.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "run_steps.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;
namespace {

int cmd_run(const steps::Flags& flags) {
  auto run = steps::open_run(flags);
  if (!run) return report_error(run.error());
  const fs::path& out = run->out;
  auto planned = steps::plan_run(*run);
  if (!planned) return report_error(planned.error());
  engine::RunPlan& plan = planned->plan;
  auto environment = steps::set_up_environment(run->experiment, plan);
  if (!environment) return report_error(environment.error());
  nlohmann::json manifest = steps::start_manifest(*run, *planned, *environment);
  // Where sequential cells run relative to lumos' client thread (see engine::RunPlan::placement).
  // A profile's slot decides instead: its cpuset holds the instance, lumos keeps off it.
  const bool slot = plan.profile && plan.profile->limits_resources();
  const engine::PlacementCpus cpus = slot ? engine::PlacementCpus{} : engine::placement_cpus(plan.placement);
  const auto placement_word = slot ? std::string_view(plan.profile->cpuset.empty() ? "free" : "cross-cpu")
                                   : telemetry::to_string(cpus.placement);
  manifest["placement"] = {
      {"placement", placement_word},
      {"client_cpu", cpus.client >= 0 ? nlohmann::json(cpus.client) : nlohmann::json(nullptr)},
      {"instance_cpu", cpus.instance >= 0 ? nlohmann::json(cpus.instance) : nlohmann::json(nullptr)},
      {"asked", telemetry::to_string(plan.placement)},
      {"load_cells", "free"}};
  const auto steal_before = telemetry::cpu_steal_ticks();
  // Modes a runtime does not have: said in the header and kept in the manifest, never a silent gap.
  const auto not_applicable = engine::not_applicable(plan);
  manifest["not_applicable"] = nlohmann::json::array();
  for (const auto& n : not_applicable) {
    manifest["not_applicable"].push_back(
        {{"runtime", n.runtime}, {"mode", std::string(telemetry::to_string(n.mode))}, {"why", n.why}});
  }
  if (auto w = telemetry::write_json_file(out / "manifest.json", manifest); !w) return report_error(w.error());

  auto writer = telemetry::JsonlWriter::open(out / "invocations.jsonl");
  if (!writer) return report_error(writer.error());
  const int repeats = run->flags.repeat;
  std::size_t cells = engine::count_cells(plan);
  auto factory = [&tools = environment->tools](const std::string& name) { return runtime::make_runtime(name, tools); };
  // A live progress bar with ETA on a terminal (the per-cell lines below stay in logs too).
  const bool tty = isatty(STDOUT_FILENO) && !run->flags.quiet;
  const std::size_t expected = engine::expected_invocations(plan) * static_cast<std::size_t>(repeats);
  std::printf("Running %s: %zu cells%s, %s%zu invocations expected -> %s/invocations.jsonl\n",
              run->experiment.name.c_str(), cells, repeats > 1 ? fmt::format(" x {} repeats", repeats).c_str() : "",
              plan.adaptive ? "up to " : "", expected, out.c_str());
  if (!slot && cpus.placement != telemetry::Placement::kFree) {
    std::printf("  placement %s: lumos' client on CPU %d, instances on CPU %d\n",
                std::string(telemetry::to_string(cpus.placement)).c_str(), cpus.client, cpus.instance);
  }
  for (const auto& n : not_applicable) {
    std::printf("  %s on %s: not applicable (%s)\n", std::string(telemetry::to_string(n.mode)).c_str(),
                n.runtime.c_str(), n.why.c_str());
  }
  // A resumed run's bar starts at what is recorded already; its ETA comes from this run's pace.
  const std::size_t before = std::min(run->recorded_before, expected);
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
  if (plan.interleave) {
    std::printf("  order interleaved: rounds of %d repetitions per cell, shuffled from seed %llu\n",
                plan.interleave->batch, static_cast<unsigned long long>(plan.interleave->seed));
    // Interleaved cells end together in the last rounds: a line per round shows the pace in logs.
    if (!tty && !run->flags.quiet) {
      plan.on_round = [&](int round, int rounds) {
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("  round %d/%d done (%.0fs, ETA %.0fs)\n", round, rounds, elapsed,
                    elapsed / round * (rounds - round));
        std::fflush(stdout);
      };
    }
  }
  std::size_t cells_finished = 0;
  const auto on_cell = [&](const engine::CellReport& c) {
    recorded += static_cast<std::size_t>(c.skipped);  // the adaptive rule stopped the cell early
    if (run->flags.quiet) return;
    if (tty) std::printf("\r%-100s\r", "");  // clear the progress bar line
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Interleaved cells finish in any order: count the finished ones.
    const std::size_t finished = ++cells_finished;
    double eta = elapsed / static_cast<double>(finished) * static_cast<double>(c.count - finished);
    std::string input = c.io == "baas" ? c.input + "@baas" : c.input;
    // The medians of the cells layer, as `lumos summary` prints them (one per load level).
    std::string medians;
    if (c.cells.size() > 4) medians = fmt::format("of {} cells in `lumos summary`", c.cells.size());  // a trace pass
    for (const auto& cell : c.cells.size() > 4 ? std::vector<cells::Cell>{} : c.cells) {
      if (!medians.empty()) medians += ", ";
      medians += text::duration(cell.e2e_median);
      if (!cell.key.sequential()) medians += " (" + cell.key.mode_label() + ")";
    }
    // Interleaved cells all end in the last rounds: the round lines carry the ETA there.
    const std::string when =
        plan.interleave ? fmt::format("{:.0f}s", elapsed) : fmt::format("{:.0f}s, ETA {:.0f}s", elapsed, eta);
    std::printf("[%3zu/%zu] %-10s %-7s %-19s %-8s  %3d ok %3d failed  median %-10s  (%s)\n", finished, c.count,
                c.function.c_str(), input.c_str(), c.runtime.c_str(), c.mode.c_str(), c.ok, c.failed,
                medians.empty() ? "-" : medians.c_str(), when.c_str());
    if (c.skipped > 0) {
      std::printf("          adaptive: stopped after %d repetitions, median CI +-%.1f%%\n", c.ok + c.failed,
                  c.ci_rel_half_width * 100);
    }
    if (!c.first_error.empty()) std::printf("          first error: %s\n", c.first_error.substr(0, 300).c_str());
    std::fflush(stdout);
  };
  // --repeat K: the whole plan K times into the same results (fresh instances, the order
  // shuffled from seed + repeat); records carry their repeat, resume tells repeats apart.
  engine::RunTotals sum;
  const std::uint64_t seed = plan.interleave ? plan.interleave->seed : 0;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    plan.repeat = repeat;
    if (plan.interleave) plan.interleave->seed = seed + static_cast<std::uint64_t>(repeat);
    if (repeats > 1 && !run->flags.quiet) {
      if (tty) std::printf("\r%-100s\r", "");
      std::printf("Repeat %d/%d\n", repeat + 1, repeats);
    }
    cells_finished = 0;
    t0 = std::chrono::steady_clock::now();
    auto totals = engine::run_plan(plan, factory, *writer, on_cell);
    if (!totals) return report_error(totals.error());
    sum.invocations += totals->invocations;
    sum.failed += totals->failed;
    for (auto& line : totals->checks) {
      if (std::find(sum.checks.begin(), sum.checks.end(), line) == sum.checks.end()) sum.checks.push_back(line);
    }
  }
  const engine::RunTotals* totals = &sum;
  manifest["placement"]["redis_and_link"] = steps::infrastructure_placement(*environment);
  manifest["status"] = "finished";
  manifest["finished_at"] = steps::timestamp();
  // Counts over the whole results file (a resumed run adds to what was there).
  auto all = telemetry::read_invocations(out / "invocations.jsonl");
  std::size_t n_all = all ? all->invocations.size() : totals->invocations;
  std::size_t failed_all = 0;
  if (all) {
    for (const auto& inv : all->invocations) failed_all += inv.ok ? 0 : 1;
  }
  manifest["invocations"] = n_all;
  if (const auto steal_after = telemetry::cpu_steal_ticks(); steal_before && steal_after) {
    const double steal = static_cast<double>(steal_after->first - steal_before->first);
    const double total = static_cast<double>(steal_after->second - steal_before->second);
    manifest["cpu_steal"] = {{"seconds", steal / static_cast<double>(sysconf(_SC_CLK_TCK))},
                             {"share", total > 0 ? steal / total : 0.0}};
  }
  for (const auto& line : totals->checks) manifest["runtime_checks"].push_back(line);
  manifest["failed_invocations"] = all ? failed_all : totals->failed;
  if (auto w = telemetry::write_json_file(out / "manifest.json", manifest); !w) return report_error(w.error());

  std::printf("\n");
  for (const auto& line : totals->checks) std::printf("check: %s\n", line.c_str());
  print_summary(out, false, false, plan.load.has_value());
  std::printf("\n%zu invocations, %zu failed. Results: %s/invocations.jsonl, manifest: %s/manifest.json\n",
              totals->invocations, totals->failed, out.c_str(), out.c_str());
  return totals->failed == 0 ? 0 : kExitSomeFailed;
}

}  // namespace

Subcommand add_run_command(CLI::App& parent) {
  auto flags = std::make_shared<steps::Flags>();
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
  sub.app
      ->add_option("--repeat", flags->repeat,
                   "Run the whole experiment K times into the same results folder (a repeat index per record): "
                   "the summary then shows each median's run-to-run spread beside its within-run CI")
      ->check(CLI::PositiveNumber);
  sub.app->add_flag("--quiet,-q", flags->quiet, "No per-cell progress lines");
  sub.app->footer("Exit codes: 0 all invocations ok, 3 some failed (see results), 1 error, 2 usage.");
  sub.run = [flags] { return cmd_run(*flags); };
  return sub;
}

}  // namespace lumos::cli

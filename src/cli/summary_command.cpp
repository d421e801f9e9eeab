// `lumos summary`: the per-cell statistics of a results folder, or its load or I/O view.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lumos/report/summary.hpp"
#include "lumos/telemetry/jsonl.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;

int print_summary(const fs::path& dir, bool csv, bool io_view, bool load_view) {
  auto folder = telemetry::read_results(dir);
  if (!folder) return report_error(folder.error());
  if (folder->torn_line > 0) {
    std::fprintf(stderr,
                 "lumos: %s/invocations.jsonl:%zu: torn last line skipped (a run killed mid-write; "
                 "`lumos run --resume %s` completes it)\n",
                 dir.c_str(), folder->torn_line, dir.c_str());
  }
  const auto* invocations = &folder->invocations;
  if (load_view) {
    std::fputs(report::format_load_view(report::load_view(*invocations)).c_str(), stdout);
    return 0;
  }
  if (io_view) {
    std::fputs(report::format_io_view(report::io_serialization_view(*invocations)).c_str(), stdout);
    return 0;
  }
  auto rows = report::summarize(*invocations);
  std::fputs((csv ? report::format_summary_csv(rows) : report::format_summary_table(rows)).c_str(), stdout);
  if (csv) return 0;
  // Where the sequential cells ran, as asked (manifest) and as the records saw it.
  std::set<int> client_cpus, instance_cpus;
  std::set<std::string> placements;
  for (const auto& inv : *invocations) {
    if (inv.load != telemetry::LoadKind::kNone) continue;
    placements.insert(std::string(telemetry::to_string(inv.placement)));
    if (inv.client_cpu >= 0) client_cpus.insert(inv.client_cpu);
    if (inv.instance_cpu >= 0) instance_cpus.insert(inv.instance_cpu);
  }
  const auto join = [](const auto& items) {
    std::string out;
    for (const auto& x : items) {
      if (!out.empty()) out += ',';
      out += fmt::format("{}", x);
    }
    return out.empty() ? std::string("-") : out;
  };
  if (!placements.empty()) {
    std::printf("placement %s: lumos' client on CPU %s, instances on CPU %s (as the records saw them)\n",
                join(placements).c_str(), join(client_cpus).c_str(), join(instance_cpus).c_str());
  }
  // The start at each level, when the run asked for the instance level.
  std::vector<std::string> not_applicable;
  if (folder->manifest.is_object() && folder->manifest.contains("not_applicable")) {
    for (const auto& n : folder->manifest["not_applicable"]) {
      if (n.is_object() && n.value("mode", "") == "instance") {
        not_applicable.push_back(n.value("runtime", "?") + ": " + n.value("why", ""));
      }
    }
  }
  // Warm round trips beside the floor measured in the same run.
  if (const auto floors = report::floor_view(*invocations); !floors.empty()) {
    std::printf("\nWarm round trips as multiples of the floor\n");
    std::fputs(report::format_floor_view(floors).c_str(), stdout);
  }
  // Whether each cell's samples are one population, and their run-to-run spread with --repeat.
  if (const auto noise = report::noise_view(cells::group(*invocations)); !noise.empty()) {
    std::printf("\nNoise\n");
    std::fputs(report::format_noise_view(noise).c_str(), stdout);
  }
  auto levels = report::start_levels_view(*invocations);
  const bool any_instance = std::any_of(levels.begin(), levels.end(), [](const auto& r) { return r.n_instance > 0; });
  if (any_instance || !not_applicable.empty()) {
    std::printf("\nStart levels\n");
    std::fputs(report::format_start_levels(levels, not_applicable).c_str(), stdout);
  }
  return 0;
}

namespace {

struct SummaryFlags {
  fs::path dir;
  bool csv = false, io = false, load = false;
};

}  // namespace

Subcommand add_summary_command(CLI::App& parent) {
  auto flags = std::make_shared<SummaryFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("summary", "Statistics per function x runtime x mode of a results folder");
  sub.app->add_option("dir", flags->dir, "Results folder (holds invocations.jsonl)")->required();
  sub.app->add_flag("--csv", flags->csv, "CSV instead of a table");
  sub.app->add_flag("--load", flags->load,
                    "Load view: throughput, p50/p95 and cold-start rate per concurrency or rate level");
  sub.app->add_flag("--io", flags->io,
                    "I/O-serialization view: (de)serialization + BaaS time per runtime and its ratio to native");
  sub.run = [flags] { return print_summary(flags->dir, flags->csv, flags->io, flags->load); };
  return sub;
}

}  // namespace lumos::cli

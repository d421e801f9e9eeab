// The summary, I/O and load views: rows taken from the cells layer, rendered as text or CSV.
#include "lumos/report/summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "lumos/common/format.hpp"

namespace lumos::report {
namespace {

std::string format_ci(const stats::Interval& ci) {
  if (!std::isfinite(ci.low) || !std::isfinite(ci.high)) return "-";
  return fmt::format("[{}, {}]{}", text::duration(ci.low), text::duration(ci.high), ci.meets_level ? "" : "*");
}

SummaryRow row_of(const cells::Cell& c) {
  SummaryRow row;
  row.function = c.key.function;
  row.runtime = c.key.runtime;
  row.mode = c.key.mode_label();
  row.input = c.key.input_label();
  row.profile = c.key.profile;
  row.n = c.n;
  row.n_ok = c.n_ok;
  row.n_contaminated = c.n_contaminated;
  row.median_ns = c.e2e_median;
  row.p95_ns = c.e2e_p95;
  row.p99_ns = c.e2e_p99;
  row.median_ci_ns = c.median_ci;
  row.phase_median_ns = c.phase_median;
  row.exec_modes = c.exec_modes;
  return row;
}

}  // namespace

std::string aligned_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right) {
  std::vector<std::size_t> widths;
  widths.reserve(header.size());
  for (const auto& h : header) widths.push_back(h.size());
  for (const auto& line : rows) {
    for (std::size_t i = 0; i < line.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string out;
  const auto append_line = [&](const std::vector<std::string>& line) {
    std::string text;
    for (std::size_t i = 0; i < line.size() && i < widths.size(); ++i) {
      if (i > 0) text += "  ";
      text += right[i] ? fmt::format("{:>{}}", line[i], widths[i]) : fmt::format("{:<{}}", line[i], widths[i]);
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + '\n';
  };
  append_line(header);
  std::vector<std::string> rule;
  rule.reserve(widths.size());
  for (auto w : widths) rule.emplace_back(w, '-');
  append_line(rule);
  for (const auto& line : rows) append_line(line);
  return out;
}

std::vector<SummaryRow> rows_of(const std::vector<cells::Cell>& cells) {
  std::vector<SummaryRow> rows;
  rows.reserve(cells.size());
  for (const auto& c : cells) rows.push_back(row_of(c));
  return rows;
}

std::vector<SummaryRow> summarize(const std::vector<telemetry::Invocation>& invocations) {
  return rows_of(cells::group(invocations));
}

std::string format_summary_table(const std::vector<SummaryRow>& rows) {
  const bool any_profile =
      std::any_of(rows.begin(), rows.end(), [](const SummaryRow& r) { return r.profile != "cloud"; });
  std::vector<std::string> header = {"function", "runtime", "mode", "input"};
  std::vector<bool> right = {false, false, false, false};
  if (any_profile) {
    header.emplace_back("profile");
    right.push_back(false);
  }
  for (std::string h : {"ok/n", "median", "p95", "p99"}) header.push_back(h);
  header.push_back(fmt::format("median {:g}% CI", kSummaryCiLevel * 100));
  header.emplace_back("exec");
  for (bool r : {true, true, true, true, false, false}) right.push_back(r);
  std::vector<std::vector<std::string>> lines;
  bool any_short_ci = false;
  std::size_t excluded = 0;
  for (const SummaryRow& r : rows) {
    const bool has_times = r.n_ok > 0;
    std::vector<std::string> line = {r.function, r.runtime, r.mode, r.input};
    if (any_profile) line.push_back(r.profile);
    for (std::string v : {fmt::format("{}/{}", r.n_ok, r.n), has_times ? text::duration(r.median_ns) : "-",
                          has_times ? text::duration(r.p95_ns) : "-", has_times ? text::duration(r.p99_ns) : "-",
                          has_times ? format_ci(r.median_ci_ns) : "-", r.exec_modes.empty() ? "-" : r.exec_modes}) {
      line.push_back(std::move(v));
    }
    lines.push_back(std::move(line));
    if (has_times && !r.median_ci_ns.meets_level) any_short_ci = true;
    excluded += r.n_contaminated;
  }
  std::string out = aligned_table(header, lines, right);
  if (any_short_ci) {
    out += fmt::format("* too few ok invocations for a {:g}% interval: [min, max] shown, with lower coverage\n",
                       kSummaryCiLevel * 100);
  }
  if (excluded > 0) {
    out += fmt::format(
        "ok/n counts usable invocations: {} ok invocation(s) excluded, the instance they met "
        "contradicts their mode (a cold request without start phases, a warm one with them)\n",
        excluded);
  }
  return out;
}

std::string format_summary_csv(const std::vector<SummaryRow>& rows) {
  std::set<std::string> phase_names;
  for (const SummaryRow& r : rows) {
    for (const auto& [name, value] : r.phase_median_ns) phase_names.insert(name);
  }
  std::string out =
      "function,runtime,mode,input,profile,n,n_ok,n_contaminated,median_ns,p95_ns,p99_ns,median_ci_low_ns,"
      "median_ci_high_ns,median_ci_level,median_ci_achieved_level,median_ci_meets_level,exec_modes";
  for (const std::string& name : phase_names) out += ',' + text::csv_field("phase_" + name + "_median_ns");
  out += '\n';
  for (const SummaryRow& r : rows) {
    const bool has_times = r.n_ok > 0;
    const auto time = [&](double ns) { return has_times ? text::csv_number(ns) : std::string(); };
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", text::csv_field(r.function),
                       text::csv_field(r.runtime), text::csv_field(r.mode), text::csv_field(r.input),
                       text::csv_field(r.profile), r.n, r.n_ok, r.n_contaminated, time(r.median_ns), time(r.p95_ns),
                       time(r.p99_ns), time(r.median_ci_ns.low), time(r.median_ci_ns.high),
                       text::csv_number(r.median_ci_ns.level), time(r.median_ci_ns.achieved_level),
                       has_times ? (r.median_ci_ns.meets_level ? "true" : "false") : "", text::csv_field(r.exec_modes));
    for (const std::string& name : phase_names) {
      const auto it = r.phase_median_ns.find(name);
      out += ',';
      if (it != r.phase_median_ns.end()) out += text::csv_number(it->second);
    }
    out += '\n';
  }
  return out;
}

std::vector<IoRow> io_serialization_view(const std::vector<telemetry::Invocation>& invocations) {
  const auto all = cells::group(invocations);
  // Warm cells, and cold ones where the same configuration has no warm cell.
  std::set<std::tuple<std::string, std::string, telemetry::Io, std::string, std::string>> has_warm;
  for (const auto& c : all) {
    if (c.key.sequential() && c.key.mode == cells::Mode::kWarm && std::isfinite(c.serde_io)) {
      has_warm.insert({c.key.function, c.key.input, c.key.io, c.key.runtime, c.key.profile});
    }
  }
  std::vector<IoRow> rows;
  for (const auto& c : all) {
    if (!c.key.sequential() || !std::isfinite(c.serde_io)) continue;
    const bool warm = c.key.mode == cells::Mode::kWarm;
    if (!warm && (c.key.mode != cells::Mode::kCold ||
                  has_warm.count({c.key.function, c.key.input, c.key.io, c.key.runtime, c.key.profile}))) {
      continue;
    }
    IoRow row;
    row.function = c.key.function;
    row.input = c.key.input;
    row.io = std::string(telemetry::to_string(c.key.io));
    row.runtime = c.key.runtime;
    row.profile = c.key.profile;
    row.n = c.n_ok;
    row.io_ser_ns = c.serde_io;
    row.compute_ns = c.compute;
    rows.push_back(std::move(row));
  }
  const auto find = [&](const IoRow& like, std::string_view runtime) -> const IoRow* {
    for (const auto& r : rows) {
      if (r.function == like.function && r.input == like.input && r.io == like.io && r.profile == like.profile &&
          r.runtime == runtime) {
        return &r;
      }
    }
    return nullptr;
  };
  for (auto& row : rows) {
    if (const IoRow* native = find(row, "native")) row.vs_native = row.io_ser_ns / native->io_ser_ns;
    if (const IoRow* aot = find(row, "wasmedge-aot")) row.vs_aot = row.io_ser_ns / aot->io_ser_ns;
  }
  return rows;
}

std::string format_io_view(const std::vector<IoRow>& rows) {
  std::vector<std::vector<std::string>> lines;
  lines.reserve(rows.size());
  for (const auto& r : rows) {
    lines.push_back({r.function, r.input, r.io, r.runtime, std::to_string(r.n), text::duration(r.io_ser_ns),
                     text::ratio(r.vs_native), text::ratio(r.vs_aot)});
  }
  std::string out =
      aligned_table({"function", "input", "io", "runtime", "n", "io+serialization", "vs native", "vs aot"}, lines,
                    {false, false, false, false, true, true, true, true});
  out +=
      "io+serialization = median of deserialize + serialize + baas_get + baas_put over usable warm\n"
      "invocations (cold where a cell has no warm ones); the paper reports 7-10x for the\n"
      "interpreter against native.\n";
  return out;
}

std::vector<StartLevelRow> start_levels_view(const std::vector<telemetry::Invocation>& invocations) {
  using Id = std::tuple<std::string, std::string, std::string, std::string>;
  const auto all = cells::group(invocations);
  const auto id_of = [](const cells::Cell& c) { return Id{c.key.function, c.key.input, c.key.runtime, c.key.profile}; };
  const auto counted = [](const cells::Cell& c) { return c.key.sequential() && c.key.io == cells::Io::kDirect; };
  // Rows for configurations with a start to show (a cold or an instance cell), in cell order.
  std::vector<StartLevelRow> rows;
  std::map<Id, std::size_t> at;
  for (const auto& c : all) {
    if (counted(c) && (c.key.mode == cells::Mode::kCold || c.key.mode == cells::Mode::kInstance) &&
        at.emplace(id_of(c), rows.size()).second) {
      rows.push_back({c.key.function, c.key.input, c.key.runtime, c.key.profile});
    }
  }
  for (const auto& c : all) {
    auto it = counted(c) ? at.find(id_of(c)) : at.end();
    if (it == at.end()) continue;
    StartLevelRow& row = rows[it->second];
    if (c.key.mode == cells::Mode::kCold) {
      row.process_start_ns = c.start;
      row.n_process = c.n_ok;
    } else if (c.key.mode == cells::Mode::kInstance) {
      row.instance_start_ns = c.start;
      row.instance_e2e_ns = c.e2e_median;
      row.n_instance = c.n_ok;
    } else if (c.key.mode == cells::Mode::kWarm) {
      row.warm_e2e_ns = c.e2e_median;
    }
  }
  return rows;
}

std::string format_start_levels(const std::vector<StartLevelRow>& rows,
                                const std::vector<std::string>& not_applicable) {
  std::vector<std::vector<std::string>> lines;
  for (const auto& r : rows) {
    const double ratio = r.process_start_ns / r.instance_start_ns;
    lines.push_back({r.function, r.input, r.runtime, r.n_process ? text::duration(r.process_start_ns) : "-",
                     r.n_instance ? text::duration(r.instance_start_ns) : "-",
                     r.n_instance ? text::duration(r.instance_e2e_ns) : "-",
                     std::isfinite(r.warm_e2e_ns) ? text::duration(r.warm_e2e_ns) : "-",
                     std::isfinite(ratio) ? text::ratio(ratio) : "-"});
  }
  std::string out = aligned_table({"function", "input", "runtime", "process start", "instance start", "instance e2e",
                                   "warm e2e", "process/instance"},
                                  lines, {false, false, false, true, true, true, true, true});
  out +=
      "process start = median start phases of a cold request (a new process from scratch); instance start =\n"
      "the same for a request of mode `instance` (a new WasmEdge instance in a live host, or a process forked\n"
      "from a zygote).\n";
  for (const auto& line : not_applicable) out += "instance: not applicable on " + line + "\n";
  return out;
}

std::vector<LoadRow> load_view(const std::vector<telemetry::Invocation>& invocations) {
  std::vector<LoadRow> rows;
  for (const auto& c : cells::group(invocations)) {
    if (c.key.sequential()) continue;
    rows.push_back({c.key.function, c.key.input, std::string(telemetry::to_string(c.key.io)), c.key.runtime,
                    std::string(telemetry::to_string(c.key.load)), c.key.profile, c.key.level, c.n, c.n_ok,
                    c.throughput_rps, c.e2e_median, c.e2e_p95, c.e2e_p99, c.fresh_rate(), c.n_process_starts,
                    c.n_instance_starts});
  }
  return rows;
}

std::string format_load_view(const std::vector<LoadRow>& rows) {
  std::vector<std::vector<std::string>> lines;
  for (const auto& r : rows) {
    std::string input = r.io == "baas" ? r.input + "@baas" : r.input;
    lines.push_back({r.function, input, r.runtime, r.load, fmt::format("{:g}", r.level),
                     fmt::format("{}/{}", r.n_ok, r.n),
                     std::isfinite(r.throughput_per_s) ? fmt::format("{:.1f}", r.throughput_per_s) : "-",
                     text::duration(r.p50_ns), text::duration(r.p95_ns), fmt::format("{:.0f}%", 100.0 * r.cold_rate),
                     fmt::format("{} process, {} instance", r.process_starts, r.instance_starts)});
  }
  std::string out = aligned_table(
      {"function", "input", "runtime", "load", "level", "ok/n", "req/s", "p50", "p95", "cold", "starts met"}, lines,
      {false, false, false, false, true, true, true, true, true, true, false});
  out +=
      "req/s = ok responses / (last response - first issue) of the level; latencies count from\n"
      "the issue (closed) or intended send time (open); cold = requests that started a new instance;\n"
      "starts met: requests that started a new process or sandbox, and a new instance in a live host\n"
      "(a pool with start: instance gives every request one, as Spin does).\n";
  return out;
}

}  // namespace lumos::report

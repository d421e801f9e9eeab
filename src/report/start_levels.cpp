// The start of an instance at each level (a new process, a process forked from a zygote, a new
// instance in a live host): the report's figure and table of the start-level view.
#include "lumos/report/html_report.hpp"

#include "report_helpers.hpp"

namespace lumos::report {
using namespace page;

namespace {

// Runtime -> level ("process start", "instance start") -> the starts of its cells (ns).
using Starts = std::map<std::string, std::map<std::string, std::vector<double>>>;

Starts starts_by_runtime(const ReportData& r) {
  Starts out;
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.io != cells::Io::kDirect || !std::isfinite(c.start)) continue;
    if (c.key.mode == cells::Mode::kCold) out[c.key.runtime]["process start"].push_back(c.start);
    if (c.key.mode == cells::Mode::kInstance) out[c.key.runtime]["instance start"].push_back(c.start);
  }
  return out;
}

}  // namespace

Figure start_levels_figure(const ReportData& r) {
  Figure f{
      "start-levels",
      "Starting a function at each level (log scale)",
      "Median start phases over all functions' cells, direct input: a cold request's new process from scratch, and "
      "a request of mode `instance`: a new WasmEdge instance in a live host (wasmedge-interp, wasmedge-aot), a "
      "process forked from a zygote (native; wasmedge-aot-zygote: libwasmedge, LLVM and the module loaded).",
      "",
      "",
      ""};
  const Starts starts = starts_by_runtime(r);
  bool any_instance = false;
  for (const auto& [rt, levels] : starts) any_instance = any_instance || levels.count("instance start");
  if (!any_instance) {
    f.missing = "no instance cells in the results (run an experiment with modes: [cold, instance, warm])";
    return f;
  }
  std::set<std::string> names;
  for (const auto& [rt, levels] : starts) names.insert(rt);
  std::string data = "$d << EOD\nruntime \"process start\" \"instance start\"\n";
  for (const auto& rt : sorted_runtimes(names)) {
    const auto& levels = starts.at(rt);
    data += gq(rt);
    for (const char* level : {"process start", "instance start"}) {
      auto it = levels.find(level);
      data += fmt::format(" {}", num(it == levels.end() ? NAN : stats::median(it->second) / 1e6));
    }
    data += "\n";
  }
  data += "EOD\n";
  f.script = terminal(900, 440) + data +
             "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.9 border "
             "rgb '#333333'\nset logscale y\nset format y '%g'\nset ylabel 'median start (ms, log)'\n"
             "set xtics rotate by -30\nset key outside right top\n"
             "set title 'Process start vs instance start (median over functions)'\n"
             "plot $d using 2:xtic(1) title columnheader(2) lc rgb '#d95f02', '' using 3 title columnheader(3) lc rgb "
             "'#1b9e77'\n";
  return f;
}

Table start_levels_table(const ReportData& r) {
  Table t{"start-levels",
          "Start at each level (median per cell, direct input)",
          "process start: a cold request's start phases (a new process from scratch); instance start: a request of "
          "mode `instance` (fork, wasi_setup, instantiate, first_call). Containers have no instance level (see "
          "docs/ARCHITECTURE.md).",
          {"function/input", "runtime", "process start", "instance start", "instance e2e", "process/instance"},
          {}};
  std::map<std::pair<std::string, std::string>, std::pair<const Cell*, const Cell*>> pairs;
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.io != cells::Io::kDirect) continue;
    auto& p = pairs[{c.key.function + "/" + c.key.input, c.key.runtime}];
    if (c.key.mode == cells::Mode::kCold) p.first = &c;
    if (c.key.mode == cells::Mode::kInstance) p.second = &c;
  }
  for (const auto& [id, p] : pairs) {
    if (!p.second) continue;
    const double ratio = p.first ? p.first->start / p.second->start : NAN;
    t.rows.push_back({id.first, id.second, p.first ? text::duration(p.first->start) : "-",
                      text::duration(p.second->start), text::duration(p.second->e2e_median),
                      std::isfinite(ratio) ? text::ratio(ratio) : "-"});
  }
  return t;
}

}  // namespace lumos::report

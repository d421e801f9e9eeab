// Warm round trips as multiples of the floor measured beside them: the summary's view and the
// report's table. The floor (kFloorRuntime) is a bare pipe ping-pong with a second process in
// the same run, with the same placement; a runtime at 1.5x the floor adds half a floor to it.
#include <cmath>
#include <map>
#include <tuple>

#include "lumos/common/format.hpp"
#include "lumos/common/vocabulary.hpp"
#include "lumos/report/html_report.hpp"
#include "lumos/report/summary.hpp"
#include "report_helpers.hpp"

namespace lumos::report {
namespace {

bool warm_direct(const cells::Cell& c) {
  return c.n_ok > 0 && c.key.sequential() && c.key.mode == cells::Mode::kWarm && c.key.io == cells::Io::kDirect;
}

}  // namespace

std::vector<FloorRow> floor_view(const std::vector<cells::Cell>& all) {
  using Id = std::tuple<std::string, std::string, std::string, telemetry::Placement>;
  const auto id_of = [](const cells::Cell& c) {
    return Id{c.key.function, c.key.input, c.key.profile, c.key.placement};
  };
  std::map<Id, const cells::Cell*> floors;
  for (const auto& c : all) {
    if (warm_direct(c) && c.key.runtime == kFloorRuntime) floors[id_of(c)] = &c;
  }
  std::vector<FloorRow> rows;
  for (const auto& c : all) {  // in cells::group() order
    if (!warm_direct(c) || c.key.runtime == kFloorRuntime) continue;
    auto it = floors.find(id_of(c));
    if (it == floors.end()) continue;
    rows.push_back({c.key.function, c.key.input, c.key.runtime, c.key.profile, c.key.placement, c.e2e_median,
                    it->second->e2e_median, c.n_ok, it->second->n_ok});
  }
  return rows;
}

std::vector<FloorRow> floor_view(const std::vector<telemetry::Invocation>& invocations) {
  return floor_view(cells::group(invocations));
}

std::string format_floor_view(const std::vector<FloorRow>& rows) {
  std::vector<std::vector<std::string>> lines;
  lines.reserve(rows.size());
  for (const auto& r : rows) {
    lines.push_back({r.function, r.input, r.runtime, std::string(telemetry::to_string(r.placement)),
                     text::duration(r.warm_ns), text::duration(r.floor_ns), text::ratio(r.multiple())});
  }
  std::string out = aligned_table({"function", "input", "runtime", "placement", "warm e2e", "floor", "x floor"}, lines,
                                  {false, false, false, false, true, true, true});
  out +=
      "floor = median warm round trip of the same request to a `cat` process (one message written and read\n"
      "back) in the same run, with the same placement: what any instance behind a pipe costs at least.\n";
  return out;
}

Table floor_table(const ReportData& r) {
  Table t{"floor",
          "Warm round trips as multiples of the floor",
          "floor: the median warm round trip of the same request to a `cat` process (one framed message written and "
          "read back) measured in the same run with the same placement. A runtime at 1.5x adds half a floor: the "
          "rest is the pipe and the scheduler's wake-ups, which no runtime can avoid.",
          {"function/input", "runtime", "placement", "warm e2e", "floor", "x floor"},
          {}};
  for (const auto& row : floor_view(r.cells)) {
    if (row.profile != "cloud") continue;
    t.rows.push_back({row.function + "/" + row.input, row.runtime, std::string(telemetry::to_string(row.placement)),
                      text::duration(row.warm_ns), text::duration(row.floor_ns), text::ratio(row.multiple())});
  }
  if (t.rows.empty()) t.caption += " No floor in these results: add `floor` to an experiment's runtimes (warm mode).";
  return t;
}

}  // namespace lumos::report

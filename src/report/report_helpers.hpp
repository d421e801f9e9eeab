// Helpers the report's files share: cell lookup, runtime order and colours, text escaping,
// gnuplot terminal, the extremes behind headline ratios. Internal to src/report.
#pragma once

#include "lumos/report/html_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "lumos/common/files.hpp"
#include "lumos/common/format.hpp"
#include "lumos/common/vocabulary.hpp"

#include "lumos/common/process.hpp"
#include "lumos/report/summary.hpp"
#include "lumos/stats/compare.hpp"
#include "lumos/stats/quality.hpp"

namespace lumos::report::page {
namespace fs = std::filesystem;

using model::Cell;
using model::CellKey;

// The bars of the cold-start plot: the start phases, then the first request.
inline constexpr std::array<std::string_view, 9> kColdBarPhases = {kStartPhases[0], kStartPhases[1], kStartPhases[2],
                                                                   kStartPhases[3], kStartPhases[4], kStartPhases[5],
                                                                   kStartPhases[6], kStartPhases[7], "invoke"};
inline constexpr std::array<std::string_view, 4> kIoPhases = {kSerdePhases[0], kSerdePhases[1], kBaasPhases[0],
                                                              kBaasPhases[1]};

inline std::vector<std::string> sorted_runtimes(const std::set<std::string>& names) {
  std::vector<std::string> v(names.begin(), names.end());
  std::stable_sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return runtime_less(a, b); });
  return v;
}

inline std::string color_of(const std::string& runtime) {
  static const std::map<std::string, std::string> kColors = {{"native", "#1b9e77"},
                                                             {"native-gcc", "#a6761d"},
                                                             {"runc", "#d95f02"},
                                                             {"podman", "#e6ab02"},
                                                             {"runc-wasmedge", "#66a61e"},
                                                             {"wasmedge-interp", "#7570b3"},
                                                             {"wasmedge-aot", "#e7298a"},
                                                             {"crun", "#8c510a"},
                                                             {"crun-debian", "#bf812d"},
                                                             {"runc-debian", "#fdae61"},
                                                             {"podman-debian", "#fee08b"},
                                                             {"crun-wasmedge-interp", "#9e9ac8"},
                                                             {"crun-wasmedge-aot", "#c51b7d"},
                                                             {"wasmedge-aot-zygote", "#f1b6da"},
                                                             {"podman-crun-wasmedge-interp", "#bcbddc"},
                                                             {"podman-crun-wasmedge-aot", "#de77ae"}};
  auto it = kColors.find(runtime);
  return it == kColors.end() ? "#666666" : it->second;
}

// ---- cell lookup ------------------------------------------------------------------------

// Cells by key without their placement: the report compares one placement per configuration,
// same-cpu where measured (the default), else free, else cross-cpu (see make_index).
struct Index {
  std::map<CellKey, const Cell*> by_key;
  const Cell* get(const std::string& f, const std::string& i, const std::string& r, const std::string& mode,
                  const std::string& io = "direct") const {
    const CellKey key{f, i, r, telemetry::parse_mode(mode).value_or(cells::Mode::kWarm),
                      telemetry::parse_io(io).value_or(cells::Io::kDirect)};
    auto it = by_key.find(key);
    return it == by_key.end() || it->second->n_ok == 0 ? nullptr : it->second;
  }
};

inline int placement_rank(telemetry::Placement p) {
  switch (p) {
    case telemetry::Placement::kSameCpu:
      return 0;
    case telemetry::Placement::kFree:
      return 1;
    case telemetry::Placement::kCrossCpu:
      return 2;
  }
  return 3;
}

inline Index make_index(const std::vector<Cell>& cells) {
  Index ix;
  for (const auto& c : cells) {
    CellKey key = c.key;
    key.placement = telemetry::Placement::kFree;
    auto [it, added] = ix.by_key.emplace(key, &c);
    if (!added && placement_rank(c.key.placement) < placement_rank(it->second->key.placement)) it->second = &c;
  }
  return ix;
}

inline bool base_cell(const Cell& c) { return c.n_ok > 0 && c.key.sequential() && c.key.profile == "cloud"; }

inline std::set<std::string> runtimes_of(const std::vector<Cell>& cells) {
  std::set<std::string> s;
  for (const auto& c : cells) {
    if (base_cell(c)) s.insert(c.key.runtime);
  }
  return s;
}

// (function, input) pairs with cells of `mode` on io `io`, in order.
inline std::vector<std::pair<std::string, std::string>> inputs_with(const std::vector<Cell>& cells,
                                                                    const std::string& mode,
                                                                    const std::string& io = "direct") {
  std::set<std::pair<std::string, std::string>> s;
  for (const auto& c : cells) {
    if (base_cell(c) && telemetry::to_string(c.key.mode) == mode && telemetry::to_string(c.key.io) == io) {
      s.insert({c.key.function, c.key.input});
    }
  }
  return {s.begin(), s.end()};
}

// One input per function for overview plots: the one measured on most runtimes (warm direct),
// preferring "medium", then "small", then the first by name.
inline std::map<std::string, std::string> representative_inputs(const std::vector<Cell>& cells) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> seen;  // f -> i -> runtimes
  for (const auto& c : cells) {
    if (base_cell(c) && c.key.mode == cells::Mode::kWarm && c.key.io == cells::Io::kDirect)
      seen[c.key.function][c.key.input].insert(c.key.runtime);
  }
  std::map<std::string, std::string> out;
  for (const auto& [f, inputs] : seen) {
    std::string best;
    std::size_t best_n = 0;
    int best_pref = -1;
    for (const auto& [i, rts] : inputs) {
      const int pref = i == "medium" ? 2 : i == "small" ? 1 : 0;
      if (rts.size() > best_n || (rts.size() == best_n && pref > best_pref)) {
        best = i;
        best_n = rts.size();
        best_pref = pref;
      }
    }
    out[f] = best;
  }
  return out;
}

// ---- text helpers -----------------------------------------------------------------------

inline std::string num(double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : "NaN"; }

// A gnuplot double-quoted string.
inline std::string gq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

inline std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

inline std::string terminal(int width, int height) {
  return fmt::format(
      "set terminal svg size {},{} dynamic noenhanced font 'Helvetica,11' background rgb 'white'\n"
      "set datafile missing \"NaN\"\nset border lc rgb '#444444'\nset grid ytics lc rgb '#dddddd'\n",
      width, height);
}

// ---- headline ratios --------------------------------------------------------------------

struct Extremes {
  double lo = INFINITY, hi = -INFINITY;
  std::string lo_cell, hi_cell;
  std::size_t n = 0;
  std::vector<double> values;
  double median() const { return stats::median(values); }
  void add(double v, const std::string& cell) {
    if (!std::isfinite(v)) return;
    ++n;
    values.push_back(v);
    if (v < lo) lo = v, lo_cell = cell;
    if (v > hi) hi = v, hi_cell = cell;
  }
};

inline double io_serde(const Cell& c) { return c.serde + (c.key.io == cells::Io::kBaas ? c.io : 0.0); }

// Extremes of value(cell on runtime a, cell on runtime b) over the function x inputs measured
// in `mode` (direct) on both.
template <typename Value>
Extremes extremes_between(const std::vector<Cell>& cells, const Index& ix, const std::string& mode,
                          const std::string& a, const std::string& b, Value value) {
  Extremes e;
  for (const auto& [f, i] : inputs_with(cells, mode)) {
    const Cell* ca = ix.get(f, i, a, mode);
    const Cell* cb = ix.get(f, i, b, mode);
    if (ca && cb && cb->e2e_median > 0) e.add(value(*ca, *cb), f + "/" + i);
  }
  return e;
}

}  // namespace lumos::report::page

namespace lumos::report {
/// The start-level view's figure and table (start_levels.cpp).
Figure start_levels_figure(const ReportData& r);
Table start_levels_table(const ReportData& r);
Table floor_table(const ReportData& r);
/// Cells that are not one population, and run-to-run spread (noise_view.cpp).
Table noise_table(const ReportData& r);
}  // namespace lumos::report

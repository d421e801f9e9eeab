// Groups invocations into cells, computes their statistics, and renders them as text or CSV.
#include "lumos/report/summary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace lumos::report {
namespace {

using CellKey = std::tuple<std::string, std::string, std::string, std::string>;

// Position of a name in a preferred order; unknown names sort after, alphabetically.
template <std::size_t N>
std::pair<std::size_t, std::string_view> rank(std::string_view name,
                                              const std::array<std::string_view, N>& order) {
  const auto it = std::find(order.begin(), order.end(), name);
  if (it != order.end()) return {static_cast<std::size_t>(it - order.begin()), {}};
  return {N, name};
}

constexpr std::array<std::string_view, 6> kRuntimeOrder = {"native", "runc", "podman",
                                                           "wasmedge-interp", "wasmedge-aot",
                                                           "runc-wasmedge"};
constexpr std::array<std::string_view, 2> kModeOrder = {"cold", "warm"};

bool row_less(const SummaryRow& a, const SummaryRow& b) {
  if (a.function != b.function) return a.function < b.function;
  const auto ra = rank(a.runtime, kRuntimeOrder), rb = rank(b.runtime, kRuntimeOrder);
  if (ra != rb) return ra < rb;
  const auto ma = rank(a.mode, kModeOrder), mb = rank(b.mode, kModeOrder);
  if (ma != mb) return ma < mb;
  return a.input < b.input;
}

SummaryRow summarize_cell(const CellKey& key,
                          const std::vector<const telemetry::Invocation*>& cell) {
  SummaryRow row;
  std::tie(row.function, row.runtime, row.mode, row.input) = key;
  row.n = cell.size();

  std::vector<double> e2e;
  std::map<std::string, std::vector<double>> phases;
  std::set<std::string> exec_modes;
  for (const telemetry::Invocation* inv : cell) {
    if (!inv->exec_mode.empty()) exec_modes.insert(inv->exec_mode);
    if (!inv->ok) continue;
    e2e.push_back(static_cast<double>(inv->e2e.count()));
    for (const auto& [name, d] : inv->phases) {
      phases[name].push_back(static_cast<double>(d.count()));
    }
  }
  row.n_ok = e2e.size();
  row.median_ns = stats::median(e2e);
  row.p95_ns = stats::percentile(e2e, 95.0);
  row.p99_ns = stats::percentile(e2e, 99.0);
  row.median_ci_ns = stats::median_ci(std::move(e2e), kSummaryCiLevel);
  for (auto& [name, values] : phases) row.phase_median_ns[name] = stats::median(std::move(values));
  for (const std::string& m : exec_modes) {
    if (!row.exec_modes.empty()) row.exec_modes += ',';
    row.exec_modes += m;
  }
  return row;
}

// 3 significant digits in the largest unit that keeps the value >= 1 ("1.23 ms", "456 us").
std::string format_duration(double ns) {
  if (!std::isfinite(ns)) return "-";
  struct Unit {
    std::string_view name;
    double scale;
  };
  constexpr std::array<Unit, 4> kUnits = {{{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}};
  std::size_t u = 0;
  while (u + 1 < kUnits.size() && std::abs(ns) >= kUnits[u + 1].scale) ++u;
  double v = ns / kUnits[u].scale;
  // Rounding to 3 digits can carry into the next unit: 999.7 us is "1.00 ms", not "1000 us".
  if (std::abs(v) >= 999.5 && u + 1 < kUnits.size()) v = ns / kUnits[++u].scale;
  const double a = std::abs(v);
  const int decimals = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
  return fmt::format("{:.{}f} {}", v, decimals, kUnits[u].name);
}

std::string format_ci(const stats::Interval& ci) {
  if (!std::isfinite(ci.low) || !std::isfinite(ci.high)) return "-";
  return fmt::format("[{}, {}]{}", format_duration(ci.low), format_duration(ci.high),
                     ci.meets_level ? "" : "*");
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// A plain-text table: the header, a rule of dashes, then the rows, columns padded to their
// widest cell (`right`: right-aligned), two blanks between columns, no trailing blanks.
std::string aligned_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                          const std::vector<bool>& right) {
  std::vector<std::size_t> widths;
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
  for (auto w : widths) rule.emplace_back(w, '-');
  append_line(rule);
  for (const auto& line : rows) append_line(line);
  return out;
}

std::string csv_number(double x) { return std::isfinite(x) ? fmt::format("{}", x) : ""; }

}  // namespace

std::vector<SummaryRow> summarize(const std::vector<telemetry::Invocation>& invocations) {
  std::map<CellKey, std::vector<const telemetry::Invocation*>> cells;
  for (const auto& inv : invocations) {
    // BaaS-mode invocations of an input form their own cell, shown as "input@baas".
    std::string input = inv.io == "baas" ? inv.input + "@baas" : inv.input;
    cells[{inv.function, inv.runtime, inv.mode, input}].push_back(&inv);
  }
  std::vector<SummaryRow> rows;
  rows.reserve(cells.size());
  for (const auto& [key, cell] : cells) rows.push_back(summarize_cell(key, cell));
  std::sort(rows.begin(), rows.end(), row_less);
  return rows;
}

std::string format_summary_table(const std::vector<SummaryRow>& rows) {
  const std::vector<std::string> header = {"function", "runtime", "mode",  "input",
                                           "ok/n",     "median",  "p95",   "p99",
                                           fmt::format("median {:g}% CI", kSummaryCiLevel * 100), "exec"};
  std::vector<std::vector<std::string>> cells;
  bool any_short_ci = false;
  for (const SummaryRow& r : rows) {
    const bool has_times = r.n_ok > 0;
    cells.push_back({r.function, r.runtime, r.mode, r.input, fmt::format("{}/{}", r.n_ok, r.n),
                     has_times ? format_duration(r.median_ns) : "-",
                     has_times ? format_duration(r.p95_ns) : "-",
                     has_times ? format_duration(r.p99_ns) : "-",
                     has_times ? format_ci(r.median_ci_ns) : "-",
                     r.exec_modes.empty() ? "-" : r.exec_modes});
    if (has_times && !r.median_ci_ns.meets_level) any_short_ci = true;
  }
  std::string out = aligned_table(header, cells, {false, false, false, false, true, true, true, true, false, false});
  if (any_short_ci) {
    out += fmt::format(
        "* too few ok invocations for a {:g}% interval: [min, max] shown, with lower coverage\n",
        kSummaryCiLevel * 100);
  }
  return out;
}

std::string format_summary_csv(const std::vector<SummaryRow>& rows) {
  std::set<std::string> phase_names;
  for (const SummaryRow& r : rows) {
    for (const auto& [name, value] : r.phase_median_ns) phase_names.insert(name);
  }

  std::string out =
      "function,runtime,mode,input,n,n_ok,median_ns,p95_ns,p99_ns,median_ci_low_ns,"
      "median_ci_high_ns,median_ci_level,median_ci_achieved_level,median_ci_meets_level,"
      "exec_modes";
  for (const std::string& name : phase_names) {
    out += ',' + csv_field("phase_" + name + "_median_ns");
  }
  out += '\n';

  for (const SummaryRow& r : rows) {
    const bool has_times = r.n_ok > 0;
    const auto time = [&](double ns) { return has_times ? csv_number(ns) : std::string(); };
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(r.function),
                       csv_field(r.runtime), csv_field(r.mode), csv_field(r.input), r.n, r.n_ok,
                       time(r.median_ns), time(r.p95_ns), time(r.p99_ns),
                       time(r.median_ci_ns.low), time(r.median_ci_ns.high),
                       csv_number(r.median_ci_ns.level), time(r.median_ci_ns.achieved_level),
                       has_times ? (r.median_ci_ns.meets_level ? "true" : "false") : "",
                       csv_field(r.exec_modes));
    for (const std::string& name : phase_names) {
      const auto it = r.phase_median_ns.find(name);
      out += ',';
      if (it != r.phase_median_ns.end()) out += csv_number(it->second);
    }
    out += '\n';
  }
  return out;
}

std::vector<IoRow> io_serialization_view(const std::vector<telemetry::Invocation>& invocations) {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;  // fn, input, io, runtime
  std::map<Key, std::pair<std::vector<double>, std::vector<double>>> warm, cold;  // io+ser, compute
  static const std::array<std::string_view, 4> kIoPhases = {"deserialize", "serialize", "baas_get", "baas_put"};
  for (const auto& inv : invocations) {
    if (!inv.ok) continue;
    double sum = 0;
    bool any = false;
    for (auto name : kIoPhases) {
      if (auto it = inv.phases.find(std::string(name)); it != inv.phases.end()) {
        sum += static_cast<double>(it->second.count());
        any = true;
      }
    }
    if (!any) continue;
    auto& cell = (inv.mode == "warm" ? warm : cold)[{inv.function, inv.input, inv.io, inv.runtime}];
    cell.first.push_back(sum);
    if (auto it = inv.phases.find("compute"); it != inv.phases.end()) {
      cell.second.push_back(static_cast<double>(it->second.count()));
    }
  }
  for (auto& [key, values] : cold) warm.try_emplace(key, values);  // cold only where no warm exists
  std::vector<IoRow> rows;
  for (auto& [key, values] : warm) {
    IoRow row;
    std::tie(row.function, row.input, row.io, row.runtime) = key;
    row.n = values.first.size();
    row.io_ser_ns = stats::median(values.first);
    row.compute_ns = stats::median(values.second);
    rows.push_back(std::move(row));
  }
  auto find = [&](const IoRow& like, std::string_view runtime) -> const IoRow* {
    for (const auto& r : rows) {
      if (r.function == like.function && r.input == like.input && r.io == like.io && r.runtime == runtime) return &r;
    }
    return nullptr;
  };
  for (auto& row : rows) {
    if (const IoRow* native = find(row, "native")) row.vs_native = row.io_ser_ns / native->io_ser_ns;
    if (const IoRow* aot = find(row, "wasmedge-aot")) row.vs_aot = row.io_ser_ns / aot->io_ser_ns;
  }
  std::sort(rows.begin(), rows.end(), [](const IoRow& a, const IoRow& b) {
    if (a.function != b.function) return a.function < b.function;
    if (a.input != b.input) return a.input < b.input;
    if (a.io != b.io) return a.io < b.io;
    return rank(a.runtime, kRuntimeOrder) < rank(b.runtime, kRuntimeOrder);
  });
  return rows;
}

std::string format_io_view(const std::vector<IoRow>& rows) {
  auto ratio = [](double x) { return std::isfinite(x) ? fmt::format("{:.2f}x", x) : std::string("-"); };
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    cells.push_back({r.function, r.input, r.io, r.runtime, std::to_string(r.n), format_duration(r.io_ser_ns),
                     ratio(r.vs_native), ratio(r.vs_aot)});
  }
  std::string out = aligned_table({"function", "input", "io", "runtime", "n", "io+serialization", "vs native", "vs aot"},
                                  cells, {false, false, false, false, true, true, true, true});
  out += "io+serialization = median of deserialize + serialize + baas_get + baas_put over ok warm\n"
         "invocations (cold where a cell has no warm ones); the paper reports 7-10x for the\n"
         "interpreter against native.\n";
  return out;
}

std::vector<LoadRow> load_view(const std::vector<telemetry::Invocation>& invocations) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string, double>;
  std::map<Key, std::vector<const telemetry::Invocation*>> levels;
  for (const auto& inv : invocations) {
    if (inv.load.empty()) continue;
    levels[{inv.function, inv.input, inv.io, inv.runtime, inv.load, inv.level}].push_back(&inv);
  }
  std::vector<LoadRow> rows;
  for (const auto& [key, list] : levels) {
    LoadRow row;
    std::tie(row.function, row.input, row.io, row.runtime, row.load, row.level) = key;
    row.n = list.size();
    std::vector<double> e2e;
    double first = std::numeric_limits<double>::infinity(), last = 0;
    std::size_t cold = 0;
    for (const auto* inv : list) {
      double begin = static_cast<double>(inv->offset_ns);
      double end = begin + static_cast<double>(inv->e2e.count());
      first = std::min(first, begin);
      last = std::max(last, end);
      if (inv->mode == "cold") ++cold;
      if (inv->ok) e2e.push_back(static_cast<double>(inv->e2e.count()));
    }
    row.n_ok = e2e.size();
    if (last > first) row.throughput_per_s = static_cast<double>(row.n_ok) / ((last - first) / 1e9);
    row.p50_ns = stats::median(e2e);
    row.p95_ns = stats::percentile(e2e, 95.0);
    row.p99_ns = stats::percentile(e2e, 99.0);
    row.cold_rate = static_cast<double>(cold) / static_cast<double>(row.n);
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const LoadRow& a, const LoadRow& b) {
    auto ka = std::make_tuple(a.function, a.input, a.io, rank(a.runtime, kRuntimeOrder), a.load, a.level);
    auto kb = std::make_tuple(b.function, b.input, b.io, rank(b.runtime, kRuntimeOrder), b.load, b.level);
    return ka < kb;
  });
  return rows;
}

std::string format_load_view(const std::vector<LoadRow>& rows) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    std::string input = r.io == "baas" ? r.input + "@baas" : r.input;
    cells.push_back({r.function, input, r.runtime, r.load, fmt::format("{:g}", r.level),
                     fmt::format("{}/{}", r.n_ok, r.n),
                     std::isfinite(r.throughput_per_s) ? fmt::format("{:.1f}", r.throughput_per_s) : "-",
                     format_duration(r.p50_ns), format_duration(r.p95_ns),
                     fmt::format("{:.0f}%", 100.0 * r.cold_rate)});
  }
  std::string out =
      aligned_table({"function", "input", "runtime", "load", "level", "ok/n", "req/s", "p50", "p95", "cold"}, cells,
                    {false, false, false, false, true, true, true, true, true, true});
  out += "req/s = ok responses / (last response - first issue) of the level; latencies count from\n"
         "the issue (closed) or intended send time (open); cold = requests that met a new instance.\n";
  return out;
}

}  // namespace lumos::report

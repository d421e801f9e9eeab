// The one grouping of invocation records into cells, with contamination and outlier marking.
#include "lumos/cells/cells.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "lumos/common/vocabulary.hpp"
#include "lumos/stats/quality.hpp"

namespace lumos::cells {
namespace {

double phase_or_zero(const telemetry::PhaseTimes& phases, std::string_view name) {
  const auto it = phases.find(std::string(name));
  return it == phases.end() ? 0.0 : static_cast<double>(it->second.count());
}

// Milliseconds since the epoch of "2026-11-27T04:14:33.052Z" (fraction optional).
std::optional<double> utc_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  char tail = 0;
  const int got = std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &tail);
  if (got < 6) return std::nullopt;
  if (got == 6) ms = 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<double>(t) * 1000.0 + ms;
}

Cell summarize(const CellKey& key, const std::vector<const telemetry::Invocation*>& records) {
  Cell c;
  c.key = key;
  c.n = records.size();
  std::vector<double> start, compute, serde, io, serde_io, overhead, cpu, rss, bytes, baas, warm;
  std::map<std::string, std::vector<double>> phases;
  std::map<int, std::vector<double>> by_repeat;
  std::set<std::string> exec_modes;
  double t_first = std::numeric_limits<double>::infinity(), t_last = -t_first;
  bool times_known = true;
  for (const telemetry::Invocation* inv : records) {
    if (!inv->exec_mode.empty()) exec_modes.insert(inv->exec_mode);
    if (inv->fresh_instance) ++c.n_fresh;
    if (inv->phases.count("sandbox_start")) ++c.n_process_starts;
    if (inv->phases.count("fork") || inv->phases.count("wasi_setup") || inv->phases.count("first_call")) {
      ++c.n_instance_starts;
    }
    if (!inv->ok) continue;
    if (contamination(*inv)) {
      ++c.n_contaminated;
      continue;
    }
    double s = 0;
    for (const auto& [name, d] : inv->phases) {
      if (is_start_phase(name)) s += static_cast<double>(d.count());
      phases[name].push_back(static_cast<double>(d.count()));
    }
    const double e2e = static_cast<double>(inv->e2e.count());
    const double cmp = phase_or_zero(inv->phases, "compute");
    double sd = 0, bio = 0;
    bool moves_data = false;
    for (auto p : kSerdePhases) {
      sd += phase_or_zero(inv->phases, p);
      moves_data = moves_data || inv->phases.count(std::string(p));
    }
    for (auto p : kBaasPhases) {
      bio += phase_or_zero(inv->phases, p);
      moves_data = moves_data || inv->phases.count(std::string(p));
    }
    if (moves_data) serde_io.push_back(sd + bio);
    c.e2e_ns.push_back(e2e);
    by_repeat[inv->repeat].push_back(e2e);
    if (inv->fresh_instance) {
      ++c.n_fresh_ok;
    } else {
      warm.push_back(e2e);
    }
    start.push_back(s);
    compute.push_back(cmp);
    serde.push_back(sd);
    io.push_back(bio);
    overhead.push_back(e2e - s - cmp - sd - bio);
    if (inv->cpu) cpu.push_back(static_cast<double>(inv->cpu->count()));
    if (inv->peak_rss_bytes) rss.push_back(static_cast<double>(*inv->peak_rss_bytes));
    bytes.push_back(static_cast<double>(inv->bytes_in + inv->bytes_out));
    baas.push_back(static_cast<double>(inv->baas_bytes_in + inv->baas_bytes_out));
    if (!key.sequential()) {
      const double t0 = static_cast<double>(inv->offset_ns) / 1e6;
      t_first = std::min(t_first, t0);
      t_last = std::max(t_last, t0 + e2e / 1e6);
    } else if (auto t = utc_ms(inv->started_at)) {
      t_first = std::min(t_first, *t);
      t_last = std::max(t_last, *t + e2e / 1e6);
    } else {
      times_known = false;
    }
  }
  for (const std::string& m : exec_modes) c.exec_modes += (c.exec_modes.empty() ? "" : ",") + m;
  c.n_ok = c.e2e_ns.size();
  c.median_ci = stats::median_ci(c.e2e_ns, kCiLevel);
  if (c.n_ok == 0) return c;
  c.e2e_median = stats::median(c.e2e_ns);
  c.e2e_p95 = stats::percentile(c.e2e_ns, 95.0);
  c.e2e_p99 = stats::percentile(c.e2e_ns, 99.0);
  if (!warm.empty()) c.warm_e2e_mean = stats::mean(warm);
  c.start = stats::median(start);
  c.compute = stats::median(compute);
  c.serde = stats::median(serde);
  c.io = stats::median(io);
  c.serde_io = stats::median(serde_io);
  c.overhead = stats::median(overhead);
  c.cpu_ns = stats::median(cpu);
  c.peak_rss = stats::median(rss);
  c.bytes = stats::median(bytes);
  c.baas_bytes = stats::median(baas);
  for (auto& [name, v] : phases) c.phase_median[name] = stats::median(v);
  for (const auto& [repeat, xs] : by_repeat) c.repeat_medians[repeat] = stats::median(xs);
  if (key.sequential()) c.population = stats::population_check(c.e2e_ns);
  const auto marks = stats::mark_outliers(c.e2e_ns);
  c.n_outliers = static_cast<std::size_t>(std::count(marks.begin(), marks.end(), true));
  const double span_ms = t_last - t_first;
  if (times_known && c.n_ok >= 2 && span_ms > 0) c.throughput_rps = static_cast<double>(c.n_ok) / (span_ms / 1000.0);
  return c;
}

}  // namespace

int CellKey::concurrency() const {
  if (load == LoadKind::kNone) return 1;
  if (load == LoadKind::kClosed) return std::max(1, static_cast<int>(std::lround(level)));
  return 0;
}

std::string CellKey::input_label() const { return io == Io::kBaas ? input + "@baas" : input; }

std::string CellKey::mode_label() const {
  switch (load) {
    case LoadKind::kNone:
      return std::string(telemetry::to_string(mode));
    case LoadKind::kClosed:
      return fmt::format("closed {:g}", level);
    case LoadKind::kOpen:
      return fmt::format("open {:g}/s", level);
    case LoadKind::kTrace:
      return fmt::format("trace x{:g}", level);
  }
  return "?";
}

std::string CellKey::label() const {
  std::string s = fmt::format("{}/{} {} {} {}", function, input, runtime, mode_label(), telemetry::to_string(io));
  if (profile != "cloud") s += " " + profile;
  if (placement == telemetry::Placement::kCrossCpu) s += " cross-cpu";
  return s;
}

CellKey key_of(const telemetry::Invocation& inv) {
  CellKey k{inv.function, inv.input, inv.runtime,  inv.mode, inv.io, inv.profile.empty() ? "cloud" : inv.profile,
            inv.load,     inv.level, inv.placement};
  if (inv.load == LoadKind::kNone) k.level = 0;
  return k;
}

std::optional<std::string> contamination(const telemetry::Invocation& inv) {
  // Only requests to an instance can tell: load records are the pool's to decide, and a
  // one-shot program (no `invoke` phase) is a new process by construction.
  if (inv.load != LoadKind::kNone || !inv.phases.count("invoke")) return std::nullopt;
  const bool any_start =
      std::any_of(inv.phases.begin(), inv.phases.end(), [](const auto& kv) { return is_start_phase(kv.first); });
  if (inv.mode == Mode::kCold && !any_start) return std::string("cold request met a warm instance");
  if (inv.mode == Mode::kWarm && any_start) return std::string("warm request met a cold instance");
  if (inv.mode == Mode::kInstance && !any_start) return std::string("instance request met no new instance");
  return std::nullopt;
}

double Cell::fresh_rate() const { return n == 0 ? stats::kNaN : static_cast<double>(n_fresh) / static_cast<double>(n); }

double Cell::repeat_spread() const {
  if (repeat_medians.size() < 2) return stats::kNaN;
  std::vector<double> medians;
  medians.reserve(repeat_medians.size());
  for (const auto& [repeat, m] : repeat_medians) medians.push_back(m);
  const auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
  return (*hi - *lo) / 2.0 / stats::median(medians);
}

double Cell::ci_rel_half_width() const { return (median_ci.high - median_ci.low) / 2.0 / e2e_median; }

bool key_less(const CellKey& a, const CellKey& b) {
  if (a.function != b.function) return a.function < b.function;
  if (a.runtime != b.runtime) return runtime_less(a.runtime, b.runtime);
  return std::tie(a.mode, a.input, a.io, a.profile, a.load, a.level, a.placement) <
         std::tie(b.mode, b.input, b.io, b.profile, b.load, b.level, b.placement);
}

std::vector<Cell> group(const std::vector<telemetry::Invocation>& invocations) {
  std::map<CellKey, std::vector<const telemetry::Invocation*>> groups;
  for (const auto& inv : invocations) groups[key_of(inv)].push_back(&inv);
  std::vector<Cell> cells;
  cells.reserve(groups.size());
  for (const auto& [key, records] : groups) cells.push_back(summarize(key, records));
  std::sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) { return key_less(a.key, b.key); });
  return cells;
}

}  // namespace lumos::cells

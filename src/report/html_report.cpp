// The HTML report: tables and gnuplot figures from cells, the paper's headline ratios, and the
// page that inlines them; gnuplot runs only in gnuplot_renderer().
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

#include "lumos/common/format.hpp"
#include "lumos/common/files.hpp"
#include "lumos/common/vocabulary.hpp"

#include "lumos/common/process.hpp"
#include "lumos/report/summary.hpp"
#include "lumos/stats/compare.hpp"
#include "lumos/stats/quality.hpp"

namespace lumos::report {
namespace fs = std::filesystem;
namespace {

using model::Cell;
using model::CellKey;

// The bars of the cold-start plot: the start phases, then the first request.
constexpr std::array<std::string_view, 8> kColdBarPhases = {
    kStartPhases[0], kStartPhases[1], kStartPhases[2], kStartPhases[3],
    kStartPhases[4], kStartPhases[5], kStartPhases[6], "invoke"};
constexpr std::array<std::string_view, 4> kIoPhases = {kSerdePhases[0], kSerdePhases[1], kBaasPhases[0],
                                                       kBaasPhases[1]};

std::vector<std::string> sorted_runtimes(std::set<std::string> names) {
  std::vector<std::string> v(names.begin(), names.end());
  std::stable_sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return runtime_less(a, b); });
  return v;
}

std::string color_of(const std::string& runtime) {
  static const std::map<std::string, std::string> kColors = {
      {"native", "#1b9e77"}, {"native-gcc", "#a6761d"}, {"runc", "#d95f02"}, {"podman", "#e6ab02"}, {"runc-wasmedge", "#66a61e"},
      {"wasmedge-interp", "#7570b3"}, {"wasmedge-aot", "#e7298a"}};
  auto it = kColors.find(runtime);
  return it == kColors.end() ? "#666666" : it->second;
}

// ---- cell lookup ------------------------------------------------------------------------

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

Index make_index(const std::vector<Cell>& cells) {
  Index ix;
  for (const auto& c : cells) ix.by_key[c.key] = &c;
  return ix;
}

bool base_cell(const Cell& c) { return c.n_ok > 0 && c.key.sequential() && c.key.profile == "cloud"; }

std::set<std::string> runtimes_of(const std::vector<Cell>& cells) {
  std::set<std::string> s;
  for (const auto& c : cells) {
    if (base_cell(c)) s.insert(c.key.runtime);
  }
  return s;
}

// (function, input) pairs with cells of `mode` on io `io`, in order.
std::vector<std::pair<std::string, std::string>> inputs_with(const std::vector<Cell>& cells, const std::string& mode,
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
std::map<std::string, std::string> representative_inputs(const std::vector<Cell>& cells) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> seen;  // f -> i -> runtimes
  for (const auto& c : cells) {
    if (base_cell(c) && c.key.mode == cells::Mode::kWarm && c.key.io == cells::Io::kDirect) seen[c.key.function][c.key.input].insert(c.key.runtime);
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

std::string num(double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : "NaN"; }

// A gnuplot double-quoted string.
std::string gq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string terminal(int width, int height) {
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

double io_serde(const Cell& c) { return c.serde + (c.key.io == cells::Io::kBaas ? c.io : 0.0); }

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

}  // namespace

std::vector<HeadlineRatio> headline_ratios(const ReportData& r) {
  std::vector<HeadlineRatio> out;
  const Index ix = make_index(r.cells);

  {  // 1. image sizes: against each container flavour present (debian-based first)
    HeadlineRatio h{"AoT-compiled Wasm images are smaller than container images", "up to 30x", "", "", "", false};
    std::map<std::string, std::map<std::string, double>> sizes;
    for (const auto& s : r.images) sizes[s.function][s.flavour] = static_cast<double>(s.pulled_bytes);
    std::vector<std::string> ours, cells, bases;
    for (const char* base : {"container-debian", "container-scratch"}) {
      Extremes e;
      for (const auto& [f, m] : sizes) {
        if (m.count(base) && m.count("wasm-aot") && m.at("wasm-aot") > 0) e.add(m.at(base) / m.at("wasm-aot"), f);
      }
      if (!e.n) continue;
      ours.push_back(fmt::format("vs {}: up to {} (range {} to {}, {} functions)", base, text::ratio(e.hi), text::ratio(e.lo),
                                 text::ratio(e.hi), e.n));
      cells.push_back(fmt::format("{}: max {}, min {}", base, e.hi_cell, e.lo_cell));
      bases.push_back(base);
    }
    h.baseline = "container image / wasm-aot image, pulled bytes (layers + config + manifest)";
    if (!ours.empty()) {
      h.has_data = true;
      for (std::size_t i = 0; i < ours.size(); ++i) {
        h.ours += (i ? "; " : "") + ours[i];
        h.cells += (i ? "; " : "") + cells[i];
      }
    } else {
      h.ours = r.images.empty() ? "no data: no images JSON (run `lumos images --json DIR/images.json` or pass --images)"
                                : "no data: images lack wasm-aot or container sizes";
    }
    out.push_back(h);
  }
  {  // 2. cold start AoT vs container
    HeadlineRatio h{"AoT Wasm cold start is lower than containers'", "up to 16% lower", "", "", "", false};
    h.baseline = "median cold e2e, 1 - wasmedge-aot / runc";
    const Extremes e = extremes_between(r.cells, ix, "cold", "wasmedge-aot", "runc", [](const Cell& a, const Cell& c) {
      return 1.0 - a.e2e_median / c.e2e_median;
    });
    if (e.n) {
      h.has_data = true;
      const auto pct = [](double v) {
        return v >= 0 ? fmt::format("{:.0f}% lower", v * 100) : fmt::format("{:.0f}% higher", -v * 100);
      };
      h.ours = fmt::format("up to {} (median {}, range {} to {}, {} cells)", pct(e.hi), pct(e.median()), pct(e.lo),
                           pct(e.hi), e.n);
      h.cells = fmt::format("best: {} cold direct; worst: {} cold direct", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs cold cells on runc and wasmedge-aot";
    }
    out.push_back(h);
  }
  {  // 3. interpreter warm latency vs AoT
    HeadlineRatio h{"Interpreted Wasm has higher warm latency", "30x to 55x (up to 55x)", "", "", "", false};
    h.baseline = "median warm e2e, wasmedge-interp / wasmedge-aot";
    const Extremes e = extremes_between(r.cells, ix, "warm", "wasmedge-interp", "wasmedge-aot",
                                        [](const Cell& a, const Cell& b) { return a.e2e_median / b.e2e_median; });
    if (e.n) {
      h.has_data = true;
      h.ours = fmt::format("{} to {} (median {}, {} cells)", text::ratio(e.lo), text::ratio(e.hi), text::ratio(e.median()), e.n);
      h.cells = fmt::format("max: {} warm direct; min: {} warm direct", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs warm cells on wasmedge-interp and wasmedge-aot";
    }
    out.push_back(h);
  }
  {  // 4. I/O-serialization overhead of the interpreter
    HeadlineRatio h{"Interpreted Wasm has I/O-serialization overhead", "7x to 10x (up to 10x)", "", "", "", false};
    h.baseline = "median warm deserialize+serialize(+baas_get+baas_put), wasmedge-interp / native; BaaS cells where measured";
    Extremes e;
    std::set<std::pair<std::string, std::string>> fis;
    for (const auto& p : inputs_with(r.cells, "warm", "baas")) fis.insert(p);
    for (const auto& p : inputs_with(r.cells, "warm", "direct")) fis.insert(p);
    for (const auto& [f, i] : fis) {
      std::string io = "baas";
      const Cell* a = ix.get(f, i, "wasmedge-interp", "warm", io);
      const Cell* b = ix.get(f, i, "native", "warm", io);
      if (!a || !b) {
        io = "direct";
        a = ix.get(f, i, "wasmedge-interp", "warm", io);
        b = ix.get(f, i, "native", "warm", io);
      }
      if (a && b && io_serde(*b) > 0) e.add(io_serde(*a) / io_serde(*b), f + "/" + i + (io == "baas" ? "@baas" : ""));
    }
    if (e.n) {
      h.has_data = true;
      h.ours = fmt::format("{} to {} (median {}, {} cells)", text::ratio(e.lo), text::ratio(e.hi), text::ratio(e.median()), e.n);
      h.cells = fmt::format("max: {} warm; min: {} warm", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs warm cells on wasmedge-interp and native";
    }
    out.push_back(h);
  }
  return out;
}

// ---- tables -----------------------------------------------------------------------------

namespace {

// The compiler of one kind of artifact over the run's functions ("clang-19: Debian clang version
// 19.1.7 (3~deb12u1)"; several joined by "; "), from the manifest's "artifacts"; "" if none.
std::string compilers_of(const nlohmann::json& manifest, const std::string& kind) {
  std::set<std::string> seen;
  if (manifest.is_object() && manifest.contains("artifacts") && manifest["artifacts"].is_object()) {
    for (const auto& [fn, kinds] : manifest["artifacts"].items()) {
      if (!kinds.is_object() || !kinds.contains(kind)) continue;
      const auto& a = kinds[kind];
      const std::string version = a.value("version", "");
      seen.insert(a.value("compiler", "?") + (version.empty() ? "" : ": " + version));
    }
  }
  std::string out;
  for (const auto& c : seen) out += (out.empty() ? "" : "; ") + c;
  return out;
}

Table headline_table(const ReportData& r) {
  // Which compiler built each side of the comparisons: the floor (native and the container
  // images made from it) and the Wasm modules (AoT code from WasmEdge's LLVM).
  std::string compilers;
  for (const auto& [label, kind] : {std::pair{"native and containers", "native"}, std::pair{"native-gcc", "native-gcc"},
                                    std::pair{"wasm", "wasm"}, std::pair{"AoT", "wasm-aot"}}) {
    const std::string c = compilers_of(r.data.manifest, kind);
    if (!c.empty()) compilers += fmt::format("{}{} built by {}", compilers.empty() ? "" : "; ", label, c);
  }
  Table t{"paper-vs-ours", "The paper's headline results beside ours",
          "Each of our numbers is computed from the cells named in the last column (cloud profile, concurrency 1). " +
              (compilers.empty() ? std::string("Our compilers are not recorded in these results' manifest.")
                                 : "Our compilers: " + compilers + ".") +
              " The paper's numbers are quoted as published, from its own builds.",
          {"claim", "paper", "ours", "ratio of", "cells"},
          {}};
  for (const auto& h : headline_ratios(r)) t.rows.push_back({h.claim, h.paper, h.ours, h.baseline, h.cells});
  return t;
}

Table comparison_table(const ReportData& r) {
  Table t{"comparisons", "Runtime comparisons (speed ratio of geometric means, Welch 99% CI on log latencies)",
          "\"no significant difference\" when the 99% interval contains 1. One input per function (the one measured on most runtimes).",
          {"function/input", "mode", "A", "B", "result", "ratio B/A", "ci low", "ci high", "p"},
          {}};
  const Index ix = make_index(r.cells);
  const std::vector<std::pair<std::string, std::string>> warm_pairs = {
      {"wasmedge-aot", "wasmedge-interp"}, {"wasmedge-aot", "runc"}, {"native", "runc"}, {"native", "wasmedge-aot"},
      {"native", "native-gcc"}};
  const std::vector<std::pair<std::string, std::string>> cold_pairs = {{"wasmedge-aot", "runc"}, {"native", "runc"}};
  for (const auto& [f, i] : representative_inputs(r.cells)) {
    for (const auto& [mode, pairs] : {std::pair{std::string("warm"), warm_pairs}, std::pair{std::string("cold"), cold_pairs}}) {
      for (const auto& [a, b] : pairs) {
        const Cell* ca = ix.get(f, i, a, mode);
        const Cell* cb = ix.get(f, i, b, mode);
        if (!ca || !cb) continue;
        const auto c = stats::compare_latencies(ca->e2e_ns, cb->e2e_ns, stats::kCompareLevel, a, b);
        t.rows.push_back({f + "/" + i, mode, a, b, stats::describe(c), text::ratio(c.speedup), text::ratio(c.speedup_low),
                          text::ratio(c.speedup_high), c.valid ? fmt::format("{:.2g}", c.p_value) : "-"});
      }
    }
  }
  return t;
}

Table cold_phase_table(const ReportData& r) {
  Table t{"cold-start-phases", "Cold-start phases (median per cell, direct input)", "Phases partition the cold end-to-end time; see docs/ARCHITECTURE.md.", {"function/input", "runtime"}, {}};
  for (auto p : kColdBarPhases) t.header.emplace_back(p);
  t.header.emplace_back("e2e");
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kCold || c.key.io != cells::Io::kDirect) continue;
    std::vector<std::string> row = {c.key.function + "/" + c.key.input, c.key.runtime};
    for (auto p : kColdBarPhases) {
      auto it = c.phase_median.find(std::string(p));
      row.push_back(it == c.phase_median.end() ? "-" : text::duration(it->second));
    }
    row.push_back(text::duration(c.e2e_median));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table io_table(const ReportData& r) {
  Table t{"io-serialization", "I/O and serialization per request (warm, median per cell)",
          "total = deserialize + serialize (+ baas_get + baas_put in BaaS mode); the ratio is to native in the same cell configuration.",
          {"function/input", "io", "runtime", "deserialize", "serialize", "baas_get", "baas_put", "total", "vs native"},
          {}};
  const Index ix = make_index(r.cells);
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kWarm) continue;
    const auto ph = [&](std::string_view p) {
      auto it = c.phase_median.find(std::string(p));
      return it == c.phase_median.end() ? std::string("-") : text::duration(it->second);
    };
    const Cell* nat = ix.get(c.key.function, c.key.input, "native", "warm", std::string(telemetry::to_string(c.key.io)));
    const double ratio = nat && io_serde(*nat) > 0 ? io_serde(c) / io_serde(*nat) : NAN;
    t.rows.push_back({c.key.function + "/" + c.key.input, std::string(telemetry::to_string(c.key.io)), c.key.runtime, ph("deserialize"), ph("serialize"),
                      ph("baas_get"), ph("baas_put"), text::duration(io_serde(c)), text::ratio(ratio)});
  }
  return t;
}

Table validation_table(const ReportData& r) {
  Table t{"model-validation", "Model: held-out MAPE per runtime",
          "Each configuration (function x input x runtime) or each function x runtime is left out in turn; a model fitted "
          "without it predicts the median e2e of its cells.",
          {"runtime"}, {}};
  if (!r.model || r.model->validations.empty()) {
    t.caption = "No model: " + (r.model_note.empty() ? std::string("not fitted") : r.model_note);
    return t;
  }
  std::set<std::string> rts;
  for (const auto& v : r.model->validations) {
    t.header.push_back("MAPE, held out by " + v.scheme);
    t.header.push_back("n");
    for (const auto& [k, x] : v.mape_by_runtime) rts.insert(k);
  }
  for (const auto& rt : sorted_runtimes(rts)) {
    std::vector<std::string> row = {rt};
    for (const auto& v : r.model->validations) {
      auto it = v.mape_by_runtime.find(rt);
      row.push_back(it == v.mape_by_runtime.end() ? "-" : fmt::format("{:.1f}%", it->second * 100));
      row.push_back(it == v.mape_by_runtime.end() ? "0" : fmt::format("{}", v.n_by_runtime.at(rt)));
    }
    t.rows.push_back(std::move(row));
  }
  std::vector<std::string> all = {"all"};
  for (const auto& v : r.model->validations) {
    all.push_back(fmt::format("{:.1f}% (median {:.1f}%)", v.mape * 100, v.median_ape * 100));
    all.push_back(fmt::format("{}", v.points.size()));
  }
  t.rows.push_back(std::move(all));
  return t;
}

Table model_table(const ReportData& r) {
  Table t{"model-coefficients", "Model: per-runtime drivers",
          "compute factor = time of the same work relative to the reference runtime; cold start at the runtime's median module "
          "size; per-request = warm request path outside the function; USL from concurrency data when present.",
          {"runtime", "compute factor", "cold start", "per-request", "BaaS get+put", "USL sigma", "USL kappa", "p95/p50 warm"},
          {}};
  if (!r.model) return t;
  const auto& m = *r.model;
  std::set<std::string> rts;
  for (const auto& [k, v] : m.start.coef) {
    if (k.rfind("rt:", 0) == 0) rts.insert(k.substr(3));
  }
  rts.insert(m.reference_runtime);
  const auto coef = [](const model::Component& c, const std::string& n) {
    auto it = c.coef.find(n);
    return it == c.coef.end() ? NAN : it->second;
  };
  for (const auto& rt : sorted_runtimes(rts)) {
    std::vector<double> ls;
    for (const auto& [k, b] : m.module_sizes.bytes) {
      if (k.size() > rt.size() + 1 && k.compare(k.size() - rt.size() - 1, std::string::npos, "/" + rt) == 0) {
        ls.push_back(std::log(static_cast<double>(b) / (1024.0 * 1024.0)));
      }
    }
    const double slope = coef(m.start, "ls:" + rt);
    const double start = std::exp(coef(m.start, "rt:" + rt) + (std::isfinite(slope) && !ls.empty() ? slope * stats::median(ls) : 0.0));
    const double factor = rt == m.reference_runtime ? 1.0 : std::exp(coef(m.compute, "rt:" + rt));
    auto u = m.usl.find(rt);
    auto tail = m.tail_ratio.find(rt + "/warm");
    t.rows.push_back({rt, text::ratio(factor), text::duration(start), text::duration(coef(m.overhead, "a:" + rt + "/warm")),
                      text::duration(coef(m.io, "a:" + rt + "/warm")), u == m.usl.end() ? "-" : fmt::format("{:.3g}", u->second.sigma),
                      u == m.usl.end() ? "-" : fmt::format("{:.3g}", u->second.kappa),
                      tail == m.tail_ratio.end() ? "-" : fmt::format("{:.2f}", tail->second)});
  }
  return t;
}

Table prediction_table(const ReportData& r) {
  Table t{"model-decisions", "Model: where to run each function (predicted warm p50 and cost per million requests)",
          "Predictions at concurrency 1 for the cloud and edge profiles; the cheapest runtime meeting the fastest p50 x 2 is marked *.",
          {"function/input", "profile"}, {}};
  if (!r.model) return t;
  std::set<std::string> rts_set;
  for (const auto& c : r.cells) {
    if (base_cell(c)) rts_set.insert(c.key.runtime);
  }
  const auto rts = sorted_runtimes(rts_set);
  for (const auto& rt : rts) t.header.push_back(rt);
  for (const auto& [f, i] : representative_inputs(r.cells)) {
    for (const std::string profile : {"cloud", "edge"}) {
      std::vector<model::Prediction> preds;
      std::vector<std::string> row = {f + "/" + i, profile};
      double best = INFINITY;
      for (const auto& rt : rts) {
        model::Query q;
        q.function = f;
        q.input = i;
        q.runtime = rt;
        q.profile = profile;
        auto p = model::predict(*r.model, q);
        preds.push_back(p ? *p : model::Prediction{});
        if (p) best = std::min(best, p->p50_ns);
      }
      // The SLO: twice the fastest predicted p50; among runtimes meeting it, the cheapest.
      std::size_t pick = rts.size();
      for (std::size_t k = 0; k < rts.size(); ++k) {
        if (preds[k].p50_ns > 0 && preds[k].p50_ns <= 2 * best &&
            (pick == rts.size() || preds[k].cost.total_usd < preds[pick].cost.total_usd)) {
          pick = k;
        }
      }
      for (std::size_t k = 0; k < rts.size(); ++k) {
        row.push_back(preds[k].p50_ns > 0 ? fmt::format("{} / ${:.3g}{}", text::duration(preds[k].p50_ns), preds[k].cost_per_million_usd,
                                                        k == pick ? " *" : "")
                                          : "-");
      }
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

// Which runtimes run an artifact kind.
std::string runs_on(const std::string& kind) {
  if (kind == "native") return "native, runc, podman (container images)";
  if (kind == "native-gcc") return "native-gcc";
  if (kind == "wasm") return "wasmedge-interp";
  if (kind == "wasm-aot") return "wasmedge-aot, runc-wasmedge";
  if (kind == "generator") return "(makes the inputs at build time)";
  return "";
}

Table environment_table(const ReportData& r) {
  Table t{"environment", "Compilers and flags of every artifact",
          "From the run's manifest (\"artifacts\"): the program and its --version, and its flags without the "
          "source files and output. native is built by the Wasm modules' compiler, native-gcc by the host compiler.",
          {"function", "artifact", "runs on", "compiler", "version", "flags"},
          {}};
  const auto& m = r.data.manifest;
  if (!m.is_object() || !m.contains("artifacts") || !m["artifacts"].is_object()) return t;
  for (const auto& [fn, kinds] : m["artifacts"].items()) {
    if (!kinds.is_object()) continue;
    for (const auto& [kind, a] : kinds.items()) {
      std::string flags;
      if (a.contains("flags") && a["flags"].is_array()) {
        for (const auto& f : a["flags"]) flags += (flags.empty() ? "" : " ") + f.get<std::string>();
      }
      t.rows.push_back({fn, kind, runs_on(kind), a.value("compiler", "?"), a.value("version", ""), flags});
    }
  }
  return t;
}

Table summary_table(const ReportData& r) {
  Table t{"summary", "All cells: median, p95 and 95% CI of the median of e2e",
          "Only ok, uncontaminated invocations; outliers (Tukey 1.5 IQR) are counted, not removed.",
          {"function", "input", "runtime", "mode", "io", "profile", "concurrency", "ok/n", "contaminated", "outliers", "median",
           "p95", "median 95% CI"},
          {}};
  for (const auto& c : r.cells) {
    const auto& ci = c.median_ci;
    t.rows.push_back({c.key.function, c.key.input, c.key.runtime, c.key.mode_label(), std::string(telemetry::to_string(c.key.io)), c.key.profile,
                      fmt::format("{}", c.key.concurrency()), fmt::format("{}/{}", c.n_ok, c.n),
                      fmt::format("{}", c.n_contaminated), fmt::format("{}", c.n_outliers), text::duration(c.e2e_median),
                      text::duration(c.e2e_p95),
                      c.n_ok ? fmt::format("[{}, {}]{}", text::duration(ci.low), text::duration(ci.high), ci.meets_level ? "" : "*") : "-"});
  }
  return t;
}

}  // namespace

std::vector<Table> report_tables(const ReportData& r) {
  return {headline_table(r),  comparison_table(r), cold_phase_table(r), io_table(r),
          validation_table(r), model_table(r),      prediction_table(r), summary_table(r),
          environment_table(r)};
}

// ---- figures ----------------------------------------------------------------------------

namespace {

Figure cold_phases_figure(const ReportData& r) {
  Figure f{"cold-start", "Cold-start phases by runtime",
           "Median of each phase over all functions' cold cells (direct input), stacked; the bar is the typical cold "
           "end-to-end time.",
           "", "", ""};
  std::map<std::string, std::map<std::string, std::vector<double>>> v;  // runtime -> phase -> cell medians
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kCold || c.key.io != cells::Io::kDirect) continue;
    for (auto p : kColdBarPhases) {
      auto it = c.phase_median.find(std::string(p));
      v[c.key.runtime][std::string(p)].push_back(it == c.phase_median.end() ? 0.0 : it->second);
    }
  }
  if (v.empty()) {
    f.missing = "no cold cells in the results (run an experiment with modes: [cold])";
    return f;
  }
  std::string data = "$d << EOD\nruntime";
  for (auto p : kColdBarPhases) data += " " + std::string(p);
  data += "\n";
  std::set<std::string> rts;
  for (const auto& [rt, x] : v) rts.insert(rt);
  for (const auto& rt : sorted_runtimes(rts)) {
    data += gq(rt);
    for (auto p : kColdBarPhases) data += fmt::format(" {}", num(stats::median(v[rt][std::string(p)]) / 1e6));
    data += "\n";
  }
  data += "EOD\n";
  f.script = terminal(900, 440) + data +
             "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.9 border rgb '#333333'\n"
             "set boxwidth 0.6\nset ylabel 'median time (ms)'\nset key outside right top\nset yrange [0:*]\n"
             "set title 'Cold-start phases by runtime (median over functions)'\n"
             "plot for [i=2:" + std::to_string(kStartPhases.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure warm_latency_figure(const ReportData& r) {
  Figure f{"warm-latency", "Warm latency by function and runtime (log scale)",
           "Median warm end-to-end latency, direct input, one input per function (the one measured on most runtimes).",
           "", "", ""};
  const Index ix = make_index(r.cells);
  const auto reps = representative_inputs(r.cells);
  const auto rts = sorted_runtimes(runtimes_of(r.cells));
  if (reps.empty()) {
    f.missing = "no warm cells with direct input (run an experiment with modes: [warm])";
    return f;
  }
  std::string data = "$d << EOD\nfunction";
  for (const auto& rt : rts) data += fmt::format(" {}", gq(rt));
  data += "\n";
  for (const auto& [fn, in] : reps) {
    data += gq(fn + "/" + in);
    for (const auto& rt : rts) {
      const Cell* c = ix.get(fn, in, rt, "warm");
      data += fmt::format(" {}", num(c ? c->e2e_median / 1e6 : NAN));
    }
    data += "\n";
  }
  data += "EOD\n";
  std::string colors;
  for (std::size_t k = 0; k < rts.size(); ++k) colors += fmt::format("set linetype {} lc rgb '{}'\n", k + 1, color_of(rts[k]));
  const int width = std::max(900, static_cast<int>(reps.size() * rts.size() * 16 + 200));
  f.script = terminal(width, 480) + colors + data +
             "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.9 border rgb '#333333'\n"
             "set logscale y\nset ylabel 'median warm latency (ms, log)'\nset xtics rotate by -30\nset key outside right top\n"
             "set title 'Warm latency by function and runtime'\n"
             "plot for [i=2:" + std::to_string(rts.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure image_size_figure(const ReportData& r) {
  Figure f{"image-sizes", "Image sizes (pulled bytes, log scale)",
           "What a node must pull to start each function, per image flavour; from " +
               (r.images_source.empty() ? std::string("(none)") : r.images_source) + ".",
           "", "", ""};
  if (r.images.empty()) {
    f.missing = "image size data is missing: no images.json in the results folder and no --images FILE "
                "(make one with `lumos images --json DIR/images.json`)";
    return f;
  }
  std::map<std::string, std::map<std::string, double>> sizes;
  std::set<std::string> flavours;
  for (const auto& s : r.images) {
    sizes[s.function][s.flavour] = static_cast<double>(s.pulled_bytes);
    flavours.insert(s.flavour);
  }
  std::vector<std::string> order;
  for (const char* fl : {"container-debian", "container-scratch", "wasm", "wasm-aot"}) {
    if (flavours.count(fl)) order.emplace_back(fl);
  }
  for (const auto& fl : flavours) {
    if (std::find(order.begin(), order.end(), fl) == order.end()) order.push_back(fl);
  }
  std::string data = "$d << EOD\nfunction";
  for (const auto& fl : order) data += fmt::format(" {}", gq(fl));
  data += "\n";
  for (const auto& [fn, m] : sizes) {
    data += gq(fn);
    for (const auto& fl : order) data += fmt::format(" {}", num(m.count(fl) ? m.at(fl) / (1024.0 * 1024.0) : NAN));
    data += "\n";
  }
  data += "EOD\n";
  f.script = terminal(std::max(900, static_cast<int>(sizes.size() * order.size() * 16 + 200)), 460) + data +
             "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.9 border rgb '#333333'\n"
             "set logscale y\nset ylabel 'pulled size (MiB, log)'\nset xtics rotate by -30\nset key outside right top\n"
             "set title 'Image sizes by function and flavour'\n"
             "plot for [i=2:" + std::to_string(order.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure io_figure(const ReportData& r) {
  Figure f{"io-serialization", "I/O-serialization breakdown",
           "Left: median over functions of each I/O and (de)serialization phase per warm request, stacked by runtime (BaaS cells "
           "where measured, else direct). Right: the total per function and runtime (log scale).",
           "", "", ""};
  bool any_baas = false;
  for (const auto& c : r.cells) any_baas = any_baas || (base_cell(c) && c.key.io == cells::Io::kBaas && c.key.mode == cells::Mode::kWarm);
  const std::string io = any_baas ? "baas" : "direct";
  std::map<std::string, std::map<std::string, std::vector<double>>> v;
  std::map<std::string, std::map<std::string, double>> totals;  // "f/i" -> runtime -> total
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kWarm || telemetry::to_string(c.key.io) != io) continue;
    for (auto p : kIoPhases) {
      auto it = c.phase_median.find(std::string(p));
      v[c.key.runtime][std::string(p)].push_back(it == c.phase_median.end() ? 0.0 : it->second);
    }
    totals[c.key.function + "/" + c.key.input][c.key.runtime] = io_serde(c);
  }
  if (v.empty()) {
    f.missing = "no warm cells with serialization phases";
    return f;
  }
  std::set<std::string> rts_set;
  for (const auto& [rt, x] : v) rts_set.insert(rt);
  const auto rts = sorted_runtimes(rts_set);
  std::string data = "$d << EOD\nruntime";
  for (auto p : kIoPhases) data += " " + std::string(p);
  data += "\n";
  for (const auto& rt : rts) {
    data += gq(rt);
    for (auto p : kIoPhases) data += fmt::format(" {}", num(stats::median(v[rt][std::string(p)]) / 1e3));
    data += "\n";
  }
  data += "EOD\n$t << EOD\nfunction";
  for (const auto& rt : rts) data += fmt::format(" {}", gq(rt));
  data += "\n";
  for (const auto& [fi, m] : totals) {
    data += gq(fi);
    for (const auto& rt : rts) data += fmt::format(" {}", num(m.count(rt) && m.at(rt) > 0 ? m.at(rt) / 1e3 : NAN));
    data += "\n";
  }
  data += "EOD\n";
  std::string colors;
  for (std::size_t k = 0; k < rts.size(); ++k) colors += fmt::format("set linetype {} lc rgb '{}'\n", k + 11, color_of(rts[k]));
  f.script = terminal(1200, 480) + colors + data +
             "set multiplot layout 1,2\nset style data histograms\nset style fill solid 0.9 border rgb '#333333'\n"
             "set style histogram rowstacked\nset boxwidth 0.6\nset ylabel 'median per request (us)'\nset yrange [0:*]\n"
             "set key top left\nset title 'Breakdown (" + io + " input, median over functions)'\n"
             "plot for [i=2:5] $d using i:xtic(1) title columnheader(i)\n"
             "set style histogram clustered gap 1\nset logscale y\nset yrange [*:*]\nset xtics rotate by -40 font ',8'\n"
             "set ylabel 'I/O + serialization per request (us, log)'\nset title 'Total by function and runtime'\n"
             "set key top left font ',9'\n"
             "plot for [i=2:" + std::to_string(rts.size() + 1) + "] $t using i:xtic(1) title columnheader(i) lt (i+9)\n"
             "unset multiplot\n";
  return f;
}

std::vector<Figure> concurrency_figures(const ReportData& r) {
  // Series: function/input/io/profile -> runtime -> N -> the level's cell
  std::map<std::string, std::map<std::string, std::map<int, const Cell*>>> series;
  for (const auto& c : r.cells) {
    if (c.n_ok == 0 || c.key.load != cells::LoadKind::kClosed) continue;
    series[c.key.function + "/" + c.key.input + (c.key.io == cells::Io::kBaas ? "@baas" : "") +
           (c.key.profile != "cloud" ? " " + c.key.profile : "")][c.key.runtime][c.key.concurrency()] = &c;
  }
  if (series.empty()) {
    Figure f{"concurrency", "Throughput and p95 latency vs concurrency",
             "Closed-loop load levels, per runtime.", "", "", ""};
    f.missing = "no concurrency data: the results hold no closed-loop load levels (run an experiment with a "
                "closed-loop load, e.g. concurrency [1, 2, 4, 8, 16])";
    return {f};
  }
  std::vector<Figure> out;
  std::size_t k = 0;
  for (const auto& [name, by_rt] : series) {
    if (++k > 6) break;  // keep the page readable; the CSV has every level
    Figure f{fmt::format("concurrency-{}", k), "Throughput and p95 latency vs concurrency: " + name,
             "Closed-loop levels: completed requests per second over the level's wall time, and the 95th percentile of "
             "latency (both log scale). Dashed: the model's prediction (USL or bounds, with the level's share of cold starts).",
             "", "", ""};
    std::string data, plot_x = "plot ", plot_p = "plot ";
    std::set<std::string> rts_set;
    for (const auto& [rt, m] : by_rt) rts_set.insert(rt);
    std::size_t j = 0;
    for (const auto& rt : sorted_runtimes(rts_set)) {
      const auto& levels = by_rt.at(rt);
      data += fmt::format("$r{} << EOD\n", j);
      for (const auto& [n, c] : levels) data += fmt::format("{} {} {}\n", n, num(c->throughput_rps), num(c->e2e_p95 / 1e6));
      data += "EOD\n";
      plot_x += fmt::format("{}$r{} using 1:2 with linespoints lw 2 pt 7 lc rgb '{}' title {}", j ? ", " : "", j, color_of(rt), gq(rt));
      plot_p += fmt::format("{}$r{} using 1:3 with linespoints lw 2 pt 7 lc rgb '{}' title {}", j ? ", " : "", j, color_of(rt), gq(rt));
      // Model curve for this series (warm, same io/profile, the level's cold starts) when a model exists.
      if (r.model) {
        data += fmt::format("$m{} << EOD\n", j);
        bool any = false;
        for (const auto& [n, c] : levels) {
          if (auto p = model::predict(*r.model, model::query_of(*c))) {
            data += fmt::format("{} {} {}\n", n, num(p->throughput_rps), num(p->p95_ns / 1e6));
            any = true;
          }
        }
        data += "EOD\n";
        if (any) {
          plot_x += fmt::format(", $m{} using 1:2 with lines dt 2 lc rgb '{}' notitle", j, color_of(rt));
          plot_p += fmt::format(", $m{} using 1:3 with lines dt 2 lc rgb '{}' notitle", j, color_of(rt));
        }
      }
      ++j;
    }
    f.script = terminal(1100, 420) + data +
               "set multiplot layout 1,2\nset logscale x 2\nset logscale y\nset xlabel 'concurrency (clients)'\n"
               "set key top left font ',9'\nset ylabel 'throughput (requests/s, log)'\nset title 'Throughput'\n" + plot_x +
               "\nset ylabel 'p95 latency (ms, log)'\nset title 'p95 latency'\n" + plot_p + "\nunset multiplot\n";
    out.push_back(std::move(f));
  }
  return out;
}

Figure cdf_figure(const ReportData& r) {
  Figure f{"latency-cdf", "Latency CDFs (warm, direct input)",
           "Empirical distribution of warm end-to-end latency per runtime, one panel per function (log x).", "", "", ""};
  const Index ix = make_index(r.cells);
  const auto reps = representative_inputs(r.cells);
  if (reps.empty()) {
    f.missing = "no warm cells with direct input";
    return f;
  }
  const auto rts = sorted_runtimes(runtimes_of(r.cells));
  const std::size_t cols = 3, rows = (reps.size() + cols - 1) / cols;
  std::string data, plots;
  std::size_t b = 0;
  for (const auto& [fn, in] : reps) {
    std::string plot;
    for (const auto& rt : rts) {
      const Cell* c = ix.get(fn, in, rt, "warm");
      if (!c) continue;
      std::vector<double> xs = c->e2e_ns;
      std::sort(xs.begin(), xs.end());
      data += fmt::format("$c{} << EOD\n", b);
      for (std::size_t k = 0; k < xs.size(); ++k) {
        data += fmt::format("{} {}\n", num(xs[k] / 1e6), num(static_cast<double>(k + 1) / static_cast<double>(xs.size())));
      }
      data += "EOD\n";
      plot += fmt::format("{}$c{} using 1:2 with steps lw 2 lc rgb '{}' title {}", plot.empty() ? "plot " : ", ", b, color_of(rt), gq(rt));
      ++b;
    }
    plots += "set title " + gq(fn + "/" + in) + "\n" + plot + "\n";
  }
  f.script = terminal(1200, static_cast<int>(rows) * 300 + 40) + data +
             fmt::format("set multiplot layout {},{}\n", rows, cols) +
             "set logscale x\nset xlabel 'warm latency (ms, log)'\nset ylabel 'fraction'\nset yrange [0:1.02]\n"
             "set key bottom right font ',8'\n" + plots + "unset multiplot\n";
  return f;
}

Figure fit_figure(const ReportData& r) {
  Figure f{"model-fit", "Model fit vs measured (held-out)",
           "Each point is a cell whose configuration (function x input x runtime) was left out of the fit; the model's p50 "
           "against the measured median. Dotted: +-20%.",
           "", "", ""};
  if (!r.model || r.model->validations.empty() || r.model->validations.front().points.empty()) {
    f.missing = "no model validation: " + (r.model_note.empty() ? std::string("the model could not be fitted") : r.model_note);
    return f;
  }
  const auto& v = r.model->validations.front();
  std::map<std::string, std::vector<const model::HeldOut*>> by_rt;
  for (const auto& h : v.points) by_rt[h.key.runtime].push_back(&h);
  std::set<std::string> rts_set;
  for (const auto& [rt, x] : by_rt) rts_set.insert(rt);
  std::string data, plot = "plot x with lines lc rgb '#444444' title 'predicted = measured', 1.2*x with lines dt 3 lc rgb '#888888' "
                           "notitle, 0.8*x with lines dt 3 lc rgb '#888888' notitle";
  std::size_t j = 0;
  double lo = INFINITY, hi = 0;
  for (const auto& rt : sorted_runtimes(rts_set)) {
    data += fmt::format("$p{} << EOD\n", j);
    for (const auto* h : by_rt[rt]) {
      data += fmt::format("{} {}\n", num(h->measured_ns / 1e6), num(h->predicted_ns / 1e6));
      lo = std::min({lo, h->measured_ns / 1e6, h->predicted_ns / 1e6});
      hi = std::max({hi, h->measured_ns / 1e6, h->predicted_ns / 1e6});
    }
    data += "EOD\n";
    auto it = v.mape_by_runtime.find(rt);
    plot += fmt::format(", $p{} using 1:2 with points pt 7 ps 0.6 lc rgb '{}' title {}", j, color_of(rt),
                        gq(fmt::format("{} (MAPE {:.0f}%)", rt, it == v.mape_by_runtime.end() ? NAN : it->second * 100)));
    ++j;
  }
  f.script = terminal(760, 640) + data + "set logscale xy\nset size square\n" +
             fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\n", num(lo / 1.5), num(hi * 1.5), num(lo / 1.5), num(hi * 1.5)) +
             "set xlabel 'measured median (ms, log)'\nset ylabel 'predicted p50 (ms, log)'\nset key top left font ',9'\n"
             "set title 'Held-out predictions vs measurements'\n" + plot + "\n";
  return f;
}

}  // namespace

std::vector<Figure> report_figures(const ReportData& r) {
  std::vector<Figure> out = {cold_phases_figure(r), warm_latency_figure(r), image_size_figure(r), io_figure(r)};
  for (auto& f : concurrency_figures(r)) out.push_back(std::move(f));
  out.push_back(cdf_figure(r));
  out.push_back(fit_figure(r));
  return out;
}

// ---- rendering --------------------------------------------------------------------------

SvgRenderer gnuplot_renderer(const fs::path& work_dir) {
  auto counter = std::make_shared<int>(0);  // file names per renderer, no global state
  return [work_dir, counter](const std::string& script) -> Result<std::string> {
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    const int id = ++*counter;
    const fs::path gp = work_dir / fmt::format("plot-{}.gp", id);
    const fs::path svg = work_dir / fmt::format("plot-{}.svg", id);
    {
      std::ofstream o(gp);
      if (!(o << script)) return fail(ErrorCode::kIo, "cannot write " + gp.string());
    }
    auto out = run_command({"gnuplot", "-e", "set output '" + svg.string() + "'", gp.string()});
    if (!out) return tl::unexpected(out.error());
    if (out->exit_code != 0) {
      return fail(ErrorCode::kInternal, "gnuplot failed (exit " + std::to_string(out->exit_code) + "): " + out->out.substr(0, 400));
    }
    std::string text = read_file_or_empty(svg);
    fs::remove(gp, ec);
    fs::remove(svg, ec);
    if (text.find("<svg") == std::string::npos) return fail(ErrorCode::kInternal, "gnuplot wrote no SVG: " + out->out.substr(0, 400));
    return text;
  };
}

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

// SVG as an inline element: no XML prolog, ids prefixed so several plots can share a page.
std::string inline_svg(std::string svg, const std::string& prefix) {
  const auto start = svg.find("<svg");
  if (start != std::string::npos) svg.erase(0, start);
  replace_all(svg, "id='gp", "id='" + prefix + "gp");
  replace_all(svg, "href='#gp", "href='#" + prefix + "gp");
  replace_all(svg, "id=\"gnuplot_", "id=\"" + prefix + "gnuplot_");
  replace_all(svg, "url(#gp", "url(#" + prefix + "gp");
  return svg;
}

}  // namespace

void render_figures(std::vector<Figure>& figures, const SvgRenderer& render) {
  for (auto& f : figures) {
    if (f.script.empty()) continue;
    auto svg = render(f.script);
    if (!svg) {
      f.missing = "the plot could not be drawn: " + svg.error().to_string();
      continue;
    }
    f.svg = inline_svg(std::move(*svg), f.id + "-");
  }
}

// ---- pages ------------------------------------------------------------------------------

namespace {

std::string html_table(const Table& t) {
  std::string out = fmt::format("<section class=\"table\" id=\"table-{}\"><h3>{}</h3><p class=\"caption\">{}</p>\n", t.id,
                                html_escape(t.title), html_escape(t.caption));
  if (t.rows.empty()) return out + "<p class=\"missing\">No rows: the results hold no data for this table.</p></section>\n";
  out += "<div class=\"scroll\"><table><thead><tr>";
  for (const auto& h : t.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const auto& c : row) out += "<td>" + html_escape(c) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table></div></section>\n";
}

std::string html_figure(const Figure& f) {
  std::string out = fmt::format("<figure class=\"plot\" id=\"plot-{}\" data-has-data=\"{}\"><h3>{}</h3>\n", f.id,
                                f.svg.empty() ? "false" : "true", html_escape(f.title));
  if (!f.svg.empty()) {
    out += f.svg + "\n";
  } else {
    out += "<div class=\"missing\"><strong>Data missing.</strong> " + html_escape(f.missing) + "</div>\n";
  }
  return out + "<figcaption>" + html_escape(f.caption) + "</figcaption></figure>\n";
}

constexpr const char* kCss = R"(body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1250px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#555;font-size:.9em}figure.plot{margin:1.5em 0;padding:.5em;border:1px solid #e4e4e4;border-radius:4px}
figure.plot svg{max-width:100%;height:auto}figcaption,.caption{color:#555;font-size:.9em}
.missing{background:#fff6e5;border:1px solid #f0c36d;padding:1em;border-radius:4px}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.scroll{overflow-x:auto;max-height:40em;overflow-y:auto}nav a{margin-right:1em})";

// Checks that every figure has its SVG or a missing-data note, for people and the browser test.
constexpr const char* kScript = R"(document.addEventListener('DOMContentLoaded',function(){
var figs=document.querySelectorAll('figure.plot'),drawn=0,missing=0;
figs.forEach(function(f){var s=f.querySelector('svg'),b=s&&s.getBoundingClientRect();
if(b&&b.width>0&&b.height>0){drawn++;}else if(!s&&f.querySelector('.missing')){missing++;}});
document.body.setAttribute('data-plots-drawn',String(drawn));
document.body.setAttribute('data-plots-missing',String(missing));
document.body.setAttribute('data-report-ok',String(drawn+missing===figs.length));});)";

}  // namespace

std::string html_report(const ReportData& r, const std::vector<Figure>& figures, const std::vector<Table>& tables) {
  std::string dirs;
  for (const auto& d : r.results_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
  std::size_t n = r.data.records.size();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + html_escape(r.title) +
                    "</title>\n<style>" + kCss + "</style>\n<script>" + kScript + "</script>\n</head><body>\n";
  out += "<h1>" + html_escape(r.title) + "</h1>\n";
  std::string env;
  if (r.data.manifest.is_object() && r.data.manifest.contains("environment")) {
    const auto& e = r.data.manifest["environment"];
    env = fmt::format("{}, {} CPUs, {}", e.value("cpu_model", "?"), e.value("cpus_online", 0), e.value("kernel", "?"));
  }
  out += fmt::format("<p class=\"meta\">Results: {} &middot; {} invocations ({} failed, {} contaminated and excluded) in {} cells"
                     "{}</p>\n",
                     html_escape(dirs), n, r.data.failed, r.data.contaminated, r.cells.size(),
                     env.empty() ? "" : " &middot; " + html_escape(env));
  out += "<nav><a href=\"#paper\">Paper vs ours</a><a href=\"#plots\">Plots</a><a href=\"#model\">Model</a>"
         "<a href=\"#tables\">Tables</a><a href=\"#environment\">Environment</a></nav>\n";
  const auto table_by_id = [&](const std::string& id) -> const Table* {
    for (const auto& t : tables) {
      if (t.id == id) return &t;
    }
    return nullptr;
  };
  out += "<h2 id=\"paper\">The paper's headline results beside ours</h2>\n";
  if (const Table* t = table_by_id("paper-vs-ours")) out += html_table(*t);
  out += "<h2 id=\"plots\">Plots</h2>\n";
  for (const auto& f : figures) {
    if (f.id != "model-fit") out += html_figure(f);
  }
  out += "<h2 id=\"model\">Performance model</h2>\n";
  for (const auto& f : figures) {
    if (f.id == "model-fit") out += html_figure(f);
  }
  for (const char* id : {"model-validation", "model-coefficients", "model-decisions"}) {
    if (const Table* t = table_by_id(id)) out += html_table(*t);
  }
  out += "<h2 id=\"tables\">Tables</h2>\n";
  for (const auto& t : tables) {
    if (t.id != "paper-vs-ours" && t.id != "environment" && t.id.rfind("model-", 0) != 0) out += html_table(t);
  }
  out += "<h2 id=\"environment\">Environment</h2>\n";
  out += "<p class=\"meta\">" + (env.empty() ? std::string("Host not recorded.") : html_escape(env)) + "</p>\n";
  if (const Table* t = table_by_id("environment")) out += html_table(*t);
  out += "<p class=\"meta\">Written by lumos report. Tables are also in the Markdown and CSV files beside this page.</p>\n";
  return out + "</body></html>\n";
}

std::string markdown_report(const ReportData& r, const std::vector<Table>& tables) {
  std::string dirs;
  for (const auto& d : r.results_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
  std::string out = "# " + r.title + "\n\nResults: " + dirs + "\n";
  for (const auto& t : tables) {
    out += "\n## " + t.title + "\n\n" + t.caption + "\n\n";
    if (t.rows.empty()) {
      out += "(no rows)\n";
      continue;
    }
    out += "|";
    for (const auto& h : t.header) out += fmt::format(" {} |", md_cell(h));
    out += "\n|";
    for (std::size_t i = 0; i < t.header.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : t.rows) {
      out += "|";
      for (const auto& c : row) out += fmt::format(" {} |", md_cell(c));
      out += "\n";
    }
  }
  return out;
}

std::string table_csv(const Table& t) {
  std::string out;
  for (std::size_t i = 0; i < t.header.size(); ++i) out += fmt::format("{}{}", i ? "," : "", text::csv_field(t.header[i]));
  out += "\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += fmt::format("{}{}", i ? "," : "", text::csv_field(row[i]));
    out += "\n";
  }
  return out;
}

}  // namespace lumos::report

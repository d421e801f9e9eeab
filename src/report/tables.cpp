// The report's tables: headline, comparisons, cold-start phases, I/O, model, predictions,
// environment and the summary of every cell.
#include "lumos/report/html_report.hpp"

#include "report_helpers.hpp"

namespace lumos::report {
namespace fs = std::filesystem;
using namespace page;

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
  Table t{"paper-vs-ours",
          "The paper's headline results beside ours",
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
  Table t{"comparisons",
          "Runtime comparisons (speed ratio of geometric means, Welch 99% CI on log latencies)",
          "\"no significant difference\" when the 99% interval contains 1. One input per function (the one measured on "
          "most runtimes).",
          {"function/input", "mode", "A", "B", "result", "ratio B/A", "ci low", "ci high", "p"},
          {}};
  const Index ix = make_index(r.cells);
  const std::vector<std::pair<std::string, std::string>> warm_pairs = {{"wasmedge-aot", "wasmedge-interp"},
                                                                       {"wasmedge-aot", "runc"},
                                                                       {"native", "runc"},
                                                                       {"native", "wasmedge-aot"},
                                                                       {"native", "native-gcc"}};
  const std::vector<std::pair<std::string, std::string>> cold_pairs = {
      {"wasmedge-aot", "runc"}, {"native", "runc"}, {"crun-wasmedge-aot", "crun"}, {"crun", "runc"}};
  // Instance starts: a Wasm instance in a live host against a native zygote fork, and against a
  // process forked from a host with the engine loaded.
  const std::vector<std::pair<std::string, std::string>> instance_pairs = {
      {"wasmedge-aot", "native"}, {"wasmedge-aot", "wasmedge-aot-zygote"}, {"native", "wasmedge-aot-zygote"}};
  for (const auto& [f, i] : representative_inputs(r.cells)) {
    for (const auto& [mode, pairs] :
         {std::pair{std::string("warm"), warm_pairs}, std::pair{std::string("cold"), cold_pairs},
          std::pair{std::string("instance"), instance_pairs}}) {
      for (const auto& [a, b] : pairs) {
        const Cell* ca = ix.get(f, i, a, mode);
        const Cell* cb = ix.get(f, i, b, mode);
        if (!ca || !cb) continue;
        const auto c = stats::compare_latencies(ca->e2e_ns, cb->e2e_ns, stats::kCompareLevel, a, b);
        t.rows.push_back({f + "/" + i, mode, a, b, stats::describe(c), text::ratio(c.speedup),
                          text::ratio(c.speedup_low), text::ratio(c.speedup_high),
                          c.valid ? fmt::format("{:.2g}", c.p_value) : "-"});
      }
    }
  }
  return t;
}

Table cold_phase_table(const ReportData& r) {
  Table t{"cold-start-phases",
          "Cold-start phases (median per cell, direct input)",
          "Phases partition the cold end-to-end time; see docs/ARCHITECTURE.md.",
          {"function/input", "runtime"},
          {}};
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
  Table t{"io-serialization",
          "I/O and serialization per request (warm, median per cell)",
          "total = deserialize + serialize (+ baas_get + baas_put in BaaS mode); the ratio is to native in the same "
          "cell configuration.",
          {"function/input", "io", "runtime", "deserialize", "serialize", "baas_get", "baas_put", "total", "vs native"},
          {}};
  const Index ix = make_index(r.cells);
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kWarm) continue;
    const auto ph = [&](std::string_view p) {
      auto it = c.phase_median.find(std::string(p));
      return it == c.phase_median.end() ? std::string("-") : text::duration(it->second);
    };
    const Cell* nat =
        ix.get(c.key.function, c.key.input, "native", "warm", std::string(telemetry::to_string(c.key.io)));
    const double ratio = nat && io_serde(*nat) > 0 ? io_serde(c) / io_serde(*nat) : NAN;
    t.rows.push_back({c.key.function + "/" + c.key.input, std::string(telemetry::to_string(c.key.io)), c.key.runtime,
                      ph("deserialize"), ph("serialize"), ph("baas_get"), ph("baas_put"), text::duration(io_serde(c)),
                      text::ratio(ratio)});
  }
  return t;
}

Table validation_table(const ReportData& r) {
  Table t{
      "model-validation",
      "Model: held-out MAPE per runtime",
      "Each configuration (function x input x runtime) or each function x runtime is left out in turn; a model fitted "
      "without it predicts the median e2e of its cells.",
      {"runtime"},
      {}};
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
  Table t{"model-coefficients",
          "Model: per-runtime drivers",
          "compute factor = time of the same work relative to the reference runtime; cold start at the runtime's "
          "median module "
          "size; per-request = warm request path outside the function; USL from concurrency data when present.",
          {"runtime", "compute factor", "cold start", "per-request", "BaaS get+put", "USL sigma", "USL kappa",
           "p95/p50 warm"},
          {}};
  if (!r.model) return t;
  for (const auto& d : model::runtime_drivers(*r.model)) {
    t.rows.push_back(
        {d.runtime, text::ratio(d.compute_factor), text::duration(d.cold_start_ns), text::duration(d.per_request_ns),
         text::duration(d.baas_ns), d.usl ? fmt::format("{:.3g}", d.usl->sigma) : "-",
         d.usl ? fmt::format("{:.3g}", d.usl->kappa) : "-", d.tail_ratio ? fmt::format("{:.2f}", *d.tail_ratio) : "-"});
  }
  return t;
}

Table prediction_table(const ReportData& r) {
  Table t{"model-decisions",
          "Model: where to run each function (predicted warm p50 and cost per million requests)",
          "Predictions at concurrency 1 for the cloud and edge profiles; the cheapest runtime meeting the fastest p50 "
          "x 2 is marked *.",
          {"function/input", "profile"},
          {}};
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
        row.push_back(preds[k].p50_ns > 0 ? fmt::format("{} / ${:.3g}{}", text::duration(preds[k].p50_ns),
                                                        preds[k].cost_per_million_usd, k == pick ? " *" : "")
                                          : "-");
      }
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

// Which runtimes run an artifact kind.
std::string runs_on(const std::string& kind) {
  if (kind == "native") return "native, runc, crun, podman (container images)";
  if (kind == "native-gcc") return "native-gcc";
  if (kind == "wasm") return "wasmedge-interp (reactor)";
  if (kind == "wasm-aot") return "wasmedge-aot, wasmedge-aot-zygote, runc-wasmedge (reactor)";
  if (kind == "wasm-command")
    return "crun-wasmedge-interp, podman-crun-wasmedge-interp (the wasm image's WASI command)";
  if (kind == "wasm-command-aot")
    return "crun-wasmedge-aot, podman-crun-wasmedge-aot (the wasm-aot image's WASI command)";
  if (kind == "generator") return "(makes the inputs at build time)";
  return "";
}

Table environment_table(const ReportData& r) {
  Table t{"environment",
          "Compilers and flags of every artifact",
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
  Table t{"summary",
          "All cells: median, p95 and 95% CI of the median of e2e",
          "Only ok, uncontaminated invocations; outliers (Tukey 1.5 IQR) are counted, not removed.",
          {"function", "input", "runtime", "mode", "io", "profile", "concurrency", "ok/n", "contaminated", "outliers",
           "median", "p95", "median 95% CI"},
          {}};
  for (const auto& c : r.cells) {
    const auto& ci = c.median_ci;
    t.rows.push_back(
        {c.key.function, c.key.input, c.key.runtime, c.key.mode_label(), std::string(telemetry::to_string(c.key.io)),
         c.key.profile, fmt::format("{}", c.key.concurrency()), fmt::format("{}/{}", c.n_ok, c.n),
         fmt::format("{}", c.n_contaminated), fmt::format("{}", c.n_outliers), text::duration(c.e2e_median),
         text::duration(c.e2e_p95),
         c.n_ok ? fmt::format("[{}, {}]{}", text::duration(ci.low), text::duration(ci.high), ci.meets_level ? "" : "*")
                : "-"});
  }
  return t;
}

}  // namespace

std::vector<Table> report_tables(const ReportData& r) {
  return {headline_table(r),   comparison_table(r),   floor_table(r),   noise_table(r),
          cold_phase_table(r), start_levels_table(r), io_table(r),      validation_table(r),
          model_table(r),      prediction_table(r),   summary_table(r), environment_table(r)};
}

}  // namespace lumos::report

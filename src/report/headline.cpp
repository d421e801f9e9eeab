// The paper's four headline ratios computed from the cells, the cold-start one also on the crun
// path (crun's WasmEdge handler against crun's container) and at the instance level.
#include "lumos/report/html_report.hpp"

#include "report_helpers.hpp"

namespace lumos::report {
namespace fs = std::filesystem;
using namespace page;

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
      ours.push_back(fmt::format("vs {}: up to {} (range {} to {}, {} functions)", base, text::ratio(e.hi),
                                 text::ratio(e.lo), text::ratio(e.hi), e.n));
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
  // 2. cold start AoT vs container: lumos' own host against runc, and both sides on crun (a crun
  // node's Wasm image through its WasmEdge handler against its container image).
  const auto cold_lower = [&](const char* claim, const char* aot, const char* container) {
    HeadlineRatio h{claim, "up to 16% lower", "", "", "", false};
    h.baseline = fmt::format("median cold e2e, 1 - {} / {}", aot, container);
    const Extremes e = extremes_between(r.cells, ix, "cold", aot, container,
                                        [](const Cell& a, const Cell& c) { return 1.0 - a.e2e_median / c.e2e_median; });
    if (e.n) {
      h.has_data = true;
      const auto pct = [](double v) {
        return v >= 0 ? fmt::format("{:.0f}% lower", v * 100) : fmt::format("{:.0f}% higher", -v * 100);
      };
      h.ours = fmt::format("up to {} (median {}, range {} to {}, {} cells)", pct(e.hi), pct(e.median()), pct(e.lo),
                           pct(e.hi), e.n);
      h.cells = fmt::format("best: {} cold direct; worst: {} cold direct", e.hi_cell, e.lo_cell);
    } else {
      h.ours = fmt::format("no data: needs cold cells on {} and {}", container, aot);
    }
    out.push_back(h);
  };
  cold_lower("AoT Wasm cold start is lower than containers'", "wasmedge-aot", "runc");
  cold_lower("AoT vs container on the crun path", "crun-wasmedge-aot", "crun");
  {  // 2b. at the level Wasm platforms start functions: a new instance in a live host, against
     // the container's lightest start (it has no instance level)
    HeadlineRatio h{"AoT vs container as an instance start", "(not in the paper)", "", "", "", false};
    h.baseline = "median e2e, runc cold / wasmedge-aot instance";
    Extremes e;
    for (const auto& [f, i] : inputs_with(r.cells, "instance")) {
      const Cell* aot = ix.get(f, i, "wasmedge-aot", "instance");
      const Cell* runc = ix.get(f, i, "runc", "cold");
      if (aot && runc && aot->e2e_median > 0) e.add(runc->e2e_median / aot->e2e_median, f + "/" + i);
    }
    if (e.n) {
      h.has_data = true;
      h.ours = fmt::format("{} to {} faster (median {}, {} cells)", text::ratio(e.lo), text::ratio(e.hi),
                           text::ratio(e.median()), e.n);
      h.cells = fmt::format("max: {}; min: {}", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs instance cells on wasmedge-aot and cold cells on runc";
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
      h.ours = fmt::format("{} to {} (median {}, {} cells)", text::ratio(e.lo), text::ratio(e.hi),
                           text::ratio(e.median()), e.n);
      h.cells = fmt::format("max: {} warm direct; min: {} warm direct", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs warm cells on wasmedge-interp and wasmedge-aot";
    }
    out.push_back(h);
  }
  {  // 4. I/O-serialization overhead of the interpreter
    HeadlineRatio h{"Interpreted Wasm has I/O-serialization overhead", "7x to 10x (up to 10x)", "", "", "", false};
    h.baseline =
        "median warm deserialize+serialize(+baas_get+baas_put), wasmedge-interp / native; BaaS cells where measured";
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
      h.ours = fmt::format("{} to {} (median {}, {} cells)", text::ratio(e.lo), text::ratio(e.hi),
                           text::ratio(e.median()), e.n);
      h.cells = fmt::format("max: {} warm; min: {} warm", e.hi_cell, e.lo_cell);
    } else {
      h.ours = "no data: needs warm cells on wasmedge-interp and native";
    }
    out.push_back(h);
  }
  return out;
}

}  // namespace lumos::report

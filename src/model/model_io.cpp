// The model as JSON (model.json) and as text for the terminal.
#include "lumos/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "lumos/common/format.hpp"
#include "lumos/common/vocabulary.hpp"
#include "model_terms.hpp"

namespace lumos::model {
using namespace terms;

// ---- JSON -------------------------------------------------------------------------------

namespace {

nlohmann::json component_json(const Component& c) {
  return {{"form", c.linear ? "linear" : "log"},
          {"coefficients", c.coef},
          {"cpu_elasticity", c.cpu_elasticity},
          {"cpu_elasticity_fitted", c.cpu_elasticity_fitted},
          {"cells", c.cells},
          {"rms_log_residual", c.rms_log_residual}};
}

Component component_from(const std::string& name, const nlohmann::json& j) {
  Component c;
  c.name = name;
  if (!j.is_object()) return c;
  c.linear = j.value("form", "log") == "linear";
  c.coef = j.value("coefficients", std::map<std::string, double>{});
  c.cpu_elasticity = j.value("cpu_elasticity", 1.0);
  c.cpu_elasticity_fitted = j.value("cpu_elasticity_fitted", false);
  c.cells = j.value("cells", std::size_t{0});
  c.rms_log_residual = j.value("rms_log_residual", 0.0);
  return c;
}

nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

// A held-out point's cell as model.json stores it (older files: mode "closed" for levels).
CellKey key_from_json(const nlohmann::json& p) {
  CellKey k;
  k.function = p.value("function", "");
  k.input = p.value("input", "");
  k.runtime = p.value("runtime", "");
  k.io = telemetry::parse_io(p.value("io", "direct")).value_or(telemetry::Io::kDirect);
  k.profile = p.value("profile", "cloud");
  const std::string mode = p.value("mode", "warm");
  k.load =
      telemetry::parse_load_kind(p.value("load", mode == "closed" ? "closed" : "")).value_or(cells::LoadKind::kNone);
  if (k.load == cells::LoadKind::kNone) {
    k.mode = telemetry::parse_mode(mode).value_or(cells::Mode::kWarm);
  } else {
    k.mode = cells::Mode::kPool;
    k.level = p.value("concurrency", 1);
  }
  return k;
}

Validation validation_from_json(const nlohmann::json& v) {
  Validation val;
  val.scheme = v.value("scheme", "");
  val.mape = v.value("mape", 0.0);
  val.median_ape = v.value("median_ape", 0.0);
  const nlohmann::json mape = v.value("mape_by_runtime", nlohmann::json::object());  // items() needs it alive
  for (const auto& [k, x] : mape.items()) {
    if (x.is_number()) val.mape_by_runtime[k] = x.get<double>();
  }
  val.n_by_runtime = v.value("n_by_runtime", std::map<std::string, std::size_t>{});
  for (const auto& p : v.value("points", nlohmann::json::array())) {
    HeldOut h;
    h.key = key_from_json(p);
    h.measured_ns = p.value("measured_ns", 0.0);
    h.predicted_ns = p.value("predicted_ns", 0.0);
    h.ape = p.value("ape", 0.0);
    val.points.push_back(h);
  }
  return val;
}

}  // namespace

nlohmann::json to_json(const Validation& v) {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& h : v.points) {
    pts.push_back({{"function", h.key.function},
                   {"input", h.key.input},
                   {"runtime", h.key.runtime},
                   {"mode", mode_name(h.key)},
                   {"io", telemetry::to_string(h.key.io)},
                   {"profile", h.key.profile},
                   {"concurrency", h.key.concurrency()},
                   {"load", telemetry::to_string(h.key.load)},
                   {"measured_ns", h.measured_ns},
                   {"predicted_ns", h.predicted_ns},
                   {"ape", h.ape}});
  }
  nlohmann::json mape = nlohmann::json::object();
  for (const auto& [k, x] : v.mape_by_runtime) mape[k] = finite_or_null(x);
  nlohmann::json by_mode = nlohmann::json::object();
  for (const auto& [k, x] : v.mape_by_mode) by_mode[k] = finite_or_null(x);
  return {{"scheme", v.scheme},
          {"mape", finite_or_null(v.mape)},
          {"median_ape", finite_or_null(v.median_ape)},
          {"mape_by_runtime", mape},
          {"n_by_runtime", v.n_by_runtime},
          {"mape_by_mode", by_mode},
          {"not_identifiable", v.not_identifiable},
          {"points", pts}};
}

nlohmann::json to_json(const Model& m) {
  nlohmann::json j;
  j["lumos_model_version"] = m.version;
  j["equation"] =
      "latency = start*[cold] + compute + serde + overhead + io + network + queueing; each of start, compute, "
      "serde, overhead, io is exp(sum of coefficient x feature), in ns";
  j["reference_runtime"] = m.reference_runtime;
  j["components"] = {{"start", component_json(m.start)},
                     {"compute", component_json(m.compute)},
                     {"serde", component_json(m.serde)},
                     {"io", component_json(m.io)},
                     {"overhead", component_json(m.overhead)}};
  nlohmann::json usl = nlohmann::json::object();
  for (const auto& [rt, u] : m.usl) usl[rt] = {{"sigma", u.sigma}, {"kappa", u.kappa}, {"points", u.points}};
  j["usl"] = usl;
  j["tail_ratio_p95_p50"] = m.tail_ratio;
  j["cpu_ratio"] = m.cpu_ratio;
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [k, i] : m.inputs) inputs[k] = {{"bytes", i.bytes}, {"baas_bytes", i.baas_bytes}};
  j["inputs"] = inputs;
  j["peak_rss_mb"] = m.peak_rss_mb;
  j["module_sizes"] = {{"source", m.module_sizes.source}, {"bytes", m.module_sizes.bytes}};
  nlohmann::json profiles = nlohmann::json::object();
  for (const auto& [k, e] : m.profiles) profiles[k] = to_json(e);
  j["profiles"] = profiles;
  j["host_cpus"] = m.host_cpus;
  j["round_trips_per_request"] = m.round_trips_per_request;
  j["connect_round_trips"] = m.connect_round_trips;
  j["results"] = m.results;
  j["cells"] = m.cells;
  nlohmann::json vs = nlohmann::json::array();
  for (const auto& v : m.validations) vs.push_back(to_json(v));
  j["validation"] = vs;
  return j;
}

Result<Model> model_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("lumos_model_version", 0) != 1 || !j.contains("components")) {
    return fail(ErrorCode::kConfig,
                "not a lumos model (expected lumos_model_version 1; write one with `lumos model fit`)");
  }
  try {
    Model m;
    m.reference_runtime = j.value("reference_runtime", "native");
    const auto& c = j.at("components");
    m.start = component_from("start", c.value("start", nlohmann::json()));
    m.compute = component_from("compute", c.value("compute", nlohmann::json()));
    m.serde = component_from("serde", c.value("serde", nlohmann::json()));
    m.io = component_from("io", c.value("io", nlohmann::json()));
    m.overhead = component_from("overhead", c.value("overhead", nlohmann::json()));
    const nlohmann::json usl = j.value("usl", nlohmann::json::object());
    for (const auto& [rt, u] : usl.items()) {
      m.usl[rt] = Usl{u.value("sigma", 0.0), u.value("kappa", 0.0), true, u.value("points", std::size_t{0})};
    }
    m.tail_ratio = j.value("tail_ratio_p95_p50", std::map<std::string, double>{});
    m.cpu_ratio = j.value("cpu_ratio", std::map<std::string, double>{});
    const nlohmann::json inputs = j.value("inputs", nlohmann::json::object());
    for (const auto& [k, i] : inputs.items()) {
      m.inputs[k] = InputInfo{i.value("bytes", 0.0), i.value("baas_bytes", 0.0)};
    }
    m.peak_rss_mb = j.value("peak_rss_mb", std::map<std::string, double>{});
    if (j.contains("module_sizes")) {
      m.module_sizes.source = j["module_sizes"].value("source", "");
      m.module_sizes.bytes = j["module_sizes"].value("bytes", std::map<std::string, std::uint64_t>{});
    }
    m.profiles = default_profiles();
    const nlohmann::json profiles = j.value("profiles", nlohmann::json::object());
    for (const auto& [k, e] : profiles.items()) {
      m.profiles[k] = environment_from_json(k, e);
    }
    m.host_cpus = j.value("host_cpus", 1);
    m.round_trips_per_request = j.value("round_trips_per_request", 2.0);
    m.connect_round_trips = j.value("connect_round_trips", 1.5);
    m.results = j.value("results", std::vector<std::string>{});
    m.cells = j.value("cells", std::size_t{0});
    for (const auto& v : j.value("validation", nlohmann::json::array()))
      m.validations.push_back(validation_from_json(v));
    return m;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kConfig, std::string("malformed model JSON: ") + e.what());
  }
}

nlohmann::json to_json(const Prediction& p) {
  nlohmann::json terms = nlohmann::json::array();
  for (const auto& t : p.terms) terms.push_back({{"component", t.component}, {"ns", t.ns}, {"why", t.why}});
  return {{"query",
           {{"function", p.query.function},
            {"input", p.query.input},
            {"runtime", p.query.runtime},
            {"mode", p.query.mode},
            {"io", p.query.io},
            {"profile", p.query.profile},
            {"concurrency", p.query.concurrency},
            {"cold_fraction", p.query.cold_fraction},
            {"requests", p.query.requests}}},
          {"environment", to_json(p.env)},
          {"terms", terms},
          {"service_ns", p.service_ns},
          {"p50_ns", p.p50_ns},
          {"p95_ns", p.p95_ns},
          {"queueing_ns", p.queueing_ns},
          {"throughput_rps", p.throughput_rps},
          {"cpu_demand_ns", p.cpu_demand_ns},
          {"usl_fitted", p.usl_fitted},
          {"memory_mb", p.memory_mb},
          {"cost",
           {{"billed_ms", p.cost.billed_ms},
            {"billed_mb", p.cost.billed_mb},
            {"compute_usd", p.cost.compute_usd},
            {"request_usd", p.cost.request_usd},
            {"total_usd", p.cost.total_usd},
            {"per_million_usd", p.cost_per_million_usd}}},
          {"notes", p.notes}};
}

// ---- text -------------------------------------------------------------------------------

std::vector<RuntimeDrivers> runtime_drivers(const Model& m) {
  std::set<std::string> runtimes;
  for (const auto* c : {&m.start, &m.compute}) {
    for (const auto& [k, v] : c->coef) {
      if (k.rfind("rt:", 0) == 0 && !k.ends_with("/instance")) runtimes.insert(k.substr(3));
    }
  }
  runtimes.insert(m.reference_runtime);
  const auto coef = [](const Component& c, const std::string& name) {
    auto it = c.coef.find(name);
    return it == c.coef.end() ? stats::kNaN : it->second;
  };
  std::vector<RuntimeDrivers> out;
  for (const auto& rt : runtimes) {
    RuntimeDrivers d;
    d.runtime = rt;
    d.compute_factor = rt == m.reference_runtime ? 1.0 : std::exp(coef_or(m.compute, "rt:" + rt));
    // Start at the median module size of this runtime (or without a size term).
    std::vector<double> sizes;
    for (const auto& [k, b] : m.module_sizes.bytes) {
      if (k.size() > rt.size() + 1 && k.compare(k.size() - rt.size() - 1, std::string::npos, "/" + rt) == 0) {
        sizes.push_back(std::log(static_cast<double>(b) / kMiB));
      }
    }
    const double ls = sizes.empty() ? 0.0 : stats::median(sizes);
    if (m.start.coef.count("rt:" + rt))
      d.cold_start_ns = std::exp(coef(m.start, "rt:" + rt) + coef_or(m.start, "ls:" + rt) * ls);
    if (m.start.coef.count("rt:" + rt + "/instance"))
      d.instance_start_ns = std::exp(coef(m.start, "rt:" + rt + "/instance"));
    d.per_request_ns = coef(m.overhead, "a:" + rt + "/warm");
    d.baas_ns = coef(m.io, "a:" + rt + "/warm");
    if (auto u = m.usl.find(rt); u != m.usl.end()) d.usl = u->second;
    if (auto t = m.tail_ratio.find(rt + "/warm"); t != m.tail_ratio.end()) d.tail_ratio = t->second;
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return runtime_less(a.runtime, b.runtime); });
  return out;
}

std::string format_model(const Model& m) {
  std::string out = fmt::format("Model from {} cells; compute factors relative to {}; host CPUs {}\n", m.cells,
                                m.reference_runtime, m.host_cpus);
  out += fmt::format("{:<20} {:>14} {:>12} {:>14} {:>12} {:>14} {:>12} {:>10}\n", "runtime", "compute factor",
                     "cold start", "instance start", "per-request", "BaaS get+put", "USL sigma", "USL kappa");
  for (const auto& d : runtime_drivers(m)) {
    out += fmt::format("{:<20} {:>14} {:>12} {:>14} {:>12} {:>14} {:>12} {:>10}\n", d.runtime,
                       fmt::format("{:.3g}x", d.compute_factor), text::duration(d.cold_start_ns),
                       text::duration(d.instance_start_ns), text::duration(d.per_request_ns), text::duration(d.baas_ns),
                       d.usl ? fmt::format("{:.3g}", d.usl->sigma) : "-",
                       d.usl ? fmt::format("{:.3g}", d.usl->kappa) : "-");
  }
  out += fmt::format(
      "in-sample RMS log residual: start {:.2f}, compute {:.2f}, serde {:.2f}, io {:.2f}, overhead {:.2f}\n",
      m.start.rms_log_residual, m.compute.rms_log_residual, m.serde.rms_log_residual, m.io.rms_log_residual,
      m.overhead.rms_log_residual);
  if (m.usl.empty()) out += "no concurrency data: queueing uses bounds (CPU demand vs cores), not a fitted USL\n";
  out += fmt::format("module sizes: {}\n",
                     m.module_sizes.source.empty() ? "none (start has no size term)" : m.module_sizes.source);
  return out;
}

std::string format_prediction(const Prediction& p) {
  const auto& q = p.query;
  std::string out =
      fmt::format("{}/{} on {} ({}, {}), profile {} (cpu share {:g}, RTT {:g} ms{}), concurrency {}\n", q.function,
                  q.input, q.runtime, q.mode, q.io, q.profile, p.env.cpu_share, p.env.rtt_ms,
                  p.env.bandwidth_mbps ? fmt::format(", {:g} Mbit/s", *p.env.bandwidth_mbps) : "", q.concurrency);
  for (const auto& t : p.terms) out += fmt::format("  {:<9} {:>10}  {}\n", t.component, text::duration(t.ns), t.why);
  out += fmt::format("  {:<9} {:>10}  {}\n", "queueing", text::duration(p.queueing_ns),
                     p.usl_fitted ? "USL fitted from concurrency data" : "bounds: CPU demand vs cores");
  out += fmt::format("p50 latency  {}\np95 latency  {}\nthroughput   {:.4g} requests/s\n", text::duration(p.p50_ns),
                     text::duration(p.p95_ns), p.throughput_rps);
  out += fmt::format("cost         {:.4g} USD per invocation ({:.4g} USD per million; {:g} ms x {:g} MB billed)\n",
                     p.cost.total_usd, p.cost_per_million_usd, p.cost.billed_ms, p.cost.billed_mb);
  for (const auto& n : p.notes) out += "note: " + n + "\n";
  return out;
}

std::string format_validation(const std::vector<Validation>& vs) {
  std::set<std::string> runtimes;
  for (const auto& v : vs) {
    for (const auto& [k, x] : v.mape_by_runtime) runtimes.insert(k);
  }
  std::string out = fmt::format("{:<18}", "held-out MAPE");
  for (const auto& v : vs) out += fmt::format(" {:>24}", v.scheme);
  out += "\n";
  for (const auto& rt : runtimes) {
    out += fmt::format("{:<18}", rt);
    for (const auto& v : vs) {
      auto it = v.mape_by_runtime.find(rt);
      out += it == v.mape_by_runtime.end()
                 ? fmt::format(" {:>24}", "-")
                 : fmt::format(" {:>24}", fmt::format("{:.1f}% (n={})", it->second * 100, v.n_by_runtime.at(rt)));
    }
    out += "\n";
  }
  std::set<std::string> modes;
  for (const auto& v : vs) {
    for (const auto& [k, x] : v.mape_by_mode) modes.insert(k);
  }
  for (const auto& mode : modes) {  // mode `instance` is its own level of start
    out += fmt::format("{:<18}", "mode " + mode);
    for (const auto& v : vs) {
      auto it = v.mape_by_mode.find(mode);
      out += fmt::format(" {:>24}", it == v.mape_by_mode.end() ? "-" : fmt::format("{:.1f}%", it->second * 100));
    }
    out += "\n";
  }
  out += fmt::format("{:<18}", "all");
  for (const auto& v : vs)
    out += fmt::format(" {:>24}", fmt::format("{:.1f}% (median {:.1f}%)", v.mape * 100, v.median_ape * 100));
  out += "\n";
  for (const auto& v : vs) {
    if (v.not_identifiable) {
      out += fmt::format("{}: {} held-out cells not predictable from the rest (their work was measured nowhere else)\n",
                         v.scheme, v.not_identifiable);
    }
  }
  return out;
}

}  // namespace lumos::model

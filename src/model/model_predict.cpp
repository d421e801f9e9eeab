// Predictions of the model: the sum of drivers for a configuration, queueing (USL or
// bounds, a fresh pool's burst), and cost.
#include "lumos/model/model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lumos/common/format.hpp"
#include "model_terms.hpp"

namespace lumos::model {
using namespace terms;

// ---- predict ----------------------------------------------------------------------------

Query query_of(const Cell& c) {
  Query q;
  q.function = c.key.function;
  q.input = c.key.input;
  q.runtime = c.key.runtime;
  q.mode = mode_name(c.key);
  q.io = std::string(telemetry::to_string(c.key.io));
  q.profile = c.key.profile;
  q.concurrency = c.key.concurrency();
  if (c.key.load == cells::LoadKind::kClosed && c.n_ok > 0) {
    q.cold_fraction = static_cast<double>(c.n_fresh_ok) / static_cast<double>(c.n_ok);
    q.requests = static_cast<int>(c.n_ok);
  }
  return q;
}

Result<Prediction> predict(const Model& m, const Query& q, const std::map<std::string, PriceTable>& prices) {
  Prediction p;
  p.query = q;
  const std::string fi = q.function + "/" + q.input;
  const std::string fr = q.function + "/" + q.runtime;
  if (!m.compute.coef.count("w:" + fi)) {
    std::string known;
    for (const auto& [k, v] : m.inputs) known += (known.empty() ? "" : ", ") + k;
    return fail(ErrorCode::kConfig, "the model has no measurement of " + fi +
                                        " on any runtime, so its work is unknown; measure it once (any "
                                        "runtime) and refit. Known: " +
                                        known);
  }
  if (q.mode != "cold" && q.mode != "warm" && q.mode != "instance")
    return fail(ErrorCode::kUsage, "mode must be cold, warm or instance, not '" + q.mode + "'");
  if (q.mode == "instance" && !m.start.coef.count("rt:" + q.runtime + "/instance")) {
    return fail(ErrorCode::kConfig,
                "the model has no instance start of " + q.runtime +
                    ": measure mode instance on it (experiment modes: [instance]; containers have none) and refit");
  }
  if (q.io != "direct" && q.io != "baas")
    return fail(ErrorCode::kUsage, "io must be direct or baas, not '" + q.io + "'");
  if (q.concurrency < 1) return fail(ErrorCode::kUsage, "concurrency must be at least 1");
  const bool runtime_known = m.compute.coef.count("rt:" + q.runtime) || q.runtime == m.reference_runtime;
  if (!runtime_known) {
    return fail(ErrorCode::kConfig, "the model was not fitted with runtime '" + q.runtime + "'");
  }
  auto pit = m.profiles.find(q.profile);
  if (pit == m.profiles.end()) {
    auto defaults = default_profiles();
    if (!defaults.count(q.profile)) {
      std::string known;
      for (const auto& [k, v] : m.profiles) known += (known.empty() ? "" : ", ") + k;
      return fail(ErrorCode::kUsage, "unknown profile '" + q.profile + "' (known: " + known + ")");
    }
    p.env = defaults[q.profile];
  } else {
    p.env = pit->second;
  }
  if (q.cpu_share) {  // a CPU quota: speed of one request and capacity of the device
    p.env.cpu_share = std::min(1.0, *q.cpu_share);
    p.env.device_cpus = q.cpu_share;
  }
  if (q.rtt_ms) p.env.rtt_ms = *q.rtt_ms;
  if (q.bandwidth_mbps) p.env.bandwidth_mbps = q.bandwidth_mbps;
  if (q.memory_mb) p.env.memory_mb = q.memory_mb;
  const double lis = -std::log(p.env.cpu_share);

  const InputInfo info = m.inputs.count(fi) ? m.inputs.at(fi) : InputInfo{};
  Config cfg{q.function, q.input,    q.runtime,       q.mode,
             q.io,       info.bytes, info.baas_bytes, module_bytes_of(m.module_sizes, q.function, q.runtime)};
  if (!m.compute.coef.count("fr:" + fr)) {
    p.notes.push_back(
        fmt::format("{} was never measured on {}: the runtime's average factor is used", q.function, q.runtime));
  }
  Config warm_cfg = cfg;  // work terms are warm; the cold extra is in the request path
  warm_cfg.mode = "warm";
  const auto term = [&](const std::string& name, double ns, std::string why) {
    p.terms.push_back({name, ns, std::move(why)});
  };
  const double work = std::exp(coef_or(m.compute, "w:" + fi));  // on the reference runtime, warm
  // compute
  {
    const double ns = evaluate(m.compute, compute_features(warm_cfg, m.reference_runtime), lis);
    const double slow = ns / work * std::pow(p.env.cpu_share, m.compute.cpu_elasticity);
    term("compute", ns,
         fmt::format("work {} x {} factor {:.3g}{}", text::duration(work), q.runtime, slow,
                     p.env.cpu_share != 1 ? fmt::format(" / cpu share {:g}", p.env.cpu_share) : ""));
  }
  term("serde", evaluate(m.serde, serde_features(warm_cfg), lis),
       fmt::format("(de)serialize {} on {}", fmt::format("{:.0f} B", info.bytes), q.runtime));
  term("overhead", evaluate(m.overhead, overhead_features(cfg, work), lis),
       q.mode == "warm" ? fmt::format("{} warm request path", q.runtime)
                        : fmt::format("{} {} request path (incl. first-touch costs)", q.runtime, q.mode));
  if (q.mode == "cold") {
    const double ns = evaluate(m.start, start_features(cfg), lis);
    term("start", ns,
         cfg.module_bytes ? fmt::format("{} start, module {:.2f} MiB", q.runtime, *cfg.module_bytes / kMiB)
                          : fmt::format("{} start", q.runtime));
  } else if (q.mode == "instance") {
    term("start", evaluate(m.start, start_features(cfg), lis), fmt::format("{} instance start", q.runtime));
  }
  if (q.io == "baas") {
    if (m.io.cells == 0) p.notes.push_back("no BaaS measurements: BaaS time is the network part only");
    const double local = m.io.cells ? evaluate(m.io, io_features(cfg), 0.0) : 0.0;
    term("io", local, fmt::format("BaaS get+put of {:.0f} B from {}", info.baas_bytes, q.runtime));
    const double trips = m.round_trips_per_request + (q.mode == "cold" ? m.connect_round_trips : 0.0);
    const double net = network_ns(p.env, info.baas_bytes, trips);
    if (net > 0) {
      term("network", net,
           fmt::format("{:g} round trips x {:g} ms RTT{}", trips, p.env.rtt_ms,
                       p.env.bandwidth_mbps
                           ? fmt::format(" + {:.0f} B at {:g} Mbit/s", info.baas_bytes, *p.env.bandwidth_mbps)
                           : ""));
    }
  }
  for (const auto& t : p.terms) p.service_ns += t.ns;

  // Queueing at N closed-loop clients (Little's law, zero think time). Warm steady state:
  // N / (service x USL inflation) when a USL is fitted for the runtime, capped by the CPU
  // bound (the device's cores / CPU demand per request). A share f of the requests meets a
  // new instance (a fresh autoscaling pool: the first N - prewarm requests): those cold
  // starts come as one burst sharing the CPU, and the level's time is the burst plus the
  // warm requests at the steady-state rate.
  const auto cpu_of = [&](const Prediction& pr) {
    double c = 0;
    for (const auto& t : pr.terms) {
      if (t.component != "io" && t.component != "network") c += t.ns;
    }
    const double ratio = m.cpu_ratio.count(q.runtime) ? m.cpu_ratio.at(q.runtime) : 1.0;
    return ratio * c * p.env.cpu_share;  // CPU time does not grow with a lower share
  };
  p.cpu_demand_ns = cpu_of(p);
  const double n = q.concurrency;
  const auto cores_for = [&](double clients) {
    return std::min(
        {clients * p.env.cpu_share, p.env.device_cpus.value_or(m.host_cpus), static_cast<double>(m.host_cpus)});
  };
  double inflation = 1;
  if (auto it = m.usl.find(q.runtime); it != m.usl.end()) {
    p.usl_fitted = true;
    inflation = n / usl_capacity(it->second, n);
  } else if (n > 1) {
    p.notes.push_back(
        "no concurrency data for this runtime: queueing from bounds (CPU demand vs cores), not a fitted USL");
  }
  const double x_warm = std::min(n / (p.service_ns * inflation) * 1e9,
                                 p.cpu_demand_ns > 0 ? cores_for(n) * 1e9 / p.cpu_demand_ns : INFINITY);
  const double warm_latency = n / x_warm * 1e9;
  const double f = q.mode == "warm" ? std::clamp(q.cold_fraction, 0.0, 1.0) : 0.0;
  double cold_latency = p.service_ns, cold_service = p.service_ns;
  p.throughput_rps = x_warm;
  if (f > 0) {
    Query cq = q;
    cq.mode = "cold";
    cq.concurrency = 1;
    cq.cold_fraction = 0;
    auto cold = predict(m, cq, prices);
    if (!cold) return tl::unexpected(cold.error());
    cold_service = cold->service_ns;
    const double burst = q.requests > 0 ? std::clamp(std::round(f * q.requests), 1.0, n) : n;
    cold_latency = std::max(cold->service_ns, burst * cold->cpu_demand_ns / cores_for(burst));
    p.throughput_rps = 1e9 / (f * cold_latency / burst + (1 - f) / x_warm * 1e9);
    p.notes.push_back(
        fmt::format("{:.0f}% of requests meet a new instance: a burst of {:g} cold starts taking {} together", f * 100,
                    burst, text::duration(cold_latency)));
  }
  // The median request is warm while fewer than half meet a new instance.
  p.p50_ns = f < 0.5 ? warm_latency : cold_latency;
  p.queueing_ns = p.p50_ns - (f < 0.5 ? p.service_ns : cold_service);
  const std::string tk = q.runtime + "/" + q.mode;
  const double tail = m.tail_ratio.count(tk) ? m.tail_ratio.at(tk) : 1.5;
  p.p95_ns = p.p50_ns * tail;
  if (f >= 0.05) p.p95_ns = std::max(p.p95_ns, cold_latency);  // the tail is the cold starts

  // Cost: billed memory is the profile's limit, else the measured peak RSS.
  if (p.env.memory_mb) {
    p.memory_mb = *p.env.memory_mb;
  } else if (m.peak_rss_mb.count(fr)) {
    p.memory_mb = m.peak_rss_mb.at(fr);
  } else {
    p.memory_mb = 128;
    p.notes.push_back("memory never measured for " + fr + ": 128 MB assumed");
  }
  const PriceTable& table = price_table_for(prices, q.profile);
  p.cost = invocation_cost(table, p.p50_ns / 1e6, p.memory_mb);
  p.cost_per_million_usd = p.cost.total_usd * 1e6;
  return p;
}

}  // namespace lumos::model

// The Lumos performance model: fit (log-linear components by ridge least squares) and
// held-out validation.
#include "lumos/model/model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lumos/common/format.hpp"
#include "model_terms.hpp"

namespace lumos::model {
using namespace terms;

// ---- fit --------------------------------------------------------------------------------

Result<Model> fit(const std::vector<Cell>& all_cells, const Dataset& data, const FitOptions& options) {
  // The floor runs no function: the views compare with it, the model leaves it out.
  std::vector<Cell> cells;
  std::copy_if(all_cells.begin(), all_cells.end(), std::back_inserter(cells),
               [](const Cell& c) { return c.key.runtime != kFloorRuntime; });
  Model m;
  m.profiles = data.profiles;
  m.module_sizes = data.module_sizes;
  m.host_cpus = std::max(1, data.host_cpus);
  std::set<std::string> runtimes;
  for (const auto& c : cells) {
    if (sequential(c)) runtimes.insert(c.key.runtime);
  }
  if (runtimes.empty()) {
    return fail(ErrorCode::kConfig, "no usable cells (ok, cold or warm, concurrency 1) in the results");
  }
  m.reference_runtime = runtimes.count("native") ? "native" : *runtimes.begin();

  std::vector<Sample> start, compute, serde, io, overhead;
  std::map<std::string, std::vector<double>> tails, cpu_ratios, rss;
  std::map<std::string, std::vector<double>> in_bytes, in_baas;
  // A cold request computes like a warm one plus first-touch costs (page faults, cold caches,
  // lazy tables): the work terms are fitted on warm cells, and a cold cell's extra over its
  // warm twin goes to the (additive) cold request path, partly in proportion to the work (cc:F).
  std::map<CellKey, const Cell*> warm_twin;
  std::vector<std::pair<std::size_t, Config>> first_calls;  // overhead samples of cold cells with a warm twin
  for (const auto& c : cells) {
    if (sequential(c) && c.key.mode == cells::Mode::kWarm) warm_twin[c.key] = &c;
  }
  for (const auto& c : cells) {
    if (!sequential(c)) continue;
    ++m.cells;
    const Environment& env = env_of(m.profiles, c.key.profile);
    const double lis = -std::log(env.cpu_share);
    const Config cfg = config_of(c.key, c, m.module_sizes);
    CellKey twin_key = c.key;
    twin_key.mode = cells::Mode::kWarm;
    // Cold and instance requests start something new: their extra over the warm twin is theirs.
    const bool starts = c.key.mode == cells::Mode::kCold || c.key.mode == cells::Mode::kInstance;
    const auto twin = starts ? warm_twin.find(twin_key) : warm_twin.end();
    double overhead_ns = c.overhead;
    if (twin != warm_twin.end()) {
      overhead_ns += (c.compute + c.serde) - (twin->second->compute + twin->second->serde);
    } else {  // warm cells, and cold cells that have no warm twin (taken as warm work)
      Config as_warm = cfg;
      as_warm.mode = "warm";
      compute.push_back({compute_features(as_warm, m.reference_runtime), c.compute, lis});
      serde.push_back({serde_features(as_warm), c.serde, lis});
    }
    if (twin != warm_twin.end()) first_calls.emplace_back(overhead.size(), cfg);
    overhead.push_back({overhead_features(cfg), overhead_ns, lis});
    if (c.key.io == cells::Io::kBaas) {
      const double trips = m.round_trips_per_request + (c.key.mode == cells::Mode::kCold ? m.connect_round_trips : 0.0);
      const double local = c.io - network_ns(env, c.baas_bytes, trips);
      io.push_back({io_features(cfg), local, 0.0});
      in_baas[fi_key(c.key)].push_back(c.baas_bytes);
    } else {
      in_bytes[fi_key(c.key)].push_back(c.bytes);
    }
    if (starts) start.push_back({start_features(cfg), c.start, lis});
    if (c.e2e_median > 0 && std::isfinite(c.e2e_p95))
      tails[c.key.runtime + "/" + mode_name(c.key)].push_back(c.e2e_p95 / c.e2e_median);
    const double cpu_time = c.compute + c.serde + c.overhead;
    if (c.key.mode == cells::Mode::kWarm && std::isfinite(c.cpu_ns) && cpu_time > 0)
      cpu_ratios[c.key.runtime].push_back(c.cpu_ns / cpu_time);
    if (std::isfinite(c.peak_rss)) rss[fr_key(c.key)].push_back(c.peak_rss / kMiB);
  }
  m.start = fit_component("start", start, options.ridge, false);
  m.compute = fit_component("compute", compute, options.ridge, false);
  m.serde = fit_component("serde", serde, options.ridge, false);
  m.io = fit_component("io", io, options.ridge, true, 0.0);  // waiting on Redis and the network, not CPU
  for (const auto& [i, cfg] : first_calls) {                 // the input's work is known once compute is fitted
    if (auto w = m.compute.coef.find("w:" + cfg.function + "/" + cfg.input); w != m.compute.coef.end()) {
      overhead[i].x = overhead_features(cfg, std::exp(w->second));
    }
  }
  m.overhead = fit_component("overhead", overhead, options.ridge, true);
  // A first call is never faster than later ones: a negative first-call cost is noise, and
  // would shrink big inputs' cold predictions. Those functions get none, and the rest is refitted.
  std::set<std::string> negative;
  for (const auto& [name, v] : m.overhead.coef) {
    if (name.starts_with("cc:") && v < 0) negative.insert(name);
  }
  if (!negative.empty()) {
    for (auto& s : overhead) std::erase_if(s.x, [&](const auto& f) { return negative.count(f.first) > 0; });
    m.overhead = fit_component("overhead", overhead, options.ridge, true);
  }
  for (auto& [k, v] : tails) m.tail_ratio[k] = stats::median(v);
  for (auto& [k, v] : cpu_ratios) m.cpu_ratio[k] = std::clamp(stats::median(v), 0.1, 1.5);
  for (auto& [k, v] : rss) m.peak_rss_mb[k] = stats::median(v);
  std::set<std::string> inputs;
  for (const auto& [k, v] : in_bytes) inputs.insert(k);
  for (const auto& [k, v] : in_baas) inputs.insert(k);
  for (const auto& k : inputs) {
    InputInfo info;
    if (in_bytes.count(k)) info.bytes = stats::median(in_bytes[k]);
    if (in_baas.count(k)) info.baas_bytes = stats::median(in_baas[k]);
    if (info.bytes == 0) info.bytes = info.baas_bytes;
    if (info.baas_bytes == 0) info.baas_bytes = info.bytes;
    m.inputs[k] = info;
  }
  m.usl = fit_usls(cells);
  return m;
}

// ---- validate ---------------------------------------------------------------------------

Validation validate(const std::vector<Cell>& cells, const Dataset& data, Holdout scheme, const FitOptions& options) {
  Validation v;
  v.scheme = scheme == Holdout::kConfiguration ? "configuration" : "function-runtime";
  const auto group_of = [&](const CellKey& k) {
    return scheme == Holdout::kConfiguration ? k.function + "/" + k.input + "@" + k.runtime
                                             : k.function + "@" + k.runtime;
  };
  std::map<std::string, std::vector<const Cell*>> groups;
  for (const auto& c : cells) {
    if (c.n_ok == 0 || c.key.concurrency() < 1) continue;
    if (!(sequential(c) || c.key.load == cells::LoadKind::kClosed)) continue;
    groups[group_of(c.key)].push_back(&c);
  }
  for (const auto& [g, test] : groups) {
    std::vector<Cell> train;
    for (const auto& c : cells) {
      if (group_of(c.key) != g) train.push_back(c);
    }
    auto model = fit(train, data, options);
    if (!model) {
      v.not_identifiable += test.size();
      continue;
    }
    for (const Cell* c : test) {
      auto pred = predict(*model, query_of(*c));
      if (!pred) {
        ++v.not_identifiable;
        continue;
      }
      HeldOut h{c->key, c->e2e_median, pred->p50_ns, std::abs(pred->p50_ns - c->e2e_median) / c->e2e_median};
      v.points.push_back(h);
    }
  }
  std::map<std::string, std::vector<double>> by_rt, by_mode;
  std::vector<double> all;
  for (const auto& h : v.points) {
    by_rt[h.key.runtime].push_back(h.ape);
    by_mode[h.key.load == cells::LoadKind::kClosed ? "closed" : mode_name(h.key)].push_back(h.ape);
    all.push_back(h.ape);
  }
  for (auto& [k, xs] : by_rt) {
    v.mape_by_runtime[k] = stats::mean(xs);
    v.n_by_runtime[k] = xs.size();
  }
  for (auto& [k, xs] : by_mode) v.mape_by_mode[k] = stats::mean(xs);
  v.mape = all.empty() ? stats::kNaN : stats::mean(all);
  v.median_ape = all.empty() ? stats::kNaN : stats::median(all);
  return v;
}

}  // namespace lumos::model

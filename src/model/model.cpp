// The Lumos performance model: fit (log-linear components by ridge least squares), predict
// (sum of drivers, queueing, cost), held-out validation, JSON and text forms.
#include "lumos/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "lumos/common/format.hpp"

#include "least_squares.hpp"
#include "lumos/stats/stats.hpp"

namespace lumos::model {
namespace {

using detail::LsRow;

constexpr double kMinComponentNs = 100.0;  // floor before taking logs (timer resolution scale)
constexpr double kLinearWeightFloorNs = 10e3;
constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// ---- features ---------------------------------------------------------------------------
// Log forms: "w:F/I" work of an input (compute), "rt:R" runtime factor, "fr:F/R" function x
// runtime affinity (ridge), "fi:F/I" input effect (ridge), "f:F" function effect, "cold:R"
// cold factor, "lb" slope on log payload KiB, "ls:R" slope on log module MiB, "baas:R" BaaS
// extra, "cpu" elasticity on log(1 / cpu share). Linear forms (ns): "a:R/M" fixed cost per
// runtime and mode, "b:R" ns per MiB, "bf:F" the function's own ns per MiB (ridge), "bc:R"
// cold ns per MiB, "cc:F" the function's first-call ns per ms of work (ridge, not negative),
// "baas:R/M" BaaS extra.

bool has_prefix(const std::string& name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return name.starts_with(p); });
}

bool penalized(const std::string& name) { return has_prefix(name, {"fr:", "fi:", "bf:", "cc:"}); }

// Start effects of one function on one runtime: the sandbox does not depend on the function
// beyond its module size, so these are shrunk hard (they mostly catch host-load drift).
constexpr double kStartAffinityRidge = 10.0;

struct Context {
  const std::map<std::string, Environment>* profiles = nullptr;
  const ModuleSizes* sizes = nullptr;
  std::string reference_runtime;
};

const Environment& env_of(const std::map<std::string, Environment>& profiles, const std::string& name) {
  static const Environment kCloud;
  auto it = profiles.find(name);
  return it == profiles.end() ? kCloud : it->second;
}

// Feature vector of one configuration for one component. `cpu` is the log(1/share) regressor.
using Features = std::vector<std::pair<std::string, double>>;

struct Config {
  std::string function, input, runtime, mode, io;
  double bytes = 0, baas_bytes = 0;
  std::optional<double> module_bytes;
};

Features compute_features(const Config& c, const std::string& ref) {
  Features x = {{"w:" + c.function + "/" + c.input, 1.0},
                {"fr:" + c.function + "/" + c.runtime, 1.0}};
  if (c.runtime != ref) {
    x.emplace_back("rt:" + c.runtime, 1.0);
    x.emplace_back("zb:" + c.runtime, std::log(std::max(c.bytes, 1.0) / kKiB));
  }
  if (c.mode == "cold") x.emplace_back("cold:" + c.runtime, 1.0);
  return x;
}

Features serde_features(const Config& c) {
  Features x = {{"lb", std::log(std::max(c.bytes, 1.0) / kKiB)},
                {"f:" + c.function, 1.0},
                {"fi:" + c.function + "/" + c.input, 1.0},
                {"fr:" + c.function + "/" + c.runtime, 1.0}};
  if (c.runtime != "native") {
    x.emplace_back("rt:" + c.runtime, 1.0);
    x.emplace_back("zb:" + c.runtime, std::log(std::max(c.bytes, 1.0) / kKiB));
  }
  if (c.mode == "cold") x.emplace_back("cold:" + c.runtime, 1.0);
  return x;
}

// Linear (ns): fixed cost per runtime and mode plus ns per MiB moved.
Features io_features(const Config& c) {
  return {{"a:" + c.runtime + "/" + c.mode, 1.0}, {"b:" + c.runtime, c.baas_bytes / kMiB}};
}

Features start_features(const Config& c) {
  Features x = {{"rt:" + c.runtime, 1.0}, {"sf:" + c.function + "/" + c.runtime, 1.0}};
  if (c.module_bytes) x.emplace_back("ls:" + c.runtime, std::log(std::max(*c.module_bytes, 1.0) / kMiB));
  if (c.io == "baas") x.emplace_back("baas:" + c.runtime, 1.0);
  return x;
}

// Linear (ns): the request path outside the function, fixed per runtime and mode, plus copying.
Features overhead_features(const Config& c, double work_ns = 0) {
  Features x = {{"a:" + c.runtime + "/" + c.mode, 1.0},
                {"b:" + c.runtime, c.bytes / kMiB},
                {"bf:" + c.function, c.bytes / kMiB}};
  if (c.mode == "cold") x.emplace_back("bc:" + c.runtime, c.bytes / kMiB);  // first touch of the payload
  // A function whose first call is slower than later ones (lazy tables, a fresh heap): ns per
  // ms of the input's work (w:F/I, runtime-independent), the same on every runtime.
  if (c.mode == "cold" && work_ns > 0) x.emplace_back("cc:" + c.function, work_ns / 1e6);
  if (c.io == "baas") x.emplace_back("baas:" + c.runtime + "/" + c.mode, 1.0);
  return x;
}

// The component's value in ns for features x at CPU share exp(-log_inv_share).
double evaluate(const Component& comp, const Features& x, double log_inv_share) {
  double s = 0;
  for (const auto& [name, v] : x) {
    auto it = comp.coef.find(name);
    if (it != comp.coef.end()) s += it->second * v;
  }
  const double share_scale = std::exp(comp.cpu_elasticity * log_inv_share);
  if (comp.linear) return std::max(s, kMinComponentNs) * share_scale;
  return std::exp(s) * share_scale;
}

std::optional<double> module_bytes_of(const ModuleSizes& sizes, const std::string& fn, const std::string& rt) {
  auto it = sizes.bytes.find(fn + "/" + rt);
  if (it == sizes.bytes.end()) return std::nullopt;
  return static_cast<double>(it->second);
}

// Network part of a BaaS request under a profile, ns.
double network_ns(const Environment& env, double baas_bytes, double round_trips) {
  double ns = round_trips * env.rtt_ms * 1e6;
  if (env.bandwidth_mbps && *env.bandwidth_mbps > 0) ns += baas_bytes * 8.0 / (*env.bandwidth_mbps * 1e6) * 1e9;
  return ns;
}

// Slopes on a continuous regressor (the rest are indicators).
bool is_slope(const std::string& n) { return n == "lb" || has_prefix(n, {"ls:", "zb:", "b:", "bc:", "bf:"}); }

// Least spread of a slope's regressor over the fitted cells: 4x in size for log slopes,
// 64 KiB for per-MiB costs.
double min_slope_range(const std::string& n) {
  return has_prefix(n, {"b:", "bc:", "bf:"}) ? 1.0 / 16 : std::log(4.0);
}

struct Sample {
  Features x;
  double y_ns = 0;          // measured median of the component
  double log_inv_share = 0;  // log(1 / cpu share) of the cell's profile
};

// Log form: ridge LS of log(y); the CPU elasticity is fitted when >= 2 shares were measured,
// else 1 (CPU-bound time scales with 1 / share). Linear form: relative LS of y normalized to
// share 1 with the given elasticity.
Component fit_component(const std::string& name, const std::vector<Sample>& samples, double ridge, bool linear,
                        double elasticity = 1.0) {
  Component comp;
  comp.name = name;
  comp.linear = linear;
  comp.cpu_elasticity = elasticity;
  comp.cells = samples.size();
  if (samples.empty()) return comp;
  std::set<double> shares;
  for (const auto& s : samples) shares.insert(std::round(s.log_inv_share * 1e6));
  comp.cpu_elasticity_fitted = !linear && shares.size() >= 2;
  // A slope is only fitted where its regressor varies enough to be told apart from the
  // intercept; otherwise extrapolating it would be noise (e.g. equal module sizes).
  std::map<std::string, std::pair<double, double>> range;  // slope feature -> (min, max)
  for (const auto& s : samples) {
    for (const auto& [n, v] : s.x) {
      if (!is_slope(n)) continue;
      auto [it, fresh] = range.try_emplace(n, v, v);
      if (!fresh) it->second = {std::min(it->second.first, v), std::max(it->second.second, v)};
    }
  }
  std::set<std::string> dropped;
  for (const auto& [n, mm] : range) {
    if (mm.second - mm.first < min_slope_range(n)) dropped.insert(n);
  }
  std::vector<LsRow> rows;
  rows.reserve(samples.size());
  for (const auto& s : samples) {
    const double y = std::max(s.y_ns, kMinComponentNs);
    LsRow r;
    for (const auto& xv : s.x) {
      if (!dropped.count(xv.first)) r.x.push_back(xv);
    }
    if (linear) {
      // Relative errors, but a tiny or negative median (noise around zero) must not get a
      // huge weight: the weight's scale is floored at 10 us.
      r.y = s.y_ns * std::exp(-elasticity * s.log_inv_share);
      const double scale = std::max(std::abs(r.y), kLinearWeightFloorNs);
      r.w = 1.0 / (scale * scale);
    } else if (comp.cpu_elasticity_fitted) {
      r.x.emplace_back("cpu", s.log_inv_share);
      r.y = std::log(y);
    } else {
      r.y = std::log(y) - elasticity * s.log_inv_share;
    }
    rows.push_back(std::move(r));
  }
  // A ridge penalty counts in pseudo-observations at 0: lambda x the mean weight w x^2 of the
  // feature's rows (1 for log forms; the relative weights' scale for linear forms).
  std::map<std::string, std::pair<double, int>> scale;
  for (const auto& r : rows) {
    for (const auto& [n, v] : r.x) {
      auto& [sum, count] = scale[n];
      sum += r.w * v * v;
      ++count;
    }
  }
  comp.coef = detail::solve_ridge(rows,
                                  [&](const std::string& n) {
                                    const double unit = scale[n].first / std::max(1, scale[n].second);
                                    if (n.rfind("sf:", 0) == 0) return kStartAffinityRidge * ridge * unit;
                                    return penalized(n) ? ridge * unit : 0.0;
                                  },
                                  linear ? 1e-30 : 1e-9);
  if (comp.cpu_elasticity_fitted) {
    comp.cpu_elasticity = comp.coef["cpu"];
    comp.coef.erase("cpu");
  }
  double ss = 0;
  for (const auto& s : samples) {
    const double r = std::log(std::max(s.y_ns, kMinComponentNs)) - std::log(evaluate(comp, s.x, s.log_inv_share));
    ss += r * r;
  }
  comp.rms_log_residual = std::sqrt(ss / static_cast<double>(samples.size()));
  return comp;
}

bool sequential(const Cell& c) {
  return c.n_ok > 0 && c.key.sequential() && (c.key.mode == cells::Mode::kCold || c.key.mode == cells::Mode::kWarm);
}

std::string fi_key(const CellKey& k) { return k.function + "/" + k.input; }
std::string fr_key(const CellKey& k) { return k.function + "/" + k.runtime; }

// Contention from closed-loop levels, free of cold starts: by Little's law the warm
// requests of level N complete at X(N) = N / mean warm latency. C(N) = X(N) / X(1), X(1) from
// the series' level 1, else its warm sequential cell, else assuming linear scaling up to the
// lowest level.
std::map<std::string, Usl> fit_usls(const std::vector<Cell>& cells) {
  using SeriesKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<SeriesKey, std::map<int, double>> series;  // -> N -> throughput of warm requests
  std::map<SeriesKey, double> warm_x1;
  for (const auto& c : cells) {
    const SeriesKey k{c.key.function, c.key.input, c.key.runtime, std::string(telemetry::to_string(c.key.io)), c.key.profile};
    if (c.key.load == cells::LoadKind::kClosed && c.warm_e2e_mean > 0) {
      series[k][c.key.concurrency()] = c.key.concurrency() * 1e9 / c.warm_e2e_mean;
    }
    if (sequential(c) && c.key.mode == cells::Mode::kWarm && c.warm_e2e_mean > 0) warm_x1[k] = 1e9 / c.warm_e2e_mean;
  }
  std::map<std::string, std::vector<UslPoint>> points;
  for (const auto& [k, levels] : series) {
    double x1 = 0;
    if (levels.count(1)) {
      x1 = levels.at(1);
    } else if (warm_x1.count(k)) {
      x1 = warm_x1.at(k);
    } else {
      x1 = levels.begin()->second / levels.begin()->first;
    }
    if (!(x1 > 0)) continue;
    for (const auto& [n, x] : levels) {
      if (n <= 1) continue;
      points[std::get<2>(k)].push_back({static_cast<double>(n), x / x1});
    }
  }
  std::map<std::string, Usl> out;
  for (const auto& [rt, pts] : points) {
    Usl u = fit_usl(pts);
    if (u.fitted) out[rt] = u;
  }
  return out;
}

// The model's word for a cell's mode: a closed-loop level is priced as warm requests with a
// share of cold starts (Query::cold_fraction).
std::string mode_name(const CellKey& k) {
  return k.load == cells::LoadKind::kClosed ? "warm" : std::string(telemetry::to_string(k.mode));
}

Config config_of(const CellKey& k, const Cell& c, const ModuleSizes& sizes) {
  return Config{k.function, k.input, k.runtime, mode_name(k), std::string(telemetry::to_string(k.io)), c.bytes,
                c.baas_bytes, module_bytes_of(sizes, k.function, k.runtime)};
}

double coef_or(const Component& c, const std::string& name, double fallback = 0.0) {
  auto it = c.coef.find(name);
  return it == c.coef.end() ? fallback : it->second;
}

}  // namespace

// ---- fit --------------------------------------------------------------------------------

Result<Model> fit(const std::vector<Cell>& cells, const Dataset& data, const FitOptions& options) {
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
    const auto twin = c.key.mode == cells::Mode::kCold ? warm_twin.find(twin_key) : warm_twin.end();
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
    if (c.key.mode == cells::Mode::kCold) start.push_back({start_features(cfg), c.start, lis});
    if (c.e2e_median > 0 && std::isfinite(c.e2e_p95)) tails[c.key.runtime + "/" + mode_name(c.key)].push_back(c.e2e_p95 / c.e2e_median);
    const double cpu_time = c.compute + c.serde + c.overhead;
    if (c.key.mode == cells::Mode::kWarm && std::isfinite(c.cpu_ns) && cpu_time > 0) cpu_ratios[c.key.runtime].push_back(c.cpu_ns / cpu_time);
    if (std::isfinite(c.peak_rss)) rss[fr_key(c.key)].push_back(c.peak_rss / kMiB);
  }
  m.start = fit_component("start", start, options.ridge, false);
  m.compute = fit_component("compute", compute, options.ridge, false);
  m.serde = fit_component("serde", serde, options.ridge, false);
  m.io = fit_component("io", io, options.ridge, true, 0.0);  // waiting on Redis and the network, not CPU
  for (const auto& [i, cfg] : first_calls) {  // the input's work is known once compute is fitted
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
                                        "runtime) and refit. Known: " + known);
  }
  if (q.mode != "cold" && q.mode != "warm") return fail(ErrorCode::kUsage, "--mode must be cold or warm, not '" + q.mode + "'");
  if (q.io != "direct" && q.io != "baas") return fail(ErrorCode::kUsage, "--io must be direct or baas, not '" + q.io + "'");
  if (q.concurrency < 1) return fail(ErrorCode::kUsage, "--concurrency must be at least 1");
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
      return fail(ErrorCode::kUsage, "unknown profile '" + q.profile + "' (known: " + known +
                                         "); or give --cpu-share, --rtt-ms, --bandwidth-mbps");
    }
    p.env = defaults[q.profile];
  } else {
    p.env = pit->second;
  }
  if (q.cpu_share) {  // a CPU quota: speed of one request and capacity of the device
    p.env.cpu_share = std::min(1.0, *q.cpu_share);
    p.env.device_cpus = *q.cpu_share;
  }
  if (q.rtt_ms) p.env.rtt_ms = *q.rtt_ms;
  if (q.bandwidth_mbps) p.env.bandwidth_mbps = *q.bandwidth_mbps;
  if (q.memory_mb) p.env.memory_mb = *q.memory_mb;
  const double lis = -std::log(p.env.cpu_share);

  const InputInfo info = m.inputs.count(fi) ? m.inputs.at(fi) : InputInfo{};
  Config cfg{q.function, q.input, q.runtime, q.mode, q.io, info.bytes, info.baas_bytes,
             module_bytes_of(m.module_sizes, q.function, q.runtime)};
  if (!m.compute.coef.count("fr:" + fr)) {
    p.notes.push_back(fmt::format("{} was never measured on {}: the runtime's average factor is used", q.function, q.runtime));
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
       q.mode == "cold" ? fmt::format("{} cold request path (incl. first-touch costs)", q.runtime)
                        : fmt::format("{} warm request path", q.runtime));
  if (q.mode == "cold") {
    const double ns = evaluate(m.start, start_features(cfg), lis);
    term("start", ns, cfg.module_bytes ? fmt::format("{} start, module {:.2f} MiB", q.runtime, *cfg.module_bytes / kMiB)
                                       : fmt::format("{} start", q.runtime));
  }
  if (q.io == "baas") {
    if (m.io.cells == 0) p.notes.push_back("no BaaS measurements: BaaS time is the network part only");
    const double local = m.io.cells ? evaluate(m.io, io_features(cfg), 0.0) : 0.0;
    term("io", local, fmt::format("BaaS get+put of {:.0f} B from {}", info.baas_bytes, q.runtime));
    const double trips = m.round_trips_per_request + (q.mode == "cold" ? m.connect_round_trips : 0.0);
    const double net = network_ns(p.env, info.baas_bytes, trips);
    if (net > 0) {
      term("network", net, fmt::format("{:g} round trips x {:g} ms RTT{}", trips, p.env.rtt_ms,
                                       p.env.bandwidth_mbps ? fmt::format(" + {:.0f} B at {:g} Mbit/s", info.baas_bytes, *p.env.bandwidth_mbps) : ""));
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
    return std::min({clients * p.env.cpu_share, p.env.device_cpus.value_or(m.host_cpus), static_cast<double>(m.host_cpus)});
  };
  double inflation = 1;
  if (auto it = m.usl.find(q.runtime); it != m.usl.end()) {
    p.usl_fitted = true;
    inflation = n / usl_capacity(it->second, n);
  } else if (n > 1) {
    p.notes.push_back("no concurrency data for this runtime: queueing from bounds (CPU demand vs cores), not a fitted USL");
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
    p.notes.push_back(fmt::format("{:.0f}% of requests meet a new instance: a burst of {:g} cold starts taking {} together",
                                  f * 100, burst, text::duration(cold_latency)));
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

// ---- validate ---------------------------------------------------------------------------

Validation validate(const std::vector<Cell>& cells, const Dataset& data, Holdout scheme,
                    const FitOptions& options) {
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
  k.load = telemetry::parse_load_kind(p.value("load", mode == "closed" ? "closed" : "")).value_or(cells::LoadKind::kNone);
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
    pts.push_back({{"function", h.key.function}, {"input", h.key.input}, {"runtime", h.key.runtime},
                   {"mode", mode_name(h.key)}, {"io", telemetry::to_string(h.key.io)}, {"profile", h.key.profile},
                   {"concurrency", h.key.concurrency()}, {"load", telemetry::to_string(h.key.load)},
                   {"measured_ns", h.measured_ns},
                   {"predicted_ns", h.predicted_ns}, {"ape", h.ape}});
  }
  nlohmann::json mape = nlohmann::json::object();
  for (const auto& [k, x] : v.mape_by_runtime) mape[k] = finite_or_null(x);
  nlohmann::json by_mode = nlohmann::json::object();
  for (const auto& [k, x] : v.mape_by_mode) by_mode[k] = finite_or_null(x);
  return {{"scheme", v.scheme},           {"mape", finite_or_null(v.mape)},
          {"median_ape", finite_or_null(v.median_ape)},
          {"mape_by_runtime", mape},      {"n_by_runtime", v.n_by_runtime},
          {"mape_by_mode", by_mode},      {"not_identifiable", v.not_identifiable},
          {"points", pts}};
}

nlohmann::json to_json(const Model& m) {
  nlohmann::json j;
  j["lumos_model_version"] = m.version;
  j["equation"] =
      "latency = start*[cold] + compute + serde + overhead + io + network + queueing; each of start, compute, "
      "serde, overhead, io is exp(sum of coefficient x feature), in ns";
  j["reference_runtime"] = m.reference_runtime;
  j["components"] = {{"start", component_json(m.start)},     {"compute", component_json(m.compute)},
                     {"serde", component_json(m.serde)},     {"io", component_json(m.io)},
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
    return fail(ErrorCode::kConfig, "not a lumos model (expected lumos_model_version 1; write one with `lumos model fit`)");
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
    for (const auto& v : j.value("validation", nlohmann::json::array())) m.validations.push_back(validation_from_json(v));
    return m;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kConfig, std::string("malformed model JSON: ") + e.what());
  }
}

nlohmann::json to_json(const Prediction& p) {
  nlohmann::json terms = nlohmann::json::array();
  for (const auto& t : p.terms) terms.push_back({{"component", t.component}, {"ns", t.ns}, {"why", t.why}});
  return {{"query", {{"function", p.query.function}, {"input", p.query.input}, {"runtime", p.query.runtime},
                     {"mode", p.query.mode}, {"io", p.query.io}, {"profile", p.query.profile},
                     {"concurrency", p.query.concurrency}, {"cold_fraction", p.query.cold_fraction},
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
          {"cost", {{"billed_ms", p.cost.billed_ms}, {"billed_mb", p.cost.billed_mb},
                    {"compute_usd", p.cost.compute_usd}, {"request_usd", p.cost.request_usd},
                    {"total_usd", p.cost.total_usd}, {"per_million_usd", p.cost_per_million_usd}}},
          {"notes", p.notes}};
}

// ---- text -------------------------------------------------------------------------------

std::string format_model(const Model& m) {
  std::set<std::string> runtimes;
  for (const auto& [k, v] : m.start.coef) {
    if (k.rfind("rt:", 0) == 0) runtimes.insert(k.substr(3));
  }
  for (const auto& [k, v] : m.compute.coef) {
    if (k.rfind("rt:", 0) == 0) runtimes.insert(k.substr(3));
  }
  runtimes.insert(m.reference_runtime);
  std::string out = fmt::format("Model from {} cells; compute factors relative to {}; host CPUs {}\n", m.cells,
                                m.reference_runtime, m.host_cpus);
  out += fmt::format("{:<18} {:>14} {:>12} {:>12} {:>14} {:>12} {:>10}\n", "runtime", "compute factor",
                     "cold start", "per-request", "BaaS get+put", "USL sigma", "USL kappa");
  for (const auto& rt : runtimes) {
    const double factor = std::exp(coef_or(m.compute, "rt:" + rt));
    // Start at the median module size of this runtime (or without a size term).
    double ls = 0;
    std::vector<double> sizes;
    for (const auto& [k, b] : m.module_sizes.bytes) {
      if (k.size() > rt.size() && k.compare(k.size() - rt.size(), rt.size(), rt) == 0 && k[k.size() - rt.size() - 1] == '/') {
        sizes.push_back(std::log(static_cast<double>(b) / kMiB));
      }
    }
    if (!sizes.empty()) ls = stats::median(sizes);
    const double start = m.start.coef.count("rt:" + rt)
                             ? std::exp(coef_or(m.start, "rt:" + rt) + coef_or(m.start, "ls:" + rt) * ls)
                             : stats::kNaN;
    const double per_req = m.overhead.coef.count("a:" + rt + "/warm") ? coef_or(m.overhead, "a:" + rt + "/warm") : stats::kNaN;
    const double io = m.io.coef.count("a:" + rt + "/warm") ? coef_or(m.io, "a:" + rt + "/warm") : stats::kNaN;
    auto u = m.usl.find(rt);
    out += fmt::format("{:<18} {:>14} {:>12} {:>12} {:>14} {:>12} {:>10}\n", rt, fmt::format("{:.3g}x", factor),
                       text::duration(start), text::duration(per_req), text::duration(io),
                       u == m.usl.end() ? "-" : fmt::format("{:.3g}", u->second.sigma),
                       u == m.usl.end() ? "-" : fmt::format("{:.3g}", u->second.kappa));
  }
  out += fmt::format("in-sample RMS log residual: start {:.2f}, compute {:.2f}, serde {:.2f}, io {:.2f}, overhead {:.2f}\n",
                     m.start.rms_log_residual, m.compute.rms_log_residual, m.serde.rms_log_residual,
                     m.io.rms_log_residual, m.overhead.rms_log_residual);
  if (m.usl.empty()) out += "no concurrency data: queueing uses bounds (CPU demand vs cores), not a fitted USL\n";
  out += fmt::format("module sizes: {}\n", m.module_sizes.source.empty() ? "none (start has no size term)" : m.module_sizes.source);
  return out;
}

std::string format_prediction(const Prediction& p) {
  const auto& q = p.query;
  std::string out = fmt::format("{}/{} on {} ({}, {}), profile {} (cpu share {:g}, RTT {:g} ms{}), concurrency {}\n",
                                q.function, q.input, q.runtime, q.mode, q.io, q.profile, p.env.cpu_share, p.env.rtt_ms,
                                p.env.bandwidth_mbps ? fmt::format(", {:g} Mbit/s", *p.env.bandwidth_mbps) : "",
                                q.concurrency);
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
  out += fmt::format("{:<18}", "all");
  for (const auto& v : vs) out += fmt::format(" {:>24}", fmt::format("{:.1f}% (median {:.1f}%)", v.mape * 100, v.median_ape * 100));
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

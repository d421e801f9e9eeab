// The model's terms, shared by its files (fit, predict, validate): feature vectors of a
// configuration, component evaluation and fitting, the USL fit and cell helpers.
// Internal to src/model: not a public header.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "least_squares.hpp"
#include "lumos/common/vocabulary.hpp"
#include "lumos/model/model.hpp"
#include "lumos/stats/stats.hpp"

namespace lumos::model::terms {

using detail::LsRow;

inline constexpr double kMinComponentNs = 100.0;  // floor before taking logs (timer resolution scale)
inline constexpr double kLinearWeightFloorNs = 10e3;
inline constexpr double kKiB = 1024.0;
inline constexpr double kMiB = 1024.0 * 1024.0;

// ---- features ---------------------------------------------------------------------------
// Log forms: "w:F/I" work of an input (compute), "rt:R" runtime factor, "fr:F/R" function x
// runtime affinity (ridge), "fi:F/I" input effect (ridge), "f:F" function effect, "cold:R"
// cold factor, "lb" slope on log payload KiB, "ls:R" slope on log module MiB, "baas:R" BaaS
// extra, "cpu" elasticity on log(1 / cpu share). Linear forms (ns): "a:R/M" fixed cost per
// runtime and mode, "b:R" ns per MiB, "bf:F" the function's own ns per MiB (ridge), "bc:R"
// cold ns per MiB, "cc:F" the function's first-call ns per ms of work (ridge, not negative),
// "baas:R/M" BaaS extra.

inline bool has_prefix(const std::string& name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return name.starts_with(p); });
}

inline bool penalized(const std::string& name) { return has_prefix(name, {"fr:", "fi:", "bf:", "cc:"}); }

// Start effects of one function on one runtime: the sandbox does not depend on the function
// beyond its module size, so these are shrunk hard (they mostly catch host-load drift).
inline constexpr double kStartAffinityRidge = 10.0;

struct Context {
  const std::map<std::string, Environment>* profiles = nullptr;
  const ModuleSizes* sizes = nullptr;
  std::string reference_runtime;
};

inline const Environment& env_of(const std::map<std::string, Environment>& profiles, const std::string& name) {
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

inline Features compute_features(const Config& c, const std::string& ref) {
  Features x = {{"w:" + c.function + "/" + c.input, 1.0}, {"fr:" + c.function + "/" + c.runtime, 1.0}};
  if (c.runtime != ref) {
    x.emplace_back("rt:" + c.runtime, 1.0);
    x.emplace_back("zb:" + c.runtime, std::log(std::max(c.bytes, 1.0) / kKiB));
  }
  if (c.mode == "cold") x.emplace_back("cold:" + c.runtime, 1.0);
  return x;
}

inline Features serde_features(const Config& c) {
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
inline Features io_features(const Config& c) {
  return {{"a:" + c.runtime + "/" + c.mode, 1.0}, {"b:" + c.runtime, c.baas_bytes / kMiB}};
}

inline Features start_features(const Config& c) {
  // An instance start (mode `instance`: a new instance in a live host, a zygote fork) is its own
  // level per runtime; it loads no module, so the module-size term is the process start's.
  if (c.mode == "instance") {
    return {{"rt:" + c.runtime + "/instance", 1.0}, {"sf:" + c.function + "/" + c.runtime + "/instance", 1.0}};
  }
  Features x = {{"rt:" + c.runtime, 1.0}, {"sf:" + c.function + "/" + c.runtime, 1.0}};
  if (c.module_bytes) x.emplace_back("ls:" + c.runtime, std::log(std::max(*c.module_bytes, 1.0) / kMiB));
  if (c.io == "baas") x.emplace_back("baas:" + c.runtime, 1.0);
  return x;
}

// Linear (ns): the request path outside the function, fixed per runtime and mode, plus copying.
inline Features overhead_features(const Config& c, double work_ns = 0) {
  Features x = {
      {"a:" + c.runtime + "/" + c.mode, 1.0}, {"b:" + c.runtime, c.bytes / kMiB}, {"bf:" + c.function, c.bytes / kMiB}};
  if (c.mode == "cold") x.emplace_back("bc:" + c.runtime, c.bytes / kMiB);  // first touch of the payload
  // A function whose first call is slower than later ones (lazy tables, a fresh heap): ns per
  // ms of the input's work (w:F/I, runtime-independent), the same on every runtime.
  if (c.mode == "cold" && work_ns > 0) x.emplace_back("cc:" + c.function, work_ns / 1e6);
  if (c.io == "baas") x.emplace_back("baas:" + c.runtime + "/" + c.mode, 1.0);
  return x;
}

// The component's value in ns for features x at CPU share exp(-log_inv_share).
inline double evaluate(const Component& comp, const Features& x, double log_inv_share) {
  double s = 0;
  for (const auto& [name, v] : x) {
    auto it = comp.coef.find(name);
    if (it != comp.coef.end()) s += it->second * v;
  }
  const double share_scale = std::exp(comp.cpu_elasticity * log_inv_share);
  if (comp.linear) return std::max(s, kMinComponentNs) * share_scale;
  return std::exp(s) * share_scale;
}

inline std::optional<double> module_bytes_of(const ModuleSizes& sizes, const std::string& fn, const std::string& rt) {
  auto it = sizes.bytes.find(fn + "/" + rt);
  if (it == sizes.bytes.end()) return std::nullopt;
  return static_cast<double>(it->second);
}

// Network part of a BaaS request under a profile, ns.
inline double network_ns(const Environment& env, double baas_bytes, double round_trips) {
  double ns = round_trips * env.rtt_ms * 1e6;
  if (env.bandwidth_mbps && *env.bandwidth_mbps > 0) ns += baas_bytes * 8.0 / (*env.bandwidth_mbps * 1e6) * 1e9;
  return ns;
}

// Slopes on a continuous regressor (the rest are indicators).
inline bool is_slope(const std::string& n) { return n == "lb" || has_prefix(n, {"ls:", "zb:", "b:", "bc:", "bf:"}); }

// Least spread of a slope's regressor over the fitted cells: 4x in size for log slopes,
// 64 KiB for per-MiB costs.
inline double min_slope_range(const std::string& n) {
  return has_prefix(n, {"b:", "bc:", "bf:"}) ? 1.0 / 16 : std::log(4.0);
}

struct Sample {
  Features x;
  double y_ns = 0;           // measured median of the component
  double log_inv_share = 0;  // log(1 / cpu share) of the cell's profile
};

// Log form: ridge LS of log(y); the CPU elasticity is fitted when >= 2 shares were measured,
// else 1 (CPU-bound time scales with 1 / share). Linear form: relative LS of y normalized to
// share 1 with the given elasticity.
inline Component fit_component(const std::string& name, const std::vector<Sample>& samples, double ridge, bool linear,
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
  comp.coef = detail::solve_ridge(
      rows,
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

/// A sequential cell the model learns from (the floor runs no function: a reference for the
/// views, not a runtime to model).
inline bool sequential(const Cell& c) {
  return c.n_ok > 0 && c.key.sequential() && c.key.runtime != kFloorRuntime &&
         (c.key.mode == cells::Mode::kCold || c.key.mode == cells::Mode::kWarm || c.key.mode == cells::Mode::kInstance);
}

inline std::string fi_key(const CellKey& k) { return k.function + "/" + k.input; }
inline std::string fr_key(const CellKey& k) { return k.function + "/" + k.runtime; }

// Contention from closed-loop levels, free of cold starts: by Little's law the warm
// requests of level N complete at X(N) = N / mean warm latency. C(N) = X(N) / X(1), X(1) from
// the series' level 1, else its warm sequential cell, else assuming linear scaling up to the
// lowest level.
inline std::map<std::string, Usl> fit_usls(const std::vector<Cell>& cells) {
  using SeriesKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<SeriesKey, std::map<int, double>> series;  // -> N -> throughput of warm requests
  std::map<SeriesKey, double> warm_x1;
  for (const auto& c : cells) {
    const SeriesKey k{c.key.function, c.key.input, c.key.runtime, std::string(telemetry::to_string(c.key.io)),
                      c.key.profile};
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
inline std::string mode_name(const CellKey& k) {
  return k.load == cells::LoadKind::kClosed ? "warm" : std::string(telemetry::to_string(k.mode));
}

inline Config config_of(const CellKey& k, const Cell& c, const ModuleSizes& sizes) {
  return Config{k.function,
                k.input,
                k.runtime,
                mode_name(k),
                std::string(telemetry::to_string(k.io)),
                c.bytes,
                c.baas_bytes,
                module_bytes_of(sizes, k.function, k.runtime)};
}

inline double coef_or(const Component& c, const std::string& name, double fallback = 0.0) {
  auto it = c.coef.find(name);
  return it == c.coef.end() ? fallback : it->second;
}

}  // namespace lumos::model::terms

// Parsing an experiment's `load:` and `pool:` sections.
#include "lumos/engine/load_spec.hpp"

#include <charconv>
#include <set>

namespace lumos::engine {

Result<LoadSpec> parse_load(const nlohmann::json& load, const std::optional<nlohmann::json>& pool,
                            const std::string& origin, const std::filesystem::path& base_dir) {
  auto error = [&](const std::string& what) { return fail(ErrorCode::kConfig, origin + ": " + what); };
  auto number = [](const nlohmann::json& v) -> std::optional<double> {
    if (v.is_number()) return v.get<double>();
    if (!v.is_string()) return std::nullopt;
    // The whole text must be a number: "10s" is not 10.
    const std::string text = v.get<std::string>();
    double x = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return x;
  };
  auto numbers = [&](const nlohmann::json& v, const char* key) -> Result<std::vector<double>> {
    std::vector<double> out;
    for (const auto& x : v.is_array() ? v : nlohmann::json::array({v})) {
      auto n = number(x);
      if (!n || *n <= 0) return fail(ErrorCode::kConfig, origin + ": load." + key + " takes positive numbers");
      out.push_back(*n);
    }
    if (out.empty()) return fail(ErrorCode::kConfig, origin + ": load." + key + " is empty");
    return out;
  };
  static const std::set<std::string> kKnown = {"kind",       "concurrency", "requests",      "rates", "arrival",
                                               "duration_s", "seed",        "max_in_flight", "file",  "time_scale"};
  LoadSpec spec;
  for (const auto& [key, _] : load.items()) {
    if (!kKnown.count(key)) return error("unknown key '" + key + "' in load");
  }
  const std::string kind = load.value("kind", std::string("closed"));
  spec.kind = telemetry::parse_load_kind(kind).value_or(telemetry::LoadKind::kNone);
  if (spec.kind == telemetry::LoadKind::kClosed) {
    if (!load.contains("concurrency")) return error("load.concurrency is required for kind closed (e.g. [1, 2, 4, 8])");
    auto c = numbers(load["concurrency"], "concurrency");
    if (!c) return tl::unexpected(c.error());
    for (double x : *c) spec.concurrency.push_back(static_cast<int>(x));
    if (load.contains("requests")) {
      auto r = number(load["requests"]);
      if (!r || *r < 1) return error("load.requests must be at least 1");
      spec.requests = static_cast<int>(*r);
    }
  } else if (spec.kind == telemetry::LoadKind::kOpen) {
    if (!load.contains("rates")) return error("load.rates is required for kind open (requests per second)");
    auto r = numbers(load["rates"], "rates");
    if (!r) return tl::unexpected(r.error());
    spec.rates = *r;
    spec.arrival = load.value("arrival", std::string("poisson"));
    if (spec.arrival != "poisson" && spec.arrival != "fixed") return error("load.arrival must be poisson or fixed");
  } else if (spec.kind == telemetry::LoadKind::kTrace) {
    if (!load.contains("file") || !load["file"].is_string()) {
      return error("load.file names the trace to replay (CSV offset_ms,function,input; see traces/README.md)");
    }
    std::filesystem::path file = load["file"].get<std::string>();
    if (file.is_relative()) file = base_dir / file;
    auto events = trace::load_trace(file);
    if (!events) return tl::unexpected(events.error());
    if (load.contains("time_scale")) {
      auto f = number(load["time_scale"]);
      if (!f || *f <= 0) return error("load.time_scale must be a positive number (0.5 = twice as fast)");
      spec.time_scale = *f;
    }
    spec.trace = trace::time_scale(*events, spec.time_scale);
    if (spec.trace.empty()) return error("the trace " + file.string() + " has no events");
  } else {
    return error("load.kind must be closed, open or trace");
  }
  if (load.contains("duration_s")) {
    auto d = number(load["duration_s"]);
    if (!d) return error("load.duration_s must be a number of seconds");
    spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(*d * 1000));
  }
  if (load.contains("seed")) spec.seed = static_cast<std::uint64_t>(number(load["seed"]).value_or(1));
  if (load.contains("max_in_flight")) spec.max_in_flight = static_cast<int>(number(load["max_in_flight"]).value_or(64));
  if (pool) {
    for (const auto& [key, value] : pool->items()) {
      if (key == "start") {
        const std::string word = value.is_string() ? value.get<std::string>() : "";
        if (word != "process" && word != "instance") {
          return error(
              "pool.start must be process (a warm instance or a new one) or instance (a live host per "
              "function, a new instance per request, as Spin runs Wasm)");
        }
        spec.pool.start = word == "instance" ? PoolStart::kInstance : PoolStart::kProcess;
        continue;
      }
      auto n = number(value);
      if (!n || *n < 0) return error("pool." + key + " must be a number >= 0");
      if (key == "keep_alive_ms")
        spec.pool.keep_alive = std::chrono::milliseconds(static_cast<std::int64_t>(*n));
      else if (key == "max_instances")
        spec.pool.max_instances = static_cast<int>(*n);
      else if (key == "prewarm")
        spec.pool.prewarm = static_cast<int>(*n);
      else
        return error("unknown key '" + key + "' in pool (keep_alive_ms, max_instances, prewarm, start)");
    }
  }
  return spec;
}

}  // namespace lumos::engine

// JSON mapping of the Invocation record (field names are the results schema).
#include "lumos/telemetry/record.hpp"

#include <nlohmann/json.hpp>

namespace lumos::telemetry {

nlohmann::json to_json(const Invocation& inv) {
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, d] : inv.phases) phases[name] = d.count();
  nlohmann::json j = {
      {"function", inv.function}, {"runtime", inv.runtime},   {"mode", inv.mode},
      {"input", inv.input},       {"io", inv.io},             {"rep", inv.rep},
      {"ok", inv.ok},
      {"error", inv.error},       {"exec_mode", inv.exec_mode}, {"e2e_ns", inv.e2e.count()},
      {"phases_ns", phases},      {"bytes_in", inv.bytes_in}, {"bytes_out", inv.bytes_out},
      {"baas_bytes_in", inv.baas_bytes_in}, {"baas_bytes_out", inv.baas_bytes_out},
      {"started_at", inv.started_at},
  };
  if (!inv.load.empty()) {
    j["load"] = inv.load;
    j["level"] = inv.level;
    j["offset_ns"] = inv.offset_ns;
  }
  j["cpu_ns"] = inv.cpu ? nlohmann::json(inv.cpu->count()) : nlohmann::json(nullptr);
  j["peak_rss_bytes"] =
      inv.peak_rss_bytes ? nlohmann::json(*inv.peak_rss_bytes) : nlohmann::json(nullptr);
  return j;
}

Invocation invocation_from_json(const nlohmann::json& j) {
  Invocation inv;
  inv.function = j.value("function", "");
  inv.runtime = j.value("runtime", "");
  inv.mode = j.value("mode", "");
  inv.input = j.value("input", "");
  inv.io = j.value("io", "direct");
  inv.rep = j.value("rep", 0);
  inv.ok = j.value("ok", false);
  inv.error = j.value("error", "");
  inv.exec_mode = j.value("exec_mode", "");
  inv.e2e = std::chrono::nanoseconds(j.value("e2e_ns", std::int64_t{0}));
  if (auto it = j.find("phases_ns"); it != j.end() && it->is_object()) {
    for (const auto& [name, v] : it->items()) {
      inv.phases[name] = std::chrono::nanoseconds(v.get<std::int64_t>());
    }
  }
  if (auto it = j.find("cpu_ns"); it != j.end() && it->is_number()) {
    inv.cpu = std::chrono::nanoseconds(it->get<std::int64_t>());
  }
  if (auto it = j.find("peak_rss_bytes"); it != j.end() && it->is_number()) {
    inv.peak_rss_bytes = it->get<std::uint64_t>();
  }
  inv.bytes_in = j.value("bytes_in", std::uint64_t{0});
  inv.bytes_out = j.value("bytes_out", std::uint64_t{0});
  inv.baas_bytes_in = j.value("baas_bytes_in", std::uint64_t{0});
  inv.baas_bytes_out = j.value("baas_bytes_out", std::uint64_t{0});
  inv.started_at = j.value("started_at", "");
  inv.load = j.value("load", "");
  inv.level = j.value("level", 0.0);
  inv.offset_ns = j.value("offset_ns", std::int64_t{0});
  return inv;
}

}  // namespace lumos::telemetry

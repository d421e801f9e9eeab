// Invocation cost: GB-seconds and requests priced by a configurable table.
#include "lumos/model/cost.hpp"

#include <cmath>
#include <fstream>

namespace lumos::model {

std::map<std::string, PriceTable> default_price_tables() {
  std::map<std::string, PriceTable> t;
  t["cloud"] = PriceTable{"cloud",
                          0.0000166667,
                          0.20 / 1e6,
                          1.0,
                          128.0,
                          1.0,
                          "AWS Lambda x86 list price, us-east-1: 0.0000166667 USD/GB-s, "
                          "0.20 USD per 1M requests, 1 ms billing"};
  t["edge"] = PriceTable{"edge",
                         0.0000166667 * 1.5,
                         0.60 / 1e6,
                         1.0,
                         128.0,
                         1.0,
                         "assumption: 1.5x the cloud GB-s price, 0.60 USD per 1M requests "
                         "(edge-function request price); override with --prices"};
  return t;
}

nlohmann::json to_json(const PriceTable& p) {
  return {{"gb_second_usd", p.gb_second_usd},
          {"per_request_usd", p.per_request_usd},
          {"billing_granularity_ms", p.billing_granularity_ms},
          {"min_memory_mb", p.min_memory_mb},
          {"memory_granularity_mb", p.memory_granularity_mb},
          {"source", p.source}};
}

Result<std::map<std::string, PriceTable>> load_price_tables(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::kIo, "cannot read price table " + file.string());
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kConfig, file.string() + ": expected a JSON object {\"cloud\": {...}, ...}");
  }
  auto tables = default_price_tables();
  for (const auto& [name, v] : j.items()) {
    if (!v.is_object()) return fail(ErrorCode::kConfig, file.string() + ": '" + name + "' must be an object");
    PriceTable p = tables.count(name) ? tables[name] : tables["cloud"];
    p.name = name;
    p.source = file.string();
    for (const auto& [k, x] : v.items()) {
      if (k == "source" && x.is_string()) {
        p.source = x.get<std::string>();
        continue;
      }
      if (!x.is_number()) return fail(ErrorCode::kConfig, file.string() + ": " + name + "." + k + " must be a number");
      const double d = x.get<double>();
      if (d < 0) return fail(ErrorCode::kConfig, file.string() + ": " + name + "." + k + " must not be negative");
      if (k == "gb_second_usd")
        p.gb_second_usd = d;
      else if (k == "per_request_usd")
        p.per_request_usd = d;
      else if (k == "per_million_requests_usd")
        p.per_request_usd = d / 1e6;
      else if (k == "billing_granularity_ms")
        p.billing_granularity_ms = d;
      else if (k == "min_memory_mb")
        p.min_memory_mb = d;
      else if (k == "memory_granularity_mb")
        p.memory_granularity_mb = d;
      else {
        return fail(ErrorCode::kConfig, file.string() + ": unknown key " + name + "." + k +
                                            " (known: gb_second_usd, per_request_usd, per_million_requests_usd, "
                                            "billing_granularity_ms, min_memory_mb, memory_granularity_mb, source)");
      }
    }
    tables[name] = p;
  }
  return tables;
}

const PriceTable& price_table_for(const std::map<std::string, PriceTable>& tables, const std::string& profile) {
  if (auto it = tables.find(profile); it != tables.end()) return it->second;
  if (profile.rfind("edge", 0) == 0) {
    if (auto it = tables.find("edge"); it != tables.end()) return it->second;
  }
  if (auto it = tables.find("cloud"); it != tables.end()) return it->second;
  static const PriceTable kFallback = default_price_tables().at("cloud");
  return kFallback;
}

InvocationCost invocation_cost(const PriceTable& p, double duration_ms, double memory_mb) {
  const auto round_up = [](double x, double step) { return step > 0 ? std::ceil(x / step - 1e-9) * step : x; };
  InvocationCost c;
  c.billed_ms = round_up(std::max(0.0, duration_ms), p.billing_granularity_ms);
  c.billed_mb = round_up(std::max(memory_mb, p.min_memory_mb), p.memory_granularity_mb);
  c.compute_usd = p.gb_second_usd * (c.billed_ms / 1000.0) * (c.billed_mb / 1024.0);
  c.request_usd = p.per_request_usd;
  c.total_usd = c.compute_usd + c.request_usd;
  return c;
}

}  // namespace lumos::model

// Cost of invocations from time, memory and requests, with a configurable price table.
//
// cost = per_request + gb_second * billed_seconds * billed_gb, where billed_seconds is the
// duration rounded up to the billing granularity and billed_gb the memory rounded up to the
// memory granularity (and at least the minimum). Prices are in USD.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"

namespace lumos::model {

/// Prices of one deployment target.
struct PriceTable {
  std::string name;
  double gb_second_usd = 0.0;         ///< per GB-second of billed memory x billed time
  double per_request_usd = 0.0;       ///< per invocation
  double billing_granularity_ms = 1;  ///< duration rounded up to a multiple of this
  double min_memory_mb = 128;         ///< memory billed at least this
  double memory_granularity_mb = 1;   ///< memory rounded up to a multiple of this
  std::string source;                 ///< where the numbers come from
};

/// Defaults (docs/ARCHITECTURE.md, "Model and report"):
///  - `cloud`: AWS Lambda x86 list price, us-east-1 (0.0000166667 USD/GB-s, 0.20 USD per
///    million requests, 1 ms billing, 128 MB minimum, 1 MB steps);
///  - `edge`: an assumption for a provider-run edge node: 1.5x the cloud GB-second price
///    (scarcer capacity), 0.60 USD per million requests (as CDN edge functions), 1 ms, 128 MB.
/// Profiles without their own table use `edge` when their name starts with "edge", else `cloud`.
std::map<std::string, PriceTable> default_price_tables();

/// Price tables from a JSON file: {"cloud": {"gb_second_usd": ..., ...}, "edge": {...}};
/// given keys override the defaults of the same name, new names are added. kIo / kConfig
/// errors name the file and the key.
Result<std::map<std::string, PriceTable>> load_price_tables(const std::filesystem::path& file);

nlohmann::json to_json(const PriceTable& p);

/// The table for a profile name: exact name, else `edge` for "edge*", else `cloud`.
const PriceTable& price_table_for(const std::map<std::string, PriceTable>& tables, const std::string& profile);

/// Price of one invocation.
struct InvocationCost {
  double billed_ms = 0;
  double billed_mb = 0;
  double compute_usd = 0;  ///< GB-second part
  double request_usd = 0;  ///< per-request part
  double total_usd = 0;
};

/// Cost of one invocation lasting `duration_ms` with `memory_mb` of memory.
InvocationCost invocation_cost(const PriceTable& p, double duration_ms, double memory_mb);

}  // namespace lumos::model

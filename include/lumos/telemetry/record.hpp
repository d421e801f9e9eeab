// Plain records that flow from the engine to results files, statistics, model and report.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace lumos::telemetry {

/// Phase name -> duration. Ordered by name so JSON output is stable.
using PhaseTimes = std::map<std::string, std::chrono::nanoseconds>;

/// One invocation of one function on one runtime: a line of invocations.jsonl.
struct Invocation {
  std::string function;
  std::string runtime;     ///< "native", "runc", "wasmedge-interp", "wasmedge-aot", ...
  std::string mode;        ///< "cold" (new instance) or "warm" (live instance)
  std::string input;       ///< input name from the function's manifest
  std::string io = "direct";  ///< "direct" (input in the request) or "baas" (via Redis)
  int rep = 0;             ///< repetition index within its cell, from 0
  bool ok = false;
  std::string error;       ///< empty when ok; "code: message" otherwise
  std::string exec_mode;   ///< what really ran: "native", "interpreter", "aot", "unknown"
  std::chrono::nanoseconds e2e{0};   ///< client-side: request sent (cold: spawn) -> response read
  PhaseTimes phases;                  ///< cold-start phases and in-function phases
  std::optional<std::chrono::nanoseconds> cpu;  ///< CPU time of the instance during this invocation
  std::optional<std::uint64_t> peak_rss_bytes;  ///< instance high-water mark so far
  std::uint64_t bytes_in = 0;         ///< request bytes
  std::uint64_t bytes_out = 0;        ///< response body bytes
  std::uint64_t baas_bytes_in = 0;    ///< BaaS: bytes the function fetched from Redis
  std::uint64_t baas_bytes_out = 0;   ///< BaaS: bytes the function stored to Redis
  std::string started_at;             ///< UTC ISO-8601 wall time of the request
  /// Load cells only: "closed" or "open", the level (concurrency or requests/s), and when the
  /// request was issued (closed) or meant to be sent (open) since the level began.
  std::string load;
  double level = 0;
  std::int64_t offset_ns = 0;
};

/// JSON object for one invocation (the results schema in docs/ARCHITECTURE.md).
nlohmann::json to_json(const Invocation& inv);
/// Parses one results line; missing optional fields are left empty.
Invocation invocation_from_json(const nlohmann::json& j);

}  // namespace lumos::telemetry

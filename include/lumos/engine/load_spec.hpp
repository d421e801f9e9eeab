// An experiment's `load:` and `pool:` sections as one typed record, parsed once when the
// experiment is loaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"
#include "lumos/engine/pool.hpp"
#include "lumos/telemetry/record.hpp"
#include "lumos/trace/trace.hpp"

namespace lumos::engine {

/// Load generation for a cell instead of sequential repetitions.
struct LoadSpec {
  telemetry::LoadKind kind = telemetry::LoadKind::kClosed;  ///< N concurrent clients, an arrival rate, or a replay
  std::vector<int> concurrency;                             ///< closed: one level per value
  int requests = 100;                                       ///< closed: requests per level
  std::vector<double> rates;                                ///< open: requests per second, one level per value
  std::string arrival = "poisson";                          ///< open: "poisson" (seeded) or "fixed"
  std::chrono::milliseconds duration{10'000};               ///< open: how long each level sends
  std::uint64_t seed = 1;
  int max_in_flight = 64;                ///< open: client threads (late sends count in latency)
  PoolConfig pool;                       ///< the instance pool of each level (fresh per level)
  std::vector<trace::TraceEvent> trace;  ///< trace: events (already time-scaled), by time
  double time_scale = 1.0;               ///< trace: recorded as the level
};

/// Reads the experiment's `load:` and `pool:` sections (YAML converted to JSON, scalars as
/// strings). Errors (kConfig) name `origin` and the key.
Result<LoadSpec> parse_load(const nlohmann::json& load, const std::optional<nlohmann::json>& pool,
                            const std::string& origin, const std::filesystem::path& base_dir = {});

}  // namespace lumos::engine

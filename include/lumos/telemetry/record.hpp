// Plain records that flow from the engine to results files, statistics, model and report.
//
// The results schema (docs/SCHEMA.md): one Invocation per line of invocations.jsonl. Every
// record carries `schema_version`; readers accept this version and the one before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "lumos/common/result.hpp"

namespace lumos::telemetry {

/// Version of the record and manifest layout written by this build (docs/SCHEMA.md).
/// 1: records before `schema_version` existed (mode doubled as "met a new instance" in load
/// cells, errors as "code: message"); 2: typed mode/io/load, fresh_instance, error_code.
inline constexpr int kSchemaVersion = 2;

/// Phase name -> duration. Ordered by name so JSON output is stable.
using PhaseTimes = std::map<std::string, std::chrono::nanoseconds>;

/// What the request asked for. kInstance is reserved for a new instance inside a live
/// sandbox; kPool: a load cell's pool decided (see Invocation::fresh_instance).
enum class Mode { kCold, kWarm, kInstance, kPool };
/// How the input reached the function.
enum class Io { kDirect, kBaas };
/// Sequential repetitions (kNone) or the load generator of a load cell.
enum class LoadKind { kNone, kClosed, kOpen, kTrace };

/// Where a sequential cell's instance ran relative to lumos' client thread: pinned to the
/// client's CPU, pinned to another CPU, or where the scheduler put it. Load cells are kFree.
enum class Placement { kFree, kSameCpu, kCrossCpu };

std::string_view to_string(Placement p);
std::optional<Placement> parse_placement(std::string_view s);
std::string_view to_string(Mode m);
std::string_view to_string(Io io);
std::string_view to_string(LoadKind k);  ///< "" for kNone
std::optional<Mode> parse_mode(std::string_view s);
std::optional<Io> parse_io(std::string_view s);
std::optional<LoadKind> parse_load_kind(std::string_view s);  ///< "" -> kNone

/// One invocation of one function on one runtime: a line of invocations.jsonl.
struct Invocation {
  int schema_version = kSchemaVersion;
  std::string run_id;  ///< the run that wrote it (manifest `run_id`)
  std::string function;
  std::string runtime;  ///< "native", "runc", "wasmedge-interp", "wasmedge-aot", ...
  Mode mode = Mode::kCold;
  std::string input;  ///< input name from the function's manifest
  Io io = Io::kDirect;
  std::string profile;  ///< environment profile of the run; "" = none (the host as it is)
  int rep = 0;          ///< repetition index within its cell (load: request index), from 0
  int repeat = 0;       ///< which run of the experiment (`lumos run --repeat K`), from 0
  bool ok = false;
  bool fresh_instance = false;      ///< this request started a new instance (its start phases are in `phases`)
  std::string error_code;           ///< empty when ok; else a name from the error table ("timeout", ...)
  std::string error;                ///< empty when ok; else the message
  std::string exec_mode;            ///< what really ran: "native", "interpreter", "aot", "aot-unverified", "unknown"
  std::chrono::nanoseconds e2e{0};  ///< client-side: request sent (cold: spawn) -> response read
  PhaseTimes phases;                ///< cold-start phases and in-function phases
  std::optional<std::chrono::nanoseconds> cpu;  ///< CPU time of the instance during this invocation
  std::optional<std::uint64_t> peak_rss_bytes;  ///< instance high-water mark so far
  std::uint64_t bytes_in = 0;                   ///< request bytes
  std::uint64_t bytes_out = 0;                  ///< response body bytes
  std::uint64_t baas_bytes_in = 0;              ///< BaaS: bytes the function fetched from Redis
  std::uint64_t baas_bytes_out = 0;             ///< BaaS: bytes the function stored to Redis
  std::string started_at;                       ///< UTC ISO-8601 wall time of the request
  Placement placement = Placement::kFree;       ///< the cell's placement (same-cpu, cross-cpu, free)
  int client_cpu = -1;    ///< CPU lumos' client thread was on when the response arrived; -1: unknown
  int instance_cpu = -1;  ///< CPU the instance last ran on (/proc/PID/stat); -1: unknown
  /// Load cells only: the generator, the level (closed: concurrency, open: requests/s, trace:
  /// time scale), and when the request was issued (closed) or meant to be sent since the level
  /// began.
  LoadKind load = LoadKind::kNone;
  double level = 0;
  std::int64_t offset_ns = 0;

  /// Marks the record failed with `e` (code and message in their own fields).
  void set_error(const Error& e);
  /// "code: message", or "" when ok.
  std::string error_text() const;
};

/// JSON object for one invocation (the results schema, docs/SCHEMA.md).
nlohmann::json to_json(const Invocation& inv);
/// Parses one results line of schema version 1 or 2. A field of the wrong type, an unknown
/// enum value or a newer schema version is an error (kConfig) naming the field.
Result<Invocation> invocation_from_json(const nlohmann::json& j);

}  // namespace lumos::telemetry

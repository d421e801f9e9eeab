// JSON mapping of the Invocation record (field names are the results schema, docs/SCHEMA.md).
#include "lumos/telemetry/record.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace lumos::telemetry {
namespace {

constexpr std::array<std::pair<Mode, std::string_view>, 4> kModes = {
    {{Mode::kCold, "cold"}, {Mode::kWarm, "warm"}, {Mode::kInstance, "instance"}, {Mode::kPool, "pool"}}};
constexpr std::array<std::pair<Placement, std::string_view>, 3> kPlacements = {
    {{Placement::kFree, "free"}, {Placement::kSameCpu, "same-cpu"}, {Placement::kCrossCpu, "cross-cpu"}}};
constexpr std::array<std::pair<Io, std::string_view>, 2> kIos = {{{Io::kDirect, "direct"}, {Io::kBaas, "baas"}}};
constexpr std::array<std::pair<LoadKind, std::string_view>, 4> kLoads = {
    {{LoadKind::kNone, ""}, {LoadKind::kClosed, "closed"}, {LoadKind::kOpen, "open"}, {LoadKind::kTrace, "trace"}}};

template <typename E, std::size_t N>
std::string_view name_of(E e, const std::array<std::pair<E, std::string_view>, N>& table) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_of(std::string_view s, const std::array<std::pair<E, std::string_view>, N>& table) {
  for (const auto& [v, name] : table) {
    if (name == s) return v;
  }
  return std::nullopt;
}

// Typed access to a record's fields: a missing field keeps the default, a present one of the
// wrong type is an error naming it (never an abort).
class Fields {
 public:
  explicit Fields(const nlohmann::json& j) : j_(j) {}

  template <typename T>
  void get(const char* key, T& out) {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    if (!matches<T>(*it)) {
      bad(key, "has the wrong type");
      return;
    }
    out = it->get<T>();
  }
  void bad(const char* key, std::string_view what) {
    if (!error_) error_ = std::string("field '") + key + "' " + std::string(what);
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  template <typename T>
  static bool matches(const nlohmann::json& v) {
    if constexpr (std::is_same_v<T, bool>)
      return v.is_boolean();
    else if constexpr (std::is_same_v<T, std::string>)
      return v.is_string();
    else if constexpr (std::is_same_v<T, double>)
      return v.is_number();
    else if constexpr (std::is_unsigned_v<T>)
      return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
    else
      return v.is_number_integer();
  }
  const nlohmann::json& j_;
  std::optional<std::string> error_;
};

}  // namespace

std::string_view to_string(Mode m) { return name_of(m, kModes); }
std::string_view to_string(Io io) { return name_of(io, kIos); }
std::string_view to_string(LoadKind k) { return name_of(k, kLoads); }
std::optional<Mode> parse_mode(std::string_view s) { return value_of(s, kModes); }
std::string_view to_string(Placement p) { return name_of(p, kPlacements); }
std::optional<Placement> parse_placement(std::string_view s) { return value_of(s, kPlacements); }
std::optional<Io> parse_io(std::string_view s) { return value_of(s, kIos); }
std::optional<LoadKind> parse_load_kind(std::string_view s) { return value_of(s, kLoads); }

void Invocation::set_error(const Error& e) {
  ok = false;
  error_code = std::string(error_code_name(e.code));
  error = e.message;
}

std::string Invocation::error_text() const {
  if (error_code.empty()) return error;
  return error_code + ": " + error;
}

nlohmann::json to_json(const Invocation& inv) {
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, d] : inv.phases) phases[name] = d.count();
  nlohmann::json j = {
      {"schema_version", inv.schema_version},
      {"run_id", inv.run_id},
      {"function", inv.function},
      {"runtime", inv.runtime},
      {"mode", to_string(inv.mode)},
      {"input", inv.input},
      {"io", to_string(inv.io)},
      {"rep", inv.rep},
      {"repeat", inv.repeat},
      {"ok", inv.ok},
      {"fresh_instance", inv.fresh_instance},
      {"error_code", inv.error_code},
      {"error", inv.error},
      {"exec_mode", inv.exec_mode},
      {"e2e_ns", inv.e2e.count()},
      {"phases_ns", phases},
      {"bytes_in", inv.bytes_in},
      {"bytes_out", inv.bytes_out},
      {"baas_bytes_in", inv.baas_bytes_in},
      {"baas_bytes_out", inv.baas_bytes_out},
      {"started_at", inv.started_at},
  };
  if (!inv.profile.empty()) j["profile"] = inv.profile;
  if (inv.load != LoadKind::kNone) {
    j["load"] = to_string(inv.load);
    j["level"] = inv.level;
    j["offset_ns"] = inv.offset_ns;
  }
  j["placement"] = to_string(inv.placement);
  j["client_cpu"] = inv.client_cpu >= 0 ? nlohmann::json(inv.client_cpu) : nlohmann::json(nullptr);
  j["instance_cpu"] = inv.instance_cpu >= 0 ? nlohmann::json(inv.instance_cpu) : nlohmann::json(nullptr);
  j["cpu_ns"] = inv.cpu ? nlohmann::json(inv.cpu->count()) : nlohmann::json(nullptr);
  j["peak_rss_bytes"] = inv.peak_rss_bytes ? nlohmann::json(*inv.peak_rss_bytes) : nlohmann::json(nullptr);
  return j;
}

Result<Invocation> invocation_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(ErrorCode::kConfig, "not a JSON object");
  Invocation inv;
  Fields f(j);
  inv.schema_version = 1;  // records without the field predate it
  f.get("schema_version", inv.schema_version);
  if (inv.schema_version < 1 || inv.schema_version > kSchemaVersion) {
    return fail(ErrorCode::kConfig, "schema_version " + std::to_string(inv.schema_version) +
                                        " is not one this lumos reads (1 to " + std::to_string(kSchemaVersion) +
                                        "): use a newer lumos");
  }
  std::string mode, io = "direct", load;
  f.get("run_id", inv.run_id);
  f.get("function", inv.function);
  f.get("runtime", inv.runtime);
  f.get("mode", mode);
  f.get("input", inv.input);
  f.get("io", io);
  f.get("profile", inv.profile);
  f.get("rep", inv.rep);
  f.get("repeat", inv.repeat);  // absent in records before repeats: 0
  f.get("ok", inv.ok);
  f.get("fresh_instance", inv.fresh_instance);
  f.get("error_code", inv.error_code);
  f.get("error", inv.error);
  f.get("exec_mode", inv.exec_mode);
  std::int64_t e2e = 0;
  f.get("e2e_ns", e2e);
  inv.e2e = std::chrono::nanoseconds(e2e);
  if (auto it = j.find("phases_ns"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      f.bad("phases_ns", "is not an object");
    } else {
      for (const auto& [name, v] : it->items()) {
        if (!v.is_number_integer()) {
          f.bad("phases_ns", "holds a value that is not an integer");
          break;
        }
        inv.phases[name] = std::chrono::nanoseconds(v.get<std::int64_t>());
      }
    }
  }
  if (auto it = j.find("cpu_ns"); it != j.end() && !it->is_null()) {
    std::int64_t v = 0;
    f.get("cpu_ns", v);
    inv.cpu = std::chrono::nanoseconds(v);
  }
  if (auto it = j.find("peak_rss_bytes"); it != j.end() && !it->is_null()) {
    std::uint64_t v = 0;
    f.get("peak_rss_bytes", v);
    inv.peak_rss_bytes = v;
  }
  f.get("bytes_in", inv.bytes_in);
  f.get("bytes_out", inv.bytes_out);
  f.get("baas_bytes_in", inv.baas_bytes_in);
  f.get("baas_bytes_out", inv.baas_bytes_out);
  f.get("started_at", inv.started_at);
  f.get("load", load);
  f.get("level", inv.level);
  f.get("offset_ns", inv.offset_ns);
  std::string placement = "free";  // records before placement existed: where the scheduler put them
  f.get("placement", placement);
  for (auto [key, field] : {std::pair{"client_cpu", &inv.client_cpu}, std::pair{"instance_cpu", &inv.instance_cpu}}) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) f.get(key, *field);
  }
  if (f.error()) return fail(ErrorCode::kConfig, *f.error());
  const auto parsed_placement = parse_placement(placement);
  if (!parsed_placement) {
    return fail(ErrorCode::kConfig, "field 'placement' is '" + placement + "' (same-cpu, cross-cpu or free)");
  }
  inv.placement = *parsed_placement;

  const auto parsed_io = parse_io(io);
  const auto parsed_load = parse_load_kind(load);
  if (!parsed_io) return fail(ErrorCode::kConfig, "field 'io' is '" + io + "' (direct or baas)");
  if (!parsed_load) return fail(ErrorCode::kConfig, "field 'load' is '" + load + "' (closed, open or trace)");
  inv.io = *parsed_io;
  inv.load = *parsed_load;
  if (inv.schema_version == 1) {
    // Version 1: a load record's mode said whether its request met a new instance, a
    // sequential record's mode was the request; errors were "code: message".
    if (mode != "cold" && mode != "warm")
      return fail(ErrorCode::kConfig, "field 'mode' is '" + mode + "' (cold or warm)");
    inv.fresh_instance = mode == "cold";
    inv.mode = inv.load == LoadKind::kNone ? *parse_mode(mode) : Mode::kPool;
    if (const auto colon = inv.error.find(": "); colon != std::string::npos) {
      if (error_code_from_name(std::string_view(inv.error).substr(0, colon))) {
        inv.error_code = inv.error.substr(0, colon);
        inv.error.erase(0, colon + 2);
      }
    }
    if (!inv.ok && inv.error_code.empty()) inv.error_code = "internal";
    inv.schema_version = kSchemaVersion;  // upgraded in memory
  } else {
    const auto parsed_mode = parse_mode(mode);
    if (!parsed_mode) return fail(ErrorCode::kConfig, "field 'mode' is '" + mode + "' (cold, warm, instance or pool)");
    inv.mode = *parsed_mode;
  }
  return inv;
}

}  // namespace lumos::telemetry

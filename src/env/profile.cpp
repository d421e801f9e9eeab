// Environment profiles: YAML parsing with typed units, and the shipped profiles.
#include "lumos/env/profile.hpp"
#include "lumos/common/files.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace lumos::env {
namespace {

using namespace std::chrono_literals;

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "12.5 ms" into 12.5 and "ms". Fails if there is no leading non-negative number.
bool split_number(const std::string& text, double& value, std::string& unit) {
  auto t = trim(text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || !std::isfinite(value) || value < 0) return false;
  unit = trim(std::string(end, static_cast<std::size_t>(t.data() + t.size() - end)));
  return true;
}

// Looks `unit` up in a table (case-sensitive first, then case-insensitive).
bool scale_of(const std::map<std::string, double>& table, const std::string& unit, double& scale) {
  if (auto it = table.find(unit); it != table.end()) {
    scale = it->second;
    return true;
  }
  for (const auto& [name, s] : table) {
    if (lower(name) == lower(unit)) {
      scale = s;
      return true;
    }
  }
  return false;
}

Profile make_cloud() {
  Profile p;
  p.name = "cloud";
  p.description = "a cloud server: no CPU, memory or network limits (the baseline)";
  return p;
}

// An edge device: one CPU (cpuset 0) at `quota`, a memory limit, and a link to the BaaS.
Profile make_edge(std::string name, std::string description, double quota, std::uint64_t memory_bytes,
                  std::chrono::milliseconds rtt, std::chrono::milliseconds jitter, std::uint64_t bandwidth_bps) {
  Profile p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.cpu_quota = quota;
  p.cpuset = "0";
  p.memory_limit_bytes = memory_bytes;
  p.link.rtt = rtt;
  p.link.jitter = jitter;
  p.link.bandwidth_bps = bandwidth_bps;
  return p;
}

Profile make_edge_pi() {
  return make_edge("edge-pi",
                   "a Raspberry-Pi-class edge node: one CPU at half speed, 1 GiB, 20 ms / 50 Mbit/s to the BaaS", 0.5,
                   std::uint64_t{1} << 30, 20ms, 4ms, 50'000'000);
}

Profile make_edge_tiny() {
  return make_edge("edge-tiny",
                   "a small gateway on a cellular uplink: a quarter CPU, 256 MiB, 50 ms / 10 Mbit/s to the BaaS", 0.25,
                   std::uint64_t{256} << 20, 50ms, 10ms, 10'000'000);
}

}  // namespace

Result<std::vector<int>> parse_cpuset(const std::string& text) {
  const auto malformed = [&] {
    return fail(ErrorCode::kConfig, "'" + text + "' is not a CPU list (e.g. \"0\" or \"0-1,3\")");
  };
  std::set<int> cpus;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    int lo = 0, hi = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), lo);
    if (ec != std::errc() || lo < 0) return malformed();
    hi = lo;
    if (end != part.data() + part.size()) {
      if (*end != '-') return malformed();
      auto [end2, ec2] = std::from_chars(end + 1, part.data() + part.size(), hi);
      if (ec2 != std::errc() || end2 != part.data() + part.size() || hi < lo) return malformed();
    }
    for (int c = lo; c <= hi; ++c) cpus.insert(c);
  }
  if (cpus.empty()) return malformed();
  return std::vector<int>(cpus.begin(), cpus.end());
}

Result<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  static const std::map<std::string, double> kUnits = {{"ns", 1.0}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  double v = 0, scale = 0;
  std::string unit;
  if (!split_number(text, v, unit) || unit.empty() || !scale_of(kUnits, unit, scale)) {
    return fail(ErrorCode::kConfig, "'" + text + "' is not a duration (a number with ns, us, ms or s, e.g. 20ms)");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(v * scale)));
}

Result<std::uint64_t> parse_bytes(const std::string& text) {
  static const std::map<std::string, double> kUnits = {
      {"", 1.0},   {"B", 1.0},  {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"KB", 1e3},
      {"MB", 1e6}, {"GB", 1e9}, {"K", 1024.0},   {"M", 1048576.0},   {"G", 1073741824.0}};
  double v = 0, scale = 0;
  std::string unit;
  if (!split_number(text, v, unit) || !scale_of(kUnits, unit, scale)) {
    return fail(ErrorCode::kConfig,
                "'" + text + "' is not a size (bytes, or a number with B, KiB, MiB, GiB, KB, MB, GB)");
  }
  return static_cast<std::uint64_t>(std::llround(v * scale));
}

Result<std::uint64_t> parse_bandwidth(const std::string& text) {
  static const std::map<std::string, double> kUnits = {{"", 1.0},     {"bit", 1.0},  {"kbit", 1e3},
                                                       {"Mbit", 1e6}, {"Gbit", 1e9}, {"bps", 1.0},
                                                       {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}};
  double v = 0, scale = 0;
  std::string unit;
  bool ok = split_number(text, v, unit);
  if (ok && unit.size() > 2 && unit.compare(unit.size() - 2, 2, "/s") == 0)
    unit = trim(unit.substr(0, unit.size() - 2));
  if (!ok || !scale_of(kUnits, unit, scale)) {
    return fail(ErrorCode::kConfig,
                "'" + text + "' is not a bandwidth (bits per second, or a number with kbit, Mbit, Gbit, e.g. 50Mbit)");
  }
  return static_cast<std::uint64_t>(std::llround(v * scale));
}

nlohmann::json to_json(const Profile& p) {
  return {{"name", p.name},
          {"description", p.description},
          {"cpu", {{"quota", p.cpu_quota}, {"period_us", p.cpu_period.count()}, {"cpuset", p.cpuset}}},
          {"memory", {{"limit_bytes", p.memory_limit_bytes}}},
          {"link",
           {{"rtt_ns", p.link.rtt.count()},
            {"jitter_ns", p.link.jitter.count()},
            {"bandwidth_bps", p.link.bandwidth_bps},
            {"seed", p.link.seed}}}};
}

Result<Profile> parse_profile(const YAML::Node& node, const std::string& origin) {
  auto error = [&](const std::string& key, const std::string& what) {
    return fail(ErrorCode::kConfig, origin + ": " + (key.empty() ? "" : "'" + key + "': ") + what);
  };
  if (!node.IsMap()) return error("", "a profile must be a mapping (name, cpu, memory, link)");
  // Checks that a section holds only known keys; returns the first unknown one.
  auto unknown_key = [](const YAML::Node& map, const std::set<std::string>& known) -> std::string {
    for (const auto& kv : map) {
      auto key = kv.first.as<std::string>();
      if (!known.count(key)) return key;
    }
    return "";
  };
  auto known_list = [](const std::set<std::string>& known) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return list;
  };
  Profile p;
  try {
    static const std::set<std::string> kTop = {"name", "description", "cpu", "memory", "link"};
    if (auto k = unknown_key(node, kTop); !k.empty()) return error(k, "unknown key (known: " + known_list(kTop) + ")");
    if (node["name"]) p.name = node["name"].as<std::string>();
    if (node["description"]) p.description = node["description"].as<std::string>();

    if (auto cpu = node["cpu"]) {
      static const std::set<std::string> kKeys = {"quota", "period", "cpuset"};
      if (!cpu.IsMap()) return error("cpu", "expected a mapping with quota, period, cpuset");
      if (auto k = unknown_key(cpu, kKeys); !k.empty())
        return error("cpu." + k, "unknown key (known: " + known_list(kKeys) + ")");
      if (auto q = cpu["quota"]) {
        double v = 0;
        std::string unit;
        if (!split_number(q.as<std::string>(), v, unit) || !unit.empty()) {
          return error("cpu.quota",
                       "'" + q.as<std::string>() + "' is not a fraction of one CPU (e.g. 0.5; 0 = unlimited)");
        }
        p.cpu_quota = v;
      }
      if (auto period = cpu["period"]) {
        auto d = parse_duration(period.as<std::string>());
        if (!d) return error("cpu.period", d.error().message);
        p.cpu_period = std::chrono::duration_cast<std::chrono::microseconds>(*d);
        if (p.cpu_period < 1ms || p.cpu_period > 1s)
          return error("cpu.period", "must be between 1ms and 1s (the kernel's range)");
      }
      if (!cpu["period"] && p.cpu_quota > 0) {  // the default period, stretched to the kernel's 1 ms minimum quota
        p.cpu_period = std::max(p.cpu_period,
                                std::chrono::microseconds(static_cast<std::int64_t>(std::ceil(1000.0 / p.cpu_quota))));
      }
      if (p.cpu_quota > 0 && p.cpu_quota * static_cast<double>(p.cpu_period.count()) < 1000.0) {
        return error("cpu.quota",
                     "quota x period must be at least 1ms (the kernel's minimum); use a longer cpu.period");
      }
      if (auto set = cpu["cpuset"]) {
        p.cpuset = trim(set.as<std::string>());
        if (auto cpus = parse_cpuset(p.cpuset); !p.cpuset.empty() && !cpus)
          return error("cpu.cpuset", cpus.error().message);
      }
    }

    if (auto mem = node["memory"]) {
      static const std::set<std::string> kKeys = {"limit"};
      if (!mem.IsMap()) return error("memory", "expected a mapping with limit");
      if (auto k = unknown_key(mem, kKeys); !k.empty()) return error("memory." + k, "unknown key (known: limit)");
      if (auto limit = mem["limit"]) {
        auto b = parse_bytes(limit.as<std::string>());
        if (!b) return error("memory.limit", b.error().message);
        if (*b > 0 && *b < (std::uint64_t{4} << 20))
          return error("memory.limit", "must be at least 4MiB (or 0 for none)");
        p.memory_limit_bytes = *b;
      }
    }

    if (auto link = node["link"]) {
      static const std::set<std::string> kKeys = {"rtt", "jitter", "bandwidth", "seed"};
      if (!link.IsMap()) return error("link", "expected a mapping with rtt, jitter, bandwidth, seed");
      if (auto k = unknown_key(link, kKeys); !k.empty())
        return error("link." + k, "unknown key (known: " + known_list(kKeys) + ")");
      if (auto rtt = link["rtt"]) {
        auto d = parse_duration(rtt.as<std::string>());
        if (!d) return error("link.rtt", d.error().message);
        p.link.rtt = *d;
      }
      if (auto jitter = link["jitter"]) {
        auto d = parse_duration(jitter.as<std::string>());
        if (!d) return error("link.jitter", d.error().message);
        p.link.jitter = *d;
      }
      if (p.link.jitter > p.link.rtt) {
        return error("link.jitter", "must not exceed link.rtt (one-way delays are rtt/2 +- jitter/2)");
      }
      if (auto bw = link["bandwidth"]) {
        auto b = parse_bandwidth(bw.as<std::string>());
        if (!b) return error("link.bandwidth", b.error().message);
        if (*b > 0 && *b < 8'000) return error("link.bandwidth", "must be at least 8kbit (or 0 for unlimited)");
        p.link.bandwidth_bps = *b;
      }
      if (auto seed = link["seed"]) {
        try {
          p.link.seed = seed.as<std::uint64_t>();
        } catch (const YAML::Exception&) {
          return error("link.seed", "'" + seed.as<std::string>() + "' is not a non-negative integer");
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return error("", std::string("malformed profile: ") + e.what());
  }
  return p;
}

Result<Profile> load_profile(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return fail(ErrorCode::kConfig, "cannot read profile " + path.string());
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kConfig, path.string() + ": not valid YAML: " + e.what());
  }
  auto p = parse_profile(root, path.string());
  if (p && p->name.empty()) p->name = path.stem().string();
  return p;
}

const std::vector<std::string>& builtin_profile_names() {
  static const std::vector<std::string> kNames = {"cloud", "edge-pi", "edge-tiny"};
  return kNames;
}

Result<Profile> builtin_profile(const std::string& name) {
  if (name == "cloud") return make_cloud();
  if (name == "edge-pi") return make_edge_pi();
  if (name == "edge-tiny") return make_edge_tiny();
  std::string list;
  for (const auto& n : builtin_profile_names()) list += (list.empty() ? "" : ", ") + n;
  return fail(ErrorCode::kConfig, "unknown profile '" + name + "' (built-in profiles: " + list +
                                      "; or give a profile file or an inline mapping)");
}

Result<Profile> resolve_profile(const YAML::Node& node, const std::filesystem::path& base_dir,
                                const std::string& origin) {
  if (node.IsMap()) {
    auto p = parse_profile(node, origin);
    if (p && p->name.empty()) p->name = "inline";
    return p;
  }
  if (!node.IsScalar()) return fail(ErrorCode::kConfig, origin + ": 'profile' must be a name, a file or a mapping");
  auto text = node.as<std::string>();
  if (text.find('/') == std::string::npos && text.find(".yaml") == std::string::npos &&
      text.find(".yml") == std::string::npos) {
    auto p = builtin_profile(text);
    if (!p) return fail(ErrorCode::kConfig, origin + ": " + p.error().message);
    return p;
  }
  std::filesystem::path path = text;
  if (path.is_relative()) path = base_dir / path;
  return load_profile(path);
}

}  // namespace lumos::env

// Environment profiles: the device a function runs on (CPU quota and cpuset, memory limit)
// and the network link between it and its BaaS (RTT, jitter, bandwidth).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"

namespace YAML {
class Node;
}

namespace lumos::env {

/// The emulated network link between a function and its BaaS. All zero: no emulation.
struct Link {
  /// Round-trip time added by the link: each direction delays every chunk by rtt/2.
  std::chrono::nanoseconds rtt{0};
  /// Spread of the one-way delay: each chunk gets rtt/2 + U(-jitter/2, +jitter/2), order kept.
  std::chrono::nanoseconds jitter{0};
  /// Bit rate of each direction in bits per second; 0 = unlimited.
  std::uint64_t bandwidth_bps = 0;
  /// Seed of the jitter PRNG (same seed, same delay sequence for the same traffic).
  std::uint64_t seed = 1;

  /// True when the link adds nothing (no delay, no jitter, unlimited bandwidth).
  bool ideal() const { return rtt.count() == 0 && jitter.count() == 0 && bandwidth_bps == 0; }
  bool operator==(const Link&) const = default;
};

/// One environment: the device's resources and its link to the BaaS.
struct Profile {
  std::string name;
  std::string description;
  /// CPU bandwidth as a fraction of one CPU (0.5 = half a core); 0 = unlimited.
  double cpu_quota = 0.0;
  /// CFS period the quota is enforced over. Work shorter than quota x period in an idle
  /// period is not slowed, so a short period emulates a slower CPU more faithfully: 4 ms (the
  /// scheduler tick here), longer when quota x period would be under the kernel's 1 ms.
  std::chrono::microseconds cpu_period{4'000};
  /// CPUs the device may use, cpuset syntax ("0", "0-1"); empty = all CPUs of lumos.
  std::string cpuset;
  /// Memory limit in bytes (cgroup memory.limit_in_bytes); 0 = none.
  std::uint64_t memory_limit_bytes = 0;
  Link link;

  /// CPU time per period in us (cpu.cfs_quota_us), at least the kernel's 1 ms.
  std::int64_t cfs_quota_us() const {
    return std::max<std::int64_t>(1000, std::llround(cpu_quota * static_cast<double>(cpu_period.count())));
  }
  /// True when a cgroup is needed (a CPU quota, a cpuset or a memory limit).
  bool limits_resources() const { return cpu_quota > 0 || !cpuset.empty() || memory_limit_bytes > 0; }
  bool operator==(const Profile&) const = default;
};

/// The profile as JSON for manifests (durations in ns, sizes in bytes, bandwidth in bit/s).
nlohmann::json to_json(const Profile& profile);

/// Parses a profile mapping:
///   name: edge-pi
///   description: ...
///   cpu: {quota: 0.5, period: 10ms, cpuset: "0"}
///   memory: {limit: 1GiB}
///   link: {rtt: 20ms, jitter: 4ms, bandwidth: 50Mbit, seed: 1}
/// Every section and key is optional (absent = unlimited). Durations need a unit (ns, us, ms,
/// s); sizes take B, KiB, MiB, GiB (or KB, MB, GB, powers of 1000); bandwidths take bit, kbit,
/// Mbit, Gbit (optionally "/s" or "ps"). Errors (kConfig) name `origin` and the key.
Result<Profile> parse_profile(const YAML::Node& node, const std::string& origin);
/// Reads and parses a profile file; the name defaults to the file's stem.
Result<Profile> load_profile(const std::filesystem::path& path);
/// A shipped profile: "cloud", "edge-pi" or "edge-tiny" (the same values as
/// experiments/profiles/NAME.yaml). Unknown names fail with kConfig listing the known ones.
Result<Profile> builtin_profile(const std::string& name);
/// Names builtin_profile() knows.
const std::vector<std::string>& builtin_profile_names();
/// What an experiment file says under `profile:`: a built-in name, a path to a profile file
/// (relative to base_dir), or an inline mapping.
Result<Profile> resolve_profile(const YAML::Node& node, const std::filesystem::path& base_dir,
                                const std::string& origin);

/// Parsers of the typed values ("20ms", "1GiB", "50Mbit"), for tests and other YAML readers.
/// Errors (kConfig) quote the text and say what was expected.
Result<std::chrono::nanoseconds> parse_duration(const std::string& text);
Result<std::uint64_t> parse_bytes(const std::string& text);
Result<std::uint64_t> parse_bandwidth(const std::string& text);
/// The CPUs of a cpuset list ("0", "0-1", "0,2-3"), ascending. kConfig on a malformed list.
Result<std::vector<int>> parse_cpuset(const std::string& text);

}  // namespace lumos::env

// Resource use of a process (procfs) or a container (cgroup v1), for per-invocation telemetry.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace lumos::telemetry {

/// The first unsigned number in a file (cgroup and procfs values); nullopt if unreadable.
std::optional<std::uint64_t> read_first_number(const std::filesystem::path& path);
/// CPU time of all threads of pid, in ns (sum of /proc/PID/task/*/schedstat run times).
std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid);
/// Peak resident set size of pid in bytes (VmHWM of /proc/PID/status).
std::optional<std::uint64_t> process_peak_rss(pid_t pid);
/// The CPU pid last ran on (field 39 of /proc/PID/stat); nullopt if unreadable.
std::optional<int> process_last_cpu(pid_t pid);
/// The CPUs a process or thread may run on ("0-1", Cpus_allowed_list of /proc/PID/status); "" if unknown.
std::string allowed_cpus(pid_t pid);
/// The process an instance's function runs in, below the process lumos spawned: the youngest
/// descendant along the last child of each level (/proc/PID/task/*/children), pid itself if it
/// has none (a native process, a wasm host; `runc run` -> the container's process).
pid_t leaf_descendant(pid_t pid);
/// The CPU the first process of a cgroup v1 path (memory hierarchy) last ran on.
std::optional<int> cgroup_last_cpu(const std::string& cgroup);

/// The machine's CPU time in clock ticks from the `cpu` line of /proc/stat: {steal, total}
/// (steal: time the hypervisor ran something else while this VM wanted a CPU).
std::optional<std::pair<std::uint64_t, std::uint64_t>> cpu_steal_ticks();

/// This process's cgroup v1 path for a controller ("memory", "cpuacct"), from /proc/self/cgroup;
/// "/" if not found. Children such as runc containers are created relative to it.
std::string own_cgroup(const std::string& controller);
/// The same for another process (from /proc/PID/cgroup).
std::string cgroup_of(pid_t pid, const std::string& controller);
/// CPU time charged to a cgroup v1 path relative to the cpuacct hierarchy (cpuacct.usage).
std::optional<std::chrono::nanoseconds> cgroup_cpu_time(const std::string& cgroup);
/// Peak memory of a cgroup v1 path (memory.max_usage_in_bytes).
std::optional<std::uint64_t> cgroup_peak_memory(const std::string& cgroup);

}  // namespace lumos::telemetry

// A cgroup v1 "slot": the emulated device of a profile (CPU quota, cpuset, memory limit) that
// instances of every runtime are placed in, plus the same limits as OCI linux.resources.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lumos/common/result.hpp"
#include "lumos/env/profile.hpp"

namespace lumos::env {

struct CgroupOptions {
  /// Where the v1 hierarchies are mounted (one folder per controller).
  std::filesystem::path root = "/sys/fs/cgroup";
  /// Slot name; empty: "lumos-slot-<pid>-<n>". Created under lumos' own cgroup of each hierarchy.
  std::string name;
  /// Cgroup writes need root; tests with a fake `root` may turn the check off.
  bool require_root = true;
};

/// What the slot's processes used, cumulative since creation (nullopt: controller absent).
struct CgroupUsage {
  std::optional<std::chrono::nanoseconds> cpu;        ///< cpuacct.usage
  std::optional<std::uint64_t> memory_peak_bytes;     ///< memory.max_usage_in_bytes
  std::optional<std::uint64_t> memory_failcnt;        ///< memory.failcnt: allocations that hit the limit
  std::optional<std::uint64_t> oom_kills;             ///< memory.oom_control "oom_kill"
  std::optional<std::uint64_t> throttled_periods;     ///< cpu.stat nr_throttled
  std::optional<std::chrono::nanoseconds> throttled;  ///< cpu.stat throttled_time
};

class CgroupSlot;

/// While alive, the calling thread sits in a slot, so every process it starts (posix_spawn,
/// fork, `runc run`) is born there; the destructor moves the thread back. Move-only.
class ThreadInSlot {
 public:
  ThreadInSlot(ThreadInSlot&& other) noexcept;
  ThreadInSlot& operator=(ThreadInSlot&&) = delete;
  ThreadInSlot(const ThreadInSlot&) = delete;
  ~ThreadInSlot();
  /// Moves the thread back to where it was (idempotent).
  void leave();

 private:
  friend class CgroupSlot;
  ThreadInSlot() = default;
  pid_t tid_ = -1;
  std::vector<std::filesystem::path> back_;  ///< the `tasks` files of the original cgroups
  /// The thread's CPU affinity before it entered (a cpuset move resets it), restored on leave.
  std::vector<int> affinity_;
};

/// Keeps lumos off an emulated device's CPUs: pins the calling thread, and so every thread and
/// process it creates afterwards (client threads, Redis, the link emulator), to the CPUs it may
/// use outside `cpuset` ("0", "0-1,3"). Returns the CPUs kept, empty (and changes nothing) when
/// `cpuset` covers every CPU lumos has. Fails with kConfig on a malformed list.
Result<std::vector<int>> keep_off_cpus(const std::string& cpuset);

/// A cgroup v1 group per needed hierarchy (cpu, cpuacct, cpuset, memory), named the same in
/// each, under lumos' own cgroup of that hierarchy. Owns the groups: the destructor kills the
/// processes left in them (never lumos itself) and removes the groups, including any
/// sub-groups (runc's and podman's containers started inside it). Also removes slots of
/// lumos processes that died.
class CgroupSlot {
 public:
  /// Creates the groups and applies the profile's CPU quota/period, cpuset (mems copied from
  /// the parent) and memory limit. Fails with kNotInstalled when not root or when a hierarchy
  /// the profile needs is not mounted, and kIo (naming the file) when the kernel refuses a
  /// value, e.g. a cpuset outside lumos' CPUs. cpuacct and memory are joined when present
  /// even without limits, for usage().
  static Result<std::unique_ptr<CgroupSlot>> create(const Profile& profile, const CgroupOptions& options = {});
  ~CgroupSlot();
  CgroupSlot(const CgroupSlot&) = delete;
  CgroupSlot& operator=(const CgroupSlot&) = delete;

  /// The slot's name, the same in every hierarchy.
  const std::string& name() const { return name_; }
  /// The group's path inside a controller's hierarchy ("/…/lumos-slot-12-0"), as
  /// telemetry::cgroup_cpu_time("cpuacct") / cgroup_peak_memory("memory") take it; empty if
  /// the slot does not use that controller.
  std::string path(const std::string& controller) const;
  /// The slot's path, the same in every hierarchy it uses (the parent is lumos' own memory
  /// group; folders missing in other hierarchies are made and removed with the slot): where an
  /// engine that takes one absolute cgroupsPath for all controllers (crun) nests a container.
  std::string uniform_path() const;

  /// Moves process pid (all its threads) into the slot. Its first instants, and memory it
  /// touched before, stay charged where it was; enter_calling_thread() avoids that.
  Result<void> add(pid_t pid);
  /// Moves the calling thread (only it) into the slot until the returned guard dies, so
  /// children it spawns meanwhile start inside: race-free placement for posix_spawn.
  Result<ThreadInSlot> enter_calling_thread();
  /// Processes in the slot (cgroup.procs of the first hierarchy, sub-groups included).
  std::vector<pid_t> pids() const;
  /// Cumulative usage (see CgroupUsage).
  CgroupUsage usage() const;
  /// cpu.shares of the slot (default 1024): its weight against lumos' siblings and other
  /// host tasks when the CPU is contended. Raising it (e.g. 262144) makes the emulated device
  /// less sensitive to unrelated load; it never lets it exceed its quota.
  Result<void> set_cpu_shares(std::uint64_t shares);

 private:
 public:
  struct Hierarchy {
    std::filesystem::path mount;  ///< e.g. /sys/fs/cgroup/cpu
    std::string own;              ///< the slot's parent inside it (the same in every hierarchy)
    std::string home;             ///< lumos' own cgroup inside it, e.g. "/"
    std::vector<std::string> controllers;
    std::filesystem::path dir() const;  ///< mount / own / name
    std::string name;
    std::vector<std::filesystem::path> made;  ///< parents the slot created, outermost first
  };

 private:
  CgroupSlot() = default;
  const Hierarchy* find(const std::string& controller) const;

  std::string name_;
  std::string base_ = "/";  ///< the slots' parent path in every hierarchy
  /// Mounted hierarchies the slot does not use, with the part of base_ that existed in each.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> others_;
  std::filesystem::path root_;
  std::vector<Hierarchy> hierarchies_;
};

}  // namespace lumos::env

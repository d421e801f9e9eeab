// cgroupfs helpers of the slot: value files, pid lists, group trees, lumos' own groups, stale
// slots, thread CPU affinity. Internal to src/env.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"

namespace lumos::env::cgroupfs {
namespace fs = std::filesystem;

inline constexpr const char* kSlotPrefix = "lumos-slot-";

// One write(2) of `text` (cgroup files take a value per write); the error names the file.
Result<void> write_value(const fs::path& file, const std::string& text);

// The whole file; nullopt when it cannot be read.
std::optional<std::string> read_text(const fs::path& file);

// "key value" lines (cpu.stat, memory.oom_control), read once.
std::map<std::string, std::uint64_t> read_keyed(const fs::path& file);

// values[key], if present.
std::optional<std::uint64_t> value_of(const std::map<std::string, std::uint64_t>& values, const std::string& key);

// The pids of a cgroup.procs or tasks file (empty when unreadable).
std::vector<pid_t> read_pids(const fs::path& file);

// Every group in the tree at dir, children before parents.
std::vector<fs::path> groups_post_order(const fs::path& dir);

// Whether tid is a thread of this process.
bool own_thread(pid_t tid);

// Empties and removes the group tree at dir: lumos' own threads go to `parent`'s tasks,
// other processes are killed (they were put there by lumos). Gives up after ~2 s.
void remove_tree(const fs::path& dir, const fs::path& parent);

// lumos' cgroup in the hierarchy mounted at `mount` (folder name = its controllers).
std::string own_in(const fs::path& mount);

// Mounted hierarchies under root: real folders holding cgroup.procs (symlinks such as
// cpu -> cpu,cpuacct are skipped so each hierarchy appears once). Includes a hybrid
// system's cgroup2 "unified" folder, where runc also creates the slot's folder.
std::vector<fs::path> mounted_hierarchies(const fs::path& root);

// Removes slots left by lumos processes that no longer exist (killed runs), in lumos' own
// group of each hierarchy and in `base` (the slots' parent path, see CgroupSlot).
void remove_stale_slots(const fs::path& root, const std::string& base);

// The CPUs thread tid may run on (empty on error).
std::vector<int> thread_affinity(pid_t tid);

// Pins thread tid to cpus; false for an empty list or on error.
bool set_thread_affinity(pid_t tid, const std::vector<int>& cpus);

}  // namespace lumos::env::cgroupfs

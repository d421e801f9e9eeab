// cgroupfs helpers of the slot (cgroupfs.hpp).
#include "cgroupfs.hpp"

#include "lumos/common/files.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "lumos/telemetry/proc_stats.hpp"

namespace lumos::env::cgroupfs {

// One write(2) of `text` (cgroup files take a value per write); the error names the file.
Result<void> write_value(const fs::path& file, const std::string& text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot open " + file.string() + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return fail(ErrorCode::kIo, "cannot write '" + text + "' to " + file.string() + ": " + std::strerror(err));
  }
  return {};
}

std::optional<std::string> read_text(const fs::path& file) {
  auto read = read_file(file);
  if (!read) return std::nullopt;
  std::string t = std::move(*read);
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

// "key value" lines (cpu.stat, memory.oom_control), read once.
std::map<std::string, std::uint64_t> read_keyed(const fs::path& file) {
  std::map<std::string, std::uint64_t> out;
  std::ifstream in(file);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v) out[k] = v;
  return out;
}

std::optional<std::uint64_t> value_of(const std::map<std::string, std::uint64_t>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? std::nullopt : std::optional(it->second);
}

std::vector<pid_t> read_pids(const fs::path& file) {
  std::vector<pid_t> out;
  std::ifstream in(file);
  pid_t p = 0;
  while (in >> p) out.push_back(p);
  return out;
}

// Every group in the tree at dir, children before parents.
std::vector<fs::path> groups_post_order(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) {
      auto sub = groups_post_order(e.path());
      out.insert(out.end(), sub.begin(), sub.end());
    }
  }
  out.push_back(dir);
  return out;
}

bool own_thread(pid_t tid) {
  std::error_code ec;
  return fs::exists("/proc/self/task/" + std::to_string(tid), ec);
}

// Empties and removes the group tree at dir: lumos' own threads go to `parent`'s tasks,
// other processes are killed (they were put there by lumos). Gives up after ~2 s.
void remove_tree(const fs::path& dir, const fs::path& parent) {
  std::error_code ec;
  for (int attempt = 0; attempt < 200 && fs::exists(dir, ec); ++attempt) {
    for (const auto& group : groups_post_order(dir)) {
      // v1 lists threads in `tasks`; the cgroup2 hierarchy only has cgroup.procs.
      auto ids = fs::exists(group / "tasks", ec) ? read_pids(group / "tasks") : read_pids(group / "cgroup.procs");
      for (pid_t tid : ids) {
        if (own_thread(tid)) {
          (void)write_value(parent / "tasks", std::to_string(tid));
        } else if (tid != getpid()) {
          ::kill(tid, SIGKILL);
        }
      }
      ::rmdir(group.c_str());
    }
    if (!fs::exists(dir, ec)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// lumos' cgroup in the hierarchy mounted at `mount` (folder name = its controllers).
std::string own_in(const fs::path& mount) {
  if (mount.filename() == "unified") {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("0::", 0) == 0) return line.substr(3);
    }
    return "/";
  }
  auto first = mount.filename().string();
  first = first.substr(0, first.find(','));
  auto own = telemetry::own_cgroup(first);
  if (own == "/") {
    auto named = telemetry::own_cgroup("name=" + first);
    if (named != "/") return named;
  }
  return own;
}

// Mounted hierarchies under root: real folders holding cgroup.procs (symlinks such as
// cpu -> cpu,cpuacct are skipped so each hierarchy appears once). Includes a hybrid
// system's cgroup2 "unified" folder, where runc also creates the slot's folder.
std::vector<fs::path> mounted_hierarchies(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_symlink(ec) || !e.is_directory(ec)) continue;
    if (fs::exists(e.path() / "cgroup.procs", ec)) out.push_back(e.path());
  }
  return out;
}

namespace {

// The stale slots directly in `parent`; lumos' own threads found there go to `home`.
void remove_stale_slots_in(const fs::path& parent, const fs::path& home) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    auto n = e.path().filename().string();
    if (n.rfind(kSlotPrefix, 0) != 0 || !e.is_directory(ec)) continue;
    pid_t owner = static_cast<pid_t>(std::atol(n.c_str() + std::strlen(kSlotPrefix)));
    if (owner <= 0 || owner == getpid()) continue;
    if (::kill(owner, 0) == 0 || errno != ESRCH) continue;
    remove_tree(e.path(), home);
  }
}

}  // namespace

void remove_stale_slots(const fs::path& root, const std::string& base) {
  for (const auto& mount : mounted_hierarchies(root)) {
    fs::path home = mount / fs::path(own_in(mount)).relative_path();
    std::set<fs::path> parents = {home, mount / fs::path(base).relative_path()};
    for (const auto& parent : parents) remove_stale_slots_in(parent, home);
  }
}

std::vector<int> thread_affinity(pid_t tid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(tid, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool set_thread_affinity(pid_t tid, const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return !cpus.empty() && sched_setaffinity(tid, sizeof set, &set) == 0;
}

}  // namespace lumos::env::cgroupfs

// procfs and cgroup v1 readers for CPU time and peak memory.
#include "lumos/telemetry/proc_stats.hpp"

#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

namespace lumos::telemetry {

std::optional<std::uint64_t> read_first_number(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::uint64_t v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

}  // namespace

std::optional<std::chrono::nanoseconds> process_cpu_time(pid_t pid) {
  std::error_code ec;
  std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::uint64_t total = 0;
  bool any = false;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
    if (auto v = read_first_number(entry.path() / "schedstat")) {
      total += *v;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return std::chrono::nanoseconds(total);
}

std::optional<std::uint64_t> process_peak_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::uint64_t kb = 0;
      if (fields >> kb) return kb * 1024;
    }
  }
  return std::nullopt;
}

std::string allowed_cpus(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  constexpr std::string_view kKey = "Cpus_allowed_list:";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, kKey.size(), kKey) != 0) continue;
    const auto start = line.find_first_not_of(" \t", kKey.size());
    return start == std::string::npos ? std::string() : line.substr(start);
  }
  return {};
}

std::optional<int> process_last_cpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: fields restart after its last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 39 && (fields >> field); ++i) {
    if (i == 39) {
      try {
        return std::stoi(field);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

pid_t leaf_descendant(pid_t pid) {
  for (int depth = 0; depth < 8; ++depth) {
    pid_t last = -1;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::ifstream in(task.path() / "children");
      pid_t child = 0;
      while (in >> child) last = child;
    }
    if (last <= 0) return pid;
    pid = last;
  }
  return pid;
}

std::optional<int> cgroup_last_cpu(const std::string& cgroup) {
  std::ifstream in("/sys/fs/cgroup/memory" + cgroup + "/cgroup.procs");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return process_last_cpu(pid);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> cpu_steal_ticks() {
  std::ifstream in("/proc/stat");
  std::string label;
  if (!(in >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
  std::uint64_t v[8] = {};
  for (auto& x : v) {
    if (!(in >> x)) return std::nullopt;
  }
  std::uint64_t total = 0;
  for (auto x : v) total += x;
  return std::make_pair(v[7], total);
}

std::string own_cgroup(const std::string& controller) { return cgroup_of(0, controller); }

std::string cgroup_of(pid_t pid, const std::string& controller) {
  std::ifstream in(pid > 0 ? "/proc/" + std::to_string(pid) + "/cgroup" : std::string("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    // hierarchy-id:controller[,controller...]:path
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::stringstream controllers(line.substr(first + 1, second - first - 1));
    std::string c;
    while (std::getline(controllers, c, ',')) {
      if (c == controller) return line.substr(second + 1);
    }
  }
  return "/";
}

std::optional<std::chrono::nanoseconds> cgroup_cpu_time(const std::string& cgroup) {
  auto v = read_first_number(std::filesystem::path(kCgroupRoot) / "cpuacct" /
                             std::filesystem::path(cgroup).relative_path() / "cpuacct.usage");
  if (!v) return std::nullopt;
  return std::chrono::nanoseconds(*v);
}

std::optional<std::uint64_t> cgroup_peak_memory(const std::string& cgroup) {
  return read_first_number(std::filesystem::path(kCgroupRoot) / "memory" /
                           std::filesystem::path(cgroup).relative_path() / "memory.max_usage_in_bytes");
}

}  // namespace lumos::telemetry

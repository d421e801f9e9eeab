// cgroup v1 slots: create, limit, join, measure and remove; OCI resources from a profile.
#include "lumos/env/cgroup.hpp"
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

#include "cgroupfs.hpp"
#include "lumos/telemetry/proc_stats.hpp"

namespace lumos::env {
namespace fs = std::filesystem;

using namespace cgroupfs;

// --- ThreadInSlot ---------------------------------------------------------------------------

ThreadInSlot::ThreadInSlot(ThreadInSlot&& other) noexcept
    : tid_(other.tid_), back_(std::move(other.back_)), affinity_(std::move(other.affinity_)) {
  other.tid_ = -1;
  other.back_.clear();
  other.affinity_.clear();
}

ThreadInSlot::~ThreadInSlot() { leave(); }

void ThreadInSlot::leave() {
  if (tid_ <= 0) return;
  for (const auto& tasks : back_) (void)write_value(tasks, std::to_string(tid_));
  if (!affinity_.empty()) (void)set_thread_affinity(tid_, affinity_);  // the cpuset move reset it
  tid_ = -1;
  back_.clear();
  affinity_.clear();
}

Result<std::vector<int>> keep_off_cpus(const std::string& cpuset) {
  auto device = parse_cpuset(cpuset);
  if (!device) return tl::unexpected(device.error());
  const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  std::vector<int> rest;
  for (int c : thread_affinity(tid)) {
    if (!std::binary_search(device->begin(), device->end(), c)) rest.push_back(c);
  }
  if (rest.empty()) return rest;
  if (!set_thread_affinity(tid, rest))
    return fail(ErrorCode::kIo, std::string("sched_setaffinity: ") + std::strerror(errno));
  return rest;
}

// --- CgroupSlot -----------------------------------------------------------------------------

fs::path CgroupSlot::Hierarchy::dir() const { return mount / fs::path(own).relative_path() / name; }

namespace {

// Creates the folders of `h.own` that do not exist yet (outermost first, noted in h.made), a
// new cpuset folder getting its parent's CPUs and memory nodes (v1 starts them empty).
Result<void> make_parents(CgroupSlot::Hierarchy& h, bool cpuset) {
  fs::path at = h.mount;
  std::error_code ec;
  for (const auto& part : fs::path(h.own).relative_path()) {
    fs::path parent = at;
    at /= part;
    if (fs::is_directory(at, ec)) continue;
    if (::mkdir(at.c_str(), 0755) != 0)
      return fail(ErrorCode::kIo, "cannot create cgroup " + at.string() + ": " + std::strerror(errno));
    h.made.push_back(at);
    if (cpuset) {
      for (const char* f : {"cpuset.mems", "cpuset.cpus"}) {
        if (auto w = write_value(at / f, read_text(parent / f).value_or("0")); !w) return w;
      }
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<CgroupSlot>> CgroupSlot::create(const Profile& profile, const CgroupOptions& options) {
  std::string what = "profile '" + profile.name + "'";
  if (options.require_root && geteuid() != 0) {
    return fail(ErrorCode::kNotInstalled,
                what +
                    " limits CPU or memory, which needs cgroups and so root: run lumos as root, "
                    "or use a profile without cpu/memory limits (e.g. cloud)");
  }
  std::set<std::string> required;
  if (profile.cpu_quota > 0) required.insert("cpu");
  if (!profile.cpuset.empty()) required.insert("cpuset");
  if (profile.memory_limit_bytes > 0) required.insert("memory");
  const std::vector<std::string> wanted = {"cpu", "cpuacct", "cpuset", "memory"};

  std::unique_ptr<CgroupSlot> slot(new CgroupSlot());
  static std::atomic<int> counter{0};
  slot->name_ =
      options.name.empty() ? kSlotPrefix + std::to_string(getpid()) + "-" + std::to_string(counter++) : options.name;
  slot->root_ = options.root;
  // One path in every hierarchy: under lumos' own memory group (where its memory is charged),
  // so that an engine placing a container by one absolute cgroupsPath (crun) can nest it in the
  // slot, in hierarchies where lumos sits elsewhere too.
  slot->base_ = telemetry::own_cgroup("memory");
  if (slot->base_.empty()) slot->base_ = "/";
  std::error_code ec;
  for (const auto& c : wanted) {
    bool needed = required.count(c) > 0;
    // Without a cpuset or quota the slot keeps lumos' CPUs and bandwidth (set_cpu_shares
    // joins the cpu hierarchy later if asked).
    if ((c == "cpuset" || c == "cpu") && !needed) continue;
    fs::path mount = options.root / c;
    if (!fs::exists(mount / "cgroup.procs", ec)) {
      if (!needed) continue;
      return fail(ErrorCode::kNotInstalled, "the cgroup v1 '" + c + "' controller is not mounted at " + mount.string() +
                                                " (" + what +
                                                " needs it); mount it or use a profile without that limit");
    }
    fs::path canonical = fs::canonical(mount, ec);
    bool merged = false;
    for (auto& h : slot->hierarchies_) {
      if (fs::canonical(h.mount, ec) == canonical) {
        h.controllers.push_back(c);
        merged = true;
      }
    }
    if (merged) continue;
    Hierarchy h;
    h.mount = mount;
    h.own = slot->base_;
    h.home = telemetry::own_cgroup(c);
    h.controllers = {c};
    h.name = slot->name_;
    if (auto made = make_parents(h, c == "cpuset"); !made) {
      for (auto it = h.made.rbegin(); it != h.made.rend(); ++it) ::rmdir(it->c_str());
      if (!needed) continue;
      return tl::unexpected(made.error());
    }
    if (::mkdir(h.dir().c_str(), 0755) != 0) {
      for (auto it = h.made.rbegin(); it != h.made.rend(); ++it) ::rmdir(it->c_str());
      if (!needed) continue;
      return fail(ErrorCode::kIo, "cannot create cgroup " + h.dir().string() + ": " + std::strerror(errno) +
                                      (errno == EACCES || errno == EPERM || errno == EROFS
                                           ? " (cgroups need root and a writable /sys/fs/cgroup)"
                                           : ""));
    }
    slot->hierarchies_.push_back(std::move(h));
  }
  // Hierarchies the slot does not use: an engine that places containers by the uniform path
  // (crun) makes <base>/<slot>/<id> there too; the slot removes what appears below the part of
  // <base> that exists now.
  for (const auto& mount : mounted_hierarchies(options.root)) {
    bool used = false;
    for (const auto& h : slot->hierarchies_) used = used || fs::equivalent(h.mount, mount, ec);
    if (used || mount.filename() == "unified") continue;
    fs::path existing = mount;
    for (const auto& part : fs::path(slot->base_).relative_path()) {
      if (!fs::is_directory(existing / part, ec)) break;
      existing /= part;
    }
    slot->others_.emplace_back(mount, existing);
  }
  // Slots of killed lumos runs would otherwise pile up (and keep their memory charged).
  remove_stale_slots(options.root, slot->base_);

  auto has = [&](const Hierarchy& h, const std::string& c) {
    return std::find(h.controllers.begin(), h.controllers.end(), c) != h.controllers.end();
  };
  for (const auto& h : slot->hierarchies_) {
    fs::path d = h.dir();
    if (has(h, "cpuset")) {
      // A new v1 cpuset is empty: copy the parent's memory nodes, and its CPUs unless narrowed.
      auto mems = read_text(d.parent_path() / "cpuset.mems").value_or("0");
      auto cpus = read_text(d.parent_path() / "cpuset.cpus").value_or("0");
      if (auto w = write_value(d / "cpuset.mems", mems); !w) return tl::unexpected(w.error());
      std::string want = profile.cpuset.empty() ? cpus : profile.cpuset;
      if (auto w = write_value(d / "cpuset.cpus", want); !w) {
        return fail(ErrorCode::kConfig, what + ": cpuset '" + want + "' is not a subset of lumos' CPUs (" + cpus +
                                            "): " + w.error().message);
      }
    }
    if (has(h, "cpu") && profile.cpu_quota > 0) {
      auto period = profile.cpu_period.count();
      auto quota = profile.cfs_quota_us();
      if (auto w = write_value(d / "cpu.cfs_period_us", std::to_string(period)); !w) return tl::unexpected(w.error());
      if (auto w = write_value(d / "cpu.cfs_quota_us", std::to_string(quota)); !w) return tl::unexpected(w.error());
    }
    if (has(h, "memory") && profile.memory_limit_bytes > 0) {
      auto limit = std::to_string(profile.memory_limit_bytes);
      if (auto w = write_value(d / "memory.limit_in_bytes", limit); !w) return tl::unexpected(w.error());
      // Also cap memory+swap where swap accounting exists, so the limit means "no more RAM"
      // and not "swap instead".
      if (fs::exists(d / "memory.memsw.limit_in_bytes", ec))
        (void)write_value(d / "memory.memsw.limit_in_bytes", limit);
    }
  }
  return slot;
}

CgroupSlot::~CgroupSlot() {
  // Containers started inside sit in sub-groups (<slot>/<id>); in the other hierarchies they
  // are under lumos' own groups, which `runc delete` / podman remove. lumos' own threads go
  // back to its own group; then the parents the slot had to create go too.
  for (const auto& h : hierarchies_) {
    remove_tree(h.dir(), h.mount / fs::path(h.home).relative_path());
    for (auto it = h.made.rbegin(); it != h.made.rend(); ++it) ::rmdir(it->c_str());
  }
  std::error_code ec;
  for (const auto& [mount, existing] : others_) {
    fs::path dir = mount / fs::path(base_).relative_path() / name_;
    if (fs::exists(dir, ec)) remove_tree(dir, mount / fs::path(own_in(mount)).relative_path());
    for (fs::path p = dir.parent_path(); p != existing && p.string().size() > existing.string().size();
         p = p.parent_path()) {
      if (::rmdir(p.c_str()) != 0) break;
    }
  }
}

const CgroupSlot::Hierarchy* CgroupSlot::find(const std::string& controller) const {
  for (const auto& h : hierarchies_) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
  }
  return nullptr;
}

std::string CgroupSlot::path(const std::string& controller) const {
  const auto* h = find(controller);
  if (!h) return "";
  return (fs::path(h->own) / name_).string();
}

std::string CgroupSlot::uniform_path() const { return (fs::path(base_) / name_).string(); }

Result<void> CgroupSlot::add(pid_t pid) {
  for (const auto& h : hierarchies_) {
    if (auto w = write_value(h.dir() / "cgroup.procs", std::to_string(pid)); !w) return w;
  }
  return {};
}

Result<ThreadInSlot> CgroupSlot::enter_calling_thread() {
  ThreadInSlot guard;
  pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  // Where the thread is now, per hierarchy, from /proc/thread-self/cgroup.
  std::ifstream in("/proc/thread-self/cgroup");
  std::vector<std::pair<std::string, std::string>> lines;  // controllers, path
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = ",";
    controllers.append(line, a + 1, b - a - 1).push_back(',');
    lines.emplace_back(std::move(controllers), line.substr(b + 1));
  }
  guard.tid_ = tid;
  guard.affinity_ = thread_affinity(tid);
  for (const auto& h : hierarchies_) {
    std::string current = h.own;
    for (const auto& [controllers, path] : lines) {
      if (controllers.find("," + h.controllers.front() + ",") != std::string::npos) current = path;
    }
    if (auto w = write_value(h.dir() / "tasks", std::to_string(tid)); !w)
      return tl::unexpected(w.error());  // guard moves back
    guard.back_.push_back(h.mount / fs::path(current).relative_path() / "tasks");
  }
  return guard;
}

std::vector<pid_t> CgroupSlot::pids() const {
  std::vector<pid_t> out;
  if (hierarchies_.empty()) return out;
  for (const auto& group : groups_post_order(hierarchies_.front().dir())) {
    auto p = read_pids(group / "cgroup.procs");
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

CgroupUsage CgroupSlot::usage() const {
  CgroupUsage u;
  if (const auto* h = find("cpuacct")) {
    if (auto v = telemetry::read_first_number(h->dir() / "cpuacct.usage")) u.cpu = std::chrono::nanoseconds(*v);
  }
  if (const auto* h = find("cpu")) {
    const auto stat = read_keyed(h->dir() / "cpu.stat");
    u.throttled_periods = value_of(stat, "nr_throttled");
    if (auto v = value_of(stat, "throttled_time")) u.throttled = std::chrono::nanoseconds(*v);
  }
  if (const auto* h = find("memory")) {
    u.memory_peak_bytes = telemetry::read_first_number(h->dir() / "memory.max_usage_in_bytes");
    u.memory_failcnt = telemetry::read_first_number(h->dir() / "memory.failcnt");
    u.oom_kills = value_of(read_keyed(h->dir() / "memory.oom_control"), "oom_kill");
  }
  return u;
}

Result<void> CgroupSlot::set_cpu_shares(std::uint64_t shares) {
  const auto* h = find("cpu");
  std::error_code ec;
  if (!h) {
    for (auto& existing : hierarchies_) {  // cpu co-mounted with a hierarchy the slot has
      if (fs::canonical(existing.mount, ec) == fs::canonical(root_ / "cpu", ec)) {
        existing.controllers.push_back("cpu");
        h = &existing;
      }
    }
  }
  if (!h) {
    // Join the cpu hierarchy now (no quota): shares need a group there.
    if (!fs::exists(root_ / "cpu" / "cgroup.procs", ec)) {
      return fail(ErrorCode::kNotInstalled,
                  "the cgroup v1 'cpu' controller is not mounted at " + (root_ / "cpu").string());
    }
    Hierarchy n;
    n.mount = root_ / "cpu";
    n.own = base_;
    n.home = telemetry::own_cgroup("cpu");
    n.controllers = {"cpu"};
    n.name = name_;
    if (auto made = make_parents(n, false); !made) return made;
    if (::mkdir(n.dir().c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(ErrorCode::kIo, "cannot create cgroup " + n.dir().string() + ": " + std::strerror(errno));
    }
    hierarchies_.push_back(std::move(n));
    h = &hierarchies_.back();
    // Processes already in the slot join the new group too.
    for (pid_t p : pids()) (void)write_value(h->dir() / "cgroup.procs", std::to_string(p));
  }
  return write_value(h->dir() / "cpu.shares", std::to_string(shares));
}

}  // namespace lumos::env

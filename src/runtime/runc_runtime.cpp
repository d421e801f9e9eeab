// runc: an OCI bundle whose root file system holds just the function's static executable,
// started with `runc run` (foreground, stdio passed through) per instance.
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <nlohmann/json.hpp>

#include "lumos/common/process.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "one_shot.hpp"
#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

// A locked-down OCI runtime config: read-only root, own pid/ipc/uts/mount/network namespaces
// (the network namespace has only a loopback device), no capabilities.
nlohmann::json bundle_config() {
  using nlohmann::json;
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=1024k"}}},
  });
  json process = {
      {"terminal", false},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"/function"}},
      {"env", {"PATH=/"}},
      {"cwd", "/"},
      {"noNewPrivileges", true},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
  };
  json linux_section = {
      {"namespaces", {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                      {{"type", "mount"}}, {{"type", "network"}}}},
      {"maskedPaths", {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}},
      {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"}},
      // A generous limit: runc (cgroup v1) only creates the memory cgroup, which lumos reads
      // peak memory from, when a memory limit is set.
      {"resources", {{"memory", {{"limit", std::int64_t{8} << 30}}}}},
  };
  return {{"ociVersion", "1.0.2"}, {"process", process}, {"root", {{"path", "rootfs"}, {"readonly", true}}},
          {"hostname", "lumos"},   {"mounts", mounts},   {"linux", linux_section}};
}

Result<void> write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) return fail(ErrorCode::kIo, "cannot write " + path.string());
  return {};
}

class RuncRuntime final : public Runtime {
 public:
  explicit RuncRuntime(ToolPaths tools) : tools_(std::move(tools)) {}

  std::string_view name() const override { return "runc"; }

  Result<void> check() const override {
    auto version = lumos::run_command({tools_.runc, "--version"});
    if (!version || version->exit_code != 0) {
      return fail(ErrorCode::kNotInstalled,
                  "runc not found (" + tools_.runc + "): run scripts/setup or set LUMOS_RUNC");
    }
    if (geteuid() != 0) return fail(ErrorCode::kNotInstalled, "runc needs root: run lumos as root");
    return {};
  }

  Result<void> prepare(const Artifacts& a) override {
    if (a.native_exe.empty() || access(a.native_exe.c_str(), X_OK) != 0) {
      return fail(ErrorCode::kBuild, "no native executable for " + a.function + ": run lumos build");
    }
    fs::path bundle = a.work_dir / "runc-bundle";
    fs::path rootfs = bundle / "rootfs";
    std::error_code ec;
    fs::create_directories(rootfs / "proc", ec);
    fs::create_directories(rootfs / "dev", ec);
    fs::create_directories(rootfs / "work", ec);  // command functions' working directory
    fs::copy_file(a.native_exe, rootfs / "function", fs::copy_options::update_existing, ec);
    if (ec) return fail(ErrorCode::kIo, "cannot fill " + rootfs.string() + ": " + ec.message());
    if (auto w = write_file(bundle / "config.json", with_network(bundle_config()).dump(2)); !w) return w;
    bundles_[a.function] = bundle;
    return {};
  }

  // Command functions: a bundle per run (its arguments and environment differ), sharing the
  // function's read-only root file system; the run's working directory is bind-mounted at /work.
  Result<CommandOutcome> run_command(const CommandRequest& request) override {
    auto it = bundles_.find(request.function);
    if (it == bundles_.end()) return fail(ErrorCode::kInternal, request.function + " was not prepared");
    static std::atomic<int> counter{0};
    std::string id = "lumos-cmd-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    fs::path bundle = request.stdout_file.parent_path() / "bundle";
    std::error_code ec;
    fs::create_directories(bundle, ec);
    auto config = with_network(bundle_config());
    config["root"]["path"] = (it->second / "rootfs").string();
    auto& args = config["process"]["args"];
    for (const auto& a : request.args) args.push_back(a);
    auto env = request.env;
    if (!tools_.container_baas_addr.empty()) env["LUMOS_BAAS_ADDR"] = tools_.container_baas_addr;
    config["process"]["env"] = env_entries(env);
    config["process"]["cwd"] = "/work";
    config["mounts"].push_back({{"destination", "/work"},
                                {"type", "bind"},
                                {"source", request.work_dir.string()},
                                {"options", {"rbind", "rw"}}});
    if (auto w = write_file(bundle / "config.json", config.dump()); !w) return tl::unexpected(w.error());
    std::string root = (tools_.state_dir / "runc").string();
    auto outcome = run_one_shot_command({tools_.runc, "--root", root, "run", "--bundle", bundle.string(), id},
                                        request, std::nullopt, std::nullopt);
    if (outcome && outcome->timed_out) (void)lumos::run_command({tools_.runc, "--root", root, "delete", "--force", id});
    if (outcome) outcome->exec_mode = protocol::ExecMode::kNative;
    return outcome;
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    auto it = bundles_.find(function);
    if (it == bundles_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    static std::atomic<int> counter{0};
    std::string id = "lumos-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    std::string root = (tools_.state_dir / "runc").string();
    std::string runc = tools_.runc;
    ProcessInstanceOptions options;
    options.argv = {runc, "--root", root, "run", "--bundle", it->second.string(), id};
    // runc (cgroupfs driver, no cgroupsPath) puts the container in cgroup <ours>/<id> of
    // each controller; ours differs per controller when lumos itself runs in a sandbox.
    std::string cpu_cgroup = (fs::path(telemetry::own_cgroup("cpuacct")) / id).string();
    std::string mem_cgroup = (fs::path(telemetry::own_cgroup("memory")) / id).string();
    options.stats = [cpu_cgroup, mem_cgroup](pid_t) {
      return InstanceStats{telemetry::cgroup_cpu_time(cpu_cgroup),
                           telemetry::cgroup_peak_memory(mem_cgroup)};
    };
    options.after_kill = [runc, root, id] { (void)lumos::run_command({runc, "--root", root, "delete", "--force", id}); };
    return start_process_instance(std::move(options), timeout);
  }

 private:
  // Joins the BaaS network namespace (a veth link to the host's Redis, nothing else) if any.
  nlohmann::json with_network(nlohmann::json config) const {
    if (tools_.container_netns.empty()) return config;
    for (auto& ns : config["linux"]["namespaces"]) {
      if (ns["type"] == "network") ns["path"] = tools_.container_netns;
    }
    config["process"]["env"].push_back("LUMOS_BAAS_ADDR=" + tools_.container_baas_addr);
    return config;
  }

  ToolPaths tools_;
  std::map<std::string, fs::path> bundles_;
};

}  // namespace

std::unique_ptr<Runtime> make_runc_runtime(const ToolPaths& tools) {
  return std::make_unique<RuncRuntime>(tools);
}

}  // namespace lumos::runtime

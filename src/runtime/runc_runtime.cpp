// runc and crun: an OCI bundle unpacked from one of the function's OCI images (container-scratch
// for `runc`/`crun`, container-debian for the -debian variants, wasm-aot for `runc-wasmedge`,
// wasm / wasm-aot for crun's WasmEdge handler), started with `<engine> run` (foreground) per
// instance. The engine (oci_engine.hpp) is the only difference between runc and crun.
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <nlohmann/json.hpp>

#include "lumos/common/process.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "oci_engine.hpp"
#include "one_shot.hpp"
#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

// Lumos' seccomp filter for runc and crun containers: everything is allowed but what a function
// never needs and a container escape often does - mounts, namespaces (user namespaces included:
// clone/unshare with CLONE_NEWUSER; clone3, whose flags a filter cannot read, answers ENOSYS so
// libc falls back to clone), kernel keys, BPF, tracing other processes, modules, clocks, reboot,
// io_uring. Denied calls fail with EPERM.
nlohmann::json seccomp_filter() {
  using nlohmann::json;
  constexpr std::uint64_t kCloneNewUser = 0x10000000;
  const json denied = {"mount",
                       "umount2",
                       "pivot_root",
                       "move_mount",
                       "open_tree",
                       "fsopen",
                       "fsconfig",
                       "fsmount",
                       "fspick",
                       "mount_setattr",
                       "setns",
                       "keyctl",
                       "add_key",
                       "request_key",
                       "bpf",
                       "perf_event_open",
                       "ptrace",
                       "process_vm_readv",
                       "process_vm_writev",
                       "kexec_load",
                       "kexec_file_load",
                       "init_module",
                       "finit_module",
                       "delete_module",
                       "reboot",
                       "swapon",
                       "swapoff",
                       "userfaultfd",
                       "open_by_handle_at",
                       "name_to_handle_at",
                       "acct",
                       "quotactl",
                       "iopl",
                       "ioperm",
                       "syslog",
                       "settimeofday",
                       "clock_settime",
                       "clock_adjtime",
                       "adjtimex",
                       "fanotify_init",
                       "io_uring_setup",
                       "io_uring_enter",
                       "io_uring_register",
                       "lookup_dcookie",
                       "vhangup"};
  const json new_user = {
      {{"index", 0}, {"value", kCloneNewUser}, {"valueTwo", kCloneNewUser}, {"op", "SCMP_CMP_MASKED_EQ"}}};
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls",
           {{{"names", denied}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}},
            {{"names", {"unshare", "clone"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}, {"args", new_user}},
            {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}}}}};
}

// A locked-down OCI runtime config: read-only root and /dev (runc and crun make the device nodes,
// then remount it), own pid/ipc/uts/mount/network namespaces (the network namespace has only a
// loopback device, or the filtered link to BaaS), no capabilities, lumos' seccomp filter.
nlohmann::json bundle_config(const ContainerProcess& proc, const fs::path& rootfs, bool wasm_handler) {
  using nlohmann::json;
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "noexec", "strictatime", "mode=755", "size=1024k", "ro"}}},
  });
  for (const auto& [host, inside] : proc.ro_binds) {
    mounts.push_back({{"destination", inside.string()},
                      {"type", "bind"},
                      {"source", host.string()},
                      {"options", {"rbind", "ro", "nosuid", "nodev"}}});
  }
  for (const auto& [host, inside] : proc.rw_binds) {
    mounts.push_back(
        {{"destination", inside.string()}, {"type", "bind"}, {"source", host.string()}, {"options", {"rbind", "rw"}}});
  }
  json process = {
      {"terminal", false},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", proc.args},
      {"env", proc.env},
      {"cwd", proc.cwd},
      {"noNewPrivileges", true},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
  };
  json linux_section = {
      {"namespaces",
       {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "network"}}}},
      {"maskedPaths", {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}},
      {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"}},
      {"seccomp", seccomp_filter()},
      // A generous limit: runc (cgroup v1) only creates the memory cgroup, which lumos reads
      // peak memory from, when a memory limit is set.
      {"resources", {{"memory", {{"limit", std::int64_t{8} << 30}}}}},
  };
  json config = {
      {"ociVersion", "1.0.2"}, {"process", process}, {"root", {{"path", rootfs.string()}, {"readonly", true}}},
      {"hostname", "lumos"},   {"mounts", mounts},   {"linux", linux_section}};
  // What makes crun run the entrypoint (a .wasm file) with its built-in WasmEdge, as the
  // image's annotation does on a crun node.
  if (wasm_handler)
    config["annotations"] = {{std::string(image::kWasmVariantAnnotation), std::string(image::kWasmVariant)}};
  return config;
}

Result<void> write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) return fail(ErrorCode::kIo, "cannot write " + path.string());
  return {};
}

// Mount points of bind mounts must exist in the (read-only) root file system beforehand.
Result<void> make_mount_points(const fs::path& rootfs, const ContainerProcess& proc) {
  std::error_code ec;
  for (const auto& dir : {"proc", "dev", "work"}) fs::create_directories(rootfs / dir, ec);
  for (const auto& [host, inside] : proc.ro_binds) {
    fs::path at = rootfs / inside.relative_path();
    if (fs::is_directory(host, ec)) {
      fs::create_directories(at, ec);
    } else if (!fs::exists(at, ec)) {
      fs::create_directories(at.parent_path(), ec);
      std::ofstream created(at);
    }
    if (ec) return fail(ErrorCode::kIo, "cannot create mount point " + at.string() + ": " + ec.message());
  }
  return {};
}

struct Prepared {
  fs::path bundle;
  fs::path rootfs;
  ContainerProcess process;
  nlohmann::json config;  ///< the instances' runtime config (crun: a cgroupsPath per instance)
};

class RuncRuntime final : public Runtime {
 public:
  RuncRuntime(ToolPaths tools, RuncVariant variant)
      : tools_(std::move(tools)),
        variant_(std::move(variant)),
        engine_(variant_.engine ? *variant_.engine : runc_engine(tools_)) {}
  // The per-process runtime configs go with the runtime (emptied parents too).
  ~RuncRuntime() override {
    std::error_code ec;
    for (const auto& [_, p] : prepared_) {
      fs::remove_all(p.bundle, ec);
      for (fs::path dir = p.bundle.parent_path(); dir != tools_.state_dir && dir.has_relative_path();
           dir = dir.parent_path()) {
        if (!fs::remove(dir, ec)) break;  // not empty (another runtime's) or gone
      }
    }
  }

  std::string_view name() const override { return variant_.name; }

  Result<void> check() const override {
    if (auto version = engine_version(engine_, variant_.wasm_handler); !version) return tl::unexpected(version.error());
    if (variant_.check) return variant_.check();
    return {};
  }

  // Builds the image if needed (incremental), checks it, unpacks it into a bundle (once per
  // image version) and writes lumos' own runtime config into the bundle.
  Result<void> prepare(const Artifacts& a) override {
    auto tools = image_tools(tools_);
    auto image = image::build_image(a, variant_.image_flavour, tools);
    if (!image) return tl::unexpected(image.error());
    fs::path bundle = a.work_dir / "bundles" / variant_.image_flavour;
    auto rootfs = image::unpack_image(*image, bundle, tools);
    if (!rootfs) return tl::unexpected(rootfs.error());
    auto process = variant_.process ? variant_.process(*image, a) : Result<ContainerProcess>(image_process(*image));
    if (!process) return tl::unexpected(process.error());
    if (auto m = make_mount_points(*rootfs, *process); !m) return m;
    // The runtime config is per lumos process: it names this run's network namespace, and
    // concurrent runs must not rewrite each other's (the unpacked rootfs is shared).
    fs::path config_dir = tools_.state_dir / "configs" / std::to_string(getpid()) / a.function / variant_.name;
    std::error_code ec;
    fs::create_directories(config_dir, ec);
    auto config = with_network(bundle_config(*process, *rootfs, variant_.wasm_handler));
    // Instances only, see start_instance (a WASI module sees its stdio, not fds 3/4).
    if (!variant_.wasm_handler) config["process"]["env"].push_back(kContainerProtocolFdsEnv);
    if (auto w = write_file(config_dir / "config.json", config.dump(2)); !w) {
      return w;
    }
    prepared_[a.function] = Prepared{config_dir, *rootfs, std::move(*process), std::move(config)};
    return {};
  }

  // Command functions: a bundle per run (its arguments and environment differ), sharing the
  // function's read-only root file system; the run's working directory is bind-mounted at /work.
  Result<CommandOutcome> run_command(const CommandRequest& request) override {
    if (variant_.wasm_handler) {
      return tl::unexpected(wasm_handler_command_refusal(variant_.name));
    }
    auto it = prepared_.find(request.function);
    if (it == prepared_.end()) return fail(ErrorCode::kInternal, request.function + " was not prepared");
    static std::atomic<int> counter{0};
    std::string id = "lumos-cmd-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    fs::path bundle = request.stdout_file.parent_path() / "bundle";
    std::error_code ec;
    fs::create_directories(bundle, ec);
    ContainerProcess proc;
    if (variant_.command) {
      proc = variant_.command(it->second.process, request);
    } else {
      proc = it->second.process;
      for (const auto& arg : request.args) proc.args.push_back(arg);
      auto env = request.env;
      if (!tools_.container_baas_addr.empty()) {
        env["LUMOS_BAAS_ADDR"] = tools_.container_baas_addr;
        env["LUMOS_BAAS_PASSWORD"] = tools_.baas_password;
      }
      proc.env = env_entries(env);
      proc.cwd = "/work";
      proc.rw_binds.emplace_back(request.work_dir, "/work");
    }
    auto config = with_network(bundle_config(proc, it->second.rootfs, variant_.wasm_handler));
    if (engine_.absolute_cgroups) config["linux"]["cgroupsPath"] = container_cgroup(tools_.spawn_scope, id);
    if (auto w = write_file(bundle / "config.json", config.dump()); !w) return tl::unexpected(w.error());
    auto outcome = run_one_shot_command(engine_.command({"run", "--bundle", bundle.string(), id}), request,
                                        std::nullopt, std::nullopt, tools_.spawn_scope);
    if (outcome && outcome->timed_out) (void)lumos::run_command(engine_.command({"delete", "--force", id}));
    if (!outcome) return outcome;
    if (variant_.finish_command) {
      variant_.finish_command(*outcome, request);
    } else {
      outcome->exec_mode = protocol::ExecMode::kNative;
    }
    return outcome;
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    auto it = prepared_.find(function);
    if (it == prepared_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    static std::atomic<int> counter{0};
    std::string id = "lumos-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    fs::path bundle = it->second.bundle;
    ProcessInstanceOptions options;
    if (engine_.absolute_cgroups) {
      // crun: this container's own config, naming its cgroup (inside the cell's slot if any).
      std::string cgroup = container_cgroup(tools_.spawn_scope, id);
      bundle = it->second.bundle / "instances" / id;
      std::error_code ec;
      fs::create_directories(bundle, ec);
      auto config = it->second.config;
      config["linux"]["cgroupsPath"] = cgroup;
      if (auto w = write_file(bundle / "config.json", config.dump()); !w) return tl::unexpected(w.error());
      options.stats = [cgroup](pid_t) { return cgroup_path_stats(cgroup); };
    } else {
      // runc (cgroupfs driver, no cgroupsPath) puts the container in cgroup <runc's>/<id>.
      options.stats = container_cgroup_stats([id] { return id; });
    }
    fs::path report;
    if (engine_.launcher) {
      report = it->second.bundle / "instances" / (id + ".wrapper");
      std::error_code ec;
      fs::create_directories(report.parent_path(), ec);
      // crun has read the instance's config once it runs; the launcher wrote its time before.
      options.on_ready =
          [report, own_bundle = bundle != it->second.bundle ? bundle : fs::path()](telemetry::PhaseTimes& phases) {
            std::error_code ignored;
            if (!own_bundle.empty()) fs::remove_all(own_bundle, ignored);
            auto took = read_launcher_report(report);
            if (!took) return;
            auto& sandbox = phases["sandbox_start"];
            auto w = std::min(*took, sandbox);
            sandbox -= w;
            phases["wrapper"] = w;
          };
    }
    if (variant_.wasm_handler) {
      // crun hands the container its stdio (no relay), and a WASI module sees only those fds.
      options.argv = engine_.command({"run", "--bundle", bundle.string(), id}, report);
      options.exec_mode = variant_.exec_mode;
    } else {
      // The protocol pipes go to the container as fds 3 and 4 (--preserve-fds): runc relays the
      // stdio of a foreground container through its own process, ~100 us per request here.
      options.argv = engine_.command({"run", "--preserve-fds", "2", "--bundle", bundle.string(), id}, report);
      options.protocol_fd = kContainerProtocolFd;
    }
    // Under an environment profile `<engine> run` starts inside the cell's cgroup slot, so the
    // container (and every other instance of the cell) shares the device's limits.
    options.spawn_scope = tools_.spawn_scope;
    options.after_kill = [engine = engine_, id] {
      (void)lumos::run_command(engine.command({"delete", "--force", id}));
    };
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
    config["process"]["env"].push_back("LUMOS_BAAS_PASSWORD=" + tools_.baas_password);
    return config;
  }

  ToolPaths tools_;
  RuncVariant variant_;
  OciEngine engine_;
  std::map<std::string, Prepared> prepared_;
};

}  // namespace

ContainerProcess image_process(const image::ImageInfo& image) {
  ContainerProcess proc;
  proc.args = image.entrypoint;
  proc.env = image.env;
  bool has_path = false;
  for (const auto& e : proc.env) has_path = has_path || e.rfind("PATH=", 0) == 0;
  if (!has_path) proc.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  proc.cwd = image.working_dir.empty() ? "/" : image.working_dir;
  return proc;
}

std::unique_ptr<Runtime> make_runc_runtime(const ToolPaths& tools, RuncVariant variant) {
  return std::make_unique<RuncRuntime>(tools, std::move(variant));
}

}  // namespace lumos::runtime

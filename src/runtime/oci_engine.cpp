// OCI engines: argv of runc and of crun through lumos-crun-launch, versions, crun's cgroups.
#include "oci_engine.hpp"

#include <unistd.h>

#include <fstream>
#include <map>

#include "lumos/common/files.hpp"
#include "lumos/telemetry/proc_stats.hpp"

namespace lumos::runtime {

namespace fs = std::filesystem;

std::vector<std::string> OciEngine::command(const std::vector<std::string>& args, const fs::path& report) const {
  std::vector<std::string> out;
  out.reserve(argv.size() + args.size() + 4);
  out.push_back(argv.front());
  if (launcher && !report.empty()) out.insert(out.end(), {"--report", report.string()});
  out.insert(out.end(), argv.begin() + 1, argv.end());
  out.insert(out.end(), {"--root", state_root.string()});
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

OciEngine runc_engine(const ToolPaths& tools) {
  OciEngine e;
  e.name = "runc";
  e.argv = {tools.runc};
  e.state_root = tools.state_dir / "runc";
  return e;
}

OciEngine crun_engine(const ToolPaths& tools) {
  OciEngine e;
  e.name = "crun";
  const fs::path root = tools.crun_root / "root";
  // crun's libraries first (its libc matches the loader), then WasmEdge's (libwasmedge, which
  // the handler dlopens), then the system's (Debian 12's libLLVM that libwasmedge needs).
  const std::string libs = (root / "usr/lib/x86_64-linux-gnu").string() + ":" +
                           (tools.wasmedge_root / "root/usr/lib/x86_64-linux-gnu").string() +
                           ":/usr/lib/x86_64-linux-gnu";
  e.argv = {tools.crun_launch.string(), (root / "usr/lib64/ld-linux-x86-64.so.2").string(), "--library-path", libs,
            (root / "usr/bin/crun").string()};
  e.launcher = true;
  e.absolute_cgroups = true;
  e.state_root = tools.state_dir / "crun";
  return e;
}

std::vector<std::string> crun_version_command(const ToolPaths& tools) {
  return crun_engine(tools).command({"--version"});
}

Result<std::string> engine_version(const OciEngine& engine, bool wasm_handler) {
  if (engine.launcher) {
    for (const auto& file : {fs::path(engine.argv[0]), fs::path(engine.argv.back())}) {
      if (access(file.c_str(), X_OK) != 0) {
        return fail(ErrorCode::kNotInstalled,
                    file.string() + " not found: " +
                        (file == fs::path(engine.argv[0])
                             ? "build it (make build) or set LUMOS_CRUN_LAUNCH"
                             : "run scripts/setup (it unpacks Debian 13's crun there) or set LUMOS_CRUN_ROOT"));
      }
    }
  }
  if (geteuid() != 0) return fail(ErrorCode::kNotInstalled, engine.name + " needs root: run lumos as root");
  auto version = lumos::run_command(engine.command({"--version"}));
  const std::string fix =
      engine.name == "runc" ? "run scripts/setup or set LUMOS_RUNC" : "run scripts/setup or set LUMOS_CRUN_ROOT";
  if (!version) return fail(ErrorCode::kNotInstalled, engine.name + " not found (" + engine.argv.back() + "): " + fix);
  if (version->exit_code != 0) {
    return fail(ErrorCode::kNotInstalled,
                engine.name + " does not run (" + engine.argv.back() + "): " + version->out + "; " + fix);
  }
  if (wasm_handler && version->out.find("+WASM:wasmedge") == std::string::npos) {
    return fail(ErrorCode::kNotInstalled,
                engine.argv.back() + " has no WasmEdge handler (+WASM:wasmedge missing from its --version)");
  }
  return version->out;
}

std::string container_cgroup(const std::shared_ptr<SpawnScope>& scope, const std::string& id) {
  std::string base;
  if (scope && *scope) {
    auto leave = enter_spawn_scope(scope, "crun");
    if (leave) {
      // Inside a slot the thread's v1 groups share one path (the slot's); outside they may not.
      std::map<std::string, std::string> paths;  // controllers -> path
      std::ifstream in("/proc/thread-self/cgroup");
      std::string line;
      while (std::getline(in, line)) {
        auto a = line.find(':');
        auto b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos || b == a + 1) continue;  // cgroup2 line
        paths[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
      }
      (*leave)();
      for (const auto& [controllers, path] : paths) {
        if (controllers.find("memory") != std::string::npos) base = path;
      }
    }
  }
  if (base == "/") base.clear();
  return base + "/" + id;
}

InstanceStats cgroup_path_stats(const std::string& path) {
  return InstanceStats{telemetry::cgroup_cpu_time(path), telemetry::cgroup_peak_memory(path)};
}

std::optional<std::chrono::nanoseconds> read_launcher_report(const fs::path& report) {
  std::ifstream in(report);
  long long ns = -1;
  in >> ns;
  std::error_code ec;
  fs::remove(report, ec);
  if (!in || ns < 0) return std::nullopt;
  return std::chrono::nanoseconds(ns);
}

}  // namespace lumos::runtime

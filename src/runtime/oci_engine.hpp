// The OCI runtime binaries the container runtimes drive: runc, and Debian 13's crun under its own
// loader, started by lumos-crun-launch in the private mount namespace it needs on this host.
// Internal to src/runtime.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::runtime {

struct OciEngine {
  std::string name = "runc";  ///< "runc" or "crun"
  /// The engine's argv before its global options. For crun: the launcher, then the loader,
  /// its library path and crun; the launcher's `--report FILE` goes right after argv[0].
  std::vector<std::string> argv;
  /// argv[0] is lumos-crun-launch: the time it takes is lumos' packaging, the `wrapper` phase.
  bool launcher = false;
  /// crun places a relative or absent cgroupsPath at the hierarchy root (runc: under its own
  /// groups), so lumos gives each crun container an absolute path (container_cgroup()).
  bool absolute_cgroups = false;
  std::filesystem::path state_root;  ///< --root: container state (never /run/<engine>)

  /// The argv of one engine command, e.g. command({"run", ...}); `report` is the launcher's
  /// report file (ignored for runc; empty: none).
  std::vector<std::string> command(const std::vector<std::string>& args,
                                   const std::filesystem::path& report = {}) const;
};

OciEngine runc_engine(const ToolPaths& tools);
OciEngine crun_engine(const ToolPaths& tools);

/// `<engine> --version`: the text, or kNotInstalled saying how to get the engine. With
/// `wasm_handler`, crun must list +WASM:wasmedge.
Result<std::string> engine_version(const OciEngine& engine, bool wasm_handler);

/// The absolute cgroupsPath of a crun container: <the slot's path>/<id> when the calling
/// thread's spawn scope is a cgroup slot (its groups have one path in every hierarchy, see
/// env::CgroupSlot::uniform_path), else /<id>, where crun puts containers by default.
std::string container_cgroup(const std::shared_ptr<SpawnScope>& scope, const std::string& id);

/// Stats of a container whose cgroup path (the same in every hierarchy) is known.
InstanceStats cgroup_path_stats(const std::string& path);

/// The launcher's report (nanoseconds it took), removed after reading; nullopt if absent.
std::optional<std::chrono::nanoseconds> read_launcher_report(const std::filesystem::path& report);

}  // namespace lumos::runtime

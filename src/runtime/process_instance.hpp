// An Instance backed by a child process speaking the framed protocol (native, runc, wasm host).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/process.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::runtime {

struct ProcessInstanceOptions {
  std::vector<std::string> argv;
  /// Reads resource use; defaults to procfs of the child process.
  std::function<InstanceStats(pid_t)> stats;
  /// The CPU the function's process last ran on; defaults to the spawned process' youngest
  /// descendant (telemetry::leaf_descendant: the container's process under `runc run`).
  std::function<std::optional<int>(pid_t)> last_cpu;
  /// Extra cleanup after the child had to be killed (e.g. `runc delete --force`).
  std::function<void()> after_kill;
  /// If set, the child is spawned inside the scope it enters (a cgroup slot), see ToolPaths.
  std::shared_ptr<SpawnScope> spawn_scope;
  /// 0: the protocol on the child's stdin/stdout; N >= 3: on its fds N and N + 1 (see
  /// ChildProcess::spawn), e.g. for `runc run --preserve-fds 2`.
  int protocol_fd = 0;
  /// The exec mode of every response, when the instance cannot report it (crun's handler).
  std::optional<protocol::ExecMode> exec_mode;
  /// Called once the instance is ready, on its cold-start phases (e.g. to take the launcher's
  /// `wrapper` time out of sandbox_start, and drop files the engine has read by then).
  std::function<void(telemetry::PhaseTimes&)> on_ready;
};

/// Container instances get the protocol pipes as fds 3 and 4 (`--preserve-fds 2` of runc and
/// podman, protocol_fd below), named to the SDK's loop and the wasm host by this variable:
/// the engines relay a foreground container's stdio through their own process.
constexpr int kContainerProtocolFd = 3;
constexpr const char* kContainerProtocolFdsEnv = "LUMOS_PROTOCOL_FDS=3,4";

/// Stats of a container that its engine puts in cgroup <spawned process' cgroup>/<leaf> of
/// each controller (runc, and podman with --cgroup-parent=.): lumos' own group, or the cell's
/// slot. `leaf` returns "" until the container exists; the paths are looked up once.
std::function<InstanceStats(pid_t)> container_cgroup_stats(std::function<std::string()> leaf);

/// Spawns the process and waits (up to `timeout`) for its ready frame. A kError frame
/// instead of kReady (e.g. a malformed module) fails with kSpawn and the instance's message.
Result<std::unique_ptr<Instance>> start_process_instance(ProcessInstanceOptions options,
                                                         std::chrono::milliseconds timeout);

}  // namespace lumos::runtime

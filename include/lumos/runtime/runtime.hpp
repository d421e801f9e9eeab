// The one interface every sandbox implements: Runtime (prepares artifacts, starts instances)
// and Instance (serves requests). Backends: native, native-gcc, runc (-debian), crun (-debian),
// crun-wasmedge-interp, crun-wasmedge-aot, podman (-debian), podman-crun-wasmedge-interp,
// podman-crun-wasmedge-aot, wasmedge-interp, wasmedge-aot, wasmedge-aot-zygote, runc-wasmedge, fake.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lumos/build/artifacts.hpp"
#include "lumos/common/process.hpp"
#include "lumos/common/result.hpp"
#include "lumos/protocol/frame.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::runtime {

/// What `lumos build` made for a function (build owns the type).
using Artifacts = build::Artifacts;

/// One response of an instance. A function-level failure (kError frame) is ok=false here;
/// transport failures (timeout, crash) are errors of Instance::invoke instead.
struct Response {
  bool ok = false;
  std::string body;              ///< output bytes, or the function's error message
  telemetry::PhaseTimes phases;  ///< in-function phases reported by the SDK
  protocol::ExecMode exec_mode = protocol::ExecMode::kUnknown;
  std::uint64_t baas_bytes_in = 0;   ///< bytes the function fetched in BaaS mode
  std::uint64_t baas_bytes_out = 0;  ///< bytes it stored in BaaS mode
};

/// Resource use of an instance since it started (cumulative).
struct InstanceStats {
  std::optional<std::chrono::nanoseconds> cpu;
  std::optional<std::uint64_t> peak_rss_bytes;
};

/// A live sandbox serving requests. Not thread-safe; one request at a time.
class Instance {
 public:
  virtual ~Instance() = default;
  /// Cold-start phases measured while starting (sandbox_start, runtime_init, load, ...).
  virtual const telemetry::PhaseTimes& start_phases() const = 0;
  /// Sends one request and waits for its response. kTimeout: the instance was killed;
  /// kCrashed/kProtocol: it died or misbehaved. After any error the instance is dead.
  virtual Result<Response> invoke(std::string_view request, std::chrono::milliseconds timeout) = 0;
  virtual InstanceStats stats() = 0;
  /// The CPU the instance's function process last ran on (for the records' placement); nullopt
  /// when unknown.
  virtual std::optional<int> last_cpu() { return std::nullopt; }
  virtual bool alive() = 0;
  /// Ends the instance (graceful: end of input, then kill after a short grace period).
  virtual void stop() = 0;
};

/// One run of a command function (a program with main() / WASI _start), stdio in files.
struct CommandRequest {
  std::string function;
  std::vector<std::string> args;           ///< argv[1..]
  std::map<std::string, std::string> env;  ///< the program's whole environment
  std::filesystem::path work_dir;          ///< the program's "." (cwd / WASI preopen)
  std::filesystem::path stdin_file, stdout_file, stderr_file;
  std::chrono::milliseconds timeout{10'000};
};

struct CommandOutcome {
  int exit_code = -1;  ///< the program's exit code; -1 if killed
  bool timed_out = false;
  std::string error;      ///< the sandbox failed (e.g. module not loadable); empty otherwise
  std::string exit_text;  ///< "exited with code 1" / "killed by signal 11 (SIGSEGV)"
  telemetry::PhaseTimes phases;
  protocol::ExecMode exec_mode = protocol::ExecMode::kUnknown;
  InstanceStats stats;
};

/// A sandbox kind. prepare() is called once per function before its instances start.
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string_view name() const = 0;
  /// Fails with kNotInstalled (and how to fix it) if the sandbox cannot run here.
  virtual Result<void> check() const = 0;
  /// Makes whatever the runtime needs from the artifacts (e.g. an OCI bundle).
  virtual Result<void> prepare(const Artifacts& artifacts) = 0;
  /// Starts a new instance of a prepared function; returns once it is ready to serve.
  virtual Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                           std::chrono::milliseconds timeout) = 0;
  /// Mode `instance`: starts a live sandbox of a prepared function whose every invoke() runs in
  /// a new instance (a new WasmEdge instance in a live host, a process forked from a zygote);
  /// each response's phases split that instance's start (kInstanceStartPhases). A failed or
  /// trapped request ends its instance, not the sandbox. Runtimes without one fail (kConfig);
  /// mode_support() says which have one before any runtime is made.
  virtual Result<std::unique_ptr<Instance>> start_instance_host(const std::string& function,
                                                                std::chrono::milliseconds timeout);
  /// Runs a prepared command function once. Runtimes without one-shot support fail (kConfig).
  virtual Result<CommandOutcome> run_command(const CommandRequest& request);
  /// Checks the runtime made while preparing, one line each, with their figures (e.g.
  /// crun-wasmedge-aot's AoT fallback check); the run's manifest keeps them.
  virtual std::vector<std::string> checks() const { return {}; }
};

/// Where the external tools are. Defaults come from the build; env vars override
/// (LUMOS_RUNC, LUMOS_WASM_HOST, LUMOS_PODMAN, LUMOS_SKOPEO, LUMOS_UMOCI, LUMOS_WASMEDGE_ROOT,
/// LUMOS_CRUN_ROOT, LUMOS_CRUN_LAUNCH, LUMOS_IMAGE_BASE_DIR), which is how tests simulate a
/// missing runtime.
struct ToolPaths {
  std::filesystem::path wasm_host;  ///< lumos-wasm-host
  std::string runc = "runc";
  /// Debian 13's crun, unpacked by scripts/setup (root/usr/bin/crun and its loader and libraries).
  std::filesystem::path crun_root;
  /// lumos-crun-launch: starts crun in the private mount namespace it needs on this host.
  std::filesystem::path crun_launch;
  std::string podman = "podman";
  std::string skopeo = "skopeo";  ///< copies OCI images into podman's store
  std::string umoci = "umoci";    ///< builds and unpacks OCI images
  /// The private WasmEdge root lumos-wasm-host runs from (runc-wasmedge bind-mounts it).
  std::filesystem::path wasmedge_root;
  /// Cache of the Debian base image of the container-debian images.
  std::filesystem::path image_base_dir;
  std::filesystem::path state_dir;  ///< scratch root for bundles and container state
  /// Containers: the network namespace to join and the BaaS address as seen from it. Empty:
  /// containers get a network namespace with only a loopback device.
  std::string container_netns;
  std::string container_baas_addr;
  /// The BaaS Redis password (lumos' own Redis), given to containers as LUMOS_BAAS_PASSWORD.
  std::string baas_password;
  /// Native processes, wasm hosts, `runc run` and `podman run` (instances and one-shot
  /// commands) are spawned inside this scope when it is set (the engine points it at the
  /// current cell's cgroup slot: an environment profile's limits).
  std::shared_ptr<SpawnScope> spawn_scope;
};

/// Tool paths with defaults: lumos-wasm-host next to `self_exe`, runc from PATH.
ToolPaths default_tool_paths(const std::filesystem::path& self_exe, const std::filesystem::path& state_dir);

/// The default runtimes of an experiment (the four foundation runtimes), in report order.
const std::vector<std::string>& runtime_names();

/// kFloorRuntime (common/vocabulary.hpp) is the floor: a warm round trip to a `cat` process (one
/// framed message written and read back) with the cell's placement; its exec mode is `none` (no
/// function ran) and its check is that the request came back unchanged.
/// Every runtime make_runtime() knows, in report order: floor, native, native-gcc, runc, runc-debian,
/// crun, crun-debian, podman, podman-debian, wasmedge-interp, wasmedge-aot, wasmedge-aot-zygote,
/// crun-wasmedge-interp, crun-wasmedge-aot, podman-crun-wasmedge-interp, podman-crun-wasmedge-aot,
/// runc-wasmedge. `native` runs the executable built by the wasm modules'
/// compiler (clang-19), `native-gcc` the host compiler's build of the same source;
/// `runc`/`crun`/`podman` run the container-scratch image, the `-debian` variants the
/// container-debian image; `crun-wasmedge-*` run the wasm / wasm-aot image with crun's
/// built-in WasmEdge handler, as a crun node runs a Wasm image; `podman-crun-wasmedge-*` the same
/// images through podman with crun as its OCI runtime.
const std::vector<std::string>& all_runtime_names();

/// The exec mode a runtime promises (native for containers, interpreter or AoT for wasm,
/// aot-unverified for crun-wasmedge-aot, whose embedded engine cannot be asked, none for the
/// floor); a response
/// that ran otherwise is a wrong_exec_mode failure.
protocol::ExecMode promised_exec_mode(std::string_view runtime);

/// Whether a runtime runs a mode, and what its start is there: `instance` is a new WasmEdge
/// instance in a live lumos-wasm-host (wasmedge-interp, wasmedge-aot), a process forked from a
/// pre-initialised zygote (native, native-gcc: the function's own process; wasmedge-aot-zygote:
/// a host with libwasmedge, LLVM and the module loaded), and not applicable elsewhere;
/// wasmedge-aot-zygote has no cold or warm mode of its own (they are wasmedge-aot's).
struct ModeSupport {
  bool applicable = true;
  std::string what;  ///< what a request of the mode starts, or why the mode is not applicable
};
ModeSupport mode_support(std::string_view runtime, telemetry::Mode mode);

/// The argv that prints crun's version (through lumos-crun-launch, with a private --root).
std::vector<std::string> crun_version_command(const ToolPaths& tools);

/// Creates a runtime by name. Unknown names fail with kConfig listing the known ones.
Result<std::unique_ptr<Runtime>> make_runtime(std::string_view name, const ToolPaths& tools);

}  // namespace lumos::runtime

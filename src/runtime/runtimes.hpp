// Factories of the runtime backends (private to src/runtime; use make_runtime()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "lumos/image/oci_image.hpp"
#include "lumos/runtime/runtime.hpp"
#include "oci_engine.hpp"

namespace lumos::runtime {

/// Which native executable a native runtime runs: kClang the default one (Artifacts::native_exe),
/// kGcc the host compiler's (Artifacts::native_gcc_exe).
enum class NativeFlavour { kClang, kGcc };
std::unique_ptr<Runtime> make_native_runtime(const ToolPaths& tools, NativeFlavour flavour);
/// aot=false: forced interpreter on the plain module; aot=true: the AoT module.
/// wasmedge-interp, wasmedge-aot, and wasmedge-aot-zygote (wasmedge-aot whose instance mode
/// forks a process per request from a host that loaded the module).
enum class WasmEdgeVariant { kInterp, kAot, kAotZygote };
std::unique_ptr<Runtime> make_wasmedge_runtime(const ToolPaths& tools, WasmEdgeVariant variant);
std::unique_ptr<Runtime> make_fake_runtime();
/// floor: a bare pipe ping-pong with a second process (warm only).
std::unique_ptr<Runtime> make_floor_runtime(const ToolPaths& tools);

/// The image tools of ToolPaths.
image::ImageTools image_tools(const ToolPaths& tools);

/// What runs inside a container made from an image: its argv, environment, working directory,
/// and host paths bind-mounted into it (host -> container), read-only or writable.
struct ContainerProcess {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> ro_binds;
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> rw_binds;
};

/// A flavour of the OCI runtime: which engine runs it, which image it unpacks and what it runs.
struct RuncVariant {
  std::string name;           ///< runtime name, e.g. "runc"
  std::string image_flavour;  ///< e.g. image::kContainerScratch
  /// The container's process for a prepared image (default: the image's own entrypoint).
  std::function<Result<ContainerProcess>(const image::ImageInfo&, const Artifacts&)> process;
  /// Extra installation checks (e.g. the wasm host exists).
  std::function<Result<void>()> check;
  /// Command functions: the process of one run, from the prepared process and the request
  /// (default: the image's entrypoint with the request's args, env and /work as cwd).
  std::function<ContainerProcess(const ContainerProcess& prepared, const CommandRequest& request)> command;
  /// Completes a command run's outcome (default: exec mode native).
  std::function<void(CommandOutcome& outcome, const CommandRequest& request)> finish_command;
  /// The OCI runtime binary (default: runc_engine).
  std::optional<OciEngine> engine;
  /// crun's WasmEdge handler runs the entrypoint: the bundle carries the image's compat-smart
  /// annotation, and the protocol runs on the container's stdio (see start_instance).
  bool wasm_handler = false;
  /// The exec mode of every response, for instances that cannot report it.
  std::optional<protocol::ExecMode> exec_mode;
};

/// The container's process as the image config says: Entrypoint + Cmd, Env, WorkingDir.
ContainerProcess image_process(const image::ImageInfo& image);

/// runc running a bundle unpacked from one of the function's OCI images.
std::unique_ptr<Runtime> make_runc_runtime(const ToolPaths& tools, RuncVariant variant);
/// runc-wasmedge: the wasm-aot image in a runc container whose entrypoint is lumos-wasm-host.
std::unique_ptr<Runtime> make_runc_wasmedge_runtime(const ToolPaths& tools);
/// crun (through lumos-crun-launch) running a container image; flavour as in RuncVariant.
std::unique_ptr<Runtime> make_crun_runtime(const ToolPaths& tools, std::string name, std::string image_flavour);
/// crun's built-in WasmEdge running the wasm image (aot=false) or the wasm-aot image.
std::unique_ptr<Runtime> make_crun_wasmedge_runtime(const ToolPaths& tools, bool aot);
/// podman run -i of the image loaded into podman's store; flavour as in RuncVariant.
std::unique_ptr<Runtime> make_podman_runtime(const ToolPaths& tools, std::string name, std::string image_flavour);

/// A podman runtime: its image flavour and, for the wasm images, crun's WasmEdge handler.
struct PodmanVariant {
  std::string name;
  std::string image_flavour;
  /// podman runs the image with crun (a wrapper in lumos' state folder) and the compat-smart
  /// annotation; the protocol runs on the attached stdio.
  bool wasm_handler = false;
  std::optional<protocol::ExecMode> exec_mode;
};
/// podman-crun-wasmedge-interp / -aot: the wasm / wasm-aot image run by podman with crun as its
/// OCI runtime, the Docker-compatible path of a Wasm image; -aot has the AoT fallback check.
std::unique_ptr<Runtime> make_podman_crun_wasmedge_runtime(const ToolPaths& tools, bool aot);

/// Why runtimes on crun's WasmEdge handler refuse command functions (kConfig).
Error wasm_handler_command_refusal(std::string_view runtime);

/// Wraps a runtime whose embedded WasmEdge cannot say whether AoT ran (crun's handler) with the
/// AoT fallback check at prepare() (crun_runtime.cpp).
std::unique_ptr<Runtime> make_aot_checked_runtime(std::unique_ptr<Runtime> inner, const ToolPaths& tools);

}  // namespace lumos::runtime

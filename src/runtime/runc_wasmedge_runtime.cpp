// runc-wasmedge: lumos' own Wasm host inside a runc container. No node runs Wasm this way (crun
// nodes embed WasmEdge in crun: crun-wasmedge-*), but it is the one containerised Wasm path with
// host functions (BaaS through lumos' kv imports) and a verified exec mode (the host reports
// whether AoT code ran), and it isolates the container's cost from the engine's (same host as
// wasmedge-aot). The container's root file system is the function's wasm-aot image; the
// runtime comes from the node: lumos-wasm-host, its private WasmEdge root and the system
// libraries it loads are bind-mounted read-only from the host, and so is the function's AoT
// reactor module (the image holds the WASI command a crun node runs); the container's
// entrypoint becomes `lumos-wasm-host --mode aot reactor MODULE`.
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "one_shot.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

// Where the host binary and the reactor module appear inside the container.
constexpr const char* kHostInContainer = "/.lumos/lumos-wasm-host";
constexpr const char* kReactorInContainer = "/.lumos/function.aot.wasm";
// System libraries of the host (libLLVM and its dependencies, zlib, hiredis, ...).
constexpr const char* kSystemLibDir = "/usr/lib/x86_64-linux-gnu";
// Command functions: the run's scratch folder (the host writes its report there).
constexpr const char* kOutInContainer = "/.lumos-out";
constexpr const char* kReportName = "wasm-host-report.json";

// Reads the host's report of a command run: exec mode, phases, sandbox errors.
void read_report(CommandOutcome& outcome, const CommandRequest& request) {
  std::ifstream in(request.stdout_file.parent_path() / kReportName);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) {
    if (!outcome.timed_out) outcome.error = "lumos-wasm-host wrote no report (" + outcome.exit_text + ")";
    return;
  }
  std::string mode = j.value("exec_mode", "unknown");
  outcome.exec_mode = mode == "aot"           ? protocol::ExecMode::kAot
                      : mode == "interpreter" ? protocol::ExecMode::kInterpreter
                                              : protocol::ExecMode::kUnknown;
  outcome.error = j.value("error", "");
  if (j.contains("phases_ns") && j["phases_ns"].is_object()) {
    for (const auto& [name, v] : j["phases_ns"].items()) {
      if (v.is_number()) outcome.phases[name] = std::chrono::nanoseconds(v.get<std::int64_t>());
    }
  }
}

Result<void> check_host(const ToolPaths& tools) {
  if (access(tools.wasm_host.c_str(), X_OK) != 0) {
    return fail(ErrorCode::kNotInstalled, "lumos-wasm-host not found at " + tools.wasm_host.string() +
                                              ": build it (make build) or set LUMOS_WASM_HOST");
  }
  std::error_code ec;
  if (!fs::is_directory(tools.wasmedge_root, ec)) {
    return fail(ErrorCode::kNotInstalled, "WasmEdge root " + tools.wasmedge_root.string() +
                                              " not found: run scripts/setup or set LUMOS_WASMEDGE_ROOT");
  }
  return {};
}

}  // namespace

std::unique_ptr<Runtime> make_runc_wasmedge_runtime(const ToolPaths& tools) {
  RuncVariant variant;
  variant.name = "runc-wasmedge";
  variant.image_flavour = std::string(image::kWasmAot);
  // Command functions: the host's command mode with the run's folder as the guest's "."; the
  // guest's environment goes through --env (the host's own stays the container's).
  variant.command = [](const ContainerProcess& prepared, const CommandRequest& request) {
    ContainerProcess proc = prepared;
    const std::string module = prepared.args.back();
    proc.args = {kHostInContainer,
                 "--mode",
                 "aot",
                 "--dir",
                 ".:/work",
                 "--report",
                 std::string(kOutInContainer) + "/" + kReportName};
    for (const auto& e : env_entries(request.env)) proc.args.insert(proc.args.end(), {"--env", e});
    proc.args.insert(proc.args.end(), {"command", module});
    proc.args.insert(proc.args.end(), request.args.begin(), request.args.end());
    proc.cwd = "/work";
    proc.rw_binds = {{request.work_dir, "/work"}, {request.stdout_file.parent_path(), kOutInContainer}};
    return proc;
  };
  variant.finish_command = read_report;
  variant.check = [tools] { return check_host(tools); };
  variant.process = [tools](const image::ImageInfo& image, const Artifacts& a) -> Result<ContainerProcess> {
    if (!image.is_wasm()) {
      return fail(ErrorCode::kBuild, "image " + image.reference() + " is not a wasm image (no " +
                                         std::string(image::kWasmVariantAnnotation) + " annotation)");
    }
    if (auto ok = check_host(tools); !ok) return tl::unexpected(ok.error());
    ContainerProcess proc = image_process(image);
    // The host is linked against the WasmEdge root by absolute paths (loader and rpath), so
    // that root appears at the same path inside the container.
    proc.ro_binds = {{tools.wasm_host, kHostInContainer},
                     {tools.wasmedge_root, tools.wasmedge_root},
                     {kSystemLibDir, kSystemLibDir}};
    // SDK functions: the image's module is the WASI command; the host serves the reactor.
    // Command functions: the image's module is the program itself.
    std::string module = image.entrypoint.front();  // inspect_image checked it exists
    if (!a.wasm_command_aot.empty()) {
      if (a.wasm_aot.empty()) return fail(ErrorCode::kBuild, "no AoT reactor module for " + a.function);
      proc.ro_binds.emplace_back(a.wasm_aot, kReactorInContainer);
      module = kReactorInContainer;
    }
    proc.args = {kHostInContainer, "--mode", "aot", "reactor", module};
    return proc;
  };
  return make_runc_runtime(tools, std::move(variant));
}

}  // namespace lumos::runtime

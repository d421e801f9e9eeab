// The runtime registry: names, tool discovery and construction by name.
#include "lumos/runtime/runtime.hpp"

#include <cstdlib>

#include "lumos/common/vocabulary.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {

ToolPaths default_tool_paths(const std::filesystem::path& self_exe, const std::filesystem::path& state_dir) {
  ToolPaths tools;
  tools.wasm_host = self_exe.parent_path() / "lumos-wasm-host";
  if (const char* v = std::getenv("LUMOS_WASM_HOST"); v && *v) tools.wasm_host = v;
  if (const char* v = std::getenv("LUMOS_RUNC"); v && *v) tools.runc = v;
  if (const char* v = std::getenv("LUMOS_PODMAN"); v && *v) tools.podman = v;
  if (const char* v = std::getenv("LUMOS_SKOPEO"); v && *v) tools.skopeo = v;
  tools.crun_root = LUMOS_DEFAULT_CRUN_ROOT;
  if (const char* v = std::getenv("LUMOS_CRUN_ROOT"); v && *v) tools.crun_root = v;
  tools.crun_launch = self_exe.parent_path() / "lumos-crun-launch";
  if (const char* v = std::getenv("LUMOS_CRUN_LAUNCH"); v && *v) tools.crun_launch = v;
  tools.wasmedge_root = LUMOS_DEFAULT_WASMEDGE_ROOT;
  if (const char* v = std::getenv("LUMOS_WASMEDGE_ROOT"); v && *v) tools.wasmedge_root = v;
  auto images = image::default_image_tools();  // LUMOS_UMOCI, LUMOS_IMAGE_BASE_DIR
  tools.umoci = images.umoci;
  tools.image_base_dir = images.base_dir;
  tools.state_dir = state_dir;
  return tools;
}

image::ImageTools image_tools(const ToolPaths& tools) {
  image::ImageTools out = image::default_image_tools();
  out.umoci = tools.umoci;
  if (!tools.image_base_dir.empty()) out.base_dir = tools.image_base_dir;
  return out;
}

Result<CommandOutcome> Runtime::run_command(const CommandRequest&) {
  return fail(ErrorCode::kConfig, std::string(name()) + " cannot run command functions");
}

const std::vector<std::string>& runtime_names() {
  static const std::vector<std::string> kNames = {"native", "runc", "wasmedge-interp", "wasmedge-aot"};
  return kNames;
}

const std::vector<std::string>& all_runtime_names() {
  // The views' display order (common/vocabulary.hpp) is the one list of runtimes; "fake" is
  // for tests only.
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (auto n : kRuntimeOrder) {
      if (n != "fake") names.emplace_back(n);
    }
    return names;
  }();
  return kNames;
}

ModeSupport mode_support(std::string_view runtime, telemetry::Mode mode) {
  if (runtime == kFloorRuntime) {
    if (mode == telemetry::Mode::kWarm) return {true, ""};
    return {false, "the floor is the warm round trip to a live echo process; it has no start to measure"};
  }
  const bool zygote = runtime == "wasmedge-aot-zygote";
  if (mode != telemetry::Mode::kInstance) {
    if (zygote) return {false, "its cold and warm cells are wasmedge-aot's (same host, same module)"};
    return {true, ""};
  }
  if (runtime == "wasmedge-interp" || runtime == "wasmedge-aot") {
    return {true, "a new WasmEdge instance (store, linear memory, WASI) in a live lumos-wasm-host"};
  }
  if (zygote) return {true, "a process forked from a lumos-wasm-host with libwasmedge, LLVM and the module loaded"};
  if (runtime == "native" || runtime == "native-gcc") {
    return {true, "a process forked from the function's pre-initialised process (a zygote)"};
  }
  if (runtime == "fake") return {true, "a scripted instance"};
  if (runtime.rfind("runc", 0) == 0 || runtime.rfind("crun", 0) == 0 || runtime.rfind("podman", 0) == 0) {
    return {false, "a new process in a live container is `" +
                       std::string(runtime.rfind("podman", 0) == 0 ? "podman" : runtime.substr(0, 4)) +
                       " exec`, which sets up the same namespaces, cgroup and process as a container start: no "
                       "instance level lighter than the cold start (docs/ARCHITECTURE.md)"};
  }
  return {false, "no instance level"};
}

Result<std::unique_ptr<Instance>> Runtime::start_instance_host(const std::string&, std::chrono::milliseconds) {
  return fail(ErrorCode::kConfig,
              std::string(name()) + " has no instance mode: " + mode_support(name(), telemetry::Mode::kInstance).what);
}

protocol::ExecMode promised_exec_mode(std::string_view runtime) {
  // crun's handler on the plain module: it has no native code, so WasmEdge can only interpret it.
  if (runtime == "wasmedge-interp" || runtime == "crun-wasmedge-interp" || runtime == "podman-crun-wasmedge-interp") {
    return protocol::ExecMode::kInterpreter;
  }
  if (runtime == "crun-wasmedge-aot" || runtime == "podman-crun-wasmedge-aot")
    return protocol::ExecMode::kAotUnverified;
  if (runtime == "wasmedge-aot" || runtime == "wasmedge-aot-zygote" || runtime == "runc-wasmedge") {
    return protocol::ExecMode::kAot;
  }
  if (runtime == kFloorRuntime) return protocol::ExecMode::kNone;
  return protocol::ExecMode::kNative;
}

Result<std::unique_ptr<Runtime>> make_runtime(std::string_view name, const ToolPaths& tools) {
  if (name == kFloorRuntime) return make_floor_runtime(tools);
  if (name == "native") return make_native_runtime(tools, NativeFlavour::kClang);
  if (name == "native-gcc") return make_native_runtime(tools, NativeFlavour::kGcc);
  auto variant = [](std::string runtime, std::string_view flavour) {
    RuncVariant v;
    v.name = std::move(runtime);
    v.image_flavour = std::string(flavour);
    return v;
  };
  if (name == "runc") return make_runc_runtime(tools, variant("runc", image::kContainerScratch));
  if (name == "runc-debian") {
    return make_runc_runtime(tools, variant("runc-debian", image::kContainerDebian));
  }
  if (name == "crun") return make_crun_runtime(tools, "crun", std::string(image::kContainerScratch));
  if (name == "crun-debian") return make_crun_runtime(tools, "crun-debian", std::string(image::kContainerDebian));
  if (name == "crun-wasmedge-interp") return make_crun_wasmedge_runtime(tools, false);
  if (name == "crun-wasmedge-aot") return make_crun_wasmedge_runtime(tools, true);
  if (name == "podman") return make_podman_runtime(tools, "podman", std::string(image::kContainerScratch));
  if (name == "podman-debian") return make_podman_runtime(tools, "podman-debian", std::string(image::kContainerDebian));
  if (name == "podman-crun-wasmedge-interp") return make_podman_crun_wasmedge_runtime(tools, false);
  if (name == "podman-crun-wasmedge-aot") return make_podman_crun_wasmedge_runtime(tools, true);
  if (name == "wasmedge-interp") return make_wasmedge_runtime(tools, WasmEdgeVariant::kInterp);
  if (name == "wasmedge-aot") return make_wasmedge_runtime(tools, WasmEdgeVariant::kAot);
  if (name == "wasmedge-aot-zygote") return make_wasmedge_runtime(tools, WasmEdgeVariant::kAotZygote);
  if (name == "runc-wasmedge") return make_runc_wasmedge_runtime(tools);
  if (name == "fake") return make_fake_runtime();
  std::string known;
  for (const auto& n : all_runtime_names()) known += (known.empty() ? "" : ", ") + n;
  return fail(ErrorCode::kConfig, "unknown runtime '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace lumos::runtime

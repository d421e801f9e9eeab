// The runtime registry: names, tool discovery and construction by name.
#include "lumos/runtime/runtime.hpp"

#include <cstdlib>

#include "runtimes.hpp"

namespace lumos::runtime {

ToolPaths default_tool_paths(const std::filesystem::path& self_exe,
                             const std::filesystem::path& state_dir) {
  ToolPaths tools;
  tools.wasm_host = self_exe.parent_path() / "lumos-wasm-host";
  if (const char* v = std::getenv("LUMOS_WASM_HOST"); v && *v) tools.wasm_host = v;
  if (const char* v = std::getenv("LUMOS_RUNC"); v && *v) tools.runc = v;
  tools.state_dir = state_dir;
  return tools;
}

Result<CommandOutcome> Runtime::run_command(const CommandRequest&) {
  return fail(ErrorCode::kConfig, std::string(name()) + " cannot run command functions");
}

const std::vector<std::string>& runtime_names() {
  static const std::vector<std::string> names = {"native", "runc", "wasmedge-interp",
                                                 "wasmedge-aot"};
  return names;
}

Result<std::unique_ptr<Runtime>> make_runtime(std::string_view name, const ToolPaths& tools) {
  if (name == "native") return make_native_runtime();
  if (name == "runc") return make_runc_runtime(tools);
  if (name == "wasmedge-interp") return make_wasmedge_runtime(tools, false);
  if (name == "wasmedge-aot") return make_wasmedge_runtime(tools, true);
  if (name == "fake") return make_fake_runtime();
  std::string known;
  for (const auto& n : runtime_names()) known += (known.empty() ? "" : ", ") + n;
  return fail(ErrorCode::kConfig, "unknown runtime '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace lumos::runtime

// wasmedge-interp / wasmedge-aot: a lumos-wasm-host process per instance, embedding WasmEdge; in
// mode `instance` one live host makes a new instance per request (wasmedge-aot-zygote: forks a
// process per request).
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "one_shot.hpp"
#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

class WasmEdgeRuntime final : public Runtime {
 public:
  WasmEdgeRuntime(ToolPaths tools, WasmEdgeVariant variant)
      : tools_(std::move(tools)), aot_(variant != WasmEdgeVariant::kInterp), variant_(variant) {}

  std::string_view name() const override {
    switch (variant_) {
      case WasmEdgeVariant::kInterp:
        return "wasmedge-interp";
      case WasmEdgeVariant::kAot:
        return "wasmedge-aot";
      case WasmEdgeVariant::kAotZygote:
        return "wasmedge-aot-zygote";
    }
    return "wasmedge";
  }

  Result<void> check() const override {
    if (access(tools_.wasm_host.c_str(), X_OK) != 0) {
      return fail(ErrorCode::kNotInstalled, "lumos-wasm-host not found at " + tools_.wasm_host.string() +
                                                ": build it (make build) or set LUMOS_WASM_HOST");
    }
    return {};
  }

  Result<void> prepare(const Artifacts& a) override {
    const auto& module = aot_ ? a.wasm_aot : a.wasm;
    if (module.empty() || access(module.c_str(), R_OK) != 0) {
      return fail(ErrorCode::kBuild, std::string("no ") + (aot_ ? "AoT " : "") + "wasm module for " + a.function +
                                         " (expected " + module.string() + "): run lumos build");
    }
    modules_[a.function] = module;
    return {};
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    return start_host(function, timeout, nullptr);
  }

  Result<std::unique_ptr<Instance>> start_instance_host(const std::string& function,
                                                        std::chrono::milliseconds timeout) override {
    return start_host(function, timeout, variant_ == WasmEdgeVariant::kAotZygote ? "fork" : "instance");
  }

  Result<CommandOutcome> run_command(const CommandRequest& request) override {
    if (auto ok = check(); !ok) return tl::unexpected(ok.error());
    auto it = modules_.find(request.function);
    if (it == modules_.end()) return fail(ErrorCode::kInternal, request.function + " was not prepared");
    auto report = request.stdout_file.parent_path() / "wasm-host-report.json";
    std::vector<std::string> argv = {tools_.wasm_host.string(),        "--mode",   aot_ ? "aot" : "interp", "--dir",
                                     ".:" + request.work_dir.string(), "--report", report.string()};
    for (const auto& e : env_entries(request.env)) argv.insert(argv.end(), {"--env", e});
    argv.insert(argv.end(), {"command", it->second.string()});
    argv.insert(argv.end(), request.args.begin(), request.args.end());
    auto outcome = run_one_shot_command(argv, request, std::nullopt, request.work_dir, tools_.spawn_scope);
    if (!outcome) return outcome;
    // The host's report says which phases ran, what executed, and whether the sandbox failed.
    std::ifstream in(report);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object()) {
      std::string mode = j.value("exec_mode", "unknown");
      outcome->exec_mode = mode == "aot"           ? protocol::ExecMode::kAot
                           : mode == "interpreter" ? protocol::ExecMode::kInterpreter
                                                   : protocol::ExecMode::kUnknown;
      outcome->error = j.value("error", "");
      if (j.contains("phases_ns") && j["phases_ns"].is_object()) {
        for (const auto& [name, v] : j["phases_ns"].items()) {
          if (v.is_number()) outcome->phases[name] = std::chrono::nanoseconds(v.get<std::int64_t>());
        }
      }
    } else if (!outcome->timed_out) {
      outcome->error = "lumos-wasm-host wrote no report (" + outcome->exit_text + ")";
    }
    return outcome;
  }

 private:
  // A lumos-wasm-host serving the function: its one instance, or (`fresh`) a new instance or
  // forked process per request.
  Result<std::unique_ptr<Instance>> start_host(const std::string& function, std::chrono::milliseconds timeout,
                                               const char* fresh) {
    if (auto ok = check(); !ok) return tl::unexpected(ok.error());
    auto it = modules_.find(function);
    if (it == modules_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    ProcessInstanceOptions options;
    options.argv = {tools_.wasm_host.string(), "--mode", aot_ ? "aot" : "interp"};
    if (fresh) options.argv.insert(options.argv.end(), {"--fresh", fresh});
    options.argv.insert(options.argv.end(), {"reactor", it->second.string()});
    options.spawn_scope = tools_.spawn_scope;
    return start_process_instance(std::move(options), timeout);
  }

  ToolPaths tools_;
  bool aot_;
  WasmEdgeVariant variant_;
  std::map<std::string, std::filesystem::path> modules_;
};

}  // namespace

std::unique_ptr<Runtime> make_wasmedge_runtime(const ToolPaths& tools, WasmEdgeVariant variant) {
  return std::make_unique<WasmEdgeRuntime>(tools, variant);
}

}  // namespace lumos::runtime

// native: the function's static executable (clang-19, as the wasm modules) as a plain child
// process, the floor every sandbox is compared to; native-gcc: the host compiler's build of the
// same source, run the same way.
#include <unistd.h>

#include "one_shot.hpp"
#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

class NativeRuntime final : public Runtime {
 public:
  NativeRuntime(ToolPaths tools, NativeFlavour flavour) : tools_(std::move(tools)), flavour_(flavour) {}
  std::string_view name() const override { return flavour_ == NativeFlavour::kClang ? "native" : "native-gcc"; }
  Result<void> check() const override { return {}; }

  Result<void> prepare(const Artifacts& a) override {
    const auto& exe = flavour_ == NativeFlavour::kClang ? a.native_exe : a.native_gcc_exe;
    if (exe.empty() || access(exe.c_str(), X_OK) != 0) {
      return fail(ErrorCode::kBuild, "no " + std::string(name()) + " executable for " + a.function + " (expected " +
                                         (exe.empty() ? "one; a prebuilt native has no gcc flavour" : exe.string()) +
                                         "): run lumos build");
    }
    exes_[a.function] = exe;
    return {};
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    return start(function, timeout, false);
  }

  // The SDK's zygote mode: the function's process, initialised once, forks one per request.
  Result<std::unique_ptr<Instance>> start_instance_host(const std::string& function,
                                                        std::chrono::milliseconds timeout) override {
    return start(function, timeout, true);
  }

  Result<CommandOutcome> run_command(const CommandRequest& request) override {
    auto it = exes_.find(request.function);
    if (it == exes_.end()) return fail(ErrorCode::kInternal, request.function + " was not prepared");
    std::vector<std::string> argv = {it->second.string()};
    argv.insert(argv.end(), request.args.begin(), request.args.end());
    auto outcome = run_one_shot_command(argv, request, env_entries(request.env), request.work_dir, tools_.spawn_scope);
    if (outcome) outcome->exec_mode = protocol::ExecMode::kNative;
    return outcome;
  }

 private:
  Result<std::unique_ptr<Instance>> start(const std::string& function, std::chrono::milliseconds timeout, bool zygote) {
    auto it = exes_.find(function);
    if (it == exes_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    ProcessInstanceOptions options;
    options.argv = {it->second.string()};
    if (zygote) options.argv.emplace_back("--lumos-zygote");
    options.spawn_scope = tools_.spawn_scope;
    return start_process_instance(std::move(options), timeout);
  }

  ToolPaths tools_;
  NativeFlavour flavour_;
  std::map<std::string, std::filesystem::path> exes_;
};

}  // namespace

std::unique_ptr<Runtime> make_native_runtime(const ToolPaths& tools, NativeFlavour flavour) {
  return std::make_unique<NativeRuntime>(tools, flavour);
}

}  // namespace lumos::runtime

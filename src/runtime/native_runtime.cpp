// native: the function's static executable as a plain child process (the floor every sandbox
// is compared to).
#include <unistd.h>

#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

class NativeRuntime final : public Runtime {
 public:
  std::string_view name() const override { return "native"; }
  Result<void> check() const override { return {}; }

  Result<void> prepare(const Artifacts& a) override {
    if (a.native_exe.empty() || access(a.native_exe.c_str(), X_OK) != 0) {
      return fail(ErrorCode::kBuild, "no native executable for " + a.function +
                                         " (expected " + a.native_exe.string() + "): run lumos build");
    }
    exes_[a.function] = a.native_exe;
    return {};
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    auto it = exes_.find(function);
    if (it == exes_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    ProcessInstanceOptions options;
    options.argv = {it->second.string()};
    return start_process_instance(std::move(options), timeout);
  }

 private:
  std::map<std::string, std::filesystem::path> exes_;
};

}  // namespace

std::unique_ptr<Runtime> make_native_runtime() { return std::make_unique<NativeRuntime>(); }

}  // namespace lumos::runtime

// crun, the OCI runtime podman and CRI-O nodes use, run beside runc on the same bundles: the
// container images as they are, and the wasm / wasm-aot images through crun's built-in WasmEdge
// handler (selected by the images' module.wasm.image/variant=compat-smart annotation), the way
// a crun node runs a Wasm image. crun is Debian 13's, started by lumos-crun-launch (see
// oci_engine.hpp); the images' module is the function's WASI command (the SDK's framed loop in
// _start, built with LUMOS_WASM_COMMAND), the only kind the handler runs.
#include <fmt/format.h>

#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

using std::chrono::nanoseconds;

// Rounds of the SDK's calibration loop: ~2 ms as AoT code here, ~0.2 s interpreted.
constexpr std::uint32_t kCalibrationRounds = 2'000'000;
// AoT through crun may take this many times as long as AoT in lumos-wasm-host and pass; an
// interpreter takes ~100x.
constexpr double kMaxAotRatio = 2.0;

std::string calibration_request(std::uint32_t rounds) {
  std::string r("\0LUMOSCB", 8);
  for (int i = 0; i < 4; ++i) r.push_back(static_cast<char>((rounds >> (8 * i)) & 0xff));
  return r;
}

// The compute time and answer of one calibration request in a new instance of `rt`.
Result<std::pair<nanoseconds, std::string>> time_calibration(Runtime& rt, const std::string& function) {
  auto instance = rt.start_instance(function, std::chrono::seconds(30));
  if (!instance) return tl::unexpected(instance.error());
  auto response = (*instance)->invoke(calibration_request(kCalibrationRounds), std::chrono::seconds(60));
  (*instance)->stop();
  if (!response) return tl::unexpected(response.error());
  if (!response->ok) return fail(ErrorCode::kProtocol, "calibration request failed: " + response->body);
  auto compute = response->phases.find("compute");
  if (compute == response->phases.end()) return fail(ErrorCode::kProtocol, "calibration reported no compute phase");
  return std::make_pair(compute->second, response->body);
}

// crun-wasmedge-aot: the runc-style runtime plus the fallback check at prepare(). crun's
// embedded WasmEdge cannot say whether it ran the module's AoT section, so each function's
// image is timed once on the SDK's calibration loop against wasmedge-aot (lumos-wasm-host, which
// verifies AoT): a ratio over kMaxAotRatio means the handler interpreted, and the function's
// cells fail as wrong_exec_mode instead of being reported as AoT.
class AotCheckedRuntime final : public Runtime {
 public:
  AotCheckedRuntime(std::unique_ptr<Runtime> inner, ToolPaths tools)
      : inner_(std::move(inner)), tools_(std::move(tools)) {}

  std::string_view name() const override { return inner_->name(); }
  Result<void> check() const override { return inner_->check(); }
  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    return inner_->start_instance(function, timeout);
  }
  Result<CommandOutcome> run_command(const CommandRequest& request) override { return inner_->run_command(request); }
  std::vector<std::string> checks() const override { return checks_; }

  Result<void> prepare(const Artifacts& a) override {
    if (auto ok = inner_->prepare(a); !ok) return ok;
    const std::string what = "AoT fallback check of " + std::string(name()) + " for " + a.function;
    auto host = make_wasmedge_runtime(tools_, WasmEdgeVariant::kAot);
    if (auto ok = host->check(); !ok) return fail(ok.error().code, what + " needs wasmedge-aot: " + ok.error().message);
    if (auto ok = host->prepare(a); !ok) return fail(ok.error().code, what + ": " + ok.error().message);
    auto reference = time_calibration(*host, a.function);
    if (!reference) return fail(reference.error().code, what + ", on wasmedge-aot: " + reference.error().message);
    auto measured = time_calibration(*inner_, a.function);
    if (!measured) return fail(measured.error().code, what + ": " + measured.error().message);
    if (measured->second != reference->second) {
      return fail(ErrorCode::kProtocol,
                  what + ": the calibration answered " + measured->second + ", wasmedge-aot " + reference->second);
    }
    double ratio = static_cast<double>(measured->first.count()) / static_cast<double>(reference->first.count());
    std::string figures = fmt::format("{:.2f} ms against {:.2f} ms on wasmedge-aot ({:.2f}x; limit {:.1f}x)",
                                      static_cast<double>(measured->first.count()) / 1e6,
                                      static_cast<double>(reference->first.count()) / 1e6, ratio, kMaxAotRatio);
    if (ratio > kMaxAotRatio) {
      return fail(ErrorCode::kWrongExecMode, what + " failed: its calibration loop took " + figures +
                                                 ": crun's WasmEdge did not run the AoT code (interpreter fallback)");
    }
    checks_.push_back(a.function + ": AoT fallback check passed, calibration " + figures);
    return {};
  }

 private:
  std::unique_ptr<Runtime> inner_;
  ToolPaths tools_;
  std::vector<std::string> checks_;
};

}  // namespace

std::unique_ptr<Runtime> make_crun_runtime(const ToolPaths& tools, std::string name, std::string image_flavour) {
  RuncVariant variant;
  variant.name = std::move(name);
  variant.image_flavour = std::move(image_flavour);
  variant.engine = crun_engine(tools);
  return make_runc_runtime(tools, std::move(variant));
}

std::unique_ptr<Runtime> make_crun_wasmedge_runtime(const ToolPaths& tools, bool aot) {
  RuncVariant variant;
  variant.name = aot ? "crun-wasmedge-aot" : "crun-wasmedge-interp";
  variant.image_flavour = std::string(aot ? image::kWasmAot : image::kWasm);
  variant.engine = crun_engine(tools);
  variant.wasm_handler = true;
  // The handler cannot be asked which mode its WasmEdge used: the plain module has no native
  // code (so it is interpreted); for the AoT module lumos records aot-unverified, and the
  // runtime's fallback check (AotCheckedRuntime) times it against wasmedge-aot.
  variant.exec_mode = aot ? protocol::ExecMode::kAotUnverified : protocol::ExecMode::kInterpreter;
  variant.process = [](const image::ImageInfo& image, const Artifacts&) -> Result<ContainerProcess> {
    if (!image.is_wasm()) {
      return fail(ErrorCode::kBuild, "image " + image.reference() + " is not a wasm image (no " +
                                         std::string(image::kWasmVariantAnnotation) + " annotation)");
    }
    return image_process(image);
  };
  auto runtime = make_runc_runtime(tools, std::move(variant));
  if (!aot) return runtime;
  return make_aot_checked_runtime(std::move(runtime), tools);
}

Error wasm_handler_command_refusal(std::string_view runtime) {
  return Error{ErrorCode::kConfig, std::string(runtime) +
                                       " cannot run command functions: crun's WasmEdge handler exits 0 whatever the "
                                       "guest's exit code, so a failed run would pass"};
}

std::unique_ptr<Runtime> make_aot_checked_runtime(std::unique_ptr<Runtime> inner, const ToolPaths& tools) {
  return std::make_unique<AotCheckedRuntime>(std::move(inner), tools);
}

}  // namespace lumos::runtime

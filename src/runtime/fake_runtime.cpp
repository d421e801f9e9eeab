// fake: a scripted in-process runtime for deterministic tests of the engine, statistics and
// report. It is never a stand-in for a real sandbox. Requests: "fail" -> function error,
// "crash" -> instance dies, "timeout" -> kTimeout, "start-fail" as a function name -> the
// instance cannot start, "sleep:<us>" takes that long; anything else (and "sleep:...") is echoed
// with a compute phase of len(request) us. In mode `instance` each request reports an
// instantiate phase of 50 us, and "crash" ends only that request's instance.
#include <cstdlib>
#include <thread>

#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

using std::chrono::nanoseconds;

class FakeInstance final : public Instance {
 public:
  explicit FakeInstance(bool fresh_per_request = false) : fresh_(fresh_per_request) {
    phases_["sandbox_start"] = nanoseconds(1'000'000);
    phases_["instantiate"] = nanoseconds(250'000);
  }
  const telemetry::PhaseTimes& start_phases() const override { return phases_; }

  Result<Response> invoke(std::string_view request, std::chrono::milliseconds timeout) override {
    if (!alive_) return fail(ErrorCode::kCrashed, "instance is no longer running");
    ++served_;
    if (fresh_ && request == "crash") {
      Response r;
      r.exec_mode = protocol::ExecMode::kNative;
      r.phases["instantiate"] = nanoseconds(50'000);
      r.body = "the request's instance crashed";
      return r;
    }
    if (request == "crash") {
      alive_ = false;
      return fail(ErrorCode::kCrashed, "instance died during the request: killed by signal 11");
    }
    if (request == "timeout") {
      alive_ = false;
      return fail(ErrorCode::kTimeout,
                  "no response within " + std::to_string(timeout.count()) + " ms; instance killed");
    }
    if (request.rfind("sleep:", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::atoi(std::string(request.substr(6)).c_str())));
    }
    Response r;
    r.exec_mode = protocol::ExecMode::kNative;
    r.phases["compute"] = nanoseconds(1000 * static_cast<std::int64_t>(request.size()));
    if (fresh_) r.phases["instantiate"] = nanoseconds(50'000);
    r.ok = request != "fail";
    r.body = r.ok ? std::string(request) : "asked to fail";
    return r;
  }

  InstanceStats stats() override { return {nanoseconds(100'000 * served_), std::uint64_t{1} << 20}; }
  bool alive() override { return alive_; }
  void stop() override { alive_ = false; }

 private:
  telemetry::PhaseTimes phases_;
  bool fresh_;
  bool alive_ = true;
  std::int64_t served_ = 0;
};

class FakeRuntime final : public Runtime {
 public:
  std::string_view name() const override { return "fake"; }
  Result<void> check() const override { return {}; }
  Result<void> prepare(const Artifacts&) override { return {}; }
  Result<std::unique_ptr<Instance>> start_instance(const std::string& function, std::chrono::milliseconds) override {
    if (function == "start-fail") return fail(ErrorCode::kSpawn, "fake start failure");
    return std::unique_ptr<Instance>(new FakeInstance());
  }
  Result<std::unique_ptr<Instance>> start_instance_host(const std::string& function,
                                                        std::chrono::milliseconds) override {
    if (function == "start-fail") return fail(ErrorCode::kSpawn, "fake start failure");
    return std::unique_ptr<Instance>(new FakeInstance(true));
  }
};

}  // namespace

std::unique_ptr<Runtime> make_fake_runtime() { return std::make_unique<FakeRuntime>(); }

}  // namespace lumos::runtime

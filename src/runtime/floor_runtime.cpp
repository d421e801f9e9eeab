// floor: the warm round trip with nothing in it. Its instance is `cat`, a second process that
// echoes every byte lumos writes into its stdin pipe: each request is one framed message written
// and the same message read back, the syscalls and wake-ups of a real warm request (a write, a
// blocked read, the peer's read and write) without any runtime or function. Spawned through the
// same spawn scope as every instance, so it has the cell's placement (one CPU or two). Warm
// only: it has no start worth measuring and no function to start.
#include "lumos/common/process.hpp"
#include "lumos/common/vocabulary.hpp"
#include "lumos/protocol/frame.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

using Clock = std::chrono::steady_clock;

class FloorInstance final : public Instance {
 public:
  explicit FloorInstance(ChildProcess child) : child_(std::move(child)) {}
  ~FloorInstance() override { stop(); }

  const telemetry::PhaseTimes& start_phases() const override { return phases_; }

  Result<Response> invoke(std::string_view request, std::chrono::milliseconds timeout) override {
    if (!alive_) return fail(ErrorCode::kCrashed, "the floor's echo process is no longer running");
    const auto deadline = Clock::now() + timeout;
    if (auto w = protocol::write_all(child_.stdin_fd(), protocol::encode_message(request)); !w) {
      alive_ = false;
      return fail(ErrorCode::kCrashed, "the floor's echo process stopped reading: " + child_.describe_exit());
    }
    auto echoed = protocol::read_message(child_.stdout_fd(), deadline);
    if (!echoed) {
      alive_ = false;
      return fail(echoed.error().code, "the floor's echo: " + echoed.error().message);
    }
    Response r;
    r.exec_mode = protocol::ExecMode::kNone;
    r.ok = true;
    r.body = std::move(*echoed);
    return r;
  }

  InstanceStats stats() override {
    return {telemetry::process_cpu_time(child_.pid()), telemetry::process_peak_rss(child_.pid())};
  }
  std::optional<int> last_cpu() override { return telemetry::process_last_cpu(child_.pid()); }
  bool alive() override { return alive_ && !child_.exited(); }
  void stop() override {
    if (!stopped_) child_.terminate(std::chrono::milliseconds(0));
    stopped_ = true;
    alive_ = false;
  }

 private:
  ChildProcess child_;
  telemetry::PhaseTimes phases_;
  bool alive_ = true;
  bool stopped_ = false;
};

class FloorRuntime final : public Runtime {
 public:
  explicit FloorRuntime(const ToolPaths& tools) : tools_(tools) {}
  std::string_view name() const override { return kFloorRuntime; }
  Result<void> check() const override { return {}; }
  Result<void> prepare(const Artifacts&) override { return {}; }
  Result<std::unique_ptr<Instance>> start_instance(const std::string&, std::chrono::milliseconds) override {
    auto leave = enter_spawn_scope(tools_.spawn_scope, "cat");
    if (!leave) return tl::unexpected(leave.error());
    auto child = ChildProcess::spawn({"cat"});
    (*leave)();
    if (!child) return tl::unexpected(child.error());
    return std::unique_ptr<Instance>(new FloorInstance(std::move(*child)));
  }

 private:
  ToolPaths tools_;
};

}  // namespace

std::unique_ptr<Runtime> make_floor_runtime(const ToolPaths& tools) { return std::make_unique<FloorRuntime>(tools); }

}  // namespace lumos::runtime

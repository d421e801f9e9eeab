// Process-backed instances: ready handshake, cold-start phase split, request/response, kill.
#include "process_instance.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <optional>
#include <utility>

#include "lumos/telemetry/proc_stats.hpp"

namespace lumos::runtime {
namespace {

using std::chrono::nanoseconds;
using Clock = std::chrono::steady_clock;

protocol::ExecMode exec_mode_of(const protocol::Frame& frame) {
  auto v = frame.metric(protocol::kAttrExecMode);
  if (!v || *v > 2) return protocol::ExecMode::kUnknown;
  return static_cast<protocol::ExecMode>(*v);
}

telemetry::PhaseTimes phases_of(const protocol::Frame& frame) {
  telemetry::PhaseTimes phases;
  for (const auto& [name, value] : frame.metrics) {
    if (!name.empty() && name[0] != '@') phases[name] += nanoseconds(value);
  }
  return phases;
}

class ProcessInstance final : public Instance {
 public:
  ProcessInstance(ChildProcess child, ProcessInstanceOptions options, telemetry::PhaseTimes phases)
      : child_(std::move(child)), options_(std::move(options)), start_phases_(std::move(phases)) {}
  ~ProcessInstance() override { stop(); }

  const telemetry::PhaseTimes& start_phases() const override { return start_phases_; }

  Result<Response> invoke(std::string_view request, std::chrono::milliseconds timeout) override {
    if (dead_) return fail(ErrorCode::kCrashed, "instance is no longer running");
    auto deadline = Clock::now() + timeout;
    if (auto w = protocol::write_all(child_.stdin_fd(), protocol::encode_message(request)); !w) {
      return die(ErrorCode::kCrashed, "instance stopped reading requests: " + child_.describe_exit());
    }
    auto message = protocol::read_message(child_.stdout_fd(), deadline);
    if (!message) {
      if (message.error().code == ErrorCode::kTimeout) {
        kill_now();
        return die(ErrorCode::kTimeout,
                   "no response within " + std::to_string(timeout.count()) + " ms; instance killed");
      }
      if (message.error().code == ErrorCode::kCrashed) {
        return die(ErrorCode::kCrashed, "instance died during the request: " + child_.describe_exit());
      }
      return die(message.error().code, message.error().message);
    }
    auto frame = protocol::decode_frame(*message);
    if (!frame) return die(ErrorCode::kProtocol, frame.error().message);
    Response response;
    response.ok = frame->kind == protocol::FrameKind::kOk;
    response.body = std::move(frame->body);
    response.phases = phases_of(*frame);
    response.exec_mode = options_.exec_mode.value_or(exec_mode_of(*frame));
    response.baas_bytes_in = frame->metric(protocol::kAttrBaasBytesIn).value_or(0);
    response.baas_bytes_out = frame->metric(protocol::kAttrBaasBytesOut).value_or(0);
    return response;
  }

  InstanceStats stats() override {
    if (dead_ || child_.pid() <= 0) return last_stats_;
    last_stats_ = options_.stats ? options_.stats(child_.pid()) : proc_stats(child_.pid());
    return last_stats_;
  }

  std::optional<int> last_cpu() override {
    if (dead_ || child_.pid() <= 0) return std::nullopt;
    if (options_.last_cpu) return options_.last_cpu(child_.pid());
    // The function's process below the spawned one (a container's) stays for the instance's
    // life: found once, not walked again on every request.
    if (leaf_ <= 0) {
      const pid_t leaf = telemetry::leaf_descendant(child_.pid());
      if (leaf != child_.pid()) leaf_ = leaf;
      return telemetry::process_last_cpu(leaf);
    }
    return telemetry::process_last_cpu(leaf_);
  }

  bool alive() override { return !dead_ && !child_.exited(); }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    int status = child_.terminate(std::chrono::milliseconds(2000));
    bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (killed && options_.after_kill) options_.after_kill();
  }

 private:
  static InstanceStats proc_stats(pid_t pid) {
    return {telemetry::process_cpu_time(pid), telemetry::process_peak_rss(pid)};
  }

  void kill_now() {
    stats();
    stopped_ = true;
    child_.terminate(std::chrono::milliseconds(0));
    if (options_.after_kill) options_.after_kill();
  }

  tl::unexpected<Error> die(ErrorCode code, std::string message) {
    dead_ = true;
    return fail(code, std::move(message));
  }

  ChildProcess child_;
  ProcessInstanceOptions options_;
  telemetry::PhaseTimes start_phases_;
  InstanceStats last_stats_;
  pid_t leaf_ = 0;  ///< the function's process under the spawned one, once found
  bool dead_ = false;
  bool stopped_ = false;
};

}  // namespace

std::function<InstanceStats(pid_t)> container_cgroup_stats(std::function<std::string()> leaf) {
  auto paths = std::make_shared<std::optional<std::pair<std::string, std::string>>>();  // cpuacct, memory
  return [paths, leaf = std::move(leaf)](pid_t spawned) {
    if (!*paths) {
      std::string name = leaf();
      if (name.empty()) return InstanceStats{};
      *paths = std::make_pair((std::filesystem::path(telemetry::cgroup_of(spawned, "cpuacct")) / name).string(),
                              (std::filesystem::path(telemetry::cgroup_of(spawned, "memory")) / name).string());
    }
    return InstanceStats{telemetry::cgroup_cpu_time((*paths)->first), telemetry::cgroup_peak_memory((*paths)->second)};
  };
}

Result<std::unique_ptr<Instance>> start_process_instance(ProcessInstanceOptions options,
                                                         std::chrono::milliseconds timeout) {
  // The start is timed from here, so the phases partition the runner's cold e2e; entering the
  // cell's slot (~0.1 ms: the thread's moves between cgroups) is part of sandbox_start.
  std::int64_t t0 = monotonic_ns();
  auto deadline = Clock::now() + timeout;
  auto leave = enter_spawn_scope(options.spawn_scope, options.argv.front());
  if (!leave) return tl::unexpected(leave.error());
  auto child = ChildProcess::spawn(options.argv, options.protocol_fd);
  (*leave)();
  if (!child) return tl::unexpected(child.error());
  auto message = protocol::read_message(child->stdout_fd(), deadline);
  std::int64_t t_ready = monotonic_ns();
  if (!message) {
    std::string why = message.error().code == ErrorCode::kTimeout
                          ? "not ready within " + std::to_string(timeout.count()) + " ms"
                          : "exited before it was ready: " + child->describe_exit();
    child->terminate(std::chrono::milliseconds(0));
    if (options.after_kill) options.after_kill();
    return fail(ErrorCode::kSpawn, options.argv.front() + " " + why);
  }
  auto frame = protocol::decode_frame(*message);
  if (!frame) return fail(ErrorCode::kProtocol, "bad ready frame: " + frame.error().message);
  if (frame->kind != protocol::FrameKind::kReady) {
    child->terminate(std::chrono::milliseconds(500));
    return fail(ErrorCode::kSpawn, frame->body.empty() ? "instance failed to start" : frame->body);
  }
  // Split the start into: spawn -> main() of the instance, the phases the instance timed
  // itself (runtime_init, load, validate, instantiate), and what is left (start_other).
  telemetry::PhaseTimes phases = phases_of(*frame);
  nanoseconds total(t_ready - t0);
  nanoseconds accounted(0);
  for (const auto& [_, d] : phases) accounted += d;
  nanoseconds sandbox = total - accounted;
  if (auto main_at = frame->metric(protocol::kAttrMainAt)) {
    auto at = static_cast<std::int64_t>(*main_at);
    if (at >= t0 && at <= t_ready) sandbox = nanoseconds(at - t0);
  }
  phases["sandbox_start"] = sandbox;
  phases["start_other"] = std::max(nanoseconds(0), total - accounted - sandbox);
  if (options.on_ready) options.on_ready(phases);
  return std::unique_ptr<Instance>(new ProcessInstance(std::move(*child), std::move(options), std::move(phases)));
}

}  // namespace lumos::runtime

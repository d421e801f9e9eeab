// Child processes with piped stdin/stdout and captured stderr, and running a command to completion.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"

namespace lumos {

/// Enters the scope a child should be born in (e.g. an environment profile's cgroup slot) and
/// returns the call that leaves it; an error means the child must not start.
using SpawnScope = std::function<Result<std::function<void()>>()>;

/// Enters `scope` (when set and not empty) to spawn `program` inside it; returns the call that
/// leaves it (a no-op without a scope). Fails with kSpawn naming the program.
Result<std::function<void()>> enter_spawn_scope(const std::shared_ptr<SpawnScope>& scope, const std::string& program);

/// A running child process. Owns its pipe ends; the destructor kills (SIGKILL) and reaps it.
class ChildProcess {
 public:
  /// Starts argv[0] (searched in PATH) with stdin/stdout as pipes and stderr captured in an
  /// anonymous temporary file. Fails with kSpawn (kNotInstalled if the program is missing).
  /// With `pipe_fd` >= 3 the pipes are the child's fds pipe_fd (its input) and pipe_fd + 1
  /// (its output) instead; its stdin is /dev/null and its stdout goes with stderr.
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv, int pipe_fd = 0);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return in_fd_; }
  int stdout_fd() const { return out_fd_; }

  /// Closes the child's stdin (it sees end of file).
  void close_stdin();
  /// Waits up to `grace` for exit, then SIGKILLs. Returns the wait status once reaped.
  int terminate(std::chrono::milliseconds grace);
  /// Non-blocking: has the child exited? Keeps the status for describe_exit().
  bool exited();
  /// "exited with code 3" / "killed by signal 9 (SIGKILL)", plus the stderr tail if any.
  std::string describe_exit();
  /// The last `max_bytes` of what the child wrote to stderr.
  std::string stderr_tail(std::size_t max_bytes = 400) const;

 private:
  ChildProcess() = default;
  void reset();

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;
};

/// Output of a command run to completion.
struct CommandOutput {
  int exit_code = -1;  ///< -1 if killed by a signal
  std::string out;     ///< stdout and stderr, interleaved
};

/// Runs argv to completion (stdin from /dev/null), capturing stdout+stderr. Fails only if it
/// cannot be started; a non-zero exit is reported in exit_code.
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  const std::optional<std::filesystem::path>& cwd = std::nullopt);

/// A one-shot process whose stdio are files (no pipe deadlocks, any size).
struct OneShotSpec {
  std::vector<std::string> argv;
  std::optional<std::vector<std::string>> env;  ///< "K=V" entries; nullopt: inherit lumos' own
  std::optional<std::filesystem::path> cwd;
  std::filesystem::path stdin_file;   ///< opened read-only
  std::filesystem::path stdout_file;  ///< created/truncated
  std::filesystem::path stderr_file;  ///< created/truncated
  std::chrono::milliseconds timeout{10'000};
  /// If set (and not empty), the child is spawned inside this scope.
  std::shared_ptr<SpawnScope> scope;
};

struct OneShotResult {
  int wait_status = 0;
  bool timed_out = false;               ///< killed (SIGKILL) at the timeout
  std::chrono::nanoseconds elapsed{0};  ///< spawn -> exit seen
  std::chrono::nanoseconds cpu{0};      ///< user + system, including reaped descendants
  std::uint64_t peak_rss_bytes = 0;     ///< ru_maxrss
  /// 0..255 for a normal exit, -1 when killed by a signal.
  int exit_code() const;
  /// "exited with code 3", "killed by signal 11 (SIGSEGV)".
  std::string describe() const;
};

/// Runs a process to completion (or the timeout, then SIGKILL). Fails only if it cannot start.
Result<OneShotResult> run_one_shot(const OneShotSpec& spec);

/// CLOCK_MONOTONIC in ns, the clock instances report their timestamps in.
std::int64_t monotonic_ns();

}  // namespace lumos

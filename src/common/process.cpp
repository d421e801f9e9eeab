// Child process plumbing: posix_spawn with pipes, stderr capture, termination.
#include "lumos/common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace lumos {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "stopped";
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, int pipe_fd) {
  if (argv.empty()) return fail(ErrorCode::kInternal, "spawn: empty argv");
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return fail(ErrorCode::kSpawn, std::strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return fail(ErrorCode::kSpawn, std::strerror(errno));
  }
  int err_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (pipe_fd >= 3) {
    // The child's ends must not sit on the target fds, or one dup2 would clobber the other.
    for (int* end : {&in_pipe[0], &out_pipe[1]}) {
      if (*end >= pipe_fd + 2) continue;
      int moved = fcntl(*end, F_DUPFD_CLOEXEC, pipe_fd + 2);
      if (moved >= 0) {
        close(*end);
        *end = moved;
      }
    }
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (pipe_fd >= 3) {
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], pipe_fd);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], pipe_fd + 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 1);
  } else {
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  }
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Children start with default signal dispositions and their own process group, so a
  // Ctrl-C on lumos does not hit instances mid-measurement before lumos cleans them up.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  auto args = c_argv(argv);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    if (err_fd >= 0) close(err_fd);
    auto code = rc == ENOENT ? ErrorCode::kNotInstalled : ErrorCode::kSpawn;
    return fail(code, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  // A dead child must show up as EPIPE on write, not kill lumos.
  signal(SIGPIPE, SIG_IGN);
  ChildProcess child;
  child.pid_ = pid;
  child.in_fd_ = in_pipe[1];
  child.out_fd_ = out_pipe[0];
  child.err_fd_ = err_fd;
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), in_fd_(o.in_fd_), out_fd_(o.out_fd_), err_fd_(o.err_fd_), status_(o.status_) {
  o.pid_ = -1;
  o.in_fd_ = o.out_fd_ = o.err_fd_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    reset();
    pid_ = o.pid_;
    in_fd_ = o.in_fd_;
    out_fd_ = o.out_fd_;
    err_fd_ = o.err_fd_;
    status_ = o.status_;
    o.pid_ = -1;
    o.in_fd_ = o.out_fd_ = o.err_fd_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { reset(); }

void ChildProcess::reset() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  for (int* fd : {&in_fd_, &out_fd_, &err_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  pid_ = -1;
  status_.reset();
}

void ChildProcess::close_stdin() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

bool ChildProcess::exited() {
  if (status_) return true;
  if (pid_ <= 0) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = st;
    return true;
  }
  return false;
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(0);
  close_stdin();
  auto until = std::chrono::steady_clock::now() + grace;
  auto pause = std::chrono::microseconds(50);
  while (!exited() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
  if (!status_) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = st;
  }
  return *status_;
}

std::string ChildProcess::stderr_tail(std::size_t max_bytes) const {
  if (err_fd_ < 0) return {};
  off_t size = lseek(err_fd_, 0, SEEK_END);
  if (size <= 0) return {};
  off_t from = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
  std::string out(static_cast<std::size_t>(size - from), '\0');
  ssize_t r = pread(err_fd_, out.data(), out.size(), from);
  out.resize(r > 0 ? static_cast<std::size_t>(r) : 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string ChildProcess::describe_exit() {
  // Give a dying child a moment to be reaped so the status is known.
  for (int i = 0; i < 200 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string text = status_ ? status_text(*status_) : "still running";
  std::string tail = stderr_tail();
  if (!tail.empty()) text += "; stderr: " + tail;
  return text;
}

int OneShotResult::exit_code() const { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

std::string OneShotResult::describe() const {
  if (timed_out) return "killed at the timeout";
  return status_text(wait_status);
}

Result<std::function<void()>> enter_spawn_scope(const std::shared_ptr<SpawnScope>& scope, const std::string& program) {
  if (!scope || !*scope) return [] {};
  auto entered = (*scope)();
  if (!entered)
    return fail(ErrorCode::kSpawn,
                "cannot start " + program + " inside the profile's cgroup: " + entered.error().message);
  return entered;
}

Result<OneShotResult> run_one_shot(const OneShotSpec& spec) {
  if (spec.argv.empty()) return fail(ErrorCode::kInternal, "run_one_shot: empty argv");
  std::int64_t t0 = monotonic_ns();
  auto leave = enter_spawn_scope(spec.scope, spec.argv[0]);
  if (!leave) return tl::unexpected(leave.error());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, spec.stdin_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, spec.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, spec.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (spec.cwd) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd->c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  auto args = c_argv(spec.argv);
  std::vector<char*> envp;
  if (spec.env) envp = c_argv(*spec.env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), spec.env ? envp.data() : environ);
  (*leave)();
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    auto code = rc == ENOENT ? ErrorCode::kNotInstalled : ErrorCode::kSpawn;
    return fail(code, "cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  }
  OneShotResult result;
  // Wait for exit with a deadline: a pidfd becomes readable when the process exits.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int r;
    do {
      r = poll(&p, 1, static_cast<int>(spec.timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
    }
    close(pidfd);
  }
  int st = 0;
  rusage usage{};
  while (wait4(pid, &st, 0, &usage) < 0 && errno == EINTR) {
  }
  result.elapsed = std::chrono::nanoseconds(monotonic_ns() - t0);
  result.wait_status = st;
  auto tv_ns = [](const timeval& tv) {
    return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  };
  result.cpu = tv_ns(usage.ru_utime) + tv_ns(usage.ru_stime);
  result.peak_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  return result;
}

Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  const std::optional<std::filesystem::path>& cwd) {
  if (argv.empty()) return fail(ErrorCode::kInternal, "run_command: empty argv");
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return fail(ErrorCode::kSpawn, std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd->c_str());
  auto args = c_argv(argv);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    auto code = rc == ENOENT ? ErrorCode::kNotInstalled : ErrorCode::kSpawn;
    return fail(code, "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  CommandOutput result;
  char buf[4096];
  for (;;) {
    ssize_t r = read(out_pipe[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    result.out.append(buf, static_cast<std::size_t>(r));
  }
  close(out_pipe[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return result;
}

}  // namespace lumos

// lumos-wasm-host reactor mode: a loaded module serves framed requests (lumos_alloc/lumos_invoke),
// in the one instance made at start, or each in a new instance (--fresh instance) or a new
// process forked from the host (--fresh fork).
#include <sys/prctl.h>
#include <sys/wait.h>

#include "engine.hpp"

namespace lumos::host::engine {
namespace {

// ----------------------------------------------------------------------------- reactor mode

/// Checks that `fn` has the signature (i32 x n_params) -> i32.
bool has_i32_signature(const WasmEdge_FunctionInstanceContext* fn, std::uint32_t n_params) {
  const auto* type = WasmEdge_FunctionInstanceGetFunctionType(fn);
  if (!type || WasmEdge_FunctionTypeGetParametersLength(type) != n_params ||
      WasmEdge_FunctionTypeGetReturnsLength(type) != 1) {
    return false;
  }
  WasmEdge_ValType types[2];
  WasmEdge_FunctionTypeGetParameters(type, types, n_params);
  for (std::uint32_t i = 0; i < n_params; ++i) {
    if (!WasmEdge_ValTypeIsI32(types[i])) return false;
  }
  WasmEdge_FunctionTypeGetReturns(type, types, 1);
  return WasmEdge_ValTypeIsI32(types[0]);
}

/// Serves requests on an instantiated reactor module (the lumos guest SDK's exports).
class Reactor {
 public:
  Reactor(Engine& engine, ProtocolFds fds, FreshStart fresh) : engine_(engine), fds_(fds), fresh_(fresh) {}

  /// Resolves lumos_alloc, lumos_invoke and memory of `source` (the Engine's instance or a
  /// FreshInstance); fails naming what is missing.
  template <typename Source>
  Result<void> bind(const Source& source, const std::string& path) {
    alloc_ = source.find_function("lumos_alloc");
    invoke_ = source.find_function("lumos_invoke");
    memory_ = source.find_memory("memory");
    wasi_ = source.wasi();
    in_ptr_ = 0;
    in_cap_ = 0;
    const char* missing = !alloc_    ? "function lumos_alloc"
                          : !invoke_ ? "function lumos_invoke"
                          : !memory_ ? "memory 'memory'"
                                     : nullptr;
    if (missing) {
      return fail(ErrorCode::kConfig, std::string("instantiate failed: the module exports no ") + missing + " (" +
                                          path + "): build it as a reactor with functions/sdk/lumos_sdk.c");
    }
    if (!has_i32_signature(alloc_, 1) || !has_i32_signature(invoke_, 2)) {
      return fail(ErrorCode::kConfig,
                  "instantiate failed: lumos_alloc must be (i32) -> i32 and lumos_invoke "
                  "(i32, i32) -> i32 (" +
                      path + "): rebuild it with functions/sdk/lumos_sdk.c");
    }
    return {};
  }

  /// Serves requests until end of input; returns the process exit code.
  int serve(const std::string& path) {
    for (;;) {
      auto request = protocol::read_message(fds_.in);
      if (!request) {
        if (request.error().code == ErrorCode::kCrashed) return 0;  // stdin closed: done
        std::fprintf(stderr, "lumos-wasm-host: reading a request: %s\n", request.error().message.c_str());
        return kExitFailure;
      }
      std::optional<int> code;
      switch (fresh_) {
        case FreshStart::kNone:
          code = handle(*request);
          break;
        case FreshStart::kInstance:
          code = handle_fresh(*request, path);
          break;
        case FreshStart::kFork:
          code = handle_forked(*request, path);
          break;
      }
      if (code) return *code;
    }
  }

 private:
  // A new instance for this request alone; a trap ends that instance, not the host.
  std::optional<int> handle_fresh(const std::string& request, const std::string& path) {
    FreshInstance::Times times;
    FreshInstance fresh;
    const std::uint64_t before = engine_.instructions();
    auto made = fresh.create(engine_, path, times);
    extra_.emplace_back("wasi_setup", times.wasi_setup);
    extra_.emplace_back("instantiate", times.instantiate);
    if (made) made = bind(fresh, path);
    std::optional<int> code = made ? handle(request) : reply_error(made.error().message, before);
    extra_.clear();
    alloc_ = invoke_ = nullptr;
    memory_ = nullptr;
    wasi_ = nullptr;
    if (code == kExitTrap) return std::nullopt;  // the error frame is sent; the instance is gone
    return code;
  }

  // A new process forked from this one (module loaded and validated, code compiled), which
  // makes a new instance, answers, and exits; the host waits for it and serves on.
  std::optional<int> handle_forked(const std::string& request, const std::string& path) {
    const std::uint64_t t0 = now_ns();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return reply_error(std::string("fork failed: ") + std::strerror(errno), engine_.instructions());
    if (pid == 0) {
      // The forked instance dies with the host (lumos kills the host on a timeout).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(kExitFailure);
      extra_.emplace_back("fork", now_ns() - t0);
      auto code = handle_fresh(request, path);
      ::_exit(code.value_or(0));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
    if (WIFEXITED(status)) return WEXITSTATUS(status);  // it could not write the response: nor can we
    return reply_error("the forked instance was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                           strsignal(WTERMSIG(status)) + ") before it answered",
                       engine_.instructions());
  }

  // Runs one request; returns an exit code when the host must stop.
  std::optional<int> handle(const std::string& request) {
    const auto len = static_cast<std::uint32_t>(request.size());
    const std::uint64_t before = engine_.instructions();
    WasmEdge_Value param[2] = {WasmEdge_ValueGenI32(static_cast<std::int32_t>(len)), WasmEdge_ValueGenI32(0)};
    WasmEdge_Value ret;
    WasmEdge_Result r;
    // lumos_alloc hands out the guest's request buffer, which stays valid until the next
    // lumos_alloc: ask only when a request outgrows it (saves a guest call per request).
    if (in_ptr_ == 0 || len > in_cap_) {
      const std::uint32_t want = std::max<std::uint32_t>(len, 4096);
      param[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(want));
      const std::uint64_t t_alloc = now_ns();
      r = WasmEdge_ExecutorInvoke(engine_.executor(), alloc_, param, 1, &ret, 1);
      // A new instance's first call into the guest (its request buffer) is part of its start.
      if (fresh_ != FreshStart::kNone) extra_.emplace_back("first_call", now_ns() - t_alloc);
      if (!WasmEdge_ResultOK(r) || is_terminated(r)) return trapped(r, before);
      in_ptr_ = static_cast<std::uint32_t>(WasmEdge_ValueGetI32(ret));
      in_cap_ = in_ptr_ == 0 ? 0 : want;
    }
    const std::uint32_t ptr = in_ptr_;
    if (ptr == 0) {
      return reply_error("lumos_alloc(" + std::to_string(len) + ") returned NULL: the guest is out of memory", before);
    }
    if (len > 0) {
      r = WasmEdge_MemoryInstanceSetData(memory_, reinterpret_cast<const std::uint8_t*>(request.data()), ptr, len);
      if (!WasmEdge_ResultOK(r)) {
        return reply_error("lumos_alloc returned an address outside linear memory", before);
      }
    }
    param[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(ptr));
    param[1] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(len));
    r = WasmEdge_ExecutorInvoke(engine_.executor(), invoke_, param, 2, &ret, 1);
    if (!WasmEdge_ResultOK(r) || is_terminated(r)) return trapped(r, before);
    const std::uint64_t instructions = instr_delta(before, engine_.instructions());

    // The guest left u32 length + frame payload at the returned address (bounds-checked).
    const auto msg = static_cast<std::uint32_t>(WasmEdge_ValueGetI32(ret));
    const std::uint8_t* header = WasmEdge_MemoryInstanceGetPointerConst(memory_, msg, 4);
    const std::uint8_t* payload = nullptr;
    std::uint32_t payload_len = 0;
    if (header && msg <= UINT32_MAX - 4) {
      payload_len = static_cast<std::uint32_t>(header[0]) | static_cast<std::uint32_t>(header[1]) << 8 |
                    static_cast<std::uint32_t>(header[2]) << 16 | static_cast<std::uint32_t>(header[3]) << 24;
      if (payload_len <= protocol::kMaxMessageBytes) {
        payload = WasmEdge_MemoryInstanceGetPointerConst(memory_, msg + 4, payload_len);
      }
    }
    if (!payload) {
      return broken_guest("lumos_invoke returned a response outside linear memory", instructions);
    }
    auto frame = protocol::decode_frame(std::string_view(reinterpret_cast<const char*>(payload), payload_len));
    if (!frame || frame->kind == FrameKind::kReady || frame->metrics.size() + extra_.size() > 253) {
      return broken_guest(
          "lumos_invoke returned a malformed frame" + (frame ? std::string() : ": " + frame.error().message),
          instructions);
    }
    stamp(*frame, instructions);
    if (!send(fds_.out, *frame)) return kExitFailure;
    return std::nullopt;
  }

  // Replaces the guest's @exec_mode (it cannot know) and adds @instructions in aot mode.
  void stamp(Frame& frame, std::uint64_t instructions) const {
    const auto mode = static_cast<std::uint64_t>(observed_mode(engine_.mode(), instructions));
    bool found = false;
    for (auto& [name, value] : frame.metrics) {
      if (name == protocol::kAttrExecMode) {
        value = mode;
        found = true;
      }
    }
    if (!found) frame.metrics.emplace_back(protocol::kAttrExecMode, mode);
    frame.metrics.insert(frame.metrics.end(), extra_.begin(), extra_.end());
    if (engine_.mode() == EngineMode::kAot) {
      frame.metrics.emplace_back(protocol::kAttrInstructions, instructions);
    }
  }

  // A kError frame for a request that failed without harming the instance.
  std::optional<int> reply_error(std::string message, std::uint64_t before) {
    Frame frame;
    frame.kind = FrameKind::kError;
    frame.body = std::move(message);
    stamp(frame, instr_delta(before, engine_.instructions()));
    if (!send(fds_.out, frame)) return kExitFailure;
    return std::nullopt;
  }

  // A kError frame, then exit 3: the instance cannot be trusted any more.
  int broken_guest(std::string message, std::uint64_t instructions) {
    Frame frame;
    frame.kind = FrameKind::kError;
    frame.body = std::move(message);
    stamp(frame, instructions);
    send(fds_.out, frame);
    return kExitTrap;
  }

  int trapped(WasmEdge_Result r, std::uint64_t before) {
    const std::uint64_t instructions = instr_delta(before, engine_.instructions());
    if (is_terminated(r)) {
      return broken_guest(
          "trap: the guest called proc_exit(" + std::to_string(WasmEdge_ModuleInstanceWASIGetExitCode(wasi_)) + ")",
          instructions);
    }
    return broken_guest(std::string("trap: ") + WasmEdge_ResultGetMessage(r), instructions);
  }

  Engine& engine_;
  ProtocolFds fds_;
  FreshStart fresh_;
  /// The start phases of this request's new instance (fresh modes), sent with its response.
  std::vector<std::pair<std::string, std::uint64_t>> extra_;
  const WasmEdge_ModuleInstanceContext* wasi_ = nullptr;
  const WasmEdge_FunctionInstanceContext* alloc_ = nullptr;
  std::uint32_t in_ptr_ = 0;  ///< the guest request buffer from lumos_alloc (0: none yet)
  std::uint32_t in_cap_ = 0;  ///< its size in bytes
  const WasmEdge_FunctionInstanceContext* invoke_ = nullptr;
  WasmEdge_MemoryInstanceContext* memory_ = nullptr;
};

}  // namespace

int run_reactor(const HostOptions& o, std::uint64_t main_at) {
  protocol::keep_message_buffers_on_heap();  // a warm instance copies every response
  const ProtocolFds fds = take_stdio();
  Engine engine;
  Reactor reactor(engine, fds, o.fresh);
  Phases phases;
  auto started = start_engine(engine, o, phases, {}, {}, {});
  if (started) started = reactor.bind(engine, o.module_path);

  // Before any request, the only evidence of what runs is _initialize's instruction count.
  ExecMode mode = ExecMode::kInterpreter;
  if (o.engine == EngineMode::kAot) {
    auto init = engine.init_instructions();
    mode = init ? observed_mode(o.engine, *init) : ExecMode::kUnknown;
  }
  Frame frame;
  frame.metrics.emplace_back(protocol::kAttrMainAt, main_at);
  frame.metrics.emplace_back(protocol::kAttrExecMode, static_cast<std::uint64_t>(mode));
  append_phases(frame.metrics, phases);
  if (!started) {
    frame.kind = FrameKind::kError;
    frame.body = started.error().message;
    if (o.verbose) std::fprintf(stderr, "lumos-wasm-host: %s\n", frame.body.c_str());
    send(fds.out, frame);
    return kExitLoadFailed;
  }
  frame.kind = FrameKind::kReady;
  frame.body = std::string("wasmedge ") + WasmEdge_VersionGet() + " " + std::string(protocol::exec_mode_name(mode));
  if (!send(fds.out, frame)) return kExitFailure;
  return reactor.serve(o.module_path);
}

}  // namespace lumos::host::engine

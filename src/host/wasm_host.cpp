// lumos-wasm-host: the WasmEdge embedding that serves reactor modules and runs WASI commands.
#include "wasm_host.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasmedge/wasmedge.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "baas_imports.hpp"
#include "lumos/protocol/frame.hpp"

namespace lumos::host {
namespace {

using protocol::ExecMode;
using protocol::Frame;
using protocol::FrameKind;

constexpr int kExitFailure = 1;  // host-side I/O failure (stdout closed, bad request stream)
constexpr int kExitUsage = 2;
constexpr int kExitLoadFailed = 2;
constexpr int kExitTrap = 3;

constexpr const char* kUsage =
    "usage: lumos-wasm-host [--mode interp|aot] [--verbose] reactor MODULE.wasm\n"
    "       lumos-wasm-host [--mode interp|aot] [--verbose] [--dir GUEST:HOST]... [--env K=V]...\n"
    "                       [--report FILE] command MODULE.wasm [ARGS...]\n"
    "reactor  serve length-prefixed requests on stdin with response frames on stdout; the module\n"
    "         must export lumos_alloc, lumos_invoke and memory (build it with functions/sdk);\n"
    "         the guest's stdin is empty and its stdout goes to stderr\n"
    "command  run the WASI command's _start once with this process's stdio; the exit code is\n"
    "         the guest's (2: module not loadable, 3: trap)\n"
    "--mode aot uses the AoT section made by `wasmedge compile`; frames and reports say what\n"
    "really ran, since WasmEdge silently interprets a module whose AoT section is unusable.\n"
    "--verbose keeps WasmEdge's error log (written to stdout; to stderr in reactor mode).\n";

/// CLOCK_MONOTONIC in nanoseconds.
std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// RAII for WasmEdge contexts: unique_ptr with the matching C delete function.
template <auto DeleteFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    DeleteFn(p);
  }
};
template <typename T, auto DeleteFn>
using Handle = std::unique_ptr<T, Deleter<DeleteFn>>;

using ConfigureHandle = Handle<WasmEdge_ConfigureContext, &WasmEdge_ConfigureDelete>;
using StatisticsHandle = Handle<WasmEdge_StatisticsContext, &WasmEdge_StatisticsDelete>;
using StoreHandle = Handle<WasmEdge_StoreContext, &WasmEdge_StoreDelete>;
using ExecutorHandle = Handle<WasmEdge_ExecutorContext, &WasmEdge_ExecutorDelete>;
using LoaderHandle = Handle<WasmEdge_LoaderContext, &WasmEdge_LoaderDelete>;
using ValidatorHandle = Handle<WasmEdge_ValidatorContext, &WasmEdge_ValidatorDelete>;
using AstHandle = Handle<WasmEdge_ASTModuleContext, &WasmEdge_ASTModuleDelete>;
using ModuleHandle = Handle<WasmEdge_ModuleInstanceContext, &WasmEdge_ModuleInstanceDelete>;

/// A non-owning WasmEdge string over `s` (no copy, no delete).
WasmEdge_String wrap(std::string_view s) {
  return WasmEdge_StringWrap(s.data(), static_cast<std::uint32_t>(s.size()));
}

/// True when the guest called WASI proc_exit (WasmEdge reports that as a successful result).
bool is_terminated(WasmEdge_Result r) {
  return WasmEdge_ResultGetCategory(r) == WasmEdge_ErrCategory_WASM &&
         WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_Terminated;
}

/// Wall time of each startup phase in ns; unset when the phase did not complete.
struct Phases {
  std::optional<std::uint64_t> runtime_init, load, validate, instantiate, run;
  /// aot mode: creating the statistics context that proves AoT ran (lumos's own overhead,
  /// excluded from runtime_init: WasmEdge fills a 512 KiB cost table in it).
  std::optional<std::uint64_t> aot_check;
};

/// Interpreted instructions between two reads of the counter (robust to a counter reset).
std::uint64_t instr_delta(std::uint64_t before, std::uint64_t after) {
  return after >= before ? after - before : after;
}

/// What really executed: with instruction counting on (aot mode), the interpreter counts and
/// AoT code compiled without --enable-instruction-count does not.
ExecMode observed_mode(EngineMode engine, std::uint64_t instructions) {
  if (engine == EngineMode::kInterpreter) return ExecMode::kInterpreter;
  return instructions == 0 ? ExecMode::kAot : ExecMode::kInterpreter;
}

/// The WasmEdge contexts of one module instance; members are destroyed in reverse order.
class Engine {
 public:
  /// Creates configure, statistics (aot mode only: instruction counting proves AoT ran),
  /// store, executor, loader, validator and a WASI module registered in the store.
  Result<void> init(EngineMode mode, const std::vector<const char*>& args,
                    const std::vector<const char*>& envs,
                    const std::vector<const char*>& preopens) {
    mode_ = mode;
    conf_.reset(WasmEdge_ConfigureCreate());
    if (!conf_) return fail(ErrorCode::kInternal, "runtime init failed: WasmEdge_ConfigureCreate");
    if (mode == EngineMode::kInterpreter) {
      WasmEdge_ConfigureSetForceInterpreter(conf_.get(), true);
    } else {
      WasmEdge_ConfigureStatisticsSetInstructionCounting(conf_.get(), true);
      const std::uint64_t t0 = now_ns();
      stats_.reset(WasmEdge_StatisticsCreate());
      stats_create_ns_ = now_ns() - t0;
      if (!stats_) {
        return fail(ErrorCode::kInternal, "runtime init failed: WasmEdge_StatisticsCreate");
      }
    }
    store_.reset(WasmEdge_StoreCreate());
    executor_.reset(WasmEdge_ExecutorCreate(conf_.get(), stats_.get()));
    loader_.reset(WasmEdge_LoaderCreate(conf_.get()));
    validator_.reset(WasmEdge_ValidatorCreate(conf_.get()));
    if (!store_ || !executor_ || !loader_ || !validator_) {
      return fail(ErrorCode::kInternal, "runtime init failed: could not create WasmEdge contexts");
    }
    wasi_.reset(WasmEdge_ModuleInstanceCreateWASI(
        args.empty() ? nullptr : args.data(), static_cast<std::uint32_t>(args.size()),
        envs.empty() ? nullptr : envs.data(), static_cast<std::uint32_t>(envs.size()),
        preopens.empty() ? nullptr : preopens.data(), static_cast<std::uint32_t>(preopens.size())));
    if (!wasi_) return fail(ErrorCode::kInternal, "runtime init failed: could not create WASI");
    auto r = WasmEdge_ExecutorRegisterImport(executor_.get(), store_.get(), wasi_.get());
    if (!WasmEdge_ResultOK(r)) {
      return fail(ErrorCode::kInternal, std::string("runtime init failed: registering WASI: ") +
                                            WasmEdge_ResultGetMessage(r));
    }
    // The "lumos" imports (BaaS key-value calls); modules that do not import them ignore them.
    baas_.reset(create_baas_imports());
    if (!baas_) return fail(ErrorCode::kInternal, "runtime init failed: could not create the lumos imports");
    r = WasmEdge_ExecutorRegisterImport(executor_.get(), store_.get(), baas_.get());
    if (!WasmEdge_ResultOK(r)) {
      return fail(ErrorCode::kInternal, std::string("runtime init failed: registering lumos imports: ") +
                                            WasmEdge_ResultGetMessage(r));
    }
    return {};
  }

  /// Parses the module file (with its AoT section in aot mode).
  Result<void> load(const std::string& path) {
    WasmEdge_ASTModuleContext* ast = nullptr;
    auto r = WasmEdge_LoaderParseFromFile(loader_.get(), &ast, path.c_str());
    ast_.reset(ast);
    if (WasmEdge_ResultOK(r)) return {};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return fail(ErrorCode::kIo, "load failed: cannot open module (" + path +
                                      "): " + std::strerror(errno) + "; check the path");
    }
    std::string msg =
        std::string("load failed: ") + WasmEdge_ResultGetMessage(r) + " (" + path + ")";
    if (WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_MalformedMagic) {
      msg += ": is this a .wasm file?";
    }
    return fail(ErrorCode::kConfig, std::move(msg));
  }

  Result<void> validate(const std::string& path) {
    auto r = WasmEdge_ValidatorValidate(validator_.get(), ast_.get());
    if (WasmEdge_ResultOK(r)) return {};
    return fail(ErrorCode::kConfig, std::string("validate failed: ") +
                                        WasmEdge_ResultGetMessage(r) + " (" + path + ")");
  }

  /// Instantiates the module and runs its `_initialize` export (reactors) if present; the
  /// instructions interpreted during `_initialize` are kept in init_instructions().
  Result<void> instantiate(const std::string& path) {
    WasmEdge_ModuleInstanceContext* inst = nullptr;
    auto r = WasmEdge_ExecutorInstantiate(executor_.get(), &inst, store_.get(), ast_.get());
    instance_.reset(inst);
    if (!WasmEdge_ResultOK(r)) {
      std::string msg =
          std::string("instantiate failed: ") + WasmEdge_ResultGetMessage(r) + " (" + path + ")";
      if (WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_UnknownImport) {
        msg += ": only wasi_snapshot_preview1 and lumos (BaaS) imports are provided";
      }
      return fail(ErrorCode::kConfig, std::move(msg));
    }
    if (auto* init = find_function("_initialize")) {
      std::uint64_t before = instructions();
      r = WasmEdge_ExecutorInvoke(executor_.get(), init, nullptr, 0, nullptr, 0);
      init_instructions_ = instr_delta(before, instructions());
      if (!WasmEdge_ResultOK(r) || is_terminated(r)) {
        return fail(ErrorCode::kFunctionError,
                    std::string("instantiate failed: _initialize trapped: ") +
                        WasmEdge_ResultGetMessage(r) + " (" + path + ")");
      }
    }
    return {};
  }

  /// Exported function of the instance, or null.
  const WasmEdge_FunctionInstanceContext* find_function(std::string_view name) const {
    return WasmEdge_ModuleInstanceFindFunction(instance_.get(), wrap(name));
  }
  /// Exported memory of the instance, or null.
  WasmEdge_MemoryInstanceContext* find_memory(std::string_view name) const {
    return WasmEdge_ModuleInstanceFindMemory(instance_.get(), wrap(name));
  }

  /// Total interpreted instructions so far (always 0 in interp mode, which does not count).
  std::uint64_t instructions() const {
    return stats_ ? WasmEdge_StatisticsGetInstrCount(stats_.get()) : 0;
  }
  /// Time spent creating the statistics context (aot mode), else nothing.
  std::optional<std::uint64_t> stats_create_ns() const { return stats_create_ns_; }
  /// Instructions interpreted by `_initialize`, if the module has one.
  std::optional<std::uint64_t> init_instructions() const { return init_instructions_; }
  EngineMode mode() const { return mode_; }
  WasmEdge_ExecutorContext* executor() const { return executor_.get(); }
  const WasmEdge_ModuleInstanceContext* wasi() const { return wasi_.get(); }

 private:
  EngineMode mode_ = EngineMode::kInterpreter;
  std::optional<std::uint64_t> init_instructions_;
  std::optional<std::uint64_t> stats_create_ns_;
  ConfigureHandle conf_;
  StatisticsHandle stats_;
  StoreHandle store_;
  ExecutorHandle executor_;
  LoaderHandle loader_;
  ValidatorHandle validator_;
  ModuleHandle wasi_;
  ModuleHandle baas_;
  AstHandle ast_;  // kept for the instance's lifetime: in aot mode it owns the compiled code
  ModuleHandle instance_;
};

/// Times `step` into `slot` when it succeeds.
template <typename Step>
Result<void> timed(std::optional<std::uint64_t>& slot, Step&& step) {
  std::uint64_t t0 = now_ns();
  auto r = step();
  if (r) slot = now_ns() - t0;
  return r;
}

/// Creates the runtime, loads, validates and instantiates, timing each phase.
Result<void> start_engine(Engine& engine, const HostOptions& o, Phases& phases,
                          const std::vector<const char*>& args,
                          const std::vector<const char*>& envs,
                          const std::vector<const char*>& preopens) {
  auto r = timed(phases.runtime_init, [&] { return engine.init(o.engine, args, envs, preopens); });
  if ((phases.aot_check = engine.stats_create_ns()) && phases.runtime_init) {
    *phases.runtime_init -= *phases.aot_check;
  }
  if (r) r = timed(phases.load, [&] { return engine.load(o.module_path); });
  if (r) r = timed(phases.validate, [&] { return engine.validate(o.module_path); });
  if (r) r = timed(phases.instantiate, [&] { return engine.instantiate(o.module_path); });
  return r;
}

void append_phases(std::vector<std::pair<std::string, std::uint64_t>>& metrics, const Phases& p) {
  if (p.runtime_init) metrics.emplace_back("runtime_init", *p.runtime_init);
  if (p.load) metrics.emplace_back("load", *p.load);
  if (p.validate) metrics.emplace_back("validate", *p.validate);
  if (p.instantiate) metrics.emplace_back("instantiate", *p.instantiate);
  if (p.aot_check) metrics.emplace_back("aot_check", *p.aot_check);
}

/// Writes a frame to fd; false when the reader is gone (the caller exits).
bool send(int fd, const Frame& frame) {
  return protocol::write_all(fd, protocol::encode_frame(frame)).has_value();
}

/// The descriptors the framed protocol runs on.
struct ProtocolFds {
  int in = 0;
  int out = 1;
};

/// Moves the protocol off fds 0 and 1 so that nothing else can read requests or write into the
/// response stream: the guest's WASI stdin becomes /dev/null, its stdout (and WasmEdge's log,
/// which spdlog writes to stdout) goes to stderr. Keeps 0/1 if the shuffle fails. A closed
/// response pipe becomes a write error (exit 1) instead of a SIGPIPE death.
ProtocolFds take_stdio() {
  ProtocolFds fds;
  ::signal(SIGPIPE, SIG_IGN);
  // LUMOS_PROTOCOL_FDS="IN,OUT": the protocol comes on inherited fds (runc --preserve-fds),
  // stdio is the container engine's relay and stays the guest's.
  if (const char* env = std::getenv("LUMOS_PROTOCOL_FDS")) {
    int in = -1, out = -1;
    if (std::sscanf(env, "%d,%d", &in, &out) == 2 && ::fcntl(in, F_SETFD, FD_CLOEXEC) == 0 &&
        ::fcntl(out, F_SETFD, FD_CLOEXEC) == 0) {
      fds.in = in;
      fds.out = out;
      return fds;
    }
    std::fprintf(stderr, "lumos-wasm-host: LUMOS_PROTOCOL_FDS='%s' names no open fds; using stdin/stdout\n", env);
  }
  int in = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || out < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(2, 1) < 0) {
    std::fprintf(stderr,
                 "lumos-wasm-host: cannot isolate stdio (%s); guest stdio shares the "
                 "protocol\n",
                 std::strerror(errno));
    if (in >= 0) ::close(in);
    if (out >= 0) ::close(out);
    if (null >= 0) ::close(null);
    return fds;
  }
  ::close(null);
  fds.in = in;
  fds.out = out;
  return fds;
}

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

/// Serves requests on one instantiated reactor module (the lumos guest SDK's exports).
class Reactor {
 public:
  Reactor(Engine& engine, ProtocolFds fds) : engine_(engine), fds_(fds) {}

  /// Resolves lumos_alloc, lumos_invoke and memory once; fails naming what is missing.
  Result<void> bind(const std::string& path) {
    alloc_ = engine_.find_function("lumos_alloc");
    invoke_ = engine_.find_function("lumos_invoke");
    memory_ = engine_.find_memory("memory");
    const char* missing = !alloc_    ? "function lumos_alloc"
                          : !invoke_ ? "function lumos_invoke"
                          : !memory_ ? "memory 'memory'"
                                     : nullptr;
    if (missing) {
      return fail(ErrorCode::kConfig,
                  std::string("instantiate failed: the module exports no ") + missing + " (" +
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
  int serve() {
    for (;;) {
      auto request = protocol::read_message(fds_.in);
      if (!request) {
        if (request.error().code == ErrorCode::kCrashed) return 0;  // stdin closed: done
        std::fprintf(stderr, "lumos-wasm-host: reading a request: %s\n",
                     request.error().message.c_str());
        return kExitFailure;
      }
      if (auto code = handle(*request)) return *code;
    }
  }

 private:
  // Runs one request; returns an exit code when the host must stop.
  std::optional<int> handle(const std::string& request) {
    const auto len = static_cast<std::uint32_t>(request.size());
    const std::uint64_t before = engine_.instructions();
    WasmEdge_Value param[2] = {WasmEdge_ValueGenI32(static_cast<std::int32_t>(len)),
                               WasmEdge_ValueGenI32(0)};
    WasmEdge_Value ret;
    WasmEdge_Result r;
    // lumos_alloc hands out the guest's request buffer, which stays valid until the next
    // lumos_alloc: ask only when a request outgrows it (saves a guest call per request).
    if (in_ptr_ == 0 || len > in_cap_) {
      const std::uint32_t want = std::max<std::uint32_t>(len, 4096);
      param[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(want));
      r = WasmEdge_ExecutorInvoke(engine_.executor(), alloc_, param, 1, &ret, 1);
      if (!WasmEdge_ResultOK(r) || is_terminated(r)) return trapped(r, before);
      in_ptr_ = static_cast<std::uint32_t>(WasmEdge_ValueGetI32(ret));
      in_cap_ = in_ptr_ == 0 ? 0 : want;
    }
    const std::uint32_t ptr = in_ptr_;
    if (ptr == 0) {
      return reply_error(
          "lumos_alloc(" + std::to_string(len) + ") returned NULL: the guest is out of memory",
          before);
    }
    if (len > 0) {
      r = WasmEdge_MemoryInstanceSetData(
          memory_, reinterpret_cast<const std::uint8_t*>(request.data()), ptr, len);
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
      payload_len =
          static_cast<std::uint32_t>(header[0]) | static_cast<std::uint32_t>(header[1]) << 8 |
          static_cast<std::uint32_t>(header[2]) << 16 | static_cast<std::uint32_t>(header[3]) << 24;
      if (payload_len <= protocol::kMaxMessageBytes) {
        payload = WasmEdge_MemoryInstanceGetPointerConst(memory_, msg + 4, payload_len);
      }
    }
    if (!payload) {
      return broken_guest("lumos_invoke returned a response outside linear memory", instructions);
    }
    auto frame = protocol::decode_frame(
        std::string_view(reinterpret_cast<const char*>(payload), payload_len));
    if (!frame || frame->kind == FrameKind::kReady || frame->metrics.size() > 253) {
      return broken_guest("lumos_invoke returned a malformed frame" +
                              (frame ? std::string() : ": " + frame.error().message),
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
          "trap: the guest called proc_exit(" +
              std::to_string(WasmEdge_ModuleInstanceWASIGetExitCode(engine_.wasi())) + ")",
          instructions);
    }
    return broken_guest(std::string("trap: ") + WasmEdge_ResultGetMessage(r), instructions);
  }

  Engine& engine_;
  ProtocolFds fds_;
  const WasmEdge_FunctionInstanceContext* alloc_ = nullptr;
  std::uint32_t in_ptr_ = 0;  ///< the guest request buffer from lumos_alloc (0: none yet)
  std::uint32_t in_cap_ = 0;  ///< its size in bytes
  const WasmEdge_FunctionInstanceContext* invoke_ = nullptr;
  WasmEdge_MemoryInstanceContext* memory_ = nullptr;
};

int run_reactor(const HostOptions& o, std::uint64_t main_at) {
  protocol::keep_message_buffers_on_heap();  // a warm instance copies every response
  const ProtocolFds fds = take_stdio();
  Engine engine;
  Reactor reactor(engine, fds);
  Phases phases;
  auto started = start_engine(engine, o, phases, {}, {}, {});
  if (started) started = reactor.bind(o.module_path);

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
  frame.body = std::string("wasmedge ") + WasmEdge_VersionGet() + " " +
               std::string(protocol::exec_mode_name(mode));
  if (!send(fds.out, frame)) return kExitFailure;
  return reactor.serve();
}

// ----------------------------------------------------------------------------- command mode

/// One JSON object describing a command run (the --report file).
std::string report_json(ExecMode mode, int exit_code, std::string_view error, const Phases& p,
                        std::uint64_t main_at) {
  nlohmann::json phases = nlohmann::json::object();
  auto add = [&](const char* name, const std::optional<std::uint64_t>& v) {
    if (v) phases[name] = *v;
  };
  add("runtime_init", p.runtime_init);
  add("load", p.load);
  add("validate", p.validate);
  add("instantiate", p.instantiate);
  add("run", p.run);
  add("aot_check", p.aot_check);
  const nlohmann::json report = {{"exec_mode", protocol::exec_mode_name(mode)},
                                 {"exit_code", exit_code},
                                 {"error", error},
                                 {"phases_ns", phases},
                                 {"main_at_ns", main_at}};
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_report(const std::string& path, const std::string& json) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "lumos-wasm-host: cannot write the report %s: %s\n", path.c_str(),
                 std::strerror(errno));
  }
}

int run_command(const HostOptions& o, std::uint64_t main_at) {
  std::vector<const char*> args{o.module_path.c_str()};
  for (const auto& a : o.args) args.push_back(a.c_str());
  std::vector<const char*> envs, preopens;
  for (const auto& e : o.envs) envs.push_back(e.c_str());
  for (const auto& d : o.dirs) preopens.push_back(d.c_str());

  Engine engine;
  Phases phases;
  ExecMode mode = ExecMode::kUnknown;
  int exit_code = 0;
  std::string error;
  auto finish = [&] {
    if (!error.empty()) std::fprintf(stderr, "lumos-wasm-host: %s\n", error.c_str());
    if (!o.report_path.empty()) {
      write_report(o.report_path, report_json(mode, exit_code, error, phases, main_at));
    }
    return exit_code;
  };

  auto started = start_engine(engine, o, phases, args, envs, preopens);
  const WasmEdge_FunctionInstanceContext* start = nullptr;
  if (started && !(start = engine.find_function("_start"))) {
    started =
        fail(ErrorCode::kConfig, "instantiate failed: the module exports no _start (" +
                                     o.module_path + "): is it a reactor? run it with 'reactor'");
  }
  if (!started) {
    exit_code = kExitLoadFailed;
    error = started.error().message;
    return finish();
  }

  const std::uint64_t before = engine.instructions();
  const std::uint64_t t0 = now_ns();
  auto r = WasmEdge_ExecutorInvoke(engine.executor(), start, nullptr, 0, nullptr, 0);
  phases.run = now_ns() - t0;
  mode = observed_mode(o.engine, instr_delta(before, engine.instructions()));
  if (!WasmEdge_ResultOK(r)) {
    exit_code = kExitTrap;
    error = std::string("trap: ") + WasmEdge_ResultGetMessage(r) + " (" + o.module_path + ")";
    return finish();
  }
  // 0 when _start returned; the proc_exit code otherwise (WasmEdge reports it as success).
  exit_code = static_cast<int>(WasmEdge_ModuleInstanceWASIGetExitCode(engine.wasi()));
  return finish();
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

const char* host_usage() { return kUsage; }

Result<HostOptions> parse_host_args(int argc, const char* const* argv) {
  HostOptions o;
  bool command_only_flag = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') break;
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      return o;
    }
    if (arg == "--verbose" || arg == "-v") {
      o.verbose = true;
      continue;
    }
    // Flags with a value: "--flag VALUE" or "--flag=VALUE".
    std::string_view name = arg, value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (arg == "--mode" || arg == "--dir" || arg == "--env" || arg == "--report") {
      if (i + 1 >= argc) return fail(ErrorCode::kUsage, std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (name == "--mode") {
      if (value == "interp" || value == "interpreter") {
        o.engine = EngineMode::kInterpreter;
      } else if (value == "aot") {
        o.engine = EngineMode::kAot;
      } else {
        return fail(ErrorCode::kUsage,
                    "--mode must be interp or aot, not '" + std::string(value) + "'");
      }
    } else if (name == "--dir") {
      // WasmEdge's preopen format is the same "GUEST:HOST" (a bare PATH maps to itself).
      std::string dir(value);
      auto colon = dir.find(':');
      std::string host = colon == std::string::npos ? dir : dir.substr(colon + 1);
      if (dir.empty() || (colon != std::string::npos && colon == 0) || !is_directory(host)) {
        return fail(ErrorCode::kUsage,
                    "--dir " + dir + ": expected GUEST:HOST with an existing host directory");
      }
      o.dirs.push_back(std::move(dir));
      command_only_flag = true;
    } else if (name == "--env") {
      if (value.find('=') == std::string_view::npos || value.front() == '=') {
        return fail(ErrorCode::kUsage, "--env " + std::string(value) + ": expected KEY=VALUE");
      }
      o.envs.emplace_back(value);
      command_only_flag = true;
    } else if (name == "--report") {
      if (value.empty()) return fail(ErrorCode::kUsage, "--report needs a file name");
      o.report_path = value;
      command_only_flag = true;
    } else {
      return fail(ErrorCode::kUsage, "unknown option " + std::string(arg));
    }
  }
  if (i >= argc) return fail(ErrorCode::kUsage, "missing the mode: reactor or command");
  std::string_view word = argv[i++];
  if (word == "reactor") {
    o.mode = HostMode::kReactor;
  } else if (word == "command") {
    o.mode = HostMode::kCommand;
  } else {
    return fail(ErrorCode::kUsage,
                "unknown mode '" + std::string(word) + "': expected reactor or command");
  }
  if (i >= argc) return fail(ErrorCode::kUsage, "missing MODULE.wasm after " + std::string(word));
  o.module_path = argv[i++];
  if (o.mode == HostMode::kReactor) {
    if (i < argc) return fail(ErrorCode::kUsage, "reactor mode takes no guest arguments");
    if (command_only_flag) {
      return fail(ErrorCode::kUsage, "--dir, --env and --report apply to command mode only");
    }
  }
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  return o;
}

int run_wasm_host(int argc, char** argv) {
  const std::uint64_t main_at = now_ns();
  try {
    auto options = parse_host_args(argc, argv);
    if (!options) {
      std::fprintf(stderr, "lumos-wasm-host: %s (see lumos-wasm-host --help)\n",
                   options.error().message.c_str());
      return kExitUsage;
    }
    if (options->help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    // Our own messages say what failed; WasmEdge's log would interleave with guest stderr.
    if (options->verbose) {
      WasmEdge_LogSetErrorLevel();
    } else {
      WasmEdge_LogOff();
    }
    return options->mode == HostMode::kReactor ? run_reactor(*options, main_at)
                                               : run_command(*options, main_at);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lumos-wasm-host: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "lumos-wasm-host: internal error\n");
  }
  return kExitFailure;
}

}  // namespace lumos::host

// The host's WasmEdge engine (configure, load, validate, instantiate, timed phases) and the
// protocol stdio, shared by the reactor and command modes. Internal to src/host.
#pragma once

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

namespace lumos::host::engine {

using protocol::ExecMode;
using protocol::Frame;
using protocol::FrameKind;

inline constexpr int kExitFailure = 1;  // host-side I/O failure (stdout closed, bad request stream)
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLoadFailed = 2;
inline constexpr int kExitTrap = 3;

/// CLOCK_MONOTONIC in nanoseconds.
inline std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
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
inline WasmEdge_String wrap(std::string_view s) {
  return WasmEdge_StringWrap(s.data(), static_cast<std::uint32_t>(s.size()));
}

/// True when the guest called WASI proc_exit (WasmEdge reports that as a successful result).
inline bool is_terminated(WasmEdge_Result r) {
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
inline std::uint64_t instr_delta(std::uint64_t before, std::uint64_t after) {
  return after >= before ? after - before : after;
}

/// What really executed: with instruction counting on (aot mode), the interpreter counts and
/// AoT code compiled without --enable-instruction-count does not.
inline ExecMode observed_mode(EngineMode engine, std::uint64_t instructions) {
  if (engine == EngineMode::kInterpreter) return ExecMode::kInterpreter;
  return instructions == 0 ? ExecMode::kAot : ExecMode::kInterpreter;
}

/// The WasmEdge contexts of one module instance; members are destroyed in reverse order.
class Engine {
 public:
  /// Creates configure, statistics (aot mode only: instruction counting proves AoT ran),
  /// store, executor, loader, validator and a WASI module registered in the store.
  Result<void> init(EngineMode mode, const std::vector<const char*>& args, const std::vector<const char*>& envs,
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
    executor_.reset(WasmEdge_ExecutorCreate(conf_.get(), stats_.get()));
    loader_.reset(WasmEdge_LoaderCreate(conf_.get()));
    validator_.reset(WasmEdge_ValidatorCreate(conf_.get()));
    if (!executor_ || !loader_ || !validator_) {
      return fail(ErrorCode::kInternal, "runtime init failed: could not create WasmEdge contexts");
    }
    return make_environment(store_, wasi_, baas_, args, envs, preopens);
  }

  /// A store with a new WASI module and the "lumos" imports (BaaS key-value calls; modules that
  /// do not import them ignore them) registered in it: one instance's environment.
  Result<void> make_environment(StoreHandle& store, ModuleHandle& wasi, ModuleHandle& baas,
                                const std::vector<const char*>& args, const std::vector<const char*>& envs,
                                const std::vector<const char*>& preopens) const {
    store.reset(WasmEdge_StoreCreate());
    if (!store) return fail(ErrorCode::kInternal, "runtime init failed: could not create a WasmEdge store");
    wasi.reset(WasmEdge_ModuleInstanceCreateWASI(
        args.empty() ? nullptr : args.data(), static_cast<std::uint32_t>(args.size()),
        envs.empty() ? nullptr : envs.data(), static_cast<std::uint32_t>(envs.size()),
        preopens.empty() ? nullptr : preopens.data(), static_cast<std::uint32_t>(preopens.size())));
    if (!wasi) return fail(ErrorCode::kInternal, "runtime init failed: could not create WASI");
    auto r = WasmEdge_ExecutorRegisterImport(executor_.get(), store.get(), wasi.get());
    if (!WasmEdge_ResultOK(r)) {
      return fail(ErrorCode::kInternal,
                  std::string("runtime init failed: registering WASI: ") + WasmEdge_ResultGetMessage(r));
    }
    baas.reset(create_baas_imports());
    if (!baas) return fail(ErrorCode::kInternal, "runtime init failed: could not create the lumos imports");
    r = WasmEdge_ExecutorRegisterImport(executor_.get(), store.get(), baas.get());
    if (!WasmEdge_ResultOK(r)) {
      return fail(ErrorCode::kInternal,
                  std::string("runtime init failed: registering lumos imports: ") + WasmEdge_ResultGetMessage(r));
    }
    return {};
  }

  /// Parses the module file (with its AoT section in aot mode).
  Result<void> load(const std::string& path) {
    WasmEdge_ASTModuleContext* ast = nullptr;
    auto r = WasmEdge_LoaderParseFromFile(loader_.get(), &ast, path.c_str());
    ast_.reset(ast);
    if (WasmEdge_ResultOK(r)) return {};
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
      return fail(ErrorCode::kIo,
                  "load failed: cannot open module (" + path + "): " + std::strerror(errno) + "; check the path");
    }
    std::string msg = std::string("load failed: ") + WasmEdge_ResultGetMessage(r) + " (" + path + ")";
    if (WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_MalformedMagic) {
      msg += ": is this a .wasm file?";
    }
    return fail(ErrorCode::kConfig, std::move(msg));
  }

  Result<void> validate(const std::string& path) {
    auto r = WasmEdge_ValidatorValidate(validator_.get(), ast_.get());
    if (WasmEdge_ResultOK(r)) return {};
    return fail(ErrorCode::kConfig,
                std::string("validate failed: ") + WasmEdge_ResultGetMessage(r) + " (" + path + ")");
  }

  /// Instantiates the module and runs its `_initialize` export (reactors) if present; the
  /// instructions interpreted during `_initialize` are kept in init_instructions().
  Result<void> instantiate(const std::string& path) {
    return instantiate_in(store_.get(), instance_, path, &init_instructions_);
  }

  /// Instantiates the loaded module in `store` (whose environment make_environment() made) and
  /// runs `_initialize` if the module exports it.
  Result<void> instantiate_in(WasmEdge_StoreContext* store, ModuleHandle& instance, const std::string& path,
                              std::optional<std::uint64_t>* init_instructions) const {
    WasmEdge_ModuleInstanceContext* inst = nullptr;
    auto r = WasmEdge_ExecutorInstantiate(executor_.get(), &inst, store, ast_.get());
    instance.reset(inst);
    if (!WasmEdge_ResultOK(r)) {
      std::string msg = std::string("instantiate failed: ") + WasmEdge_ResultGetMessage(r) + " (" + path + ")";
      if (WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_UnknownImport) {
        msg += ": only wasi_snapshot_preview1 and lumos (BaaS) imports are provided";
      }
      return fail(ErrorCode::kConfig, std::move(msg));
    }
    if (const auto* init = WasmEdge_ModuleInstanceFindFunction(instance.get(), wrap("_initialize"))) {
      std::uint64_t before = instructions();
      r = WasmEdge_ExecutorInvoke(executor_.get(), init, nullptr, 0, nullptr, 0);
      if (init_instructions) *init_instructions = instr_delta(before, instructions());
      if (!WasmEdge_ResultOK(r) || is_terminated(r)) {
        return fail(ErrorCode::kFunctionError, std::string("instantiate failed: _initialize trapped: ") +
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
  std::uint64_t instructions() const { return stats_ ? WasmEdge_StatisticsGetInstrCount(stats_.get()) : 0; }
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

/// A new instance of an Engine's loaded module in a store of its own, with its own linear
/// memory, WASI environment and lumos imports: nothing is shared with other instances but the
/// loaded (in aot mode: compiled) code. Members are destroyed in reverse order.
class FreshInstance {
 public:
  /// Wall times of the instance's start in ns: its environment (store, WASI, imports) and the
  /// instantiation itself (with `_initialize`).
  struct Times {
    std::uint64_t wasi_setup = 0, instantiate = 0;
  };

  Result<void> create(const Engine& engine, const std::string& path, Times& times) {
    std::uint64_t t0 = now_ns();
    auto r = engine.make_environment(store_, wasi_, baas_, {}, {}, {});
    std::uint64_t t1 = now_ns();
    times.wasi_setup = t1 - t0;
    if (!r) return r;
    r = engine.instantiate_in(store_.get(), instance_, path, nullptr);
    times.instantiate = now_ns() - t1;
    return r;
  }

  const WasmEdge_FunctionInstanceContext* find_function(std::string_view name) const {
    return WasmEdge_ModuleInstanceFindFunction(instance_.get(), wrap(name));
  }
  WasmEdge_MemoryInstanceContext* find_memory(std::string_view name) const {
    return WasmEdge_ModuleInstanceFindMemory(instance_.get(), wrap(name));
  }
  const WasmEdge_ModuleInstanceContext* wasi() const { return wasi_.get(); }

 private:
  StoreHandle store_;
  ModuleHandle wasi_;
  ModuleHandle baas_;
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
inline Result<void> start_engine(Engine& engine, const HostOptions& o, Phases& phases,
                                 const std::vector<const char*>& args, const std::vector<const char*>& envs,
                                 const std::vector<const char*>& preopens) {
  auto r = timed(phases.runtime_init, [&] { return engine.init(o.engine, args, envs, preopens); });
  phases.aot_check = engine.stats_create_ns();
  if (phases.aot_check && phases.runtime_init) {
    *phases.runtime_init -= *phases.aot_check;
  }
  if (r) r = timed(phases.load, [&] { return engine.load(o.module_path); });
  if (r) r = timed(phases.validate, [&] { return engine.validate(o.module_path); });
  if (r) r = timed(phases.instantiate, [&] { return engine.instantiate(o.module_path); });
  return r;
}

inline void append_phases(std::vector<std::pair<std::string, std::uint64_t>>& metrics, const Phases& p) {
  if (p.runtime_init) metrics.emplace_back("runtime_init", *p.runtime_init);
  if (p.load) metrics.emplace_back("load", *p.load);
  if (p.validate) metrics.emplace_back("validate", *p.validate);
  if (p.instantiate) metrics.emplace_back("instantiate", *p.instantiate);
  if (p.aot_check) metrics.emplace_back("aot_check", *p.aot_check);
}

/// Writes a frame to fd; false when the reader is gone (the caller exits).
inline bool send(int fd, const Frame& frame) {
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
inline ProtocolFds take_stdio() {
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

/// Reactor mode (reactor.cpp): serves framed requests until end of input.
int run_reactor(const HostOptions& o, std::uint64_t main_at);
/// Command mode (command.cpp): runs the WASI command's _start once.
int run_command(const HostOptions& o, std::uint64_t main_at);

}  // namespace lumos::host::engine

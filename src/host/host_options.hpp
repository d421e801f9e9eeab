// lumos-wasm-host's command line: what it runs and how. No WasmEdge here, so the unit tests
// check the parser (tests/unit/host_options_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "lumos/common/result.hpp"

namespace lumos::host {

/// How WasmEdge executes the module's code.
enum class EngineMode {
  kInterpreter,  ///< ForceInterpreter: the AoT section, if any, is ignored
  kAot,          ///< use the module's AoT section (made by `wasmedge compile`)
};

/// What the host does with the module.
enum class HostMode {
  kReactor,  ///< serve the framed protocol on stdin/stdout via lumos_alloc/lumos_invoke
  kCommand,  ///< run the WASI command's `_start` once with inherited stdio
};

/// Reactor mode: where each request runs.
enum class FreshStart {
  kNone,      ///< every request in the one instance made at start (cold, then warm)
  kInstance,  ///< a new instance per request (fresh store, memory, WASI) in this process
  kFork,      ///< a new process per request forked from this one (libraries and module loaded)
};

/// The parsed command line of lumos-wasm-host.
struct HostOptions {
  EngineMode engine = EngineMode::kInterpreter;
  HostMode mode = HostMode::kReactor;
  FreshStart fresh = FreshStart::kNone;  ///< reactor mode: --fresh instance|fork
  std::string module_path;
  std::vector<std::string> args;  ///< command mode: guest arguments after argv[0]
  std::vector<std::string> envs;  ///< command mode: "KEY=VALUE" for the guest
  std::vector<std::string> dirs;  ///< command mode: preopens "GUEST:HOST" (or "PATH")
  std::string report_path;        ///< command mode: JSON report file; empty for none
  bool verbose = false;           ///< keep WasmEdge's own error log on stderr
  bool help = false;              ///< print usage and exit 0
};

/// Usage text of lumos-wasm-host (ends with a newline).
const char* host_usage();

/// Parses argv (argv[0] is the program). Options come before the mode word; everything after
/// `command MODULE` is passed to the guest unchanged. Fails with kUsage saying what to fix.
Result<HostOptions> parse_host_args(int argc, const char* const* argv);

}  // namespace lumos::host

// lumos-wasm-host's entry point; its command line is in host_options.cpp, the modes in reactor.cpp
// and command.cpp.
#include "engine.hpp"

namespace lumos::host {
using namespace engine;
int run_wasm_host(int argc, char** argv) {
  const std::uint64_t main_at = now_ns();
  try {
    auto options = parse_host_args(argc, argv);
    if (!options) {
      std::fprintf(stderr, "lumos-wasm-host: %s (see lumos-wasm-host --help)\n", options.error().message.c_str());
      return kExitUsage;
    }
    if (options->help) {
      std::fputs(host_usage(), stdout);
      return 0;
    }
    // Our own messages say what failed; WasmEdge's log would interleave with guest stderr.
    if (options->verbose) {
      WasmEdge_LogSetErrorLevel();
    } else {
      WasmEdge_LogOff();
    }
    return options->mode == HostMode::kReactor ? run_reactor(*options, main_at) : run_command(*options, main_at);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lumos-wasm-host: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "lumos-wasm-host: internal error\n");
  }
  return kExitFailure;
}

}  // namespace lumos::host

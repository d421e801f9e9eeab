// lumos-wasm-host: embeds the WasmEdge C API to serve a reactor module or run a WASI command.
#pragma once

#include "host_options.hpp"

namespace lumos::host {

/// Runs lumos-wasm-host and returns its exit code: reactor mode 0 at end of input, 2 when the
/// module cannot be loaded/validated/instantiated (a kError frame says why), 3 after a trap;
/// command mode the WASI exit code, 2 on load failure, 3 on a trap; 2 on a usage error.
/// Never throws.
int run_wasm_host(int argc, char** argv);

}  // namespace lumos::host

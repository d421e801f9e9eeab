// `lumos build`: compiles a function to a native static executable, a wasm32-wasi reactor
// module and a WasmEdge AoT module, incrementally.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lumos/build/function_spec.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::build {

/// The compilers and flags used; recorded in the run manifest.
struct Toolchain {
  std::string cc = "cc";
  std::string cxx = "c++";
  std::string wasm_cc = "clang-19";
  std::string wasm_cxx = "clang++-19";
  std::filesystem::path wasmedge;   ///< the wasmedge CLI (private root wrapper)
  std::filesystem::path sdk_dir;    ///< functions/sdk
  std::string opt_level = "2";      ///< -O level for native and wasm; `--optimize` for AoT
};

/// Defaults: SDK from the source tree, WasmEdge from LUMOS_WASMEDGE_ROOT or the build's root.
Toolchain default_toolchain();

struct BuiltArtifact {
  std::string kind;              ///< "native", "wasm", "wasm-aot"
  std::filesystem::path path;
  std::uint64_t bytes = 0;
  bool rebuilt = false;          ///< false: up to date, reused
  bool prebuilt = false;         ///< taken from the manifest's "prebuilt"
  std::chrono::milliseconds took{0};
  std::string error;             ///< empty on success; else what failed and the compiler output
};

struct BuildResult {
  runtime::Artifacts artifacts;  ///< paths of the artifacts that exist
  std::filesystem::path generated_dir;  ///< where generated inputs are (out_root/<name>/generated)
  std::vector<BuiltArtifact> items;
  bool ok() const;
};

/// Builds all artifacts of `spec` under out_root/<name>/. A failing step is reported in its
/// item and leaves the others usable (a function may run natively even if wasm fails).
BuildResult build_function(const FunctionSpec& spec, const std::filesystem::path& out_root,
                           const Toolchain& toolchain);

}  // namespace lumos::build

// `lumos build`: compiles a function to a native static executable (clang-19, the wasm
// modules' compiler), the same with the host compiler (native-gcc), a wasm32-wasi reactor
// module and a WasmEdge AoT module, incrementally.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lumos/build/artifacts.hpp"
#include "lumos/build/function_spec.hpp"

namespace lumos::build {

/// The compilers and flags used; recorded in the run manifest. The native artifact (and the
/// container images made from it) is built by the same compiler as the wasm modules, so that
/// native vs Wasm compares the runtimes, not two compilers; the host compiler's build is the
/// optional native-gcc flavour.
struct Toolchain {
  std::string cc = "clang-19";     ///< native C (same compiler and version as wasm_cc)
  std::string cxx = "clang++-19";  ///< native C++
  /// Native C++ standard library: libc++ 19, as in the wasm build, linked statically from a
  /// private root (scripts/setup unpacks Debian's libc++-19-dev there; holds include/c++/v1
  /// and lib/libc++.a). Default LUMOS_LIBCXX_ROOT, else the build's.
  std::filesystem::path libcxx_root;
  std::string wasm_cc = "clang-19";
  std::string wasm_cxx = "clang++-19";
  std::string host_cc = "cc";  ///< native-gcc flavour (gcc, libstdc++) and input generators
  std::string host_cxx = "c++";
  bool host_flavour = true;        ///< also build the native-gcc artifact
  std::filesystem::path wasmedge;  ///< the wasmedge CLI (private root wrapper)
  std::filesystem::path sdk_dir;   ///< functions/sdk
  std::string opt_level = "2";     ///< -O level for native and wasm; `--optimize` for AoT
};

/// Defaults: SDK from the source tree, WasmEdge from LUMOS_WASMEDGE_ROOT and libc++ from
/// LUMOS_LIBCXX_ROOT, else the build's roots.
Toolchain default_toolchain();

struct BuiltArtifact {
  std::string kind;  ///< "native", "native-gcc", "wasm", "wasm-aot", "generator"
  std::filesystem::path path;
  std::string compiler;            ///< the program that made it ("clang-19", "cc", wasmedge); "" if prebuilt
  std::vector<std::string> flags;  ///< its command line without the program, sources and output
  std::uint64_t bytes = 0;
  bool rebuilt = false;   ///< false: up to date, reused
  bool prebuilt = false;  ///< taken from the manifest's "prebuilt"
  std::chrono::milliseconds took{0};
  std::string error;  ///< empty on success; else what failed and the compiler output
};

struct BuildResult {
  Artifacts artifacts;                  ///< paths of the artifacts that exist
  std::filesystem::path generated_dir;  ///< where generated inputs are (out_root/<name>/generated)
  std::vector<BuiltArtifact> items;
  bool ok() const;
};

/// The first line of `program --version` (e.g. "Debian clang version 19.1.7 (3~deb12u1)"),
/// or "unknown (...)" saying why it could not be run.
std::string compiler_version(const std::string& program);

/// Builds all artifacts of `spec` under out_root/<name>/. A failing step is reported in its
/// item and leaves the others usable (a function may run natively even if wasm fails).
BuildResult build_function(const FunctionSpec& spec, const std::filesystem::path& out_root, const Toolchain& toolchain);

}  // namespace lumos::build

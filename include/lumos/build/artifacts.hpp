// The artifacts `lumos build` makes for one function: the record build hands to image and runtime.
#pragma once

#include <filesystem>
#include <string>

namespace lumos::build {

/// What `lumos build` produced for one function (paths may be empty if a build step failed).
struct Artifacts {
  std::string function;
  std::filesystem::path native_exe;      ///< static executable speaking the framed protocol (clang-19)
  std::filesystem::path native_gcc_exe;  ///< the same source built by the host compiler (native-gcc)
  std::filesystem::path wasm;            ///< wasm32-wasi reactor module
  std::filesystem::path wasm_aot;        ///< the same with a WasmEdge AoT section
  /// SDK functions: the WASI command module (the SDK's framed loop in _start, no BaaS), what
  /// crun's WasmEdge handler runs and what the wasm image holds; and its AoT build (wasm-aot
  /// image). Empty for command functions, whose `wasm` is a command already.
  std::filesystem::path wasm_command;
  std::filesystem::path wasm_command_aot;
  std::filesystem::path work_dir;  ///< per-function scratch space (e.g. runc bundles)
};

}  // namespace lumos::build

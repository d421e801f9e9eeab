// A function's manifest (functions/<name>/function.yaml): sources, inputs, expected outputs.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"

namespace YAML {
class Node;
}

namespace lumos::build {

struct FunctionInput {
  std::string name;  ///< e.g. "small" (for commands: stdin)
  /// Request bytes. Absolute, or relative to the generated folder when `generated`.
  std::filesystem::path file;
  bool generated = false;                         ///< written by the function's generator
  std::optional<std::filesystem::path> expected;  ///< expected response bytes, if checked
  std::optional<std::string> expected_sha256;     ///< or the SHA-256 (hex) of the response
  int expected_exit = 0;                          ///< commands: the exit code that counts as ok
  /// Commands: files the program must write (path relative to its working directory ->
  /// file with the expected content).
  std::map<std::string, std::filesystem::path> expected_files;
};

/// How a command function (kind: command) is run: one-shot, like a CLI program.
struct CommandSpec {
  std::vector<std::string> args;           ///< argv[1..]
  std::map<std::string, std::string> env;  ///< the whole environment of the program
  /// Folders (absolute) copied into each invocation's fresh working directory, which the
  /// program sees as "." (native and runc: its cwd; wasm: the WASI preopen ".").
  std::vector<std::filesystem::path> dirs;
};

struct FunctionSpec {
  std::string name;
  std::string description;
  std::filesystem::path dir;   ///< folder holding function.yaml
  std::string language = "c";  ///< "c" or "c++"
  /// "sdk": a lumos_handle() served over the framed protocol (cold and warm);
  /// "command": an unchanged program with main() / WASI _start, run one-shot (cold only).
  std::string kind = "sdk";
  /// SDK functions can run in BaaS mode (input fetched from / output stored to Redis). false
  /// builds without it: no hiredis in the executable, no "lumos" imports in the module (so
  /// plain wasm tools such as the wasmedge CLI can run it).
  bool baas = true;
  CommandSpec command;
  std::vector<std::filesystem::path> sources;  ///< absolute paths
  std::vector<FunctionInput> inputs;           ///< absolute paths, in manifest order
  /// Artifacts taken as they are instead of compiled (key "prebuilt": native, wasm, wasm_aot, wasm_command_aot),
  /// e.g. a module from another toolchain, or a deliberately broken one in tests.
  std::optional<std::filesystem::path> prebuilt_native, prebuilt_wasm, prebuilt_wasm_aot;
  /// The AoT WASI command of an SDK function (the wasm-aot image's module) taken as it is.
  std::optional<std::filesystem::path> prebuilt_wasm_command_aot;
  /// A C program (key "generator") that `lumos build` compiles natively and runs in the
  /// function's generated/ folder to write large inputs deterministically.
  std::optional<std::filesystem::path> generator;
};

/// Input paths starting with this folder name are made by the generator at build time.
inline constexpr const char* kGeneratedDir = "generated";

/// Reads DIR/function.yaml. Errors (kConfig) name the file and the offending key.
Result<FunctionSpec> load_function_spec(const std::filesystem::path& dir);

/// Parses a function definition from YAML (a function.yaml, or an inline definition in an
/// experiment file); relative paths are resolved against `dir`; errors name `origin`.
Result<FunctionSpec> parse_function_spec(const YAML::Node& root, const std::filesystem::path& dir,
                                         const std::string& origin);

/// Finds function `name` as DIR/name/function.yaml in the first search dir that has it.
Result<FunctionSpec> find_function(const std::string& name, const std::vector<std::filesystem::path>& search_dirs);

/// Names of all functions (sub-folders with a function.yaml) in a search dir, sorted.
std::vector<std::string> list_functions(const std::filesystem::path& search_dir);

}  // namespace lumos::build

// Compiling functions with clang-19 for native and wasm32-wasi (one compiler for every target),
// the host compiler for the native-gcc flavour and WasmEdge's AoT compiler; a step is skipped
// when its output is newer than all of its inputs and its command line is unchanged.
#include "lumos/build/builder.hpp"
#include "lumos/common/files.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lumos/common/process.hpp"

namespace lumos::build {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool up_to_date(const fs::path& out, const std::vector<fs::path>& inputs) {
  std::error_code ec;
  auto out_time = fs::last_write_time(out, ec);
  if (ec) return false;
  for (const auto& in : inputs) {
    auto t = fs::last_write_time(in, ec);
    if (ec || t > out_time) return false;
  }
  return true;
}

std::string tail(const std::string& text, std::size_t max = 1500) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

// Runs one build step into a temporary file and renames it into place on success.
BuiltArtifact step(const std::string& kind, const fs::path& out, const std::vector<fs::path>& inputs,
                   const std::vector<std::string>& argv_with_tmp_last_placeholder) {
  BuiltArtifact item;
  item.kind = kind;
  item.path = out;
  std::error_code ec;
  // The command line is stored beside the output: changed flags also mean a rebuild.
  std::string command;
  for (const auto& a : argv_with_tmp_last_placeholder) command += a + '\n';
  fs::path command_file = out;
  command_file += ".cmd";
  if (up_to_date(out, inputs) && read_file_or_empty(command_file) == command) {
    item.bytes = fs::file_size(out, ec);
    return item;
  }
  fs::path tmp = out;
  tmp += ".tmp";
  std::vector<std::string> argv = argv_with_tmp_last_placeholder;
  for (auto& a : argv) {
    if (a == "{out}") a = tmp.string();
  }
  auto t0 = Clock::now();
  auto result = run_command(argv);
  item.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  item.rebuilt = true;
  if (!result) {
    item.error = result.error().message + " (run scripts/setup to install the toolchain)";
    return item;
  }
  if (result->exit_code != 0 || !fs::exists(tmp)) {
    item.error = argv.front() + " failed (exit " + std::to_string(result->exit_code) + "):\n" + tail(result->out);
    fs::remove(tmp, ec);
    return item;
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    item.error = "cannot move " + tmp.string() + " to " + out.string() + ": " + ec.message();
    return item;
  }
  item.bytes = fs::file_size(out, ec);
  std::ofstream(command_file, std::ios::trunc) << command;
  return item;
}

// What the manifest records of a command line: everything but the program, the source files
// and `-o {out}`.
std::vector<std::string> flags_of(const std::vector<std::string>& argv, const std::vector<fs::path>& sources) {
  std::vector<std::string> flags;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-o" || argv[i] == "{out}") continue;
    bool source = false;
    for (const auto& s : sources) source = source || argv[i] == s.string();
    if (!source) flags.push_back(argv[i]);
  }
  return flags;
}

// step() plus the compiler and flags it ran with.
BuiltArtifact compile(const std::string& kind, const fs::path& out, const std::vector<fs::path>& inputs,
                      const std::vector<std::string>& argv, const std::vector<fs::path>& sources) {
  BuiltArtifact item = step(kind, out, inputs, argv);
  item.compiler = argv.front();
  item.flags = flags_of(argv, sources);
  return item;
}

BuiltArtifact use_prebuilt(const std::string& kind, const fs::path& path) {
  BuiltArtifact item;
  item.kind = kind;
  item.path = path;
  item.prebuilt = true;
  std::error_code ec;
  item.bytes = fs::file_size(path, ec);
  return item;
}

}  // namespace

std::string compiler_version(const std::string& program) {
  auto out = run_command({program, "--version"});
  if (!out) return "unknown (" + out.error().message + ")";
  if (out->exit_code != 0) return "unknown (" + program + " --version exited " + std::to_string(out->exit_code) + ")";
  auto line = out->out.substr(0, out->out.find('\n'));
  return line.empty() ? "unknown (no output from " + program + " --version)" : line;
}

Toolchain default_toolchain() {
  Toolchain t;
  fs::path root = LUMOS_DEFAULT_WASMEDGE_ROOT;
  if (const char* v = std::getenv("LUMOS_WASMEDGE_ROOT"); v && *v) root = v;
  t.wasmedge = root / "bin" / "wasmedge";
  t.libcxx_root = LUMOS_DEFAULT_LIBCXX_ROOT;
  if (const char* v = std::getenv("LUMOS_LIBCXX_ROOT"); v && *v) t.libcxx_root = v;
  t.sdk_dir = fs::path(LUMOS_SOURCE_DIR) / "functions" / "sdk";
  return t;
}

bool BuildResult::ok() const {
  for (const auto& item : items) {
    if (!item.error.empty()) return false;
  }
  return true;
}

BuildResult build_function(const FunctionSpec& spec, const fs::path& out_root, const Toolchain& tc) {
  BuildResult result;
  fs::path dir = out_root / spec.name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  result.artifacts.function = spec.name;
  result.artifacts.work_dir = dir;

  fs::path sdk_src = tc.sdk_dir / "lumos_sdk.c";
  std::vector<fs::path> inputs = spec.sources;
  // Headers next to the sources count too (there is no dependency scan).
  for (const auto& src : spec.sources) {
    for (const auto& entry : fs::directory_iterator(src.parent_path(), ec)) {
      auto ext = entry.path().extension();
      if (ext == ".h" || ext == ".hpp" || ext == ".inc") inputs.push_back(entry.path());
    }
  }
  inputs.push_back(sdk_src);
  inputs.push_back(tc.sdk_dir / "lumos.h");
  inputs.push_back(tc.sdk_dir / "lumos.hpp");
  inputs.push_back(spec.dir / "function.yaml");
  bool cxx = spec.language == "c++";
  std::string opt = "-O" + tc.opt_level;

  // C++ functions: the SDK is compiled as C++ too, with the same JSON library and flags for
  // the native and the wasm build. nlohmann-json comes from a folder holding only nlohmann/
  // (all of /usr/include would shadow libc++'s wasm headers).
  fs::path json_include = out_root / ".include";
  if (cxx) {
    fs::create_directories(json_include, ec);
    if (!fs::exists(json_include / "nlohmann")) {
      fs::create_directory_symlink("/usr/include/nlohmann", json_include / "nlohmann", ec);
    }
  }
  // Command functions are the user's program unchanged: no SDK, their own main().
  const bool sdk = spec.kind == "sdk";
  auto sources_argv = [&](std::vector<std::string> argv) {
    if (sdk) argv.push_back("-I" + tc.sdk_dir.string());
    if (cxx) {
      argv.insert(argv.end(),
                  {"-std=c++20", "-fno-exceptions", "-DJSON_NOEXCEPTION", "-I" + json_include.string(), "-x", "c++"});
    }
    if (sdk && !spec.baas) argv.push_back("-DLUMOS_NO_BAAS");
    if (sdk) argv.push_back(sdk_src.string());
    for (const auto& s : spec.sources) argv.push_back(s.string());
    argv.insert(argv.end(), {"-o", "{out}"});
    return argv;
  };

  std::vector<fs::path> sources = spec.sources;
  sources.push_back(sdk_src);

  // Native static executables: clang-19 (also the only file of the container-scratch image)
  // and the host compiler's flavour. Same -O level and source flags as the wasm module; C++
  // links libc++ like wasm32-wasi (native-gcc: gcc's own libstdc++).
  auto native_argv = [&](const std::string& compiler, bool libcxx) {
    std::vector<std::string> argv = {compiler, opt, "-static", "-s"};
    if (cxx && libcxx) {
      argv.insert(argv.end(),
                  {"-stdlib=libc++", "-nostdinc++", "-isystem" + (tc.libcxx_root / "include/c++/v1").string(),
                   "-L" + (tc.libcxx_root / "lib").string()});
    }
    argv = sources_argv(argv);
    if (sdk && spec.baas) argv.push_back("-lhiredis");  // after the sources that use it
    return argv;
  };
  BuiltArtifact native;
  if (spec.prebuilt_native) {
    native = use_prebuilt("native", *spec.prebuilt_native);
  } else if (cxx && !fs::exists(tc.libcxx_root / "lib" / "libc++.a")) {
    native.kind = "native";
    native.path = dir / spec.name;
    native.error = "no static libc++ in " + tc.libcxx_root.string() +
                   " (run scripts/setup: it unpacks Debian's libc++-19-dev there; or set LUMOS_LIBCXX_ROOT)";
  } else {
    native = compile("native", dir / spec.name, inputs, native_argv(cxx ? tc.cxx : tc.cc, true), sources);
  }
  if (native.error.empty()) result.artifacts.native_exe = native.path;
  result.items.push_back(native);
  if (tc.host_flavour && !spec.prebuilt_native) {
    BuiltArtifact gcc = compile("native-gcc", dir / (spec.name + ".gcc"), inputs,
                                native_argv(cxx ? tc.host_cxx : tc.host_cc, false), sources);
    if (gcc.error.empty()) result.artifacts.native_gcc_exe = gcc.path;
    result.items.push_back(gcc);
  }

  // wasm32-wasi reactor module.
  BuiltArtifact wasm;
  if (spec.prebuilt_wasm) {
    wasm = use_prebuilt("wasm", *spec.prebuilt_wasm);
  } else {
    std::vector<std::string> argv = {cxx ? tc.wasm_cxx : tc.wasm_cc, "--target=wasm32-wasi", "--sysroot=/usr", opt,
                                     "-Wl,--strip-debug"};  // wasi-libc ships DWARF
    if (sdk) argv.push_back("-mexec-model=reactor");
    wasm = compile("wasm", dir / (spec.name + ".wasm"), inputs, sources_argv(argv), sources);
  }
  if (wasm.error.empty()) result.artifacts.wasm = wasm.path;
  result.items.push_back(wasm);

  // WasmEdge AoT ("universal wasm": the module plus a native-code section), of the reactor and
  // of the WASI command below.
  auto aot_of = [&](const std::string& kind, const std::optional<fs::path>& prebuilt, const BuiltArtifact& module,
                    const fs::path& out) {
    if (prebuilt) return use_prebuilt(kind, *prebuilt);
    if (!module.error.empty()) {
      BuiltArtifact skipped;
      skipped.kind = kind;
      skipped.error = "skipped: the " + module.kind + " module did not build";
      return skipped;
    }
    return compile(kind, out, {module.path},
                   {tc.wasmedge.string(), "compile", "--optimize", tc.opt_level, module.path.string(), "{out}"},
                   {module.path});
  };
  BuiltArtifact aot = aot_of("wasm-aot", spec.prebuilt_wasm_aot, wasm, dir / (spec.name + ".aot.wasm"));
  if (aot.error.empty()) result.artifacts.wasm_aot = aot.path;
  result.items.push_back(aot);

  // SDK functions: the WASI command module crun's WasmEdge handler runs (it calls only _start),
  // from the same sources and flags, and its AoT build. Command functions are commands already.
  if (sdk && !spec.prebuilt_wasm) {
    std::vector<std::string> argv = {
        cxx ? tc.wasm_cxx : tc.wasm_cc, "--target=wasm32-wasi", "--sysroot=/usr", opt, "-Wl,--strip-debug",
        "-DLUMOS_WASM_COMMAND"};
    BuiltArtifact command =
        compile("wasm-command", dir / (spec.name + ".command.wasm"), inputs, sources_argv(argv), sources);
    if (command.error.empty()) result.artifacts.wasm_command = command.path;
    result.items.push_back(command);
    BuiltArtifact command_aot =
        aot_of("wasm-command-aot", spec.prebuilt_wasm_command_aot, command, dir / (spec.name + ".command.aot.wasm"));
    if (command_aot.error.empty()) result.artifacts.wasm_command_aot = command_aot.path;
    result.items.push_back(command_aot);
  }

  // Generated inputs: compile the generator natively, run it in generated/ when it changed.
  result.generated_dir = dir / kGeneratedDir;
  if (spec.generator) {
    fs::create_directories(result.generated_dir, ec);
    BuiltArtifact gen = compile("generator", dir / "generate-inputs", {*spec.generator},
                                {tc.host_cc, "-O2", spec.generator->string(), "-lm", "-o", "{out}"}, {*spec.generator});
    fs::path stamp = result.generated_dir / ".done";
    if (gen.error.empty() && (gen.rebuilt || !fs::exists(stamp))) {
      fs::remove(stamp, ec);
      auto t0 = Clock::now();
      auto ran = run_command({gen.path.string(), result.generated_dir.string()}, result.generated_dir);
      gen.took += std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
      gen.rebuilt = true;
      if (!ran || ran->exit_code != 0) {
        gen.error = "input generator failed: " + (ran ? tail(ran->out) : ran.error().message);
      } else {
        std::ofstream(stamp) << "ok\n";
      }
    }
    result.items.push_back(gen);
  }
  return result;
}

}  // namespace lumos::build

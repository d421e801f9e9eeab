// lumos-wasm-host's command line (host_options.hpp).
#include "host_options.hpp"

#include <sys/stat.h>

#include <string_view>

namespace lumos::host {
namespace {

constexpr const char* kUsage =
    "usage: lumos-wasm-host [--mode interp|aot] [--fresh instance|fork] [--verbose] reactor MODULE.wasm\n"
    "       lumos-wasm-host [--mode interp|aot] [--verbose] [--dir GUEST:HOST]... [--env K=V]...\n"
    "                       [--report FILE] command MODULE.wasm [ARGS...]\n"
    "reactor  serve length-prefixed requests on stdin with response frames on stdout; the module\n"
    "         must export lumos_alloc, lumos_invoke and memory (build it with functions/sdk);\n"
    "         the guest's stdin is empty and its stdout goes to stderr\n"
    "--fresh  reactor mode: each request runs in a new instance (fresh store, linear memory and\n"
    "         WASI environment) made in this process (instance), or in a new process forked\n"
    "         from this one, which has loaded and validated the module once (fork)\n"
    "command  run the WASI command's _start once with this process's stdio; the exit code is\n"
    "         the guest's (2: module not loadable, 3: trap)\n"
    "--mode aot uses the AoT section made by `wasmedge compile`; frames and reports say what\n"
    "really ran, since WasmEdge silently interprets a module whose AoT section is unusable.\n"
    "--verbose keeps WasmEdge's error log (written to stdout; to stderr in reactor mode).\n";

bool is_directory(const std::string& path) {
  struct stat st{};
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
    } else if (arg == "--mode" || arg == "--dir" || arg == "--env" || arg == "--report" || arg == "--fresh") {
      if (i + 1 >= argc) return fail(ErrorCode::kUsage, std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (name == "--mode") {
      if (value == "interp" || value == "interpreter") {
        o.engine = EngineMode::kInterpreter;
      } else if (value == "aot") {
        o.engine = EngineMode::kAot;
      } else {
        return fail(ErrorCode::kUsage, "--mode must be interp or aot, not '" + std::string(value) + "'");
      }
    } else if (name == "--fresh") {
      if (value == "instance") {
        o.fresh = FreshStart::kInstance;
      } else if (value == "fork") {
        o.fresh = FreshStart::kFork;
      } else {
        return fail(ErrorCode::kUsage, "--fresh must be instance or fork, not '" + std::string(value) + "'");
      }
    } else if (name == "--dir") {
      // WasmEdge's preopen format is the same "GUEST:HOST" (a bare PATH maps to itself).
      std::string dir(value);
      auto colon = dir.find(':');
      std::string host = colon == std::string::npos ? dir : dir.substr(colon + 1);
      if (dir.empty() || (colon != std::string::npos && colon == 0) || !is_directory(host)) {
        return fail(ErrorCode::kUsage, "--dir " + dir + ": expected GUEST:HOST with an existing host directory");
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
    return fail(ErrorCode::kUsage, "unknown mode '" + std::string(word) + "': expected reactor or command");
  }
  if (i >= argc) return fail(ErrorCode::kUsage, "missing MODULE.wasm after " + std::string(word));
  o.module_path = argv[i++];
  if (o.mode == HostMode::kCommand && o.fresh != FreshStart::kNone) {
    return fail(ErrorCode::kUsage, "--fresh applies to reactor mode only");
  }
  if (o.mode == HostMode::kReactor) {
    if (i < argc) return fail(ErrorCode::kUsage, "reactor mode takes no guest arguments");
    if (command_only_flag) {
      return fail(ErrorCode::kUsage, "--dir, --env and --report apply to command mode only");
    }
  }
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  return o;
}

}  // namespace lumos::host

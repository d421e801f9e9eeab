// lumos-wasm-host command mode: a WASI command's _start run once, with a JSON report.
#include "engine.hpp"

namespace lumos::host::engine {
namespace {

// ----------------------------------------------------------------------------- command mode

/// One JSON object describing a command run (the --report file).
std::string report_json(ExecMode mode, int exit_code, std::string_view error, const Phases& p, std::uint64_t main_at) {
  nlohmann::json phases = nlohmann::json::object();
  auto add = [&](const char* name, const std::optional<std::uint64_t>& v) {
    if (v) phases[name] = *v;
  };
  add("runtime_init", p.runtime_init);
  add("load", p.load);
  add("validate", p.validate);
  add("instantiate", p.instantiate);
  add("run", p.run);
  add("aot_check", p.aot_check);
  const nlohmann::json report = {{"exec_mode", protocol::exec_mode_name(mode)},
                                 {"exit_code", exit_code},
                                 {"error", error},
                                 {"phases_ns", phases},
                                 {"main_at_ns", main_at}};
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_report(const std::string& path, const std::string& json) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "lumos-wasm-host: cannot write the report %s: %s\n", path.c_str(), std::strerror(errno));
  }
}

}  // namespace

int run_command(const HostOptions& o, std::uint64_t main_at) {
  std::vector<const char*> args{o.module_path.c_str()};
  for (const auto& a : o.args) args.push_back(a.c_str());
  std::vector<const char*> envs, preopens;
  for (const auto& e : o.envs) envs.push_back(e.c_str());
  for (const auto& d : o.dirs) preopens.push_back(d.c_str());

  Engine engine;
  Phases phases;
  ExecMode mode = ExecMode::kUnknown;
  int exit_code = 0;
  std::string error;
  auto finish = [&] {
    if (!error.empty()) std::fprintf(stderr, "lumos-wasm-host: %s\n", error.c_str());
    if (!o.report_path.empty()) {
      write_report(o.report_path, report_json(mode, exit_code, error, phases, main_at));
    }
    return exit_code;
  };

  auto started = start_engine(engine, o, phases, args, envs, preopens);
  const WasmEdge_FunctionInstanceContext* start = nullptr;
  if (started) start = engine.find_function("_start");
  if (started && !start) {
    started = fail(ErrorCode::kConfig, "instantiate failed: the module exports no _start (" + o.module_path +
                                           "): is it a reactor? run it with 'reactor'");
  }
  if (!started) {
    exit_code = kExitLoadFailed;
    error = started.error().message;
    return finish();
  }

  const std::uint64_t before = engine.instructions();
  const std::uint64_t t0 = now_ns();
  auto r = WasmEdge_ExecutorInvoke(engine.executor(), start, nullptr, 0, nullptr, 0);
  phases.run = now_ns() - t0;
  mode = observed_mode(o.engine, instr_delta(before, engine.instructions()));
  if (!WasmEdge_ResultOK(r)) {
    exit_code = kExitTrap;
    error = std::string("trap: ") + WasmEdge_ResultGetMessage(r) + " (" + o.module_path + ")";
    return finish();
  }
  // 0 when _start returned; the proc_exit code otherwise (WasmEdge reports it as success).
  exit_code = static_cast<int>(WasmEdge_ModuleInstanceWASIGetExitCode(engine.wasi()));
  return finish();
}

}  // namespace lumos::host::engine

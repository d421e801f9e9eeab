// `lumos serve`: an HTTP gateway exposing functions at POST /function/<name> through the same
// autoscaling instance pool as load experiments, so external load generators (wrk, hey, k6)
// can drive them. Responses carry the function's output; headers say what happened.
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <httplib.h>

#include "lumos/build/builder.hpp"
#include "lumos/engine/pool.hpp"
#include "lumos/runtime/runtime.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace {

struct ServeFlags {
  std::vector<std::string> functions;
  std::string runtime = "wasmedge-aot";
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 16;
  int keep_alive_ms = 60'000;
  int max_instances = 0;
  int prewarm = 1;
  int timeout_ms = 10'000;
  std::string start = "process";
};

httplib::Server* g_server = nullptr;  // for the SIGINT/SIGTERM handler only

int serve(const ServeFlags& flags) {
  auto tools = runtime::default_tool_paths(self_exe(), "/run/lumos");
  auto rt = runtime::make_runtime(flags.runtime, tools);
  if (!rt) return report_error({ErrorCode::kUsage, rt.error().message});
  if (auto ok = (*rt)->check(); !ok) return report_error(ok.error());
  std::vector<std::filesystem::path> dirs = {std::filesystem::path(LUMOS_SOURCE_DIR) / "functions"};
  auto tc = build::default_toolchain();
  engine::PoolConfig pool_config;
  pool_config.keep_alive = std::chrono::milliseconds(flags.keep_alive_ms);
  pool_config.max_instances = flags.max_instances;
  pool_config.prewarm = flags.prewarm;
  pool_config.start = flags.start == "instance" ? engine::PoolStart::kInstance : engine::PoolStart::kProcess;
  if (pool_config.start == engine::PoolStart::kInstance) {
    if (auto support = runtime::mode_support(flags.runtime, telemetry::Mode::kInstance); !support.applicable) {
      return report_error(
          {ErrorCode::kUsage, "--start instance: " + flags.runtime + " has no instance start (" + support.what +
                                  "); use --runtime wasmedge-aot, wasmedge-interp, wasmedge-aot-zygote or native"});
    }
  }
  std::map<std::string, std::unique_ptr<engine::InstancePool>> pools;
  for (const auto& name : flags.functions) {
    auto spec = build::find_function(name, dirs);
    if (!spec) return report_error(spec.error());
    auto built = build::build_function(*spec, default_artifacts_dir(), tc);
    for (const auto& item : built.items) {
      if (!item.error.empty())
        std::fprintf(stderr, "lumos: %s %s: %s\n", name.c_str(), item.kind.c_str(), item.error.c_str());
    }
    if (auto ok = (*rt)->prepare(built.artifacts); !ok) {
      std::fprintf(stderr, "lumos: %s: %s\n", name.c_str(), ok.error().to_string().c_str());
      return 1;
    }
    auto pool = std::make_unique<engine::InstancePool>(**rt, name, pool_config, std::chrono::milliseconds(30'000));
    if (auto warmed = pool->prewarm(); !warmed) {
      std::fprintf(stderr, "lumos: %s: %s\n", name.c_str(), warmed.error().to_string().c_str());
      return 1;
    }
    pools[name] = std::move(pool);
  }

  httplib::Server server;
  server.new_task_queue = [n = flags.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
  server.set_tcp_nodelay(true);             // no Nagle delay between header and body writes
  server.set_keep_alive_max_count(100000);  // load generators reuse their connections
  server.Post(R"(/function/([A-Za-z0-9._-]+))", [&](const httplib::Request& req, httplib::Response& res) {
    auto t0 = std::chrono::steady_clock::now();
    auto it = pools.find(req.matches[1]);
    if (it == pools.end()) {
      res.status = 404;
      res.set_content("no function " + std::string(req.matches[1]) + " is served here\n", "text/plain");
      return;
    }
    auto lease = it->second->acquire();
    if (!lease) {
      res.status = 503;
      res.set_content(lease.error().to_string() + "\n", "text/plain");
      return;
    }
    auto t1 = std::chrono::steady_clock::now();
    auto response = lease->instance->invoke(req.body, std::chrono::milliseconds(flags.timeout_ms));
    auto t2 = std::chrono::steady_clock::now();
    it->second->release(std::move(lease->instance));
    res.set_header("X-Lumos-Cold", lease->cold ? "1" : "0");
    // Which start the request met: a new process/sandbox, a new instance in a live host, none.
    res.set_header("X-Lumos-Start", lease->cold ? "process" : it->second->instance_starts() ? "instance" : "none");
    res.set_header("X-Lumos-Invoke-Ns", std::to_string(std::chrono::nanoseconds(t2 - t1).count()));
    res.set_header("X-Lumos-Gateway-Ns", std::to_string(std::chrono::nanoseconds((t2 - t0) - (t2 - t1)).count()));
    if (!response) {
      res.status = response.error().code == ErrorCode::kTimeout ? 504 : 502;
      res.set_content(response.error().to_string() + "\n", "text/plain");
      return;
    }
    res.set_header("X-Lumos-Exec-Mode", std::string(protocol::exec_mode_name(response->exec_mode)));
    res.status = response->ok ? 200 : 500;
    res.set_content(response->body, response->ok ? "application/octet-stream" : "text/plain");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });

  g_server = &server;
  std::signal(SIGINT, [](int) {
    if (g_server) g_server->stop();
  });
  std::signal(SIGTERM, [](int) {
    if (g_server) g_server->stop();
  });
  std::printf("Serving %zu function(s) on %s at http://%s:%d/function/<name> (Ctrl-C stops)\n", pools.size(),
              flags.runtime.c_str(), flags.host.c_str(), flags.port);
  std::fflush(stdout);
  if (!server.listen(flags.host.c_str(), flags.port)) {
    std::fprintf(stderr, "lumos: cannot listen on %s:%d (port in use? choose another with --port)\n",
                 flags.host.c_str(), flags.port);
    return 1;
  }
  g_server = nullptr;
  return 0;
}

}  // namespace

Subcommand add_serve_command(CLI::App& parent) {
  auto flags = std::make_shared<ServeFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("serve", "HTTP gateway: POST /function/<name> through the instance pool");
  sub.app->add_option("functions", flags->functions, "Functions to serve (from functions/)")->required();
  sub.app->add_option("--runtime,-r", flags->runtime, "Runtime of the instances")->capture_default_str();
  sub.app->add_option("--host", flags->host, "Address to listen on")->capture_default_str();
  sub.app->add_option("--port,-p", flags->port, "Port to listen on")->capture_default_str();
  sub.app->add_option("--threads", flags->threads, "HTTP worker threads")->capture_default_str();
  sub.app->add_option("--keep-alive-ms", flags->keep_alive_ms, "Idle instance keep-alive")->capture_default_str();
  sub.app->add_option("--max-instances", flags->max_instances, "Instances per function (0: no limit)")
      ->capture_default_str();
  sub.app->add_option("--prewarm", flags->prewarm, "Instances started before serving")->capture_default_str();
  sub.app->add_option("--timeout-ms", flags->timeout_ms, "Per-request timeout")->capture_default_str();
  sub.app
      ->add_option("--start", flags->start,
                   "process: requests reuse warm instances or start new ones; instance: a live host per "
                   "function and a new instance per request, as Spin runs Wasm")
      ->check(CLI::IsMember({"process", "instance"}))
      ->capture_default_str();
  sub.app->footer(
      "Response headers: X-Lumos-Cold, X-Lumos-Start (process, instance or none), X-Lumos-Exec-Mode, "
      "X-Lumos-Invoke-Ns, X-Lumos-Gateway-Ns.");
  sub.run = [flags] { return serve(*flags); };
  return sub;
}

}  // namespace lumos::cli

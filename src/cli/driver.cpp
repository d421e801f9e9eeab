// `lumos`: wires the subcommands into one command line and maps errors to exit codes.
#include "lumos/cli/driver.hpp"

#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "lumos/protocol/frame.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;

fs::path self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("lumos") : p;
}

fs::path default_artifacts_dir() { return self_exe().parent_path() / "artifacts"; }

int report_error(const Error& e) {
  std::fprintf(stderr, "lumos: %s\n", e.to_string().c_str());
  return e.code == ErrorCode::kUsage ? kExitUsage : kExitFailure;
}

int run(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they happen, also in logs
  protocol::keep_message_buffers_on_heap();  // responses of megabytes arrive per request
  CLI::App app{"lumos: benchmark one function across native, container and WebAssembly sandboxes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lumos ") + LUMOS_VERSION);
  const std::vector<Subcommand> subcommands = {
      add_build_command(app), add_run_command(app),    add_summary_command(app), add_images_command(app),
      add_model_command(app), add_report_command(app), add_trace_command(app),   add_serve_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  for (const auto& sub : subcommands) {
    if (*sub.app) return sub.run();
  }
  return kExitUsage;
}

}  // namespace lumos::cli

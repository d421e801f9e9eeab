// One-shot command runs shared by the native, runc and wasmedge runtimes.
#include "one_shot.hpp"

namespace lumos::runtime {

std::vector<std::string> env_entries(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

Result<CommandOutcome> run_one_shot_command(std::vector<std::string> argv, const CommandRequest& request,
                                            std::optional<std::vector<std::string>> env,
                                            std::optional<std::filesystem::path> cwd,
                                            std::shared_ptr<SpawnScope> scope) {
  OneShotSpec spec;
  spec.argv = std::move(argv);
  spec.env = std::move(env);
  spec.cwd = std::move(cwd);
  spec.stdin_file = request.stdin_file;
  spec.stdout_file = request.stdout_file;
  spec.stderr_file = request.stderr_file;
  spec.timeout = request.timeout;
  spec.scope = std::move(scope);
  auto ran = run_one_shot(spec);
  if (!ran) return tl::unexpected(ran.error());
  CommandOutcome outcome;
  outcome.exit_code = ran->exit_code();
  outcome.timed_out = ran->timed_out;
  outcome.exit_text = ran->describe();
  outcome.stats.cpu = ran->cpu;
  outcome.stats.peak_rss_bytes = ran->peak_rss_bytes;
  return outcome;
}

}  // namespace lumos::runtime

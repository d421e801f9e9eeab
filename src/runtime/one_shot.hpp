// Shared plumbing for command functions: run a one-shot process and describe its outcome.
#pragma once

#include "lumos/common/process.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::runtime {

/// "K=V" entries of an environment map.
std::vector<std::string> env_entries(const std::map<std::string, std::string>& env);

/// Runs argv with the request's stdio files and timeout, spawned inside `scope` if set (see
/// ToolPaths::spawn_scope); fills exit code, stats and text.
Result<CommandOutcome> run_one_shot_command(std::vector<std::string> argv, const CommandRequest& request,
                                            std::optional<std::vector<std::string>> env,
                                            std::optional<std::filesystem::path> cwd,
                                            std::shared_ptr<SpawnScope> scope);

}  // namespace lumos::runtime

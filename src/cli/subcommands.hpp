// Subcommands of `lumos` that live in their own files; driver.cpp wires them into the CLI.
#pragma once

#include <filesystem>
#include <functional>

#include <CLI/CLI.hpp>

#include "lumos/common/result.hpp"

namespace lumos::cli {

/// A subcommand added to the parent app; `run` is called when it was selected and returns
/// the exit code (0 ok, 1 failure, 2 usage).
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Subcommand add_images_command(CLI::App& parent);  ///< images_command.cpp: `lumos images`
Subcommand add_model_command(CLI::App& parent);   ///< model_command.cpp: `lumos model fit|predict`
Subcommand add_report_command(CLI::App& parent);  ///< report_command.cpp: `lumos report`
Subcommand add_serve_command(CLI::App& parent);   ///< serve_command.cpp: `lumos serve`
Subcommand add_trace_command(CLI::App& parent);   ///< trace_command.cpp: `lumos trace convert|generate`

/// Prints "lumos: <error>" to stderr; returns the exit code: 2 for a usage error, else 1.
int report_error(const Error& e);

/// Where `lumos build` puts artifacts by default: build/artifacts next to the lumos binary.
std::filesystem::path default_artifacts_dir();
/// The running lumos binary (from /proc/self/exe).
std::filesystem::path self_exe();

}  // namespace lumos::cli

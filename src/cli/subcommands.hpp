// Subcommands of `lumos`, one file each; driver.cpp wires them into the CLI.
#pragma once

#include <filesystem>
#include <functional>

#include <CLI/CLI.hpp>

#include "lumos/build/builder.hpp"
#include "lumos/common/result.hpp"

namespace lumos::cli {

/// A subcommand added to the parent app; `run` is called when it was selected and returns
/// the exit code (0 ok, 1 failure, 2 usage).
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Exit codes of every subcommand.
inline constexpr int kExitFailure = 1;     ///< an error stopped the command
inline constexpr int kExitUsage = 2;       ///< a bad flag or argument
inline constexpr int kExitSomeFailed = 3;  ///< `lumos run`: the run completed, some invocations failed

Subcommand add_build_command(CLI::App& parent);    ///< build_command.cpp: `lumos build`
Subcommand add_run_command(CLI::App& parent);      ///< run_command.cpp: `lumos run`
Subcommand add_summary_command(CLI::App& parent);  ///< summary_command.cpp: `lumos summary`
Subcommand add_images_command(CLI::App& parent);   ///< images_command.cpp: `lumos images`
Subcommand add_model_command(CLI::App& parent);    ///< model_command.cpp: `lumos model fit|predict`
Subcommand add_report_command(CLI::App& parent);   ///< report_command.cpp: `lumos report`
Subcommand add_serve_command(CLI::App& parent);    ///< serve_command.cpp: `lumos serve`
Subcommand add_trace_command(CLI::App& parent);    ///< trace_command.cpp: `lumos trace convert|generate`

/// Prints "lumos: <error>" to stderr; returns the exit code: 2 for a usage error, else 1.
int report_error(const Error& e);

/// Prints one function's build items (size, built/up to date, path; errors to stderr).
void print_build(const build::BuildResult& result);

/// Prints the summary of a results folder (table, or CSV, or the I/O or load view); returns
/// the exit code.
int print_summary(const std::filesystem::path& dir, bool csv, bool io_view, bool load_view);

/// Where `lumos build` puts artifacts by default: build/artifacts next to the lumos binary.
std::filesystem::path default_artifacts_dir();
/// The running lumos binary (from /proc/self/exe).
std::filesystem::path self_exe();

}  // namespace lumos::cli

// Helpers for integration tests: run the real lumos binary on a temporary experiment.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../temp_dir.hpp"
#include "lumos/common/process.hpp"
#include "lumos/telemetry/jsonl.hpp"

namespace lumos::testing {

/// Whether a /proc/<pid>/stat line is of a task that is exiting: state Z/X, PF_EXITING (0x4) in
/// its flags (the 9th field), or gone (an empty or unreadable line).
inline bool task_exiting(const std::string& stat) {
  auto close = stat.rfind(')');
  if (close == std::string::npos) return true;
  std::istringstream fields(stat.substr(close + 1));
  std::string state;
  long skip = 0;
  unsigned long flags = 0;
  fields >> state >> skip >> skip >> skip >> skip >> skip >> flags;
  return state == "Z" || state == "X" || (flags & 0x4) != 0;
}

inline std::filesystem::path lumos_binary() { return std::filesystem::path(LUMOS_BINARY_DIR) / "lumos"; }

struct RunOutcome {
  int exit_code = -1;
  std::string output;
  std::vector<telemetry::Invocation> records;
};

/// Writes `yaml` to DIR/exp.yaml, runs `lumos run` on it into DIR/out, reads the results.
inline RunOutcome run_experiment(const TempDir& dir, const std::string& yaml) {
  auto file = dir.path / "exp.yaml";
  std::ofstream(file) << yaml;
  RunOutcome outcome;
  auto r = run_command({lumos_binary().string(), "run", file.string(), "--out", (dir.path / "out").string()});
  EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
  if (!r) return outcome;
  outcome.exit_code = r->exit_code;
  outcome.output = r->out;
  auto records = telemetry::read_invocations(dir.path / "out" / "invocations.jsonl");
  if (records) outcome.records = std::move(records->invocations);
  return outcome;
}

}  // namespace lumos::testing

// The lumos command line: help, usage errors, config errors, summary and manifest.
#include <signal.h>

#include <set>
#include <thread>

#include "test_support.hpp"

#include "lumos/telemetry/manifest.hpp"

using namespace lumos;
using lumos::testing::lumos_binary;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

TEST(Cli, HelpListsTheSubcommands) {
  auto r = run_command({lumos_binary().string(), "--help"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  for (const char* sub : {"build", "run", "summary"}) EXPECT_NE(r->out.find(sub), std::string::npos) << sub;
}

TEST(Cli, UsageErrorsExitWithTwo) {
  auto none = run_command({lumos_binary().string()});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->exit_code, 2);
  auto missing = run_command({lumos_binary().string(), "run"});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->exit_code, 2);
  EXPECT_NE(missing->out.find("experiment"), std::string::npos) << missing->out;
}

TEST(Cli, BrokenExperimentFileNamesTheFileAndExitsWithOne) {
  TempDir dir;
  auto run = run_experiment(dir, "functions: [hello]\nrepetitons: 3\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("exp.yaml"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("unknown key 'repetitons'"), std::string::npos) << run.output;
  auto unknown_input = run_experiment(dir, "functions: [{name: hello, inputs: [huge]}]\n");
  EXPECT_EQ(unknown_input.exit_code, 1);
  EXPECT_NE(unknown_input.output.find("no input 'huge'"), std::string::npos) << unknown_input.output;
}

TEST(Cli, RunWritesManifestAndSummaryReadsResults) {
  TempDir dir;
  auto run = run_experiment(dir,
                            "name: cli\nfunctions: [{name: hello, inputs: [small]}]\nruntimes: [native]\n"
                            "repetitions: 4\n");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.records.size(), 8u);
  auto manifest = telemetry::read_json_file(dir.path / "out" / "manifest.json");
  ASSERT_TRUE(manifest);
  EXPECT_EQ((*manifest)["status"], "finished");
  EXPECT_EQ((*manifest)["invocations"], 8);
  const auto& env = (*manifest)["environment"];
  for (const char* key : {"cpu_model", "kernel", "git_revision"}) EXPECT_TRUE(env.contains(key)) << key;
  for (const char* tool : {"wasmedge", "runc", "cc", "clang"}) {
    EXPECT_NE(env["versions"][tool].get<std::string>(), "not found") << tool;
  }
  EXPECT_NE(env["versions"]["wasmedge"].get<std::string>().find("0.14.1"), std::string::npos);
  EXPECT_EQ((*manifest)["experiment"]["name"], "cli");

  auto summary = run_command({lumos_binary().string(), "summary", (dir.path / "out").string()});
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->exit_code, 0);
  EXPECT_NE(summary->out.find("hello"), std::string::npos) << summary->out;
  EXPECT_NE(summary->out.find("4/4"), std::string::npos) << summary->out;

  auto again = run_experiment(dir, "functions: [hello]\n");
  EXPECT_EQ(again.exit_code, 2) << "an existing results folder is never overwritten";
  EXPECT_NE(again.output.find("already holds results"), std::string::npos) << again.output;
  EXPECT_EQ(again.records.size(), 8u) << "the earlier results are intact";
}

TEST(Cli, KilledRunResumesWithoutLosingOrRepeatingInvocations) {
  TempDir dir;
  std::ofstream(dir.path / "exp.yaml") << "functions: [{name: hello, inputs: [small]}]\nruntimes: [native]\n"
                                       << "modes: [cold, warm]\nrepetitions: 150\n";
  auto results = dir.path / "out" / "invocations.jsonl";
  auto child = ChildProcess::spawn({lumos_binary().string(), "run", (dir.path / "exp.yaml").string(), "--out",
                                    (dir.path / "out").string(), "--quiet"});
  ASSERT_TRUE(child) << child.error().to_string();
  for (int i = 0; i < 3000; ++i) {
    auto so_far = telemetry::read_invocations(results);
    if (so_far && so_far->invocations.size() >= 40) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child->pid(), SIGKILL);
  child->terminate(std::chrono::milliseconds(1000));
  auto partial = telemetry::read_invocations(results);
  ASSERT_TRUE(partial);
  ASSERT_LT(partial->invocations.size(), 300u) << "the run finished before it could be killed";

  auto resumed = run_command({lumos_binary().string(), "run", "--resume", (dir.path / "out").string(), "--quiet"});
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->exit_code, 0) << resumed->out;
  auto all = telemetry::read_invocations(results);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->invocations.size(), 300u);
  std::set<std::pair<lumos::telemetry::Mode, int>> unique;
  for (const auto& r : all->invocations) unique.insert({r.mode, r.rep});
  EXPECT_EQ(unique.size(), 300u) << "no invocation is recorded twice";
  auto manifest = telemetry::read_json_file(dir.path / "out" / "manifest.json");
  ASSERT_TRUE(manifest);
  EXPECT_EQ((*manifest)["status"], "finished");
  EXPECT_EQ((*manifest)["invocations"], 300);
}

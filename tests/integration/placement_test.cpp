// CPU placement of sequential cells on the real runtimes (and the floor, a `cat` echo beside
// them): lumos' client thread and the instance pinned to one CPU (the default) or to two, and
// every record saying where both ran. Figures (the cross-CPU penalty, multiples of the floor) are
// the overhead bench's to print, not asserted here.
#include <sched.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace lumos;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

namespace {

std::string experiment(const std::string& placement) {
  return "name: it-placement\n"
         "functions: [{name: hello, inputs: [small]}]\n"
         "runtimes: [floor, native, runc, wasmedge-aot]\n"
         "modes: [cold, warm]\n"
         "repetitions: 3\n"
         "warmup: 1\n" +
         (placement.empty() ? std::string() : "placement: " + placement + "\n");
}

}  // namespace

TEST(Placement, TheDefaultPinsClientAndInstanceToOneCpuAndRecordsBoth) {
  TempDir dir;
  auto run = run_experiment(dir, experiment(""));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 3u * 2u * 3u + 3u) << run.output;
  std::set<int> cpus;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.runtime + "/" + std::string(telemetry::to_string(r.mode)));
    EXPECT_EQ(r.placement, telemetry::Placement::kSameCpu);
    ASSERT_GE(r.client_cpu, 0);
    EXPECT_EQ(r.instance_cpu, r.client_cpu);  // runc: the container's process, not runc's
    cpus.insert(r.client_cpu);
  }
  EXPECT_EQ(cpus.size(), 1u);
  // The floor: warm only, nothing ran but the echo, and the header says why it has no cold cell.
  std::size_t floor_records = 0;
  for (const auto& r : run.records) {
    if (r.runtime != "floor") continue;
    ++floor_records;
    EXPECT_EQ(r.mode, telemetry::Mode::kWarm);
    EXPECT_EQ(r.exec_mode, "none");
    EXPECT_TRUE(r.ok) << r.error_text();
  }
  EXPECT_EQ(floor_records, 3u);
  EXPECT_NE(run.output.find("cold on floor: not applicable"), std::string::npos) << run.output;
  std::ifstream in(dir.path / "out" / "manifest.json");
  auto manifest = nlohmann::json::parse(in);
  EXPECT_EQ(manifest["placement"]["placement"], "same-cpu");
  EXPECT_EQ(manifest["placement"]["client_cpu"], *cpus.begin());
  EXPECT_TRUE(manifest["cpu_steal"]["share"].is_number()) << manifest.dump();
  EXPECT_NE(run.output.find("placement same-cpu"), std::string::npos) << run.output;
  // Interleaved by default, with the seed that resume needs.
  EXPECT_EQ(manifest["order"]["order"], "interleaved");
  EXPECT_TRUE(manifest["order"]["seed"].is_number_unsigned()) << manifest["order"].dump();
}

TEST(Placement, CrossCpuPutsTheInstanceOnAnotherCpu) {
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  ASSERT_GE(CPU_COUNT(&mask), 2) << "this machine kind has 2 CPUs; cross-cpu needs two";
  TempDir dir;
  auto run = run_experiment(dir, experiment("cross-cpu"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 3u * 2u * 3u + 3u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.runtime + "/" + std::string(telemetry::to_string(r.mode)));
    EXPECT_EQ(r.placement, telemetry::Placement::kCrossCpu);
    ASSERT_GE(r.client_cpu, 0);
    ASSERT_GE(r.instance_cpu, 0);
    EXPECT_NE(r.instance_cpu, r.client_cpu);
  }
}

TEST(Placement, RepeatRunsTheExperimentAgainIntoTheSameResultsWithARepeatIndex) {
  TempDir dir;
  std::ofstream(dir.path / "exp.yaml") << "name: it-repeat\n"
                                          "functions: [{name: hello, inputs: [small]}]\n"
                                          "runtimes: [floor, native]\n"
                                          "modes: [warm]\n"
                                          "repetitions: 4\n";
  auto r = run_command({lumos::testing::lumos_binary().string(), "run", (dir.path / "exp.yaml").string(), "--out",
                        (dir.path / "out").string(), "--repeat", "3"});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->exit_code, 0) << r->out;
  auto records = telemetry::read_invocations(dir.path / "out" / "invocations.jsonl");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->invocations.size(), 3u * 2u * 4u) << r->out;
  std::map<int, int> per_repeat;
  for (const auto& inv : records->invocations) ++per_repeat[inv.repeat];
  EXPECT_EQ(per_repeat, (std::map<int, int>{{0, 8}, {1, 8}, {2, 8}}));
  EXPECT_NE(r->out.find("Repeat 3/3"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("Run-to-run spread of the median"), std::string::npos) << r->out;
  std::ifstream in(dir.path / "out" / "manifest.json");
  EXPECT_EQ(nlohmann::json::parse(in)["repeats"], 3);
  // A resume of the finished folder runs nothing: every repeat's records are done.
  auto again = run_command({lumos::testing::lumos_binary().string(), "run", "--resume", (dir.path / "out").string()});
  ASSERT_TRUE(again);
  EXPECT_NE(again->out.find("24 invocations already recorded"), std::string::npos) << again->out;
  auto after = telemetry::read_invocations(dir.path / "out" / "invocations.jsonl");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->invocations.size(), 24u);
}

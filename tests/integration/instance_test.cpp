// Mode `instance` on the real runtimes: a new WasmEdge instance per request in a live host, a
// process forked per request from the function's zygote or from a host that loaded the module,
// containers reported as not applicable, and a Spin-style pool. Needs scripts/setup.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace lumos;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

namespace {

std::string expected_exec_mode(const std::string& runtime) {
  if (runtime == "wasmedge-interp") return "interpreter";
  if (runtime.rfind("wasmedge-aot", 0) == 0) return "aot";
  return "native";
}

// Processes whose command line mentions `needle` (e.g. a results folder's own module path).
int processes_mentioning(const std::string& needle) {
  int n = 0;
  DIR* proc = opendir("/proc");
  if (!proc) return -1;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) ++n;
  }
  closedir(proc);
  return n;
}

}  // namespace

TEST(Instances, HelloAndFibonacciRunAtEveryLevelAndContainersSayNotApplicable) {
  TempDir dir;
  auto run = run_experiment(dir, R"(
name: it-levels
functions:
  - {name: hello, inputs: [small]}
  - {name: fibonacci, inputs: [medium]}
runtimes: [native, runc, wasmedge-interp, wasmedge-aot, wasmedge-aot-zygote]
modes: [cold, instance, warm]
repetitions: 3
warmup: 1
)");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // native, wasmedge-interp, wasmedge-aot: 3 modes; runc: cold and warm; the zygote: instance.
  ASSERT_EQ(run.records.size(), 2u * (3u * 3u + 2u + 1u) * 3u) << run.output;
  std::set<std::string> instance_runtimes;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.function + "/" + r.runtime + "/" + std::string(telemetry::to_string(r.mode)));
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.exec_mode, expected_exec_mode(r.runtime));
    if (r.mode != telemetry::Mode::kInstance) continue;
    instance_runtimes.insert(r.runtime);
    EXPECT_TRUE(r.fresh_instance);
    // The request's own instance start, not the live sandbox's.
    EXPECT_EQ(r.phases.count("sandbox_start"), 0u);
    EXPECT_EQ(r.phases.count("runtime_init"), 0u);
    const bool forked = r.runtime == "native" || r.runtime == "wasmedge-aot-zygote";
    EXPECT_EQ(r.phases.count("fork"), forked ? 1u : 0u);
    if (r.runtime != "native") {
      for (const char* phase : {"wasi_setup", "instantiate", "first_call"})
        EXPECT_EQ(r.phases.count(phase), 1u) << phase;
    }
    std::chrono::nanoseconds start{0};
    for (const auto& [name, d] : r.phases) {
      if (name == "fork" || name == "wasi_setup" || name == "instantiate" || name == "first_call") start += d;
    }
    EXPECT_GT(start.count(), 0);
    EXPECT_LT(start, r.e2e);
  }
  EXPECT_EQ(instance_runtimes,
            (std::set<std::string>{"native", "wasmedge-interp", "wasmedge-aot", "wasmedge-aot-zygote"}));
  // Modes a runtime lacks are said in the header, kept in the manifest, and shown by the summary.
  EXPECT_NE(run.output.find("instance on runc: not applicable"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("instance: not applicable on runc"), std::string::npos) << run.output;
  std::ifstream in(dir.path / "out" / "manifest.json");
  auto manifest = nlohmann::json::parse(in);
  std::set<std::string> gaps;
  for (const auto& n : manifest["not_applicable"])
    gaps.insert(n["runtime"].get<std::string>() + "/" + n["mode"].get<std::string>());
  EXPECT_EQ(gaps, (std::set<std::string>{"runc/instance", "wasmedge-aot-zygote/cold", "wasmedge-aot-zygote/warm"}));
  EXPECT_NE(run.output.find("Start levels"), std::string::npos) << run.output;
}

TEST(Instances, ATrapEndsOnlyItsInstanceAndATimeoutLeavesNoForkedProcess) {
  TempDir dir;
  auto run = run_experiment(dir, "name: it-instance-faults\nfunction_dirs: [" LUMOS_TEST_DATA_DIR
                                 "/functions]\n"
                                 R"(
functions:
  - {name: faulty, inputs: [trap, spin, echo]}
runtimes: [native, wasmedge-aot, wasmedge-aot-zygote]
modes: [instance]
repetitions: 2
warmup: 0
timeout_ms: 1000
)");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  ASSERT_EQ(run.records.size(), 3u * 3u * 2u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.input + "/" + r.runtime);
    if (r.input == "echo") {
      EXPECT_TRUE(r.ok) << r.error_text();
    } else if (r.input == "trap") {
      EXPECT_FALSE(r.ok);
      // Native: the forked child dies of the trap's signal, the zygote answers for it.
      EXPECT_EQ(r.error_code, "function_error") << r.error_text();
      EXPECT_NE(r.error_text().find(r.runtime == "native" ? "killed by signal" : "trap"), std::string::npos)
          << r.error_text();
    } else {
      EXPECT_EQ(r.error_code, "timeout") << r.error_text();
    }
  }
  // The spinning forked instances died with their killed hosts (PR_SET_PDEATHSIG).
  usleep(200'000);
  EXPECT_EQ(processes_mentioning("/faulty/faulty"), 0);
}

TEST(Instances, ASpinStylePoolStartsAnInstanceForEveryRequest) {
  TempDir dir;
  auto run = run_experiment(dir, R"(
name: it-spin-pool
functions:
  - {name: hello, inputs: [small]}
runtimes: [wasmedge-aot, runc]
load: {kind: closed, concurrency: [2], requests: 20}
pool: {start: instance}
)");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 20u) << run.output;  // runc has no instance start: not run, and said
  EXPECT_NE(run.output.find("instance on runc: not applicable"), std::string::npos) << run.output;
  int host_starts = 0;
  for (const auto& r : run.records) {
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_TRUE(r.fresh_instance);
    EXPECT_EQ(r.phases.count("instantiate"), 1u);
    EXPECT_EQ(r.phases.count("wasi_setup"), 1u);
    host_starts += r.phases.count("sandbox_start") ? 1 : 0;
  }
  // A host per client at most: the other requests met only an instance start.
  EXPECT_GE(host_starts, 1);
  EXPECT_LE(host_starts, 2);
}

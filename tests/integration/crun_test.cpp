// crun beside runc, and crun's WasmEdge handler on the wasm images, with real runs: cold and
// warm, the wrapper phase, the AoT fallback check (passing, and catching an interpreted "AoT"
// module), containers inside a profile's slot, and a missing crun as failed records. These
// tests need scripts/setup (it unpacks crun): without it they FAIL, they never skip.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace lumos;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

namespace {

namespace fs = std::filesystem;

std::string expected_exec_mode(const std::string& runtime) {
  if (runtime == "crun-wasmedge-interp") return "interpreter";
  if (runtime == "crun-wasmedge-aot") return "aot-unverified";
  return "native";
}

nlohmann::json read_manifest(const TempDir& dir) {
  std::ifstream in(dir.path / "out" / "manifest.json");
  return nlohmann::json::parse(in, nullptr, false);
}

// The first line of /proc/<pid>/<file>.
std::string proc_text(const fs::path& proc, const char* file) {
  std::ifstream in(proc / file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

TEST(Crun, HelloAndFibonacciRunColdAndWarmOnCrunAndItsWasmEdgeHandler) {
  TempDir dir;
  auto run = run_experiment(dir, R"(
name: it-crun
functions:
  - {name: hello, inputs: [small]}
  - {name: fibonacci, inputs: [medium]}
runtimes: [crun, crun-wasmedge-interp, crun-wasmedge-aot]
modes: [cold, warm]
repetitions: 3
)");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 2u * 3u * 2u * 3u) << run.output;
  std::map<std::string, double> fib_warm_compute;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.function + "/" + r.runtime + "/" + std::string(telemetry::to_string(r.mode)));
    EXPECT_TRUE(r.ok) << r.error_text();  // ok: the engine checked the output against expected
    EXPECT_EQ(r.exec_mode, expected_exec_mode(r.runtime));
    EXPECT_TRUE(r.cpu.has_value());
    EXPECT_TRUE(r.peak_rss_bytes.has_value());
    if (r.mode == telemetry::Mode::kCold) {
      // The launcher's private namespace is its own phase, a small part of crun's start.
      ASSERT_EQ(r.phases.count("wrapper"), 1u);
      ASSERT_EQ(r.phases.count("sandbox_start"), 1u);
      EXPECT_GT(r.phases.at("wrapper").count(), 0);
      EXPECT_LT(r.phases.at("wrapper"), r.phases.at("sandbox_start"));
    }
    if (r.function == "fibonacci" && r.mode == telemetry::Mode::kWarm && r.ok) {
      fib_warm_compute[r.runtime] += static_cast<double>(r.phases.at("compute").count());
    }
  }
  ASSERT_GT(fib_warm_compute["crun-wasmedge-aot"], 0);
  EXPECT_GT(fib_warm_compute["crun-wasmedge-interp"] / fib_warm_compute["crun-wasmedge-aot"], 10.0);
  auto manifest = read_manifest(dir);
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(manifest["environment"]["versions"].value("crun", "").rfind("crun version 1.21", 0), 0u)
      << manifest["environment"].dump();
  EXPECT_NE(manifest["environment"]["versions"].value("wasmedge", "").find("0.14.1"), std::string::npos);
  std::set<std::string> checked;
  for (const auto& line : manifest["runtime_checks"]) {
    const auto text = line.get<std::string>();
    EXPECT_NE(text.find("AoT fallback check passed"), std::string::npos) << text;
    checked.insert(text.substr(0, text.find(": AoT")));
  }
  EXPECT_EQ(checked, (std::set<std::string>{"crun-wasmedge-aot: hello", "crun-wasmedge-aot: fibonacci"}));
}

TEST(Crun, AnInterpretedAotModuleFailsTheFallbackCheck) {
  auto built = run_command({lumos::testing::lumos_binary().string(), "build", "fibonacci"});
  ASSERT_TRUE(built && built->exit_code == 0) << (built ? built->out : "");
  TempDir dir;
  fs::path fn = dir.path / "fns" / "plain";
  fs::create_directories(fn);
  // The wasm-aot image gets the plain command module: crun's WasmEdge can only interpret it.
  fs::copy_file(fs::path(LUMOS_BINARY_DIR) / "artifacts" / "fibonacci" / "fibonacci.command.wasm",
                fn / "plain.command.wasm");
  const std::string src = std::string(LUMOS_SOURCE_DIR) + "/functions/fibonacci/";
  std::ofstream(fn / "function.yaml") << "language: c++\nsources: [" << src
                                      << "fibonacci.cpp]\nprebuilt: {wasm_command_aot: plain.command.wasm}\n"
                                         "inputs: [{name: small, file: "
                                      << src << "inputs/small.json, expected: " << src << "expected/small.json}]\n";
  auto run = run_experiment(dir, "function_dirs: [" + (dir.path / "fns").string() + "]\n" + R"(
functions: [plain]
runtimes: [crun-wasmedge-aot]
modes: [cold, warm]
repetitions: 2
)");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  ASSERT_EQ(run.records.size(), 4u) << run.output;
  for (const auto& r : run.records) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error_text().rfind("wrong_exec_mode: AoT fallback check of crun-wasmedge-aot for plain failed", 0), 0u)
        << r.error_text();
    EXPECT_NE(r.error_text().find("interpreter fallback"), std::string::npos) << r.error_text();
  }
}

// crun-wasmedge-interp, not -aot: the AoT fallback check's calibration instances run at
// prepare(), before the cell's slot exists, so they are rightly outside it.
TEST(Crun, ContainersUnderTheEdgeProfileSitInsideTheCellsSlot) {
  TempDir dir;
  std::atomic<bool> done{false};
  std::map<std::string, std::set<std::string>> seen;  // comm -> distinct cgroup lines (v1)
  std::thread watcher([&] {
    while (!done) {
      for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string comm = proc_text(entry.path(), "comm");
        if (comm != "function" && comm != "wasmedge") continue;
        // crun's containers only: their parent is crun under its loader.
        std::string stat = proc_text(entry.path(), "stat");
        auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        std::string state, ppid;
        rest >> state >> ppid;
        if (proc_text(fs::path("/proc") / ppid, "comm") != "ld-linux-x86-64") continue;
        std::ifstream cg(entry.path() / "cgroup");
        std::vector<std::string> lines;
        for (std::string line; std::getline(cg, line);) {
          for (const char* c : {":cpu,", ":cpu:", ":memory:", ":cpuset:"}) {
            if (line.find(c) != std::string::npos) lines.push_back(line);
          }
        }
        // A task leaves its groups while it exits (PF_EXITING, before it is a zombie): keep only
        // what was read while it still ran, checked before and after reading its groups.
        if (!lumos::testing::task_exiting(stat) && !lumos::testing::task_exiting(proc_text(entry.path(), "stat"))) {
          seen[comm].insert(lines.begin(), lines.end());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto run = run_experiment(dir, R"(
profile: edge-pi
functions:
  - {name: fibonacci, inputs: [medium], runtimes: [crun], repetitions: 800}
  - {name: fibonacci, inputs: [medium], runtimes: [crun-wasmedge-interp], repetitions: 30}
runtimes: [crun, crun-wasmedge-interp]
modes: [warm]
)");
  done = true;
  watcher.join();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(seen.count("function"), 1u) << "never saw crun's container";
  ASSERT_EQ(seen.count("wasmedge"), 1u) << "never saw crun's Wasm container";
  for (const auto& [comm, lines] : seen) {
    for (const auto& line : lines) {
      // <slot>/<container id> in every controller the profile limits.
      auto slot = line.find("/lumos-slot-");
      EXPECT_NE(slot, std::string::npos) << comm << ": " << line;
      if (slot != std::string::npos) {
        EXPECT_NE(line.find("/lumos-", slot + 1), std::string::npos) << line;
      }
    }
  }
}

TEST(Crun, AMissingCrunBecomesFailedRecordsThatSayWhatToDo) {
  TempDir dir;
  auto file = dir.path / "exp.yaml";
  std::ofstream(file) << "functions: [{name: hello, inputs: [small]}]\nruntimes: [crun, crun-wasmedge-aot]\n"
                         "modes: [cold]\nrepetitions: 1\n";
  auto r = run_command({"env", "LUMOS_CRUN_ROOT=/nonexistent", lumos::testing::lumos_binary().string(), "run",
                        file.string(), "--out", (dir.path / "out").string()});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3) << r->out;
  auto records = telemetry::read_invocations(dir.path / "out" / "invocations.jsonl");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->invocations.size(), 2u);
  for (const auto& inv : records->invocations) {
    EXPECT_EQ(inv.error_text(),
              "not_installed: /nonexistent/root/usr/bin/crun not found: run scripts/setup (it unpacks Debian 13's "
              "crun there) or set LUMOS_CRUN_ROOT");
  }
}

// Functions without the SDK: an unchanged program run one-shot on every runtime, with
// arguments, environment, stdin, a working directory, stdout, written files and exit code.
#include "test_support.hpp"

using namespace lumos;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

TEST(CommandFunctions, UnchangedProgramRunsOneShotOnAllFourRuntimesAndCrun) {
  TempDir dir;
  auto run = run_experiment(dir, "function_dirs: [" LUMOS_TEST_DATA_DIR
                                 "/functions]\n"
                                 R"(
functions: [wordcount]
runtimes: [native, runc, crun, wasmedge-interp, wasmedge-aot]
modes: [cold, warm]
repetitions: 2
)");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 5u * 2u) << "warm cells are not run for one-shot programs\n" << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.runtime);
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.mode, lumos::telemetry::Mode::kCold);
    EXPECT_EQ(r.bytes_in, 24u);
    EXPECT_GT(r.e2e.count(), 0);
    EXPECT_TRUE(r.cpu.has_value());
    if (r.runtime == "wasmedge-aot") {
      EXPECT_EQ(r.exec_mode, "aot");
    } else if (r.runtime == "wasmedge-interp") {
      EXPECT_EQ(r.exec_mode, "interpreter");
    } else {
      EXPECT_EQ(r.exec_mode, "native");
    }
    if (r.runtime.rfind("wasmedge", 0) == 0) {
      for (const char* phase : {"load", "instantiate", "run"}) EXPECT_EQ(r.phases.count(phase), 1u) << phase;
    }
  }
}

TEST(CommandFunctions, InlineDefinitionExitCodeAndWrittenFilesAreChecked) {
  TempDir dir;
  std::string wc = std::string(LUMOS_TEST_DATA_DIR) + "/functions/wordcount/";
  auto run = run_experiment(dir, R"(
functions:
  - name: wc-exit-3
    kind: command
    sources: [)" + wc + R"(wordcount.c]
    command: {args: ["--verbose", "x y"], env: {GREETING: hi there, EXIT_CODE: "3"}, dirs: [)" +
                                     wc + R"(data]}
    inputs:
      - {name: expects-0, file: )" + wc +
                                     R"(inputs/two-lines.txt}
      - {name: expects-3, file: )" + wc +
                                     R"(inputs/two-lines.txt, expected_exit: 3, expected: )" + wc +
                                     R"(expected/two-lines.txt}
      - {name: wrong-file, file: )" + wc +
                                     R"(inputs/two-lines.txt, expected_exit: 3, expected_files: {counts.txt: )" + wc +
                                     R"(expected/two-lines.txt}}
runtimes: [native, wasmedge-aot]
repetitions: 1
)");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  ASSERT_EQ(run.records.size(), 6u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.input + "/" + r.runtime);
    if (r.input == "expects-0") {
      EXPECT_EQ(r.error_text(), "function_error: exited with code 3 (expected exit code 0)");
    } else if (r.input == "expects-3") {
      EXPECT_TRUE(r.ok) << r.error_text();
    } else {
      EXPECT_EQ(r.error_text(), "output_mismatch: file counts.txt differs from the expected one");
    }
  }
}

// Under an environment profile a one-shot program is born in the cell's cgroup slot, like an
// instance: one that touches 256 MiB under a 128 MiB limit fails on every runtime, while 1 MiB
// passes (without the slot both pass: the machine has GBs to spare).
TEST(CommandFunctions, OneShotProgramsGetTheProfilesMemoryLimit) {
  TempDir dir;
  std::ofstream(dir.path / "touch.c") << R"(#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  long mib = 0, sum = 0;
  if (scanf("%ld", &mib) != 1) return 2;
  for (long i = 0; i < mib; ++i) {
    char* p = malloc(1 << 20);
    if (!p) return 1;
    memset(p, (int)i, 1 << 20);
    sum += p[i % (1 << 20)];  /* used, so a compiler cannot drop the allocation */
  }
  printf("touched %ld MiB (%ld)\n", mib, sum);
  return 0;
}
)";
  std::ofstream(dir.path / "small.txt") << "1\n";
  std::ofstream(dir.path / "big.txt") << "256\n";
  const std::string d = dir.path.string();
  auto run = run_experiment(dir, R"(
profile: {name: small-memory, memory: {limit: 128MiB}}
functions:
  - name: touch
    kind: command
    sources: [)" + d + R"(/touch.c]
    inputs:
      - {name: small, file: )" + d + R"(/small.txt}
      - {name: big, file: )" + d + R"(/big.txt}
runtimes: [native, runc, podman, wasmedge-aot]
repetitions: 1
)");
  ASSERT_EQ(run.records.size(), 8u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.input + "/" + r.runtime);
    if (r.input == "small") {
      EXPECT_TRUE(r.ok) << r.error_text();
    } else {
      // The kernel's OOM killer ends it: SIGKILL, or 137 from a container engine.
      EXPECT_FALSE(r.ok) << "256 MiB touched under a 128 MiB limit";
      EXPECT_TRUE(r.error_text().find("SIGKILL") != std::string::npos ||
                  r.error_text().find("code 137") != std::string::npos)
          << r.error_text();
    }
  }
}

// Functions are untrusted: an output file that is a link to a host file, or to /dev/zero, is a
// failed record (never the host file's bytes), and a link in a copied `dirs:` folder stays a link.
TEST(CommandFunctions, OutputsAreNeverReadThroughLinksAndCopiedFoldersKeepTheirLinks) {
  TempDir dir;
  const std::string src = std::string(LUMOS_TEST_DATA_DIR) + "/functions/escape/escape.c";
  const std::string input = std::string(LUMOS_TEST_DATA_DIR) + "/functions/wordcount/inputs/two-lines.txt";
  const auto secret = dir.path / "secret.txt";
  std::ofstream(secret) << "host secret\n";
  std::filesystem::create_directories(dir.path / "data");
  std::filesystem::create_symlink(secret, dir.path / "data" / "secret-link");
  const auto function = [&](const std::string& name, const std::string& env, const std::string& extra) {
    return "  - name: " + name + "\n    kind: command\n    sources: [" + src + "]\n    command: {env: {" + env + "}" +
           extra + "}\n";
  };
  auto run = run_experiment(
      dir, "functions:\n" + function("escape-link", "LINK_TARGET: " + secret.string(), "") +
               "    inputs: [{name: x, file: " + input + ", expected_files: {out.txt: " + secret.string() + "}}]\n" +
               function("escape-zero", "LINK_TARGET: /dev/zero", "") + "    inputs: [{name: x, file: " + input +
               ", expected_files: {out.txt: " + secret.string() + "}}]\n" +
               function("escape-dirs", "ESCAPE: read-link", ", dirs: [" + (dir.path / "data").string() + "]") +
               "    inputs: [{name: x, file: " + input + ", expected: " + secret.string() + "}]\n" +
               "runtimes: [native, runc, wasmedge-aot]\nmodes: [cold]\nrepetitions: 1\n");
  ASSERT_EQ(run.exit_code, 3) << "some records fail, lumos itself does not\n" << run.output;
  ASSERT_EQ(run.records.size(), 3u * 3u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.function + " on " + r.runtime + ": " + r.error_text());
    if (r.function == "escape-dirs") {
      // native is not isolated, by design: it follows the link to the host file itself.
      EXPECT_EQ(r.ok, r.runtime == "native");
      continue;
    }
    EXPECT_FALSE(r.ok);
    if (r.runtime == "native") {  // the link was made on the host: lumos refused to follow it
      EXPECT_EQ(r.error_code, "output_mismatch");
      EXPECT_NE(r.error.find("out.txt is a symbolic link"), std::string::npos);
    }
  }
}

// Containers are at least as strict as their engines' defaults: no user namespaces (seccomp), a
// read-only /dev and root. The probe is not run natively: native is not isolated, by design,
// and the probe would write to the host's / and /dev.
TEST(CommandFunctions, SandboxesDenyUserNamespacesAndWritesToRootAndDev) {
  TempDir dir;
  const std::string probe = std::string(LUMOS_TEST_DATA_DIR) + "/functions/boundaries/";
  const std::string input = std::string(LUMOS_TEST_DATA_DIR) + "/functions/wordcount/inputs/two-lines.txt";
  auto run = run_experiment(dir, "functions:\n  - name: boundaries\n    kind: command\n    sources: [" + probe +
                                     "boundaries.c]\n    inputs: [{name: x, file: " + input + ", expected: " + probe +
                                     "denied.txt}]\nruntimes: [runc, crun, wasmedge-aot]\nmodes: [cold]\n"
                                     "repetitions: 1\n");
  ASSERT_EQ(run.records.size(), 3u) << run.output;
  for (const auto& r : run.records) EXPECT_TRUE(r.ok) << r.runtime << ": " << r.error_text();
}

// lumos-wasm-host's command line: modes, flags with and without '=', what belongs to the guest,
// and a usage error that says what to fix for every wrong shape.
#include "host_options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace lumos::host {
namespace {

Result<HostOptions> parse(std::initializer_list<const char*> words) {
  std::vector<const char*> argv = {"lumos-wasm-host"};
  argv.insert(argv.end(), words.begin(), words.end());
  return parse_host_args(static_cast<int>(argv.size()), argv.data());
}

std::string usage_error(std::initializer_list<const char*> words) {
  auto r = parse(words);
  if (r) return "(parsed)";
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  return r.error().message;
}

TEST(HostOptions, ReactorWithModeAndVerbose) {
  auto o = parse({"--mode", "aot", "-v", "reactor", "f.wasm"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->engine, EngineMode::kAot);
  EXPECT_EQ(o->mode, HostMode::kReactor);
  EXPECT_EQ(o->module_path, "f.wasm");
  EXPECT_TRUE(o->verbose);
  EXPECT_TRUE(o->args.empty());
}

TEST(HostOptions, FreshStartsAreAReactorOption) {
  EXPECT_EQ(parse({"reactor", "f.wasm"})->fresh, FreshStart::kNone);
  EXPECT_EQ(parse({"--fresh", "instance", "reactor", "f.wasm"})->fresh, FreshStart::kInstance);
  EXPECT_EQ(parse({"--mode=aot", "--fresh=fork", "reactor", "f.wasm"})->fresh, FreshStart::kFork);
  EXPECT_NE(usage_error({"--fresh", "clone", "reactor", "f.wasm"}).find("instance or fork"), std::string::npos);
  EXPECT_NE(usage_error({"--fresh", "fork", "command", "f.wasm"}).find("reactor mode only"), std::string::npos);
}

TEST(HostOptions, DefaultsToTheInterpreter) {
  auto o = parse({"reactor", "f.wasm"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->engine, EngineMode::kInterpreter);
  EXPECT_EQ(parse({"--mode=interpreter", "reactor", "f.wasm"})->engine, EngineMode::kInterpreter);
}

TEST(HostOptions, CommandTakesEnvDirsReportAndGuestArguments) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string mapping = "/data:" + dir;
  auto o = parse({"--env", "A=1", "--env=B=2", "--dir", mapping.c_str(), "--report=r.json", "command", "f.wasm",
                  "--mode", "x", "-v"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->mode, HostMode::kCommand);
  EXPECT_EQ(o->envs, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(o->dirs, (std::vector<std::string>{mapping}));
  EXPECT_EQ(o->report_path, "r.json");
  // After `command MODULE` every word is the guest's, flags included.
  EXPECT_EQ(o->args, (std::vector<std::string>{"--mode", "x", "-v"}));
  EXPECT_FALSE(o->verbose);
}

TEST(HostOptions, DoubleDashEndsTheOptions) {
  auto o = parse({"--", "command", "f.wasm"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, HostMode::kCommand);
}

TEST(HostOptions, HelpWinsOverWhatFollows) {
  auto o = parse({"--help", "nonsense"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->help);
  EXPECT_NE(std::string(host_usage()).find("reactor"), std::string::npos);
}

TEST(HostOptions, UsageErrorsSayWhatToFix) {
  EXPECT_NE(usage_error({}).find("missing the mode"), std::string::npos);
  EXPECT_NE(usage_error({"serve", "f.wasm"}).find("expected reactor or command"), std::string::npos);
  EXPECT_NE(usage_error({"reactor"}).find("missing MODULE.wasm"), std::string::npos);
  EXPECT_NE(usage_error({"--mode", "jit", "reactor", "f.wasm"}).find("interp or aot"), std::string::npos);
  EXPECT_NE(usage_error({"--mode"}).find("--mode needs a value"), std::string::npos);
  EXPECT_NE(usage_error({"--frobnicate", "reactor", "f.wasm"}).find("unknown option --frobnicate"), std::string::npos);
  EXPECT_NE(usage_error({"--env", "NOEQUALS", "command", "f.wasm"}).find("KEY=VALUE"), std::string::npos);
  EXPECT_NE(usage_error({"--env", "=x", "command", "f.wasm"}).find("KEY=VALUE"), std::string::npos);
  EXPECT_NE(usage_error({"--dir", "/g:/nonexistent-lumos-dir", "command", "f.wasm"}).find("existing host directory"),
            std::string::npos);
  EXPECT_NE(usage_error({"--report=", "command", "f.wasm"}).find("--report needs a file name"), std::string::npos);
  EXPECT_NE(usage_error({"reactor", "f.wasm", "extra"}).find("no guest arguments"), std::string::npos);
  EXPECT_NE(usage_error({"--env", "A=1", "reactor", "f.wasm"}).find("command mode only"), std::string::npos);
}

}  // namespace
}  // namespace lumos::host

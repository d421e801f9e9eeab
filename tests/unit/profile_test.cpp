// Environment profiles: units, YAML parsing, errors naming file and key, shipped profiles,
// OCI resources, and cgroup slots failing clearly without controllers or root.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "lumos/env/cgroup.hpp"
#include "lumos/env/profile.hpp"

using namespace lumos;
using namespace lumos::env;
using namespace std::chrono_literals;

namespace {

Result<Profile> parse(const std::string& yaml) { return parse_profile(YAML::Load(yaml), "p.yaml"); }

std::filesystem::path shipped(const std::string& name) {
  return std::filesystem::path(LUMOS_TEST_DATA_DIR).parent_path().parent_path() / "experiments" / "profiles" /
         (name + ".yaml");
}

}  // namespace

TEST(Profile, DurationsNeedAUnitAndAcceptFractions) {
  EXPECT_EQ(*parse_duration("20ms"), 20ms);
  EXPECT_EQ(*parse_duration("1.5 ms"), 1500us);
  EXPECT_EQ(*parse_duration("250us"), 250us);
  EXPECT_EQ(*parse_duration("2s"), 2s);
  EXPECT_EQ(*parse_duration("0ms"), 0ms);
  EXPECT_FALSE(parse_duration("20"));
  EXPECT_FALSE(parse_duration("fast"));
  EXPECT_FALSE(parse_duration("-1ms"));
  auto e = parse_duration("20 parsecs");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("'20 parsecs'"), std::string::npos);
}

TEST(Profile, SizesUseBinaryAndDecimalUnits) {
  EXPECT_EQ(*parse_bytes("1GiB"), 1ull << 30);
  EXPECT_EQ(*parse_bytes("256MiB"), 256ull << 20);
  EXPECT_EQ(*parse_bytes("1.5KiB"), 1536u);
  EXPECT_EQ(*parse_bytes("1GB"), 1'000'000'000u);
  EXPECT_EQ(*parse_bytes("4096"), 4096u);
  EXPECT_EQ(*parse_bytes("512M"), 512ull << 20);
  EXPECT_FALSE(parse_bytes("lots"));
  EXPECT_FALSE(parse_bytes("1 TiB"));
}

TEST(Profile, BandwidthsAreBitsPerSecond) {
  EXPECT_EQ(*parse_bandwidth("50Mbit"), 50'000'000u);
  EXPECT_EQ(*parse_bandwidth("50Mbit/s"), 50'000'000u);
  EXPECT_EQ(*parse_bandwidth("10 Mbps"), 10'000'000u);
  EXPECT_EQ(*parse_bandwidth("1Gbit"), 1'000'000'000u);
  EXPECT_EQ(*parse_bandwidth("100kbit"), 100'000u);
  EXPECT_EQ(*parse_bandwidth("8000"), 8000u);
  EXPECT_FALSE(parse_bandwidth("50MB"));
}

TEST(Profile, FullMappingIsRead) {
  auto p = parse(R"(
name: x
description: d
cpu: {quota: 0.5, period: 20ms, cpuset: "0-1"}
memory: {limit: 512MiB}
link: {rtt: 30ms, jitter: 6ms, bandwidth: 20Mbit, seed: 7}
)");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->name, "x");
  EXPECT_EQ(p->description, "d");
  EXPECT_DOUBLE_EQ(p->cpu_quota, 0.5);
  EXPECT_EQ(p->cpu_period, 20ms);
  EXPECT_EQ(p->cpuset, "0-1");
  EXPECT_EQ(p->memory_limit_bytes, 512ull << 20);
  EXPECT_EQ(p->link.rtt, 30ms);
  EXPECT_EQ(p->link.jitter, 6ms);
  EXPECT_EQ(p->link.bandwidth_bps, 20'000'000u);
  EXPECT_EQ(p->link.seed, 7u);
  EXPECT_TRUE(p->limits_resources());
  EXPECT_FALSE(p->link.ideal());
}

TEST(Profile, EmptyMappingMeansNoLimits) {
  auto p = parse("name: bare\n");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->limits_resources());
  EXPECT_TRUE(p->link.ideal());
  EXPECT_EQ(p->cpu_period, 4ms);
  // Without a period, a small quota gets the shortest period the kernel's 1 ms minimum allows.
  auto small = parse("name: s\ncpu: {quota: 0.1}\n");
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_EQ(small->cpu_period, 10ms);
  auto half = parse("name: h\ncpu: {quota: 0.5}\n");
  ASSERT_TRUE(half);
  EXPECT_EQ(half->cpu_period, 4ms);
}

TEST(Profile, ErrorsNameTheFileAndTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const auto& c : std::vector<Case>{
           {"link: {rtt: 20}", "'link.rtt'"},
           {"link: {bandwidth: fast}", "'link.bandwidth'"},
           {"link: {rtt: 10ms, jitter: 20ms}", "'link.jitter'"},
           {"link: {latency: 10ms}", "'link.latency'"},
           {"link: {seed: abc}", "'link.seed'"},
           {"cpu: {quota: half}", "'cpu.quota'"},
           {"cpu: {quota: 0.05, period: 10ms}", "'cpu.quota'"},
           {"cpu: {period: 2s}", "'cpu.period'"},
           {"cpu: {cpuset: all}", "'cpu.cpuset'"},
           {"cpu: {cores: 2}", "'cpu.cores'"},
           {"memory: {limit: 1KiB}", "'memory.limit'"},
           {"memory: 1GiB", "'memory'"},
           {"network: {}", "'network'"},
       }) {
    SCOPED_TRACE(c.yaml);
    auto p = parse(c.yaml);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::kConfig);
    EXPECT_EQ(p.error().message.rfind("p.yaml: ", 0), 0u) << p.error().message;
    EXPECT_NE(p.error().message.find(c.key), std::string::npos) << p.error().message;
  }
}

TEST(Profile, ShippedFilesEqualTheBuiltins) {
  for (const auto& name : builtin_profile_names()) {
    SCOPED_TRACE(name);
    auto file = load_profile(shipped(name));
    ASSERT_TRUE(file) << file.error().to_string();
    auto builtin = builtin_profile(name);
    ASSERT_TRUE(builtin);
    EXPECT_EQ(*file, *builtin);
  }
  auto pi = builtin_profile("edge-pi");
  EXPECT_DOUBLE_EQ(pi->cpu_quota, 0.5);
  EXPECT_EQ(pi->memory_limit_bytes, 1ull << 30);
  EXPECT_EQ(pi->link.rtt, 20ms);
  EXPECT_EQ(pi->link.bandwidth_bps, 50'000'000u);
  EXPECT_FALSE(builtin_profile("cloud")->limits_resources());
  EXPECT_TRUE(builtin_profile("cloud")->link.ideal());
}

TEST(Profile, UnknownBuiltinListsTheKnownOnes) {
  auto p = builtin_profile("mainframe");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("edge-pi"), std::string::npos);
}

TEST(Profile, ResolveTakesANameAFileOrAMapping) {
  auto byname = resolve_profile(YAML::Load("edge-tiny"), "/nowhere", "exp.yaml");
  ASSERT_TRUE(byname);
  EXPECT_EQ(byname->name, "edge-tiny");
  auto dir = shipped("cloud").parent_path();
  auto byfile = resolve_profile(YAML::Load("profiles/edge-pi.yaml"), dir.parent_path(), "exp.yaml");
  ASSERT_TRUE(byfile) << byfile.error().to_string();
  EXPECT_EQ(*byfile, *builtin_profile("edge-pi"));
  auto inline_map = resolve_profile(YAML::Load("{link: {rtt: 5ms}}"), "/", "exp.yaml");
  ASSERT_TRUE(inline_map);
  EXPECT_EQ(inline_map->name, "inline");
  EXPECT_EQ(inline_map->link.rtt, 5ms);
  auto missing = resolve_profile(YAML::Load("nope.yaml"), "/tmp", "exp.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/tmp/nope.yaml"), std::string::npos);
  auto unknown = resolve_profile(YAML::Load("mainframe"), "/tmp", "exp.yaml");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message.rfind("exp.yaml: ", 0), 0u);
}

TEST(Profile, JsonHasTypedUnits) {
  auto j = to_json(*builtin_profile("edge-pi"));
  EXPECT_EQ(j["link"]["rtt_ns"], 20'000'000);
  EXPECT_EQ(j["link"]["bandwidth_bps"], 50'000'000);
  EXPECT_EQ(j["memory"]["limit_bytes"], 1ull << 30);
  EXPECT_EQ(j["cpu"]["period_us"], 4'000);
}

TEST(CgroupSlot, MissingControllerIsAClearError) {
  auto root = std::filesystem::temp_directory_path() / ("lumos-nocg-" + std::to_string(getpid()));
  std::filesystem::create_directories(root);
  CgroupOptions options;
  options.root = root;
  options.require_root = false;
  auto slot = CgroupSlot::create(*builtin_profile("edge-pi"), options);
  std::filesystem::remove_all(root);
  ASSERT_FALSE(slot);
  EXPECT_EQ(slot.error().code, ErrorCode::kNotInstalled);
  EXPECT_NE(slot.error().message.find("controller is not mounted at " + root.string()), std::string::npos)
      << slot.error().message;
  EXPECT_NE(slot.error().message.find("edge-pi"), std::string::npos);
}

TEST(CgroupSlot, NotRootIsAClearError) {
  // Drop privileges in a child so the test means the same as root and as a user.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    if (geteuid() == 0 && setuid(65534) != 0) _exit(3);
    auto slot = CgroupSlot::create(*builtin_profile("edge-pi"));
    std::string msg = slot ? "created" : slot.error().to_string();
    (void)!write(pipefd[1], msg.data(), msg.size());
    _exit(0);
  }
  close(pipefd[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(msg.rfind("not_installed: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("root"), std::string::npos) << msg;
}

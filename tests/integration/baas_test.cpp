// BaaS mode on the real runtimes with lumos' own Redis; missing keys and a dead Redis as data.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "lumos/baas/redis.hpp"
#include "lumos/protocol/frame.hpp"
#include "lumos/telemetry/manifest.hpp"
#include "test_support.hpp"

using namespace lumos;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;

namespace {

bool redis_answers(const std::string& address) {
  auto endpoint = baas::parse_endpoint(address);
  return endpoint && baas::RedisClient::connect(*endpoint, std::chrono::milliseconds(300)).has_value();
}

}  // namespace

TEST(Baas, EveryRuntimeFetchesAndStoresThroughRedisAndLumosCleansUp) {
  TempDir dir;
  auto run = run_experiment(dir, R"(
functions: [{name: fibonacci, inputs: [small]}]
runtimes: [native, runc, wasmedge-interp, wasmedge-aot]
io: [baas]
modes: [cold, warm]
repetitions: 2
)");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.records.size(), 4u * 2u * 2u);
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.runtime + "/" + std::string(lumos::telemetry::to_string(r.mode)));
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.io, lumos::telemetry::Io::kBaas);
    for (const char* phase : {"baas_get", "baas_put", "deserialize", "compute", "serialize"}) {
      EXPECT_EQ(r.phases.count(phase), 1u) << phase;
    }
    EXPECT_GT(r.baas_bytes_in, 0u);
    EXPECT_GT(r.baas_bytes_out, 0u);
  }
  EXPECT_NE(run.output.find("Started redis-server"), std::string::npos);
  // lumos' own Redis and the containers' network namespace are gone after the run.
  auto manifest = telemetry::read_json_file(dir.path / "out" / "manifest.json");
  ASSERT_TRUE(manifest);
  const auto& baas_info = (*manifest)["baas"];
  ASSERT_TRUE(baas_info.is_object()) << manifest->dump();
  EXPECT_EQ(baas_info["started_by_lumos"], true);
  EXPECT_FALSE(redis_answers(baas_info["address"].get<std::string>())) << "lumos left its redis-server running";
  std::string netns = baas_info["container_netns"].get<std::string>();
  ASSERT_FALSE(netns.empty()) << "containers had no network path to Redis";
  EXPECT_FALSE(std::filesystem::exists(netns)) << "lumos left " << netns;
  // Where lumos' own Redis ran (no profile, no link emulator).
  const auto& infra = (*manifest)["placement"]["redis_and_link"];
  ASSERT_TRUE(infra["redis"].is_object()) << infra.dump();
  EXPECT_TRUE(infra["redis"]["last_cpu"].is_number_integer()) << infra.dump();
  EXPECT_FALSE(infra["redis"]["allowed_cpus"].get<std::string>().empty()) << infra.dump();
  EXPECT_TRUE(infra["link_emulator"].is_null()) << infra.dump();
}

TEST(Baas, MissingKeyIsAFailedRecordWithTheKeyName) {
  TempDir dir;
  // The faulty fixture's input "missing-key" is itself a BaaS envelope naming a key nobody
  // stored; sent as a direct request while Redis is up (the baas cells make lumos start it).
  auto run = run_experiment(dir, "function_dirs: [" LUMOS_TEST_DATA_DIR
                                 "/functions]\n"
                                 R"(
functions: [{name: faulty, inputs: [echo, missing-key]}]
runtimes: [native, wasmedge-aot]
io: [baas, direct]
modes: [warm]
repetitions: 1
warmup: 0
)");
  int checked = 0;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.input + "/" + std::string(lumos::telemetry::to_string(r.io)) + "/" + r.runtime);
    if (r.input == "echo") {
      EXPECT_TRUE(r.ok) << r.error_text();
    } else if (r.io == lumos::telemetry::Io::kDirect) {
      EXPECT_FALSE(r.ok);
      EXPECT_EQ(r.error_text(), "function_error: baas_get: key 'lumos:in:no-such-key' not found");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2) << run.output;
}

TEST(Baas, ADeadRedisGivesClearErrorsAndTheRunGoesOn) {
  // A Redis that is started for the run and killed while it runs.
  auto server = baas::RedisServer::start();
  ASSERT_TRUE(server) << server.error().to_string();
  TempDir dir;
  std::ofstream(dir.path / "exp.yaml") << "functions: [{name: fibonacci, inputs: [small]}]\n"
                                       << "baas: {address: " << (*server)->endpoint().to_string()
                                       << ", password: " << (*server)->endpoint().password << "}\n"
                                       << "runtimes: [native, wasmedge-aot]\nio: [baas]\nmodes: [warm]\n"
                                       << "repetitions: 40\nwarmup: 0\n";
  auto results = dir.path / "out" / "invocations.jsonl";
  auto child = ChildProcess::spawn({lumos::testing::lumos_binary().string(), "run", (dir.path / "exp.yaml").string(),
                                    "--out", (dir.path / "out").string(), "--quiet"});
  ASSERT_TRUE(child) << child.error().to_string();
  // Kill Redis once the first invocations are recorded.
  for (int i = 0; i < 3000; ++i) {
    auto so_far = telemetry::read_invocations(results);
    if (so_far && so_far->invocations.size() >= 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*server)->kill_now();
  int status = child->terminate(std::chrono::milliseconds(120000));
  ASSERT_TRUE(WIFEXITED(status)) << "lumos did not finish";
  EXPECT_EQ(WEXITSTATUS(status), 3);
  auto records = telemetry::read_invocations(results);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->invocations.size(), 80u) << "the run goes on after Redis died";
  EXPECT_TRUE(records->invocations.front().ok) << records->invocations.front().error_text();
  const auto& last = records->invocations.back();
  EXPECT_FALSE(last.ok);
  EXPECT_NE(last.error_text().find("Redis"), std::string::npos) << last.error_text();
}

TEST(Baas, EdgeProfileLinkDelaysEveryRedisRoundTrip) {
  // edge-pi: 20 ms RTT between functions and Redis. A BaaS request makes two round trips
  // (GET the input, SET the output), so its warm latency grows by about 40 ms against cloud.
  auto median_e2e = [](const std::string& profile) {
    TempDir dir;
    auto run = run_experiment(dir, "profile: " + profile + R"(
functions: [{name: fibonacci, inputs: [small]}]
runtimes: [native]
io: [baas]
modes: [warm]
repetitions: 9
)");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    std::vector<double> e2e;
    for (const auto& r : run.records) e2e.push_back(static_cast<double>(r.e2e.count()));
    std::sort(e2e.begin(), e2e.end());
    return e2e.empty() ? 0.0 : e2e[e2e.size() / 2];
  };
  double cloud = median_e2e("cloud");
  double edge = median_e2e("edge-pi");
  double added_ms = (edge - cloud) / 1e6;
  std::printf("edge-pi adds %.1f ms per BaaS request (cloud %.2f ms, edge %.2f ms)\n", added_ms, cloud / 1e6,
              edge / 1e6);
  EXPECT_GT(added_ms, 34.0);
  EXPECT_LT(added_ms, 60.0);
}

// A container's only way out is its BaaS endpoint: a host service listening on 0.0.0.0 beside
// Redis is out of reach from runc, crun and podman (native is not isolated, by design: it
// connects). And no function may reconfigure lumos' Redis, though it has its password.
TEST(Baas, ContainersReachTheBaasEndpointAndNothingElseAndRedisRefusesConfig) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t len = sizeof any;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&any), &len), 0);
  TempDir dir;
  std::ofstream(dir.path / "port.txt") << ntohs(any.sin_port);
  std::ofstream(dir.path / "unreachable.txt") << "unreachable\n";
  std::ofstream(dir.path / "redis-config.txt") << "redis-config";
  std::ofstream(dir.path / "denied.txt") << "denied\n";
  auto run = run_experiment(dir, "functions:\n  - name: netprobe\n    sources: [" LUMOS_TEST_DATA_DIR
                                 "/functions/netprobe/netprobe.c]\n    inputs: [{name: port, file: " +
                                     (dir.path / "port.txt").string() +
                                     ", expected: " + (dir.path / "unreachable.txt").string() +
                                     "}, {name: config, file: " + (dir.path / "redis-config.txt").string() +
                                     ", expected: " + (dir.path / "denied.txt").string() +
                                     "}]\nruntimes: [native, runc, crun, podman]\nio: [baas]\nmodes: [cold]\n"
                                     "repetitions: 1\n");
  ::close(listener);
  ASSERT_EQ(run.records.size(), 8u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.runtime + "/" + r.input + ": " + r.error_text());
    if (r.input == "config") {  // with the password every function gets, CONFIG is still gone
      EXPECT_TRUE(r.ok);
    } else if (r.runtime == "native") {
      EXPECT_EQ(r.error_code, "output_mismatch");  // it answered "reachable": the listener is there
    } else {
      EXPECT_TRUE(r.ok);  // "unreachable", and the same run reached Redis for its input
    }
  }
}

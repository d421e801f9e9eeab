// lumos serve: the HTTP gateway answers POST /function/<name> through the instance pool.
#include <httplib.h>

#include <fstream>
#include <thread>

#include "test_support.hpp"

using namespace lumos;

TEST(Serve, GatewayServesWarmRequestsAndReportsErrors) {
  int port = 18000 + static_cast<int>(getpid() % 1000);
  auto child = ChildProcess::spawn({lumos::testing::lumos_binary().string(), "serve", "hello", "--runtime",
                                    "wasmedge-aot", "--port", std::to_string(port), "--prewarm", "1"});
  ASSERT_TRUE(child) << child.error().to_string();
  httplib::Client client("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 600 && !up; ++i) {
    up = static_cast<bool>(client.Get("/health"));
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "gateway did not come up: " << child->describe_exit();
  std::ifstream in(std::string(LUMOS_SOURCE_DIR) + "/functions/hello/inputs/small.json");
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int warm = 0;
  for (int i = 0; i < 50; ++i) {
    auto res = client.Post("/function/hello", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->body + "\n", body) << "hello echoes the message (the input file ends with a newline)";
    EXPECT_EQ(res->get_header_value("X-Lumos-Exec-Mode"), "aot");
    warm += res->get_header_value("X-Lumos-Cold") == "0" ? 1 : 0;
  }
  EXPECT_EQ(warm, 50) << "the prewarmed instance serves every sequential request";
  auto missing = client.Post("/function/nope", body, "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad = client.Post("/function/hello", "not json", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 500);
  child->terminate(std::chrono::milliseconds(0));
}

// invocations.jsonl: records survive a write/read round trip; a torn last line is tolerated.
#include <gtest/gtest.h>

#include <fstream>

#include "lumos/telemetry/jsonl.hpp"

using namespace lumos;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(Jsonl, RoundTripKeepsEveryField) {
  fs::path path = fs::temp_directory_path() / "lumos-jsonl-test.jsonl";
  fs::remove(path);
  telemetry::Invocation inv;
  inv.function = "fibonacci";
  inv.runtime = "wasmedge-aot";
  inv.mode = "cold";
  inv.input = "medium";
  inv.rep = 4;
  inv.ok = false;
  inv.error = "timeout: no response";
  inv.exec_mode = "aot";
  inv.e2e = 123456789ns;
  inv.phases = {{"compute", 1000ns}, {"load", 2000ns}};
  inv.cpu = 5000ns;
  inv.bytes_in = 2;
  inv.bytes_out = 6;
  {
    auto w = telemetry::JsonlWriter::open(path);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(inv));
    inv.rep = 5;
    ASSERT_TRUE(w->write(inv));
  }
  auto back = telemetry::read_invocations(path);
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 2u);
  const auto& r = (*back)[0];
  EXPECT_EQ(r.function, "fibonacci");
  EXPECT_EQ(r.runtime, "wasmedge-aot");
  EXPECT_EQ(r.mode, "cold");
  EXPECT_EQ(r.rep, 4);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "timeout: no response");
  EXPECT_EQ(r.exec_mode, "aot");
  EXPECT_EQ(r.e2e, 123456789ns);
  EXPECT_EQ(r.phases.at("load"), 2000ns);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(*r.cpu, 5000ns);
  EXPECT_FALSE(r.peak_rss_bytes);
  EXPECT_EQ((*back)[1].rep, 5);
  fs::remove(path);
}

TEST(Jsonl, TornLastLineIsSkippedButCorruptMiddleLineFails) {
  fs::path path = fs::temp_directory_path() / "lumos-jsonl-torn.jsonl";
  std::ofstream(path, std::ios::trunc) << R"({"function":"a","ok":true})" "\n" R"({"function":"b","o)";
  auto torn = telemetry::read_invocations(path);
  ASSERT_TRUE(torn);
  EXPECT_EQ(torn->size(), 1u);
  std::ofstream(path, std::ios::trunc) << "garbage\n" R"({"function":"a"})" "\n";
  auto bad = telemetry::read_invocations(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(":1:"), std::string::npos) << bad.error().message;
  fs::remove(path);
}

// invocations.jsonl: records survive a write/read round trip; the one reader is strict about
// types, tolerates a torn last line, and reads the previous schema version.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "lumos/telemetry/jsonl.hpp"

using namespace lumos;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path write_lines(const std::string& name, const std::string& text) {
  fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path, std::ios::trunc | std::ios::binary) << text;
  return path;
}

}  // namespace

TEST(Jsonl, RoundTripKeepsEveryField) {
  fs::path path = fs::temp_directory_path() / "lumos-jsonl-test.jsonl";
  fs::remove(path);
  telemetry::Invocation inv;
  inv.run_id = "20261202T000000Z-0000abcd";
  inv.function = "fibonacci";
  inv.runtime = "wasmedge-aot";
  inv.mode = telemetry::Mode::kPool;
  inv.input = "medium";
  inv.io = telemetry::Io::kBaas;
  inv.profile = "edge-pi";
  inv.rep = 4;
  inv.repeat = 2;
  inv.fresh_instance = true;
  inv.set_error(Error{ErrorCode::kTimeout, "no response"});
  inv.exec_mode = "aot";
  inv.e2e = 123456789ns;
  inv.phases = {{"compute", 1000ns}, {"load", 2000ns}};
  inv.cpu = 5000ns;
  inv.bytes_in = 2;
  inv.bytes_out = 6;
  inv.load = telemetry::LoadKind::kClosed;
  inv.level = 4;
  inv.offset_ns = 77;
  inv.placement = telemetry::Placement::kCrossCpu;
  inv.client_cpu = 1;
  {
    auto w = telemetry::JsonlWriter::open(path);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(inv));
    inv.rep = 5;
    ASSERT_TRUE(w->write(inv));
  }
  auto back = telemetry::read_invocations(path);
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->invocations.size(), 2u);
  EXPECT_EQ(back->torn_line, 0u);
  const auto& r = back->invocations[0];
  EXPECT_EQ(r.schema_version, telemetry::kSchemaVersion);
  EXPECT_EQ(r.run_id, "20261202T000000Z-0000abcd");
  EXPECT_EQ(r.function, "fibonacci");
  EXPECT_EQ(r.runtime, "wasmedge-aot");
  EXPECT_EQ(r.mode, telemetry::Mode::kPool);
  EXPECT_EQ(r.io, telemetry::Io::kBaas);
  EXPECT_EQ(r.profile, "edge-pi");
  EXPECT_EQ(r.rep, 4);
  EXPECT_EQ(r.repeat, 2);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.fresh_instance);
  EXPECT_EQ(r.error_code, "timeout");
  EXPECT_EQ(r.error, "no response");
  EXPECT_EQ(r.error_text(), "timeout: no response");
  EXPECT_EQ(r.exec_mode, "aot");
  EXPECT_EQ(r.e2e, 123456789ns);
  EXPECT_EQ(r.phases.at("load"), 2000ns);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(*r.cpu, 5000ns);
  EXPECT_FALSE(r.peak_rss_bytes);
  EXPECT_EQ(r.load, telemetry::LoadKind::kClosed);
  EXPECT_EQ(r.level, 4);
  EXPECT_EQ(r.offset_ns, 77);
  EXPECT_EQ(r.placement, telemetry::Placement::kCrossCpu);
  EXPECT_EQ(r.client_cpu, 1);
  EXPECT_EQ(r.instance_cpu, -1);  // unknown: written as null, read back as unknown
  EXPECT_EQ(back->invocations[1].rep, 5);
  fs::remove(path);
}

TEST(Jsonl, TornLastLineIsSkippedAndSaidButCorruptMiddleLineFails) {
  auto path = write_lines("lumos-jsonl-torn.jsonl", R"({"function":"a","mode":"cold","ok":true})"
                                                    "\n"
                                                    R"({"function":"b","o)");
  auto torn = telemetry::read_invocations(path);
  ASSERT_TRUE(torn) << torn.error().to_string();
  EXPECT_EQ(torn->invocations.size(), 1u);
  EXPECT_EQ(torn->torn_line, 2u);
  write_lines("lumos-jsonl-torn.jsonl",
              "garbage\n"
              R"({"function":"a","mode":"cold"})"
              "\n");
  auto bad = telemetry::read_invocations(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kConfig);
  EXPECT_NE(bad.error().message.find("lumos-jsonl-torn.jsonl:1:"), std::string::npos) << bad.error().message;
  fs::remove(path);
}

TEST(Jsonl, WrongTypedFieldIsAnErrorNamingFileLineAndField) {
  auto path =
      write_lines("lumos-jsonl-types.jsonl", R"({"schema_version":2,"function":"a","mode":"cold","ok":true})"
                                             "\n"
                                             R"({"schema_version":2,"function":"a","mode":"cold","e2e_ns":"fast"})"
                                             "\n");
  auto bad = telemetry::read_invocations(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(":2: field 'e2e_ns' has the wrong type"), std::string::npos)
      << bad.error().message;
  write_lines("lumos-jsonl-types.jsonl", R"({"schema_version":2,"function":"a","mode":"tepid"})"
                                         "\n");
  auto mode = telemetry::read_invocations(path);
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("field 'mode' is 'tepid'"), std::string::npos) << mode.error().message;
  write_lines("lumos-jsonl-types.jsonl", R"({"schema_version":99,"function":"a","mode":"cold"})"
                                         "\n");
  auto newer = telemetry::read_invocations(path);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("use a newer lumos"), std::string::npos) << newer.error().message;
  fs::remove(path);
}

// Version 1 (no schema_version): a load record's mode said what the request met, errors were
// "code: message". The reader upgrades both.
TEST(Jsonl, PreviousSchemaVersionIsUpgradedOnRead) {
  auto path = write_lines("lumos-jsonl-v1.jsonl",
                          R"({"function":"a","mode":"warm","ok":false,"error":"timeout: no response within 5 s"})"
                          "\n"
                          R"({"function":"a","mode":"cold","ok":true,"error":"","load":"closed","level":4})"
                          "\n"
                          R"({"function":"a","mode":"warm","ok":true,"error":"","load":"closed","level":4})"
                          "\n"
                          R"({"function":"a","mode":"cold","ok":false,"error":"something odd"})"
                          "\n");
  auto v1 = telemetry::read_invocations(path);
  ASSERT_TRUE(v1) << v1.error().to_string();
  const auto& r = v1->invocations;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].mode, telemetry::Mode::kWarm);
  EXPECT_FALSE(r[0].fresh_instance);
  EXPECT_EQ(r[0].error_code, "timeout");
  EXPECT_EQ(r[0].error, "no response within 5 s");
  EXPECT_EQ(r[1].mode, telemetry::Mode::kPool);
  EXPECT_TRUE(r[1].fresh_instance);
  EXPECT_EQ(r[1].load, telemetry::LoadKind::kClosed);
  EXPECT_EQ(r[2].mode, telemetry::Mode::kPool);
  EXPECT_FALSE(r[2].fresh_instance);
  EXPECT_EQ(r[3].error_code, "internal");
  EXPECT_EQ(r[3].error, "something odd");
  fs::remove(path);
}

TEST(Jsonl, ResultsFolderGivesRecordsTheManifestsProfile) {
  fs::path dir = fs::temp_directory_path() / "lumos-jsonl-folder";
  fs::create_directories(dir);
  write_lines("lumos-jsonl-folder/invocations.jsonl",
              R"({"function":"a","mode":"cold","ok":true})"
              "\n"
              R"({"schema_version":2,"function":"a","mode":"cold","profile":"lab"})"
              "\n");
  write_lines("lumos-jsonl-folder/manifest.json", R"({"profile":{"name":"edge-pi"}})");
  auto folder = telemetry::read_results(dir);
  ASSERT_TRUE(folder) << folder.error().to_string();
  ASSERT_EQ(folder->invocations.size(), 2u);
  EXPECT_EQ(folder->invocations[0].profile, "edge-pi");
  EXPECT_EQ(folder->invocations[1].profile, "lab");
  write_lines("lumos-jsonl-folder/manifest.json", "{broken");
  auto broken = telemetry::read_results(dir);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("manifest.json"), std::string::npos);
  fs::remove_all(dir);
}

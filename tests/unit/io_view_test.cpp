// The I/O-serialization view: sums the I/O phases, prefers warm data, and ratios against native/AoT.
#include <gtest/gtest.h>

#include "lumos/report/summary.hpp"

using namespace lumos;
using namespace std::chrono_literals;

namespace {

telemetry::Invocation inv(const char* runtime, const char* mode, std::chrono::nanoseconds de,
                          std::chrono::nanoseconds ser, bool ok = true) {
  telemetry::Invocation i;
  i.function = "f";
  i.input = "small";
  i.io = telemetry::Io::kBaas;
  i.runtime = runtime;
  i.mode = telemetry::parse_mode(mode).value();
  i.ok = ok;
  i.phases = {{"deserialize", de}, {"serialize", ser}, {"baas_get", 100ns}, {"baas_put", 100ns}, {"compute", 5ns}};
  return i;
}

}  // namespace

TEST(IoView, SumsIoPhasesPrefersWarmAndComparesWithNativeAndAot) {
  std::vector<telemetry::Invocation> all = {
      inv("native", "warm", 100ns, 100ns),
      inv("native", "warm", 300ns, 100ns),
      inv("native", "cold", 9000ns, 9000ns),  // ignored: warm data exist
      inv("wasmedge-interp", "warm", 1800ns, 1000ns),
      inv("wasmedge-interp", "warm", 900ns, 900ns, false),
      inv("wasmedge-aot", "cold", 200ns, 200ns),  // only cold: used
  };
  auto rows = report::io_serialization_view(all);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].runtime, "native");
  EXPECT_EQ(rows[0].n, 2u);
  EXPECT_DOUBLE_EQ(rows[0].io_ser_ns, 500.0);  // median of 400 and 600
  EXPECT_DOUBLE_EQ(rows[0].vs_native, 1.0);
  EXPECT_EQ(rows[1].runtime, "wasmedge-interp");
  EXPECT_EQ(rows[1].n, 1u) << "failed invocations are left out";
  EXPECT_DOUBLE_EQ(rows[1].io_ser_ns, 3000.0);
  EXPECT_DOUBLE_EQ(rows[1].vs_native, 6.0);
  EXPECT_DOUBLE_EQ(rows[1].vs_aot, 5.0);
  EXPECT_EQ(rows[2].runtime, "wasmedge-aot");
  EXPECT_DOUBLE_EQ(rows[2].io_ser_ns, 600.0);
  auto text = report::format_io_view(rows);
  EXPECT_NE(text.find("6.00x"), std::string::npos) << text;
  EXPECT_NE(text.find("wasmedge-interp"), std::string::npos);
}

// Tests cell grouping, ordering, counting and the text/CSV forms of lumos::report summaries.
#include "lumos/report/summary.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::report {
namespace {

using std::chrono::nanoseconds;
using telemetry::Invocation;

Invocation make(std::string function, std::string runtime, std::string mode, std::string input, bool ok,
                std::int64_t e2e_ns, std::string exec_mode = "native", telemetry::PhaseTimes phases = {}) {
  Invocation inv;
  inv.function = std::move(function);
  inv.runtime = std::move(runtime);
  inv.mode = telemetry::parse_mode(mode).value();
  inv.input = std::move(input);
  inv.ok = ok;
  if (!ok) inv.set_error(Error{ErrorCode::kTimeout, "no response within 5 s"});
  inv.exec_mode = std::move(exec_mode);
  inv.e2e = nanoseconds(e2e_ns);
  inv.phases = std::move(phases);
  return inv;
}

std::string key_of(const SummaryRow& r) { return r.function + "/" + r.runtime + "/" + r.mode + "/" + r.input; }

// The fixed data set behind tests/data/stats/summary_table.golden (deliberately unordered).
std::vector<Invocation> golden_invocations() {
  std::vector<Invocation> invs;
  for (std::int64_t ns : {1200000000, 1250000000, 1310000000}) {
    invs.push_back(make("fibonacci", "wasmedge-interp", "warm", "n20", true, ns, "interpreter"));
  }
  invs.push_back(make("hello", "runc", "cold", "default", false, 5000000000, ""));
  invs.push_back(make("hello", "runc", "cold", "default", false, 5000000000, ""));
  for (std::int64_t ns : {412345, 398001, 405500, 420010, 401200, 399999, 415000}) {
    invs.push_back(make("fibonacci", "native", "cold", "n20", true, ns, "native",
                        {{"spawn", nanoseconds(ns / 2)}, {"compute", nanoseconds(ns / 4)}}));
  }
  for (std::int64_t ns : {8100000, 9500000, 8740000, 8890000, 9020000, 8655000}) {
    invs.push_back(make("fibonacci", "wasmedge-aot", "cold", "n20", true, ns, "aot"));
  }
  invs.push_back(make("fibonacci", "wasmedge-aot", "cold", "n20", false, 5000000000, "unknown"));
  for (std::int64_t ns : {990, 1010, 999, 1003, 1000, 995}) {
    invs.push_back(make("hello", "native", "warm", "default", true, ns));
  }
  for (std::int64_t ns : {12000, 12500, 12250, 13500, 12100, 12900, 12050, 12300, 12700, 12450}) {
    invs.push_back(make("fibonacci", "native", "warm", "n20", true, ns));
  }
  for (std::int64_t ns : {61000, 59000, 60500, 60000, 58800, 62000}) {
    invs.push_back(make("fibonacci", "native", "cold", "n10", true, ns));
  }
  int k = 0;
  for (std::int64_t ns : {7300000, 7100000, 7900000, 7450000, 7020000, 7610000}) {
    invs.push_back(make("hello", "my-engine", "cold", "default", true, ns, k++ % 2 == 0 ? "interpreter" : "aot"));
  }
  return invs;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Summarize, GroupsByFunctionRuntimeModeAndInput) {
  const std::vector<Invocation> invs = {
      make("f", "native", "cold", "a", true, 10), make("f", "native", "cold", "a", true, 30),
      make("f", "native", "cold", "b", true, 20), make("f", "native", "warm", "a", true, 40),
      make("f", "runc", "cold", "a", true, 50),   make("g", "native", "cold", "a", true, 60),
  };
  const auto rows = summarize(invs);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(key_of(rows[0]), "f/native/cold/a");
  EXPECT_EQ(rows[0].n, 2u);
  EXPECT_EQ(rows[0].median_ns, 20.0);
  EXPECT_EQ(rows[1].n, 1u);
  EXPECT_EQ(rows[1].median_ns, 20.0);
}

TEST(Summarize, OrdersByFunctionThenKnownRuntimesThenModeThenInput) {
  std::vector<Invocation> invs;
  for (const char* rt : {"zeta", "wasmedge-aot", "alpha", "runc", "wasmedge-interp", "podman", "native"}) {
    invs.push_back(make("f", rt, "cold", "x", true, 1));
  }
  for (const char* mode : {"warm", "instance", "cold"}) {
    invs.push_back(make("e", "native", mode, "x", true, 1));
  }
  invs.push_back(make("e", "native", "cold", "b", true, 1));
  invs.push_back(make("e", "native", "cold", "a", true, 1));
  std::vector<std::string> keys;
  for (const auto& r : summarize(invs)) keys.push_back(key_of(r));
  const std::vector<std::string> expected = {
      "e/native/cold/a",          "e/native/cold/b",       "e/native/cold/x", "e/native/warm/x",
      "e/native/instance/x",      "f/native/cold/x",       "f/runc/cold/x",   "f/podman/cold/x",
      "f/wasmedge-interp/cold/x", "f/wasmedge-aot/cold/x", "f/alpha/cold/x",  "f/zeta/cold/x",
  };
  EXPECT_EQ(keys, expected);
}

TEST(Summarize, FailedInvocationsCountInNButNotInStatistics) {
  const std::vector<Invocation> invs = {
      make("f", "native", "cold", "a", true, 100), make("f", "native", "cold", "a", false, 1000000000),
      make("f", "native", "cold", "a", true, 300), make("f", "native", "cold", "a", false, 2000000000),
      make("f", "native", "cold", "a", true, 200),
  };
  const auto rows = summarize(invs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].n, 5u);
  EXPECT_EQ(rows[0].n_ok, 3u);
  EXPECT_EQ(rows[0].median_ns, 200.0);
  EXPECT_DOUBLE_EQ(rows[0].p95_ns, 290.0);  // h = 2 * 0.95 = 1.9: 200 + 0.9 * 100
  EXPECT_DOUBLE_EQ(rows[0].p99_ns, 298.0);
  EXPECT_EQ(rows[0].median_ci_ns.low, 100.0);  // n = 3: full range, below 95%
  EXPECT_EQ(rows[0].median_ci_ns.high, 300.0);
  EXPECT_FALSE(rows[0].median_ci_ns.meets_level);
}

TEST(Summarize, CellWithoutOkInvocationsHasNanTimes) {
  const auto rows =
      summarize({make("f", "runc", "cold", "a", false, 5, ""), make("f", "runc", "cold", "a", false, 7, "")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].n, 2u);
  EXPECT_EQ(rows[0].n_ok, 0u);
  EXPECT_TRUE(std::isnan(rows[0].median_ns));
  EXPECT_TRUE(std::isnan(rows[0].p99_ns));
  EXPECT_TRUE(std::isnan(rows[0].median_ci_ns.low));
  EXPECT_TRUE(rows[0].phase_median_ns.empty());
  EXPECT_EQ(rows[0].exec_modes, "");
}

TEST(Summarize, PhaseMediansUseOkInvocationsThatRecordedThePhase) {
  const std::vector<Invocation> invs = {
      make("f", "native", "cold", "a", true, 10, "native", {{"spawn", nanoseconds(4)}, {"compute", nanoseconds(1)}}),
      make("f", "native", "cold", "a", true, 10, "native", {{"spawn", nanoseconds(6)}, {"compute", nanoseconds(3)}}),
      make("f", "native", "cold", "a", true, 10, "native", {{"spawn", nanoseconds(8)}}),
      make("f", "native", "cold", "a", false, 10, "native",
           {{"spawn", nanoseconds(1000)}, {"load", nanoseconds(1000)}}),
  };
  const auto rows = summarize(invs);
  ASSERT_EQ(rows.size(), 1u);
  const std::map<std::string, double> expected = {{"compute", 2.0}, {"spawn", 6.0}};
  EXPECT_EQ(rows[0].phase_median_ns, expected);
}

TEST(Summarize, ExecModesAreDistinctSortedAndCommaJoined) {
  const auto rows = summarize({make("f", "x", "cold", "a", true, 1, "interpreter"),
                               make("f", "x", "cold", "a", true, 1, "aot"), make("f", "x", "cold", "a", true, 1, "aot"),
                               make("f", "x", "cold", "a", false, 1, ""), make("f", "y", "cold", "a", true, 1, "aot")});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].exec_modes, "aot,interpreter");
  EXPECT_EQ(rows[1].exec_modes, "aot");
}

TEST(Summarize, NoInvocationsGiveNoRows) { EXPECT_TRUE(summarize(std::vector<Invocation>{}).empty()); }

TEST(StartLevels, PairTheColdAndInstanceStartsOfAConfiguration) {
  using P = telemetry::PhaseTimes;
  std::vector<Invocation> invs;
  for (int i = 0; i < 3; ++i) {
    invs.push_back(make("hello", "wasmedge-aot", "cold", "small", true, 20'000'000, "aot",
                        P{{"sandbox_start", nanoseconds(5'000'000)}, {"load", nanoseconds(10'000'000)}}));
    invs.push_back(make("hello", "wasmedge-aot", "instance", "small", true, 150'000, "aot",
                        P{{"wasi_setup", nanoseconds(30'000)}, {"instantiate", nanoseconds(50'000)}}));
    invs.push_back(make("hello", "wasmedge-aot", "warm", "small", true, 20'000, "aot"));
    invs.push_back(make("hello", "runc", "cold", "small", true, 25'000'000, "native",
                        P{{"sandbox_start", nanoseconds(24'000'000)}}));
    invs.push_back(make("hello", "native", "warm", "small", true, 15'000));  // no start level: no row
  }
  const auto rows = start_levels_view(invs);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].runtime, "runc");
  EXPECT_DOUBLE_EQ(rows[0].process_start_ns, 24e6);
  EXPECT_TRUE(std::isnan(rows[0].instance_start_ns));
  EXPECT_EQ(rows[1].runtime, "wasmedge-aot");
  EXPECT_DOUBLE_EQ(rows[1].process_start_ns, 15e6);
  EXPECT_DOUBLE_EQ(rows[1].instance_start_ns, 80e3);
  EXPECT_DOUBLE_EQ(rows[1].instance_e2e_ns, 150e3);
  EXPECT_DOUBLE_EQ(rows[1].warm_e2e_ns, 20e3);
  const std::string text = format_start_levels(rows, {"runc: why not"});
  EXPECT_NE(text.find("188x"), std::string::npos) << text;  // 15 ms / 80 us
  EXPECT_NE(text.find("instance: not applicable on runc: why not"), std::string::npos) << text;
}

TEST(SummaryTable, MatchesGoldenFile) {
  const std::string golden = read_file(std::string(LUMOS_TEST_DATA_DIR) + "/stats/summary_table.golden");
  EXPECT_EQ(format_summary_table(summarize(golden_invocations())), golden);
}

TEST(SummaryTable, ShowsDashesForCellsWithoutOkInvocations) {
  const std::string table = format_summary_table(summarize({make("f", "runc", "cold", "a", false, 5, "")}));
  EXPECT_NE(table.find("f         runc     cold  a       0/1       -    -    -  -"), std::string::npos) << table;
  EXPECT_EQ(table.find("ns"), std::string::npos) << table;
}

TEST(SummaryTable, UsesAdaptiveUnitsWithThreeSignificantDigits) {
  const std::vector<std::pair<double, std::string>> cases = {
      {45.67, "45.7 ns"},    {999.0, "999 ns"},       {999.5, "1.00 us"}, {1234.0, "1.23 us"}, {99960.0, "100 us"},
      {999700.0, "1.00 ms"}, {12345678.0, "12.3 ms"}, {2.5e9, "2.50 s"},  {7.0, "7.00 ns"},
  };
  for (const auto& [ns, text] : cases) {
    SummaryRow row;
    row.function = "f";
    row.n = row.n_ok = 1;
    row.median_ns = row.p95_ns = row.p99_ns = ns;
    row.median_ci_ns = stats::median_ci({ns});
    const std::string table = format_summary_table({row});
    const std::string line = table.substr(table.find('\n', table.find('\n') + 1) + 1);  // row 1
    EXPECT_NE(line.find("  " + text + "  " + text + "  " + text + "  [" + text + ", " + text + "]*"), std::string::npos)
        << ns << " ns should print as " << text << ":\n"
        << table;
  }
}

TEST(SummaryTable, NoRowsGiveHeaderAndRuleOnly) {
  EXPECT_EQ(format_summary_table({}),
            "function  runtime  mode  input  ok/n  median  p95  p99  median 95% CI  exec\n"
            "--------  -------  ----  -----  ----  ------  ---  ---  -------------  ----\n");
}

TEST(SummaryCsv, WritesNanosecondsQuotesListsAndLeavesUndefinedEmpty) {
  std::vector<Invocation> invs;
  for (std::int64_t ns : {100, 300, 200, 400, 500, 600}) {
    invs.push_back(make("f", "wasmedge-aot", "cold", "a", true, ns, ns % 200 ? "aot" : "interpreter",
                        {{"load", nanoseconds(ns / 10)}}));
  }
  invs.push_back(make("f", "runc", "cold", "a", false, 9, ""));
  const std::string expected =
      "function,runtime,mode,input,profile,n,n_ok,n_contaminated,median_ns,p95_ns,p99_ns,median_ci_low_ns,"
      "median_ci_high_ns,median_ci_level,median_ci_achieved_level,median_ci_meets_level,"
      "exec_modes,phase_load_median_ns\n"
      "f,runc,cold,a,cloud,1,0,0,,,,,,0.95,,,,\n"
      "f,wasmedge-aot,cold,a,cloud,6,6,0,350,575,595,100,600,0.95,0.96875,true,\"aot,interpreter\",35\n";
  EXPECT_EQ(format_summary_csv(summarize(invs)), expected);
}

}  // namespace
TEST(FloorView, WarmCellsAreMultiplesOfTheFloorWithTheSameInputAndPlacement) {
  std::vector<Invocation> invs;
  auto add = [&](std::string runtime, std::string input, std::int64_t e2e, telemetry::Placement placement) {
    for (int i = 0; i < 5; ++i) {
      Invocation inv = make("hello", runtime, "warm", input, true, e2e + i, runtime == "floor" ? "none" : "native",
                            {{"invoke", nanoseconds(e2e + i)}});
      inv.placement = placement;
      invs.push_back(inv);
    }
  };
  const auto same = telemetry::Placement::kSameCpu, cross = telemetry::Placement::kCrossCpu;
  add("floor", "small", 10'000, same);
  add("native", "small", 15'000, same);
  add("wasmedge-aot", "small", 25'000, same);
  add("native", "large", 40'000, same);   // no floor for this input: no row
  add("native", "small", 60'000, cross);  // no cross-cpu floor: no row
  const auto rows = floor_view(invs);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].runtime, "native");
  EXPECT_NEAR(rows[0].multiple(), 15'002.0 / 10'002.0, 1e-9);
  EXPECT_EQ(rows[1].runtime, "wasmedge-aot");
  EXPECT_NEAR(rows[1].multiple(), 2.5, 0.01);
  EXPECT_EQ(rows[1].n_floor, 5u);
  const std::string text = format_floor_view(rows);
  EXPECT_NE(text.find("1.50x"), std::string::npos) << text;
  EXPECT_NE(text.find("same-cpu"), std::string::npos) << text;
}

}  // namespace lumos::report

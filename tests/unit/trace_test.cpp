// Checks the trace module: CSV parsing and writing, stable sorting, time scaling, the Azure
// converter (counts per minute kept exactly, seeded spread) and the synthetic generator.
// Over 400 lines on purpose: one module's tests, sharing its fixtures.
#include "lumos/trace/trace.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::trace {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kData = std::string(LUMOS_TEST_DATA_DIR) + "/traces/";
const std::string kAzure = kData + "azure_sample.csv";
// HashFunction prefixes of azure_sample.csv (see tests/data/traces/README.md).
const std::string kBusyQueue = "d81e969a32f1";  // 175 invocations
const std::string kEvent = "e158ab4029a5";      // 55
const std::string kHttp = "269134c19bf0";       // 36
const std::string kTimer = "8cfd92d31151";      // 10 + 3 in two rows

const std::vector<std::uint64_t> kBusyQueueCounts = {20, 15, 30, 25, 10, 12, 18, 22, 9, 14};

/// Events per whole minute of a trace.
std::vector<std::uint64_t> per_minute(const std::vector<TraceEvent>& events, std::size_t minutes) {
  std::vector<std::uint64_t> counts(minutes, 0);
  for (const auto& e : events) {
    const auto m = static_cast<std::size_t>(e.at / 1min);
    if (m < minutes)
      ++counts[m];
    else
      ADD_FAILURE() << "event at " << e.at.count() << " ns is past minute " << minutes;
  }
  return counts;
}

bool sorted(const std::vector<TraceEvent>& events) {
  return std::is_sorted(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("lumos_trace_test_" + std::to_string(::getpid()) + "_" + name);
}

// --- parsing ---------------------------------------------------------------------------

TEST(TraceParse, ReadsAGoodFileSortedStablyWithSpacesCommentsAndBlankLines) {
  auto events = load_trace(kData + "good_unsorted.csv");
  ASSERT_TRUE(events) << events.error().to_string();
  const std::vector<TraceEvent> expected = {
      {500us, "prime-numbers", "n1e4"}, {250ms, "fibonacci", "small"},  // tie at 250 ms: file order kept
      {250ms, "hello", "medium"},       {1000ms, "hello", "small"},    {1500ms + 1ns, "fibonacci", "large"},
  };
  EXPECT_EQ(*events, expected);
}

TEST(TraceParse, AcceptsCrlfLineEnds) {
  auto events = load_trace(kData + "good_crlf.csv");
  ASSERT_TRUE(events) << events.error().to_string();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1], (TraceEvent{12250us, "fibonacci", "small"}));
}

TEST(TraceParse, BadFilesNameFileLineAndProblem) {
  struct Case {
    std::string file;
    std::string line;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{{"bad_header.csv", ":1:", "expected the header 'offset_ms,function,input'"},
                                         {"bad_fields.csv", ":3:", "2 fields, expected 3"},
                                         {"bad_offset.csv", ":4:", "'2.5s' is not a decimal number of milliseconds"}}) {
    auto events = load_trace(kData + c.file);
    ASSERT_FALSE(events) << c.file;
    EXPECT_EQ(events.error().code, ErrorCode::kConfig) << c.file;
    EXPECT_NE(events.error().message.find(c.file + c.line), std::string::npos) << events.error().message;
    EXPECT_NE(events.error().message.find(c.says), std::string::npos) << events.error().message;
  }
}

TEST(TraceParse, RejectsNegativeOffsetsEmptyNamesAndMissingHeader) {
  const std::string h = "offset_ms,function,input\n";
  EXPECT_NE(parse_trace(h + "-1,hello,small\n", "t").error().message.find("t:2: negative offset"), std::string::npos);
  EXPECT_NE(parse_trace(h + "1,,small\n", "t").error().message.find("t:2: empty function name"), std::string::npos);
  EXPECT_NE(parse_trace(h + "1,hello,\n", "t").error().message.find("t:2: empty input name"), std::string::npos);
  EXPECT_NE(parse_trace(h + "1.,hello,small\n", "t").error().message.find("not a decimal"), std::string::npos);
  EXPECT_NE(parse_trace(h + "1e3,hello,small\n", "t").error().message.find("not a decimal"), std::string::npos);
  EXPECT_NE(parse_trace(h + "1,\"hello\",small\n", "t").error().message.find("t:2: quotes"), std::string::npos);
  EXPECT_NE(parse_trace("# only a comment\n", "t").error().message.find("t: empty trace"), std::string::npos);
  EXPECT_NE(parse_trace("HashOwner,HashApp,HashFunction,Trigger,1\n", "t").error().message.find("lumos trace convert"),
            std::string::npos);
}

TEST(TraceParse, HeaderOnlyIsAnEmptyTrace) {
  auto events = parse_trace("offset_ms,function,input\n", "t");
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
}

TEST(TraceParse, OffsetsAreExactToTheNanosecondAndRoundBeyond) {
  auto events = parse_trace("offset_ms,function,input\n0.000001,a,x\n0.0000015,a,y\n123456.789012,a,z\n", "t");
  ASSERT_TRUE(events) << events.error().to_string();
  EXPECT_EQ((*events)[0].at, 1ns);
  EXPECT_EQ((*events)[1].at, 2ns);
  EXPECT_EQ((*events)[2].at, 123456789012ns);
}

// --- writing ---------------------------------------------------------------------------

TEST(TraceWrite, RoundTripsExactly) {
  const std::vector<TraceEvent> events = {{0ns, "hello", "small"},
                                          {1ns, "fibonacci", "small"},
                                          {1500us, "prime-numbers", "n2.5e6"},
                                          {3600s + 7ns, "a", "b"}};
  auto text = format_trace(events);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "offset_ms,function,input\n0,hello,small\n0.000001,fibonacci,small\n1.5,prime-numbers,n2.5e6\n"
            "3600000.000007,a,b\n");
  const auto path = temp_file("roundtrip.csv");
  ASSERT_TRUE(write_trace(path, events));
  auto back = load_trace(path);
  fs::remove(path);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, events);
}

TEST(TraceWrite, RejectsNamesTheFormatCannotHold) {
  EXPECT_FALSE(format_trace({{0ns, "a,b", "small"}}));
  EXPECT_FALSE(format_trace({{0ns, "hello", ""}}));
  EXPECT_FALSE(format_trace({{-1ns, "hello", "small"}}));
  auto w = write_trace("/nonexistent-dir/x.csv", {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kIo);
}

// --- time scaling and summary ----------------------------------------------------------

TEST(TraceTimeScale, MultipliesOffsetsAndKeepsOrder) {
  const std::vector<TraceEvent> events = {{0ns, "a", "x"}, {1s, "b", "x"}, {3s, "a", "y"}, {3s + 1ns, "c", "x"}};
  const auto fast = time_scale(events, 0.5);
  ASSERT_EQ(fast.size(), events.size());
  EXPECT_EQ(fast[1].at, 500ms);
  EXPECT_EQ(fast[2].at, 1500ms);
  EXPECT_EQ(fast[3].at, 1500ms + 1ns);  // 1500000000.5 ns: rounded half away from zero
  EXPECT_EQ(fast[3].function, "c");
  const auto slow = time_scale(events, 2.0);
  EXPECT_EQ(slow[3].at, 6s + 2ns);
  EXPECT_EQ(time_scale(events, 1.0), events);
}

TEST(TraceSummary, CountsDurationRateAndPerFunction) {
  const std::vector<TraceEvent> events = {
      {100ms, "a", "x"}, {200ms, "b", "x"}, {300ms, "a", "x"}, {1500ms, "a", "y"}, {4s, "a", "x"}};
  const auto s = summarize_trace(events);
  EXPECT_EQ(s.events, 5u);
  EXPECT_EQ(s.first, 100ms);
  EXPECT_EQ(s.duration, 4s);
  EXPECT_DOUBLE_EQ(s.mean_rate_per_s, 5.0 / 4.0);
  EXPECT_EQ(s.peak_events_per_s, 3u);
  ASSERT_EQ(s.functions.size(), 3u);
  EXPECT_EQ(s.functions[0].function, "a");
  EXPECT_EQ(s.functions[0].input, "x");
  EXPECT_EQ(s.functions[0].events, 3u);
  EXPECT_EQ(summarize_trace({}).events, 0u);
}

// --- Azure -----------------------------------------------------------------------------

AzureOptions top3() {
  AzureOptions o;
  o.top = 3;
  o.top_targets = {{"fibonacci", "small"}, {"hello", "small"}, {"prime-numbers", "small"}};
  o.seed = 42;
  return o;
}

TEST(AzureConvert, TopNPicksBusiestAndKeepsEveryMinuteCountExactly) {
  auto conv = convert_azure_file(kAzure, top3());
  ASSERT_TRUE(conv) << conv.error().to_string();
  ASSERT_EQ(conv->selected.size(), 3u);
  EXPECT_TRUE(conv->selected[0].hash_function.starts_with(kBusyQueue));
  EXPECT_TRUE(conv->selected[1].hash_function.starts_with(kEvent));
  EXPECT_TRUE(conv->selected[2].hash_function.starts_with(kHttp));
  EXPECT_EQ(conv->selected[0].trigger, "queue");
  EXPECT_EQ(conv->selected[0].per_minute, kBusyQueueCounts);
  EXPECT_EQ(conv->events.size(), 175u + 55u + 36u);
  EXPECT_TRUE(sorted(conv->events));

  std::map<std::string, std::vector<TraceEvent>> by_function;
  for (const auto& e : conv->events) by_function[e.function].push_back(e);
  EXPECT_EQ(per_minute(by_function["fibonacci"], 10), kBusyQueueCounts);
  EXPECT_EQ(per_minute(by_function["hello"], 10), (std::vector<std::uint64_t>{2, 0, 0, 0, 50, 0, 0, 0, 0, 3}));
  EXPECT_EQ(per_minute(by_function["prime-numbers"], 10), (std::vector<std::uint64_t>{5, 3, 0, 8, 2, 4, 6, 1, 0, 7}));
  for (const auto& e : conv->events) EXPECT_EQ(e.at.count() % 1000, 0) << "offsets are whole microseconds";
}

TEST(AzureConvert, MinuteRangeStartsAtOffsetZero) {
  auto o = top3();
  o.top = 1;
  o.top_targets = {{"fibonacci", "small"}};
  o.from_minute = 7;
  o.minutes = 3;
  auto conv = convert_azure_file(kAzure, o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  EXPECT_TRUE(conv->selected[0].hash_function.starts_with(kBusyQueue));
  EXPECT_EQ(per_minute(conv->events, 3), (std::vector<std::uint64_t>{18, 22, 9}));
}

TEST(AzureConvert, TopRanksWithinTheMinuteRange) {
  auto o = top3();
  o.top = 1;
  o.top_targets = {{"hello", "small"}};
  o.from_minute = 5;
  o.minutes = 1;  // minute 5: the event function (50) beats the queue (10)
  auto conv = convert_azure_file(kAzure, o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  EXPECT_TRUE(conv->selected[0].hash_function.starts_with(kEvent));
  EXPECT_EQ(conv->events.size(), 50u);
}

TEST(AzureConvert, MapByPrefixMergesRowsOfOneHashAndExcludesItFromTop) {
  AzureOptions o;
  o.map = {{kTimer, {"hello", "small"}}};
  o.top = 1;
  o.top_targets = {{"fibonacci", "small"}};
  auto conv = convert_azure_file(kAzure, o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  ASSERT_EQ(conv->selected.size(), 2u);
  EXPECT_EQ(conv->selected[0].per_minute, (std::vector<std::uint64_t>{1, 3, 1, 1, 1, 1, 1, 1, 1, 2}));
  EXPECT_TRUE(conv->selected[1].hash_function.starts_with(kBusyQueue));
  EXPECT_EQ(conv->events.size(), 13u + 175u);
}

TEST(AzureConvert, TopTargetsAreReusedInTurn) {
  auto o = top3();
  o.top_targets = {{"fibonacci", "small"}, {"hello", "small"}};
  auto conv = convert_azure_file(kAzure, o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  EXPECT_EQ(conv->selected[2].target.function, "fibonacci");
}

TEST(AzureConvert, EvenSpreadIsEvenlySpacedInsideEachMinute) {
  AzureOptions o;
  o.map = {{kHttp, {"hello", "small"}}};
  o.spread = Spread::kEven;
  o.minutes = 1;  // 5 invocations in minute 1: at 6, 18, 30, 42, 54 s
  auto conv = convert_azure_file(kAzure, o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  ASSERT_EQ(conv->events.size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(conv->events[k].at, 6s + 12s * static_cast<int>(k));
}

TEST(AzureConvert, SameSeedSameTraceOtherSeedOtherTrace) {
  auto a = convert_azure_file(kAzure, top3());
  auto b = convert_azure_file(kAzure, top3());
  auto o = top3();
  o.seed = 43;
  auto c = convert_azure_file(kAzure, o);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->events, b->events);
  EXPECT_NE(a->events, c->events);
  EXPECT_EQ(a->events.size(), c->events.size());
}

TEST(AzureConvert, UserErrorsSayWhatToDo) {
  auto expect_usage = [](const AzureOptions& o, const std::string& says) {
    auto conv = convert_azure_file(kAzure, o);
    ASSERT_FALSE(conv) << says;
    EXPECT_EQ(conv.error().code, ErrorCode::kUsage) << conv.error().message;
    EXPECT_NE(conv.error().message.find(says), std::string::npos) << conv.error().message;
  };
  expect_usage(AzureOptions{}, "nothing selected");
  AzureOptions o;
  o.map = {{"269134c1", {"hello", "small"}}};
  expect_usage(o, "give more characters");
  o.map = {{"ffff", {"hello", "small"}}};
  expect_usage(o, "no HashFunction");
  o.map = {{"26", {"hello", "small"}}, {"2691", {"fibonacci", "small"}}};
  expect_usage(o, "both select");
  o = top3();
  o.top = 7;  // only 6 rows have invocations
  expect_usage(o, "only 6 other functions");
  o = top3();
  o.top_targets.clear();
  expect_usage(o, "needs --functions");
  o = top3();
  o.top = 0;
  expect_usage(o, "add --top N");
  o = top3();
  o.from_minute = 11;
  expect_usage(o, "has minutes 1..10");
  o = top3();
  o.from_minute = 8;
  o.minutes = 4;
  expect_usage(o, "goes past minute 10");
}

TEST(AzureConvert, MalformedFilesNameTheLine) {
  const std::string header = "HashOwner,HashApp,HashFunction,Trigger,1,2\n";
  auto conv = convert_azure_text(header + "o,a,f,http,1,x\n", "az", top3());
  ASSERT_FALSE(conv);
  EXPECT_NE(conv.error().message.find("az:2: minute 2: 'x'"), std::string::npos) << conv.error().message;
  conv = convert_azure_text(header + "o,a,f,http,1\n", "az", top3());
  EXPECT_NE(conv.error().message.find("az:2: 5 fields, the header has 6"), std::string::npos);
  conv = convert_azure_text("HashOwner,HashApp,HashFunction,Trigger,1,3\n", "az", top3());
  EXPECT_NE(conv.error().message.find("az:1: column 6 is '3', expected minute 2"), std::string::npos);
  conv = convert_azure_text("offset_ms,function,input\n", "az", top3());
  EXPECT_NE(conv.error().message.find("already a lumos trace"), std::string::npos);
  EXPECT_EQ(convert_azure_file(kData + "missing.csv", top3()).error().code, ErrorCode::kIo);
}

TEST(AzureConvert, TextAndFileAgree) {
  auto o = top3();
  auto from_file = convert_azure(kAzure, o);
  ASSERT_TRUE(from_file);
  const std::string text = "HashOwner,HashApp,HashFunction,Trigger,1,2\r\no,a,f,http,3,4\r\n";
  o.top = 1;
  o.top_targets = {{"hello", "small"}};
  auto conv = convert_azure_text(text, "crlf", o);
  ASSERT_TRUE(conv) << conv.error().to_string();
  EXPECT_EQ(per_minute(conv->events, 2), (std::vector<std::uint64_t>{3, 4}));
}

// --- synthetic -------------------------------------------------------------------------

TEST(Synthetic, SameSeedSameTraceOtherSeedOtherTrace) {
  SyntheticOptions o;
  auto a = generate_synthetic(o);
  auto b = generate_synthetic(o);
  o.seed = 2;
  auto c = generate_synthetic(o);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_TRUE(sorted(*a));
  for (const auto& e : *a) {
    EXPECT_GE(e.at, 0ns);
    EXPECT_LT(e.at, o.duration);
    EXPECT_EQ(e.at.count() % 1000, 0);
  }
}

TEST(Synthetic, MeanRatePerFunctionWithinTolerance) {
  // Without bursts, over whole periods the expected count is rate * duration. 3600 s at
  // 1, 2 and 0.5 /s: standard deviations 60, 85, 42; allow 5% (about 3 sd).
  SyntheticOptions o;
  o.functions = {{{"a", "x"}, 1.0}, {{"b", "x"}, 2.0}, {{"c", "x"}, 0.5}};
  o.duration = 3600s;
  o.period = 60s;
  o.amplitude = 0.8;
  o.bursts_per_minute = 0;
  for (std::uint64_t seed : {1, 2, 3}) {
    o.seed = seed;
    auto events = generate_synthetic(o);
    ASSERT_TRUE(events);
    std::map<std::string, double> counts;
    for (const auto& e : *events) ++counts[e.function];
    for (const auto& f : o.functions) {
      const double expected = f.rate_per_s * 3600;
      EXPECT_NEAR(counts[f.target.function], expected, 0.05 * expected) << f.target.function << " seed " << seed;
    }
  }
}

TEST(Synthetic, RateFollowsTheSine) {
  // One function (phase 0): rate 1 + 0.8 sin(2 pi t / 60 s). The first half of each period
  // expects (1 + 0.8 * 2 / pi) / (1 - 0.8 * 2 / pi) = 3.1 times the events of the second.
  SyntheticOptions o;
  o.functions = {{{"a", "x"}, 2.0}};
  o.duration = 3600s;
  o.amplitude = 0.8;
  o.bursts_per_minute = 0;
  auto events = generate_synthetic(o);
  ASSERT_TRUE(events);
  double high = 0, low = 0;
  for (const auto& e : *events) (e.at % 60s < 30s ? high : low) += 1;
  const double ratio = (1 + 0.8 * 2 / std::numbers::pi) / (1 - 0.8 * 2 / std::numbers::pi);
  EXPECT_NEAR(high / low, ratio, 0.15 * ratio);
}

TEST(Synthetic, BurstsAddAboutTheDocumentedExtra) {
  // Expected extra per function: rate * duration * (factor - 1) * bursts/s * length / n.
  SyntheticOptions o;
  o.functions = {{{"a", "x"}, 1.0}, {{"b", "x"}, 1.0}};
  o.duration = 3600s;
  o.amplitude = 0;
  o.bursts_per_minute = 2;
  o.burst_length = 5s;
  o.burst_factor = 4;
  const double base = 2 * 3600.0;
  const double extra = 2 * 3600.0 * 3 * (2.0 / 60) * 5 / 2;  // 1800 (overlaps make it a bit less)
  double total = 0;
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    o.seed = seed;
    auto events = generate_synthetic(o);
    ASSERT_TRUE(events);
    total += static_cast<double>(events->size());
  }
  EXPECT_NEAR(total / 4, base + extra, 0.1 * (base + extra));
}

TEST(Synthetic, DefaultsAreHelloFibonacciPrimeNumbersSmall) {
  auto events = generate_synthetic(SyntheticOptions{});
  ASSERT_TRUE(events);
  std::map<std::string, std::size_t> counts;
  for (const auto& e : *events) {
    ++counts[e.function];
    EXPECT_EQ(e.input, "small");
  }
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_GT(counts["hello"], counts["prime-numbers"]);
  EXPECT_GT(events->size(), 200u);
  EXPECT_LT(events->size(), 800u);
}

TEST(Synthetic, RejectsOptionsOutOfRange) {
  SyntheticOptions o;
  o.amplitude = 1.5;
  EXPECT_EQ(generate_synthetic(o).error().code, ErrorCode::kUsage);
  o = SyntheticOptions{};
  o.functions = {{{"a", "x"}, 0.0}};
  EXPECT_EQ(generate_synthetic(o).error().code, ErrorCode::kUsage);
  o = SyntheticOptions{};
  o.duration = 0s;
  EXPECT_EQ(generate_synthetic(o).error().code, ErrorCode::kUsage);
  o = SyntheticOptions{};
  o.burst_factor = 0.5;
  EXPECT_EQ(generate_synthetic(o).error().code, ErrorCode::kUsage);
}

TEST(FunctionTarget, ParsesNameAndOptionalInput) {
  EXPECT_EQ(parse_function_target("fibonacci:large", "small")->input, "large");
  EXPECT_EQ(parse_function_target("fibonacci", "small")->input, "small");
  EXPECT_FALSE(parse_function_target(":small", "small"));
  EXPECT_FALSE(parse_function_target("a:", "small"));
  EXPECT_FALSE(parse_function_target("a:b:c", "small"));
}

}  // namespace
}  // namespace lumos::trace

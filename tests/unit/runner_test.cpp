// The experiment loop on the scripted fake runtime: counts, ordering, and failures as data.
// Over 400 lines on purpose: one concept (the engine through its one entry point, run_plan),
// whose tests share the scripted runtime and plan builders.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "lumos/engine/pool.hpp"
#include "lumos/engine/runner.hpp"
#include "memory_sink.hpp"

using namespace lumos;
using namespace std::chrono_literals;

namespace {

using lumos::testing::MemorySink;

engine::RuntimeFactory real_factory() {
  return [](const std::string& name) { return runtime::make_runtime(name, runtime::ToolPaths{}); };
}

engine::InputCase input_case(std::string name, std::string request, std::optional<std::string> expected,
                             std::optional<std::string> sha256 = std::nullopt) {
  engine::InputCase c;
  c.name = std::move(name);
  c.request = std::move(request);
  c.expected = std::move(expected);
  c.expected_sha256 = std::move(sha256);
  return c;
}

engine::FunctionUnderTest fn(const std::string& name,
                             std::vector<std::tuple<std::string, std::string, std::string>> inputs) {
  engine::FunctionUnderTest f;
  f.name = name;
  for (auto& [n, req, exp] : inputs) {
    f.inputs.push_back(input_case(n, req, exp.empty() ? std::nullopt : std::optional(exp)));
  }
  return f;
}

// Sequential cells of `functions` on the fake runtime.
engine::RunPlan fake_plan(std::vector<engine::FunctionUnderTest> functions, std::vector<std::string> modes,
                          int repetitions) {
  engine::RunPlan plan;
  plan.functions = std::move(functions);
  plan.runtimes = {"fake"};
  plan.modes = std::move(modes);
  plan.repetitions = repetitions;
  return plan;
}

// A trace of `events` requests, 1 ms apart, to function a (input x) on one runtime.
engine::RunPlan trace_of_a(const std::string& runtime, int events) {
  engine::RunPlan plan;
  plan.functions = {fn("a", {{"x", "x", "x"}})};
  plan.runtimes = {runtime};
  engine::LoadSpec load;
  load.kind = lumos::telemetry::LoadKind::kTrace;
  for (int i = 0; i < events; ++i) load.trace.push_back({std::chrono::milliseconds(i), "a", "x"});
  plan.load = load;
  return plan;
}

}  // namespace

TEST(Runner, InstanceModeStartsANewInstancePerRequestInOneLiveSandbox) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "hi", "hi"}, {"boom", "crash", ""}})}, {"instance"}, 3);
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  ASSERT_EQ(sink.records.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& r = sink.records[i];
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.mode, lumos::telemetry::Mode::kInstance);
    EXPECT_TRUE(r.fresh_instance);
    // The instance's start comes with the response; the sandbox's own start is not the request's.
    EXPECT_EQ(r.phases.count("instantiate"), 1u);
    EXPECT_EQ(r.phases.count("sandbox_start"), 0u);
    EXPECT_FALSE(lumos::cells::contamination(r)) << *lumos::cells::contamination(r);
  }
  // A crash ends only the request's instance: each repetition fails as data, none is a transport error.
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_FALSE(sink.records[i].ok);
    EXPECT_EQ(sink.records[i].error_code, "function_error") << sink.records[i].error_text();
  }
}

TEST(Runner, ModesARuntimeDoesNotHaveAreListedAndNotRun) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "hi", "hi"}})}, {"cold", "instance"}, 2);
  plan.runtimes = {"fake", "runc", "wasmedge-aot-zygote"};
  const auto gaps = engine::not_applicable(plan);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].runtime, "runc");
  EXPECT_EQ(gaps[0].mode, lumos::telemetry::Mode::kInstance);
  EXPECT_NE(gaps[0].why.find("runc exec"), std::string::npos) << gaps[0].why;
  EXPECT_EQ(gaps[1].runtime, "wasmedge-aot-zygote");
  EXPECT_EQ(gaps[1].mode, lumos::telemetry::Mode::kCold);
  // fake cold + instance, runc cold, wasmedge-aot-zygote instance.
  EXPECT_EQ(engine::count_cells(plan), 4u);
  EXPECT_EQ(engine::expected_invocations(plan), 8u);
}

TEST(Runner, PlacementCpusComeFromTheThreadsAffinity) {
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  EXPECT_EQ(engine::placement_cpus(lumos::telemetry::Placement::kFree).client, -1);
  const auto same = engine::placement_cpus(lumos::telemetry::Placement::kSameCpu);
  EXPECT_EQ(same.placement, lumos::telemetry::Placement::kSameCpu);
  EXPECT_GE(same.client, 0);
  EXPECT_EQ(same.instance, same.client);
  // On one CPU there is no other to cross to: cross-cpu becomes same-cpu, and says so.
  ASSERT_TRUE(engine::pin_calling_thread(same.client));
  const auto lone = engine::placement_cpus(lumos::telemetry::Placement::kCrossCpu);
  EXPECT_EQ(lone.placement, lumos::telemetry::Placement::kSameCpu);
  EXPECT_EQ(lone.instance, same.client);
  ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
  if (CPU_COUNT(&saved) > 1) {
    const auto cross = engine::placement_cpus(lumos::telemetry::Placement::kCrossCpu);
    EXPECT_EQ(cross.placement, lumos::telemetry::Placement::kCrossCpu);
    EXPECT_NE(cross.instance, cross.client);
  }
}

TEST(Runner, EveryCellGetsItsRepetitionsInOrder) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "hi", "hi"}, {"b", "there", "there"}})}, {"cold", "warm"}, 3);
  MemorySink sink;
  std::vector<engine::CellReport> cells;
  auto totals = engine::run_plan(plan, real_factory(), sink, [&](const auto& c) { cells.push_back(c); });
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->invocations, 12u);
  EXPECT_EQ(totals->failed, 0u);
  ASSERT_EQ(sink.records.size(), 12u);
  EXPECT_EQ(sink.records[0].mode, lumos::telemetry::Mode::kCold);
  EXPECT_EQ(sink.records[3].mode, lumos::telemetry::Mode::kWarm);
  EXPECT_EQ(sink.records[6].input, "b");
  EXPECT_EQ(sink.records[2].rep, 2);
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[3].index, 4u);
  EXPECT_EQ(cells[3].count, 4u);
  for (const auto& r : sink.records) {
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.exec_mode, "native");
    EXPECT_EQ(r.phases.count("compute"), 1u);
  }
  // Cold records carry the start phases and an invoke phase; warm records only the latter.
  EXPECT_EQ(sink.records[0].phases.count("sandbox_start"), 1u);
  EXPECT_EQ(sink.records[0].phases.count("invoke"), 1u);
  EXPECT_EQ(sink.records[3].phases.count("sandbox_start"), 0u);
  // Warm CPU time is the delta of one request (the fake charges 100 us per request).
  ASSERT_TRUE(sink.records[3].cpu);
  EXPECT_EQ(*sink.records[3].cpu, 100us);
  EXPECT_EQ(sink.records[0].bytes_in, 2u);
  EXPECT_EQ(sink.records[0].bytes_out, 2u);
}

TEST(Runner, FailuresBecomeRecordsAndTheRunGoesOn) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"crash", "crash", ""},
                                                {"timeout", "timeout", ""},
                                                {"fail", "fail", ""},
                                                {"mismatch", "x", "y"},
                                                {"fine", "ok", "ok\n"}})},
                                   {"cold", "warm"}, 2);
  plan.warmup = 0;
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  ASSERT_EQ(sink.records.size(), 20u);
  EXPECT_EQ(totals->failed, 16u);
  auto error_of = [&](std::size_t i) { return sink.records[i].error_text(); };
  EXPECT_EQ(error_of(0).rfind("crashed:", 0), 0u) << error_of(0);
  EXPECT_EQ(error_of(3).rfind("crashed:", 0), 0u) << "warm instance restarted and crashed again";
  EXPECT_EQ(error_of(4).rfind("timeout:", 0), 0u) << error_of(4);
  EXPECT_EQ(error_of(8).rfind("function_error: asked to fail", 0), 0u) << error_of(8);
  EXPECT_EQ(error_of(12).rfind("output_mismatch: expected 'y', got 'x'", 0), 0u) << error_of(12);
  for (std::size_t i = 16; i < 20; ++i) EXPECT_TRUE(sink.records[i].ok) << "trailing newline is not a mismatch";
}

TEST(Runner, UnknownRuntimeAndFailedStartAreRecordedPerRepetition) {
  engine::RunPlan plan;
  plan.functions = {fn("start-fail", {{"a", "x", ""}})};
  plan.runtimes = {"no-such-runtime", "fake"};
  plan.modes = {"cold", "warm"};
  plan.repetitions = 2;
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  ASSERT_EQ(sink.records.size(), 8u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(sink.records[i].ok);
    EXPECT_NE(sink.records[i].error_text().find("unknown runtime 'no-such-runtime'"), std::string::npos);
  }
  for (std::size_t i = 4; i < 8; ++i) {
    EXPECT_FALSE(sink.records[i].ok);
    EXPECT_EQ(sink.records[i].error_text().rfind("spawn: fake start failure", 0), 0u) << sink.records[i].error_text();
  }
}

TEST(Runner, SinkFailureStopsTheRunWithAnError) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "x", "x"}})}, {"cold"}, 5);
  MemorySink sink;
  sink.fail_after_ = 2;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_FALSE(totals);
  EXPECT_EQ(totals.error().code, ErrorCode::kIo);
  EXPECT_EQ(sink.records.size(), 2u);
}

TEST(Runner, OutputMatchIgnoresOnlyTrailingWhitespace) {
  EXPECT_TRUE(engine::output_matches("6765\n", "6765"));
  EXPECT_TRUE(engine::output_matches("a b", "a b \r\n"));
  EXPECT_FALSE(engine::output_matches(" 6765", "6765"));
  EXPECT_FALSE(engine::output_matches("6766", "6765"));
}

TEST(Runner, Sha256ExpectationChecksTheExactBody) {
  // Reference: printf 'abc' | sha256sum
  EXPECT_EQ(engine::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  engine::RunPlan plan = fake_plan({fn("echo", {})}, {"cold"}, 1);
  plan.functions[0].inputs.push_back(input_case("good", "abc", std::nullopt, engine::sha256_hex("abc")));
  plan.functions[0].inputs.push_back(input_case("bad", "abd", std::nullopt, engine::sha256_hex("abc")));
  MemorySink sink;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), sink));
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_TRUE(sink.records[0].ok) << sink.records[0].error_text();
  EXPECT_FALSE(sink.records[1].ok);
  EXPECT_EQ(sink.records[1].error_text().rfind("output_mismatch: SHA-256", 0), 0u) << sink.records[1].error_text();
}

TEST(Runner, PerFunctionOverridesShapeTheCells) {
  engine::RunPlan plan;
  plan.functions = {fn("a", {{"x", "x", "x"}}), fn("b", {{"y", "y", "y"}})};
  plan.functions[1].modes = {"warm"};
  plan.functions[1].repetitions = 4;
  plan.runtimes = {"fake"};
  plan.modes = {"cold", "warm"};
  plan.repetitions = 2;
  EXPECT_EQ(engine::count_cells(plan), 3u);
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  EXPECT_EQ(sink.records.size(), 2u + 2u + 4u);
  EXPECT_EQ(sink.records.back().function, "b");
  EXPECT_EQ(sink.records.back().rep, 3);
}

TEST(Runner, TraceReplaySendsEveryEventToItsFunctionAndReportsUnknownOnes) {
  engine::RunPlan plan;
  plan.functions = {fn("a", {{"x", "x", "x"}}), fn("b", {{"y", "yy", "yy"}})};
  plan.runtimes = {"fake"};
  engine::LoadSpec load;
  load.kind = lumos::telemetry::LoadKind::kTrace;
  for (int i = 0; i < 6; ++i) {
    load.trace.push_back({std::chrono::milliseconds(2 * i), i % 2 ? "a" : "b", i % 2 ? "x" : "y"});
  }
  load.trace.push_back({std::chrono::milliseconds(13), "c", "z"});
  plan.load = load;
  EXPECT_EQ(engine::count_cells(plan), 1u);
  EXPECT_EQ(engine::expected_invocations(plan), 7u);
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  ASSERT_EQ(sink.records.size(), 7u);
  EXPECT_EQ(totals->failed, 1u);
  int cold = 0;
  for (const auto& r : sink.records) {
    EXPECT_EQ(r.load, lumos::telemetry::LoadKind::kTrace);
    if (r.function == "c") {
      EXPECT_NE(r.error_text().find("the trace names c input z"), std::string::npos) << r.error_text();
    } else {
      EXPECT_TRUE(r.ok) << r.error_text();
      cold += r.fresh_instance;
    }
  }
  EXPECT_GE(cold, 2) << "each function's pool starts from zero";
}

// --resume: a trace pass (io x runtime) with any record is skipped whole, as a load level is.
TEST(Runner, ResumedTracePassWithRecordsIsNotReplayed) {
  engine::RunPlan plan = trace_of_a("fake", 3);
  std::set<engine::RecordKey> done;
  plan.done = &done;
  MemorySink first;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), first));
  ASSERT_EQ(first.records.size(), 3u) << "nothing recorded yet: the pass runs";
  done.insert(engine::record_key(first.records.front()));
  MemorySink again;
  std::vector<engine::CellReport> cells;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), again, [&](const auto& c) { cells.push_back(c); }));
  EXPECT_EQ(again.records.size(), 0u);
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].ok + cells[0].failed, 0);
}

// A pass that cannot start (here: an unknown runtime) is a failed record per event, so the
// run ends with "some invocations failed" as a cell's repetitions would.
TEST(Runner, TracePassThatCannotStartIsAFailedRecordPerEvent) {
  engine::RunPlan plan = trace_of_a("no-such-runtime", 4);
  MemorySink sink;
  auto totals = engine::run_plan(plan, real_factory(), sink);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->failed, 4u);
  ASSERT_EQ(sink.records.size(), 4u);
  for (const auto& r : sink.records) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.load, lumos::telemetry::LoadKind::kTrace);
    EXPECT_NE(r.error_text().find("no-such-runtime"), std::string::npos) << r.error_text();
  }
}

TEST(Runner, AdaptiveRepetitionsStopACellWhoseMedianIsPinnedDown) {
  // 2 ms per request: the median's CI is a few percent wide after a handful of repetitions.
  engine::RunPlan plan = fake_plan({fn("echo", {{"steady", "sleep:2000", "sleep:2000"}})}, {"warm"}, 40);
  plan.adaptive = stats::StopRule{0.25, 0.95, 6, 40};
  MemorySink sink;
  std::vector<engine::CellReport> cells;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), sink, [&](const auto& c) { cells.push_back(c); }));
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_GE(sink.records.size(), 6u) << "never before min";
  EXPECT_LT(sink.records.size(), 40u) << "a +-25% target is met long before 40 repetitions of a 2 ms sleep";
  EXPECT_EQ(cells[0].skipped, 40 - static_cast<int>(sink.records.size()));
  EXPECT_GT(cells[0].ci_rel_half_width, 0.0);
  EXPECT_LE(cells[0].ci_rel_half_width, 0.25);

  // A target no sample set can meet runs every repetition and skips none.
  plan.adaptive = stats::StopRule{1e-9, 0.95, 6, 40};
  plan.repetitions = 12;
  MemorySink all;
  cells.clear();
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), all, [&](const auto& c) { cells.push_back(c); }));
  EXPECT_EQ(all.records.size(), 12u);
  EXPECT_EQ(cells[0].skipped, 0);
}

// A closed-loop load cell: pool records (mode pool, fresh_instance for the requests that started
// an instance), one level per concurrency, and the cell report's medians from the cells layer.
TEST(Runner, ClosedLoadLevelsRecordPoolRequestsAndReportTheCellsMedians) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "hi", "hi"}})}, {}, 1);
  engine::LoadSpec load;
  load.kind = telemetry::LoadKind::kClosed;
  load.concurrency = {1, 2};
  load.requests = 6;
  plan.load = load;
  EXPECT_EQ(engine::expected_invocations(plan), 12u);
  MemorySink sink;
  std::vector<engine::CellReport> reports;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), sink, [&](const auto& c) { reports.push_back(c); }));
  ASSERT_EQ(sink.records.size(), 12u);
  std::map<double, int> fresh, total;
  for (const auto& r : sink.records) {
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.mode, telemetry::Mode::kPool);
    EXPECT_EQ(r.load, telemetry::LoadKind::kClosed);
    fresh[r.level] += r.fresh_instance;
    ++total[r.level];
  }
  EXPECT_EQ(total[1], 6);
  EXPECT_EQ(total[2], 6);
  EXPECT_EQ(fresh[1], 1) << "one client: one instance, then warm";
  EXPECT_GE(fresh[2], 1);
  EXPECT_LE(fresh[2], 2) << "two clients start at most two instances";
  ASSERT_EQ(reports.size(), 1u);
  const auto all = cells::group(sink.records);
  ASSERT_EQ(reports[0].cells.size(), 2u);
  ASSERT_EQ(all.size(), 2u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(reports[0].cells[i].key, all[i].key);
    EXPECT_EQ(reports[0].cells[i].e2e_median, all[i].e2e_median);
  }
}

// An open-loop load cell: requests at their intended times (fixed gaps of 1/rate over the
// level's duration), one level per rate, queueing recorded, and seeded Poisson arrivals that are
// the same from run to run.
TEST(Runner, OpenLoadLevelsSendAtTheRateAndPoissonArrivalsFollowTheSeed) {
  engine::RunPlan plan = fake_plan({fn("echo", {{"a", "hi", "hi"}})}, {}, 1);
  engine::LoadSpec load;
  load.kind = telemetry::LoadKind::kOpen;
  load.rates = {100, 300};
  load.arrival = "fixed";
  load.duration = 95ms;  // 100/s: sends at 10..90 ms; 300/s: 28 sends (no send on the boundary)
  load.max_in_flight = 4;
  plan.load = load;
  MemorySink sink;
  ASSERT_TRUE(engine::run_plan(plan, real_factory(), sink, [](const auto&) {}));
  std::map<double, std::vector<std::int64_t>> offsets;
  for (const auto& r : sink.records) {
    EXPECT_TRUE(r.ok) << r.error_text();
    EXPECT_EQ(r.load, telemetry::LoadKind::kOpen);
    EXPECT_EQ(r.mode, telemetry::Mode::kPool);
    ASSERT_TRUE(r.phases.count("queue"));
    EXPECT_GE(r.phases.at("queue").count(), 0);
    EXPECT_GE(r.e2e, r.phases.at("invoke"));
    offsets[r.level].push_back(r.offset_ns);
  }
  ASSERT_EQ(offsets[100].size(), 9u);
  ASSERT_EQ(offsets[300].size(), 28u);
  for (auto& [rate, v] : offsets) {
    std::sort(v.begin(), v.end());
    for (std::size_t k = 0; k < v.size(); ++k) {
      EXPECT_NEAR(static_cast<double>(v[k]), (k + 1) * 1e9 / rate, 1e3) << "send " << k << " at " << rate << "/s";
    }
  }

  auto poisson = [&](std::uint64_t seed) {
    engine::LoadSpec p = load;
    p.arrival = "poisson";
    p.rates = {200};
    p.seed = seed;
    plan.load = p;
    MemorySink s;
    EXPECT_TRUE(engine::run_plan(plan, real_factory(), s, [](const auto&) {}));
    std::vector<std::int64_t> v;
    for (const auto& r : s.records) v.push_back(r.offset_ns);
    std::sort(v.begin(), v.end());
    return v;
  };
  const auto a = poisson(5);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, poisson(5)) << "same seed, same arrivals";
  EXPECT_NE(a, poisson(6));
}

// The pool: most recently used idle instance first, a limit that makes requests wait, and
// keep-alive expiry that scales to zero.
TEST(Pool, ReusesIdleInstancesRespectsTheLimitAndScalesToZero) {
  auto rt = runtime::make_runtime("fake", runtime::ToolPaths{});
  ASSERT_TRUE(rt);
  engine::PoolConfig config;
  config.max_instances = 1;
  config.keep_alive = 20ms;
  engine::InstancePool pool(**rt, "echo", config, 1000ms);
  auto first = pool.acquire();
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(first->cold);
  EXPECT_EQ(pool.live(), 1);
  runtime::Instance* lent = first->instance.get();
  std::thread releaser([&] {
    std::this_thread::sleep_for(30ms);
    pool.release(std::move(first->instance));
  });
  auto second = pool.acquire();  // waits: the limit is one instance
  releaser.join();
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->cold);
  EXPECT_EQ(second->instance.get(), lent) << "the idle instance is reused";
  EXPECT_GT(second->waited.count(), 0);
  pool.release(std::move(second->instance));
  std::this_thread::sleep_for(40ms);
  pool.reap();
  EXPECT_EQ(pool.live(), 0) << "idle past keep-alive: stopped";
}

// Interleaved repetitions: rounds in a seeded order, live instances kept across rounds, resume
// repeating the order, and drift spread over every runtime alike (on test runtimes that count).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "lumos/engine/runner.hpp"
#include "memory_sink.hpp"

using namespace lumos;
using lumos::testing::MemorySink;

namespace {

// What the test runtimes share: invocations so far (the run's clock) and starts per runtime.
struct Ledger {
  int invocations = 0;
  std::map<std::string, int> starts;
  int drift_after = -1;  ///< from this invocation on, every compute phase doubles (a busy machine)
};

// An instance whose compute phase is 100 us, 200 us once the ledger says the machine drifted.
class LedgerInstance final : public runtime::Instance {
 public:
  explicit LedgerInstance(Ledger& ledger) : ledger_(ledger) {}
  const telemetry::PhaseTimes& start_phases() const override { return phases_; }
  Result<runtime::Response> invoke(std::string_view request, std::chrono::milliseconds) override {
    const bool drifted = ledger_.drift_after >= 0 && ledger_.invocations >= ledger_.drift_after;
    ++ledger_.invocations;
    runtime::Response r;
    r.exec_mode = protocol::ExecMode::kNative;
    r.phases["compute"] = std::chrono::microseconds(drifted ? 200 : 100);
    r.ok = true;
    r.body = std::string(request);
    return r;
  }
  runtime::InstanceStats stats() override { return {}; }
  bool alive() override { return alive_; }
  void stop() override { alive_ = false; }

 private:
  Ledger& ledger_;
  telemetry::PhaseTimes phases_;
  bool alive_ = true;
};

class LedgerRuntime final : public runtime::Runtime {
 public:
  LedgerRuntime(std::string name, Ledger& ledger) : name_(std::move(name)), ledger_(ledger) {}
  std::string_view name() const override { return name_; }
  Result<void> check() const override { return {}; }
  Result<void> prepare(const runtime::Artifacts&) override { return {}; }
  Result<std::unique_ptr<runtime::Instance>> start_instance(const std::string&, std::chrono::milliseconds) override {
    ++ledger_.starts[name_];
    return std::unique_ptr<runtime::Instance>(new LedgerInstance(ledger_));
  }

 private:
  std::string name_;
  Ledger& ledger_;
};

engine::RuntimeFactory ledger_factory(Ledger& ledger) {
  return [&ledger](const std::string& name) -> Result<std::unique_ptr<runtime::Runtime>> {
    return std::unique_ptr<runtime::Runtime>(new LedgerRuntime(name, ledger));
  };
}

// hello x {a, b, c} x warm, `reps` repetitions each, interleaved in batches of `batch`.
engine::RunPlan plan_of(int reps, int batch, std::uint64_t seed) {
  engine::RunPlan plan;
  engine::FunctionUnderTest f;
  f.name = "hello";
  engine::InputCase in;
  in.name = "x";
  in.request = "x";
  in.expected = "x";
  f.inputs.push_back(in);
  plan.functions = {f};
  plan.runtimes = {"a", "b", "c"};
  plan.modes = {"warm"};
  plan.repetitions = reps;
  plan.warmup = 0;
  plan.interleave = engine::RunPlan::Interleave{batch, seed};
  return plan;
}

std::vector<engine::RecordKey> keys_of(const std::vector<telemetry::Invocation>& records) {
  std::vector<engine::RecordKey> keys;
  for (const auto& r : records) keys.push_back(engine::record_key(r));
  return keys;
}

double mean_compute_us(const std::vector<telemetry::Invocation>& records, const std::string& runtime) {
  double sum = 0;
  int n = 0;
  for (const auto& r : records) {
    if (r.runtime != runtime) continue;
    sum += std::chrono::duration<double, std::micro>(r.phases.at("compute")).count();
    ++n;
  }
  return n ? sum / n : 0;
}

}  // namespace

TEST(Interleave, RoundOrderIsAPermutationFixedByTheSeedAndTheRound) {
  const auto a = engine::round_order(10, 42, 0);
  EXPECT_EQ(a, engine::round_order(10, 42, 0));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
  // Over a few rounds and seeds the order changes (a fixed order would put drift on one cell).
  std::set<std::vector<std::size_t>> orders;
  for (int round = 0; round < 4; ++round) orders.insert(engine::round_order(10, 42, round));
  orders.insert(engine::round_order(10, 43, 0));
  EXPECT_GE(orders.size(), 4u);
}

TEST(Interleave, EveryRoundRunsEachCellsNextBatchInTheSeededOrderOnOneLiveInstance) {
  Ledger ledger;
  auto plan = plan_of(6, 2, 7);
  MemorySink sink;
  std::vector<std::string> finished;
  auto totals = engine::run_plan(plan, ledger_factory(ledger), sink,
                                 [&](const engine::CellReport& c) { finished.push_back(c.runtime); });
  ASSERT_TRUE(totals);
  ASSERT_EQ(sink.records.size(), 18u);
  // Three rounds of 3 cells x 2 repetitions, each round in round_order(3, 7, round).
  const std::vector<std::string> names = {"a", "b", "c"};
  for (int round = 0; round < 3; ++round) {
    const auto order = engine::round_order(3, 7, round);
    for (int k = 0; k < 3; ++k) {
      for (int j = 0; j < 2; ++j) {
        const auto& r = sink.records[static_cast<std::size_t>(round * 6 + k * 2 + j)];
        EXPECT_EQ(r.runtime, names[order[static_cast<std::size_t>(k)]]) << "round " << round;
        EXPECT_EQ(r.rep, round * 2 + j);
      }
    }
  }
  // Warm cells keep their instance across rounds: one start each; all three end in the last round.
  for (const auto& n : names) EXPECT_EQ(ledger.starts[n], 1) << n;
  EXPECT_EQ(finished.size(), 3u);
  // Each later step re-warms its instance once (unrecorded): 18 recorded + 2 x 3 re-warms.
  EXPECT_EQ(ledger.invocations, 18 + 6);
}

TEST(Interleave, SequentialOrderRunsEachCellWhole) {
  Ledger ledger;
  auto plan = plan_of(4, 2, 7);
  plan.interleave.reset();
  MemorySink sink;
  ASSERT_TRUE(engine::run_plan(plan, ledger_factory(ledger), sink));
  ASSERT_EQ(sink.records.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(sink.records[i].runtime, std::string(1, "abc"[i / 4]));
  EXPECT_EQ(ledger.invocations, 12);
}

TEST(Interleave, AResumedRunContinuesTheSameOrderWithNothingLostOrRepeated) {
  Ledger whole_ledger;
  MemorySink whole;
  ASSERT_TRUE(engine::run_plan(plan_of(5, 2, 99), ledger_factory(whole_ledger), whole));
  ASSERT_EQ(whole.records.size(), 15u);

  // Killed after 7 records (the sink fails), then resumed with what was recorded.
  Ledger ledger;
  MemorySink first;
  first.fail_after_ = 7;
  EXPECT_FALSE(engine::run_plan(plan_of(5, 2, 99), ledger_factory(ledger), first));
  ASSERT_EQ(first.records.size(), 7u);
  std::set<engine::RecordKey> done;
  for (const auto& r : first.records) done.insert(engine::record_key(r));
  auto plan = plan_of(5, 2, 99);
  plan.done = &done;
  MemorySink rest;
  ASSERT_TRUE(engine::run_plan(plan, ledger_factory(ledger), rest));
  auto joined = keys_of(first.records);
  for (const auto& k : keys_of(rest.records)) joined.push_back(k);
  EXPECT_EQ(joined, keys_of(whole.records));
}

TEST(Interleave, DriftHalfwayShiftsEveryRuntimeAlikeOnlyWhenInterleaved) {
  // The machine slows down (compute 100 -> 200 us) after half of the 3 x 40 invocations.
  auto shift_spread = [](bool interleaved) {
    Ledger ledger;
    ledger.drift_after = 60;
    auto plan = plan_of(40, 2, 5);
    if (!interleaved) plan.interleave.reset();
    MemorySink sink;
    EXPECT_TRUE(engine::run_plan(plan, ledger_factory(ledger), sink));
    std::vector<double> means;
    for (const char* rt : {"a", "b", "c"}) means.push_back(mean_compute_us(sink.records, rt));
    return *std::max_element(means.begin(), means.end()) / *std::min_element(means.begin(), means.end());
  };
  // Interleaved: every runtime has about half its repetitions in the slow half (within 20%).
  EXPECT_LT(shift_spread(true), 1.2);
  // In order: a ran fast, c slow (2x), b half and half.
  EXPECT_GT(shift_spread(false), 1.9);
}

TEST(Interleave, AdaptiveCellsStopOnTheirOwnWithinTheRounds) {
  Ledger ledger;
  auto plan = plan_of(40, 4, 3);
  plan.adaptive = stats::StopRule{0.9, 0.95, 8, 40};  // a wide target: met once min_n samples are in
  MemorySink sink;
  std::map<std::string, engine::CellReport> reports;
  ASSERT_TRUE(engine::run_plan(plan, ledger_factory(ledger), sink,
                               [&](const engine::CellReport& c) { reports[c.runtime] = c; }));
  ASSERT_EQ(reports.size(), 3u);
  std::size_t recorded = 0;
  for (const auto& [name, c] : reports) {
    EXPECT_GT(c.skipped, 0) << name;
    EXPECT_EQ(c.ok + c.skipped, 40) << name;
    recorded += static_cast<std::size_t>(c.ok);
  }
  EXPECT_EQ(sink.records.size(), recorded);
}

TEST(Interleave, ARepeatIsStampedOnItsRecordsAndResumeTellsRepeatsApart) {
  // Repeat 0 ran whole; a resumed run of repeat 1 with repeat 0's keys done runs every record again.
  Ledger ledger;
  MemorySink first;
  ASSERT_TRUE(engine::run_plan(plan_of(3, 2, 7), ledger_factory(ledger), first));
  ASSERT_EQ(first.records.size(), 9u);
  for (const auto& r : first.records) EXPECT_EQ(r.repeat, 0);
  std::set<engine::RecordKey> done;
  for (const auto& r : first.records) done.insert(engine::record_key(r));
  auto plan = plan_of(3, 2, 8);
  plan.repeat = 1;
  plan.done = &done;
  MemorySink second;
  ASSERT_TRUE(engine::run_plan(plan, ledger_factory(ledger), second));
  ASSERT_EQ(second.records.size(), 9u);
  for (const auto& r : second.records) {
    EXPECT_EQ(r.repeat, 1);
    EXPECT_EQ(done.count(engine::record_key(r)), 0u);
  }
  // And repeat 0 again with the same keys done: nothing is run twice.
  auto again = plan_of(3, 2, 7);
  again.done = &done;
  MemorySink none;
  ASSERT_TRUE(engine::run_plan(again, ledger_factory(ledger), none));
  EXPECT_TRUE(none.records.empty());
}

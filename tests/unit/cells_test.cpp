// The cells layer: contamination rules, grouping keys, and the agreement of every view that
// prints a cell's median (summary, report table, model cells, the run's progress line).
#include "lumos/cells/cells.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "lumos/common/format.hpp"
#include "lumos/model/dataset.hpp"
#include "lumos/report/html_report.hpp"
#include "lumos/report/summary.hpp"
#include "lumos/stats/stats.hpp"
#include "lumos/telemetry/jsonl.hpp"

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::cells {
namespace {
namespace fs = std::filesystem;

telemetry::Invocation invocation(Mode mode, std::vector<std::string> phases) {
  telemetry::Invocation inv;
  inv.ok = true;
  inv.mode = mode;
  for (const auto& p : phases) inv.phases[p] = std::chrono::nanoseconds(1000);
  return inv;
}

TEST(Contamination, ColdRequestWithoutStartPhasesMetAWarmInstance) {
  EXPECT_EQ(contamination(invocation(Mode::kCold, {"invoke", "compute"})), "cold request met a warm instance");
  EXPECT_EQ(contamination(invocation(Mode::kCold, {"sandbox_start", "invoke"})), std::nullopt);
}

TEST(Contamination, WarmRequestWithStartPhasesMetAColdInstance) {
  EXPECT_EQ(contamination(invocation(Mode::kWarm, {"load", "instantiate", "invoke"})),
            "warm request met a cold instance");
  EXPECT_EQ(contamination(invocation(Mode::kWarm, {"invoke", "compute"})), std::nullopt);
}

TEST(Contamination, InstanceRequestMustReportItsNewInstancesStart) {
  EXPECT_EQ(contamination(invocation(Mode::kInstance, {"invoke", "compute"})), "instance request met no new instance");
  EXPECT_EQ(contamination(invocation(Mode::kInstance, {"wasi_setup", "instantiate", "first_call", "invoke"})),
            std::nullopt);
  EXPECT_EQ(contamination(invocation(Mode::kInstance, {"fork", "invoke"})), std::nullopt);
  // A warm request that reports an instance start met a new instance.
  EXPECT_EQ(contamination(invocation(Mode::kWarm, {"fork", "invoke"})), "warm request met a cold instance");
}

TEST(Contamination, LoadRecordsAndOneShotRunsAreNeverContaminated) {
  auto pooled = invocation(Mode::kPool, {"invoke"});
  pooled.load = LoadKind::kClosed;
  EXPECT_EQ(contamination(pooled), std::nullopt);
  EXPECT_EQ(contamination(invocation(Mode::kCold, {"run"})), std::nullopt);  // a command's whole process
  EXPECT_EQ(contamination(invocation(Mode::kCold, {})), std::nullopt);
}

TEST(Group, KeysSeparateProfileIoAndLevels) {
  std::vector<telemetry::Invocation> invs;
  auto add = [&](Io io, std::string profile, LoadKind load, double level, double ns) {
    auto inv = invocation(load == LoadKind::kNone ? Mode::kWarm : Mode::kPool, {"invoke"});
    inv.function = "f";
    inv.input = "x";
    inv.runtime = "native";
    inv.io = io;
    inv.profile = std::move(profile);
    inv.load = load;
    inv.level = level;
    inv.e2e = std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
    invs.push_back(inv);
  };
  add(Io::kDirect, "", LoadKind::kNone, 0, 10);
  add(Io::kDirect, "cloud", LoadKind::kNone, 0, 20);  // no profile is the cloud profile
  add(Io::kBaas, "", LoadKind::kNone, 0, 30);
  add(Io::kDirect, "edge-pi", LoadKind::kNone, 0, 40);
  add(Io::kDirect, "", LoadKind::kClosed, 2, 50);
  add(Io::kDirect, "", LoadKind::kClosed, 4, 60);
  const auto cells = group(invs);
  ASSERT_EQ(cells.size(), 5u);
  EXPECT_EQ(cells[0].key.label(), "f/x native warm direct");
  EXPECT_EQ(cells[0].n, 2u);
  EXPECT_EQ(cells[0].e2e_median, 15);
  EXPECT_EQ(cells[0].key.concurrency(), 1);
  EXPECT_EQ(cells[4].key.mode_label(), "closed 4");
  EXPECT_EQ(cells[4].key.concurrency(), 4);
}

// Every view of the report fixture (written before schema 2: it also checks that old folders
// load) prints the same median for each cell, contaminated and outlier records included.
TEST(Agreement, SummaryReportModelAndProgressLineGiveTheSameMedians) {
  const fs::path dir = fs::path(LUMOS_TEST_DATA_DIR) / "report" / "results";
  auto folder = telemetry::read_results(dir);
  ASSERT_TRUE(folder) << folder.error().to_string();
  ASSERT_EQ(folder->invocations.front().schema_version, telemetry::kSchemaVersion) << "upgraded on read";
  const auto cells = group(folder->invocations);

  // The fixture must exercise the filters the views could disagree on.
  std::size_t contaminated = 0, outliers = 0, failed = 0;
  for (const auto& c : cells) {
    contaminated += c.n_contaminated;
    outliers += c.n_outliers;
    failed += c.n - c.n_ok - c.n_contaminated;
  }
  ASSERT_GT(contaminated, 0u);
  ASSERT_GT(outliers, 0u);
  ASSERT_GT(failed, 0u);

  // lumos summary.
  const auto rows = report::summarize(folder->invocations);
  ASSERT_EQ(rows.size(), cells.size());
  // lumos report: the model's data set and the report's "all cells" table.
  auto data = model::load_dataset(dir);
  ASSERT_TRUE(data) << data.error().to_string();
  report::ReportData r;
  r.data = *data;
  r.cells = group(r.data.records);
  ASSERT_EQ(r.cells.size(), cells.size());
  const auto tables = report::report_tables(r);
  const auto table =
      std::find_if(tables.begin(), tables.end(), [](const report::Table& t) { return t.id == "summary"; });
  ASSERT_NE(table, tables.end());
  ASSERT_EQ(table->rows.size(), cells.size());
  const auto median_column =
      static_cast<std::size_t>(std::find(table->header.begin(), table->header.end(), "median") - table->header.begin());
  ASSERT_LT(median_column, table->header.size());

  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    SCOPED_TRACE(c.key.label());
    // summary
    EXPECT_EQ(rows[i].mode, c.key.mode_label());
    EXPECT_EQ(rows[i].n_ok, c.n_ok);
    EXPECT_EQ(stats::median(std::vector<double>{rows[i].median_ns}), c.e2e_median);
    // model cells
    EXPECT_EQ(r.cells[i].key, c.key);
    EXPECT_EQ(r.cells[i].e2e_median, c.e2e_median);
    // report table (as printed)
    EXPECT_EQ(table->rows[i][median_column], text::duration(c.e2e_median));
    // progress line: the engine groups one cell's records of the run
    std::vector<telemetry::Invocation> own;
    for (const auto& inv : folder->invocations) {
      if (key_of(inv) == c.key) own.push_back(inv);
    }
    const auto progress = group(own);
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0].e2e_median, c.e2e_median);
  }

  // The check can fail: a view that skipped the contamination filter would print another
  // median for the cell holding the contaminated record.
  bool differs = false;
  for (const auto& c : cells) {
    if (c.n_contaminated == 0) continue;
    std::vector<double> unfiltered;
    for (const auto& inv : folder->invocations) {
      if (key_of(inv) == c.key && inv.ok) unfiltered.push_back(static_cast<double>(inv.e2e.count()));
    }
    differs = differs || stats::median(unfiltered) != c.e2e_median;
  }
  EXPECT_TRUE(differs) << "the fixture's contaminated record must move its cell's median";
}

}  // namespace
}  // namespace lumos::cells

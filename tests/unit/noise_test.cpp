// Noise you can see: the one-population check (drift between halves, modes of the density) on
// seeded synthetic samples, its place in the cells layer, the repeats' medians and spread, and
// the summary's noise view.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lumos/cells/cells.hpp"
#include "lumos/report/summary.hpp"
#include "lumos/stats/quality.hpp"

namespace lumos {
namespace {

// n log-normal samples around `median` with log-sd `sigma` (seeded: the same on every run).
std::vector<double> lognormal(std::size_t n, double median, double sigma, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> xs;
  xs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) xs.push_back(median * std::exp(sigma * z(gen)));
  return xs;
}

std::vector<double> concat(std::vector<double> a, const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Interleaves a and b (a[0], b[0], a[1], ...): two populations mixed over the whole run.
std::vector<double> mix(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out.push_back(a[i]);
    if (i < b.size()) out.push_back(b[i]);
  }
  return out;
}

TEST(Population, OneLogNormalSampleIsOnePopulation) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (double sigma : {0.05, 0.3, 0.8}) {
      const auto p = stats::population_check(lognormal(200, 20e3, sigma, seed));
      ASSERT_TRUE(p.checked);
      EXPECT_FALSE(p.drift) << "seed " << seed << " sigma " << sigma << " ratio " << p.half_ratio;
      EXPECT_EQ(p.peaks.size(), 1u) << "seed " << seed << " sigma " << sigma;
      EXPECT_TRUE(p.one_population());
    }
  }
}

TEST(Population, TwoSeparatedPopulationsAreTwoModesWithTheirShares) {
  const auto p = stats::population_check(mix(lognormal(120, 14e3, 0.05, 3), lognormal(80, 52e3, 0.05, 4)));
  ASSERT_TRUE(p.checked);
  ASSERT_TRUE(p.bimodal());
  ASSERT_EQ(p.peaks.size(), 2u);
  EXPECT_NEAR(p.peaks[0].at, 14e3, 14e3 * 0.05);
  EXPECT_NEAR(p.peaks[1].at, 52e3, 52e3 * 0.05);
  EXPECT_NEAR(p.peaks[0].share, 0.6, 0.02);
  EXPECT_NEAR(p.peaks[1].share, 0.4, 0.02);
  EXPECT_FALSE(p.drift);  // mixed over the whole run: both halves hold both modes
  const std::string said = report::describe_population(p);
  EXPECT_EQ(said.rfind("2 modes: ", 0), 0u) << said;
  EXPECT_NE(said.find(" us (60%), "), std::string::npos) << said;
  EXPECT_NE(said.find(" us (40%)"), std::string::npos) << said;
}

TEST(Population, AFewFarOutliersAreNoMode) {
  auto xs = lognormal(190, 20e3, 0.1, 5);
  for (int i = 0; i < 10; ++i) xs.insert(xs.begin() + i * 19, 200e3 + i * 1e3);  // 5% at 10x
  const auto p = stats::population_check(xs);
  EXPECT_EQ(p.peaks.size(), 1u);
  EXPECT_TRUE(p.one_population());
}

TEST(Population, ASecondHalfThatShiftedIsDrift) {
  const auto p = stats::population_check(concat(lognormal(100, 20e3, 0.1, 6), lognormal(100, 26e3, 0.1, 7)));
  ASSERT_TRUE(p.checked);
  EXPECT_TRUE(p.drift);
  EXPECT_NEAR(p.half_ratio, 1.3, 0.06);
  EXPECT_FALSE(p.one_population());
  EXPECT_EQ(report::describe_population(p).rfind("drift: second half 1.", 0), 0u) << report::describe_population(p);
}

TEST(Population, ASmallShiftIsNoDriftEvenWhenSignificant) {
  // 5% shift with tight samples: the halves' CIs are disjoint, but the shift is below min_shift.
  const auto p = stats::population_check(concat(lognormal(100, 20e3, 0.01, 8), lognormal(100, 21e3, 0.01, 9)));
  EXPECT_FALSE(p.drift);
  stats::PopulationRule strict;
  strict.min_shift = 0.02;
  EXPECT_TRUE(
      stats::population_check(concat(lognormal(100, 20e3, 0.01, 8), lognormal(100, 21e3, 0.01, 9)), strict).drift);
}

TEST(Population, TooFewOrEqualSamplesAreHandled) {
  EXPECT_FALSE(stats::population_check(lognormal(19, 20e3, 0.1, 10)).checked);
  EXPECT_FALSE(stats::population_check({}).checked);
  const auto same = stats::population_check(std::vector<double>(50, 7.0));
  ASSERT_TRUE(same.checked);
  ASSERT_EQ(same.peaks.size(), 1u);
  EXPECT_DOUBLE_EQ(same.peaks[0].at, 7.0);
  EXPECT_TRUE(same.one_population());
  // NaN and non-positive values are left out, not a crash.
  auto xs = lognormal(30, 20e3, 0.1, 11);
  xs.push_back(std::nan(""));
  xs.push_back(-1);
  EXPECT_TRUE(stats::population_check(xs).one_population());
}

telemetry::Invocation warm_record(int repeat, int rep, double e2e_ns) {
  telemetry::Invocation inv;
  inv.ok = true;
  inv.function = "hello";
  inv.input = "small";
  inv.runtime = "native";
  inv.mode = telemetry::Mode::kWarm;
  inv.phases["invoke"] = std::chrono::nanoseconds(static_cast<long>(e2e_ns));
  inv.e2e = std::chrono::nanoseconds(static_cast<long>(e2e_ns));
  inv.repeat = repeat;
  inv.rep = rep;
  return inv;
}

TEST(Repeats, CellsKeepEachRepeatsMedianAndTheirSpread) {
  std::vector<telemetry::Invocation> records;
  const double medians[] = {20e3, 22e3, 24e3};
  for (int r = 0; r < 3; ++r) {
    const auto xs = lognormal(40, medians[r], 0.02, 20 + static_cast<std::uint64_t>(r));
    for (int i = 0; i < 40; ++i) records.push_back(warm_record(r, i, xs[static_cast<std::size_t>(i)]));
  }
  const auto cells = cells::group(records);
  ASSERT_EQ(cells.size(), 1u);  // the repeats are one cell
  const auto& c = cells[0];
  ASSERT_EQ(c.repeat_medians.size(), 3u);
  for (int r = 0; r < 3; ++r) EXPECT_NEAR(c.repeat_medians.at(r), medians[r], medians[r] * 0.02);
  // (24 - 20) / 2 / 22 = 9.1%.
  EXPECT_NEAR(c.repeat_spread(), (c.repeat_medians.at(2) - c.repeat_medians.at(0)) / 2 / c.repeat_medians.at(1), 1e-12);
  EXPECT_NEAR(c.repeat_spread(), 0.091, 0.01);
  EXPECT_TRUE(c.population.checked);

  const auto rows = report::noise_view(cells);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].repeats, 3u);
  const std::string text = report::format_noise_view(rows);
  EXPECT_NE(text.find("Run-to-run spread of the median"), std::string::npos) << text;
  EXPECT_NE(text.find("hello/small native warm direct"), std::string::npos) << text;
}

TEST(Repeats, OneRepeatHasNoSpreadAndTheViewSaysSo) {
  std::vector<telemetry::Invocation> records;
  const auto xs = lognormal(40, 20e3, 0.02, 30);
  for (int i = 0; i < 40; ++i) records.push_back(warm_record(0, i, xs[static_cast<std::size_t>(i)]));
  const auto cells = cells::group(records);
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_TRUE(std::isnan(cells[0].repeat_spread()));
  const std::string text = report::format_noise_view(report::noise_view(cells));
  EXPECT_EQ(text.find("Run-to-run"), std::string::npos) << text;
  EXPECT_NE(text.find("every one of the 1 cells checked looks like one population"), std::string::npos) << text;
}

TEST(Repeats, ADriftingCellIsListedWithItsReason) {
  std::vector<telemetry::Invocation> records;
  const auto xs = concat(lognormal(50, 20e3, 0.05, 40), lognormal(50, 30e3, 0.05, 41));
  for (int i = 0; i < 100; ++i) records.push_back(warm_record(0, i, xs[static_cast<std::size_t>(i)]));
  const std::string text = report::format_noise_view(report::noise_view(cells::group(records)));
  EXPECT_NE(text.find("1 of 1 cells checked are not one population"), std::string::npos) << text;
  EXPECT_NE(text.find("drift: second half 1."), std::string::npos) << text;
}

}  // namespace
}  // namespace lumos

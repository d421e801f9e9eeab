// Checks bootstrap CIs, the two-runtime comparison and outlier fences against numpy/scipy
// reference values (tests/data/stats/compare_reference.json), plus the stopping rule.
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lumos/stats/bootstrap.hpp"
#include "lumos/stats/compare.hpp"
#include "lumos/stats/quality.hpp"

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::stats {
namespace {

const nlohmann::json& reference() {
  static const nlohmann::json ref = [] {
    const std::string path = std::string(LUMOS_TEST_DATA_DIR) + "/stats/compare_reference.json";
    std::ifstream in(path);
    if (!in) {
      ADD_FAILURE() << "cannot open " << path
                    << " (regenerate with /usr/bin/python3 tests/data/stats/make_compare_reference.py)";
      return nlohmann::json::object();
    }
    return nlohmann::json::parse(in);
  }();
  return ref;
}

const nlohmann::json& section(const char* name) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto it = reference().find(name);
  if (it == reference().end() || it->empty()) {
    ADD_FAILURE() << "compare_reference.json has no cases in '" << name << "'";
    return empty;
  }
  return *it;
}

void expect_rel(double expected, double actual, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected))) << what;
}

Statistic statistic_of(const nlohmann::json& c) {
  return c.at("statistic") == "median" ? Statistic::kMedian : Statistic::kMean;
}

TEST(Bootstrap, SplitMix64MatchesItsPublishedFirstOutputs) {
  // Reference outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
  SplitMix64 rng(1234567);
  EXPECT_EQ(rng.next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.next(), 9817491932198370423ULL);
}

TEST(Bootstrap, PercentileIntervalReplaysTheReferenceStream) {
  for (const auto& c : section("bootstrap")) {
    const std::string name = c.at("name");
    const Interval ci = bootstrap_ci(c.at("data").get<std::vector<double>>(), statistic_of(c), c.at("level"),
                                     c.at("resamples"), c.at("seed"));
    expect_rel(c.at("low"), ci.low, 1e-12, name + " low");
    expect_rel(c.at("high"), ci.high, 1e-12, name + " high");
    EXPECT_TRUE(ci.meets_level) << name;
    // scipy draws other resamples: its interval must agree loosely.
    if (c.contains("scipy_low")) {
      expect_rel(c.at("scipy_low"), ci.low, 0.02, name + " vs scipy low");
      expect_rel(c.at("scipy_high"), ci.high, 0.02, name + " vs scipy high");
    }
  }
}

TEST(Bootstrap, SameSeedSameIntervalOtherSeedOtherInterval) {
  const std::vector<double> xs = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4};
  const Interval a = bootstrap_ci(xs, Statistic::kMean, 0.95, 500, 11);
  const Interval b = bootstrap_ci(xs, Statistic::kMean, 0.95, 500, 11);
  const Interval c = bootstrap_ci(xs, Statistic::kMean, 0.95, 500, 12);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_TRUE(a.low != c.low || a.high != c.high);
}

TEST(Bootstrap, RatioIntervalReplaysTheReferenceStream) {
  for (const auto& c : section("bootstrap_ratio")) {
    const std::string name = c.at("name");
    const Interval ci =
        bootstrap_ratio_ci(c.at("numerator").get<std::vector<double>>(), c.at("denominator").get<std::vector<double>>(),
                           statistic_of(c), c.at("level"), c.at("resamples"), c.at("seed"));
    expect_rel(c.at("low"), ci.low, 1e-12, name + " low");
    expect_rel(c.at("high"), ci.high, 1e-12, name + " high");
  }
}

TEST(Bootstrap, EmptyNanOrBadLevelGivesNanNotACrash) {
  EXPECT_TRUE(std::isnan(bootstrap_ci({}, Statistic::kMedian, 0.95).low));
  EXPECT_TRUE(std::isnan(bootstrap_ci({1.0, NAN}, Statistic::kMedian, 0.95).low));
  EXPECT_TRUE(std::isnan(bootstrap_ci({1.0, 2.0}, Statistic::kMedian, 1.5).low));
  EXPECT_TRUE(std::isnan(bootstrap_ratio_ci({1.0}, {0.0}, Statistic::kMedian, 0.95, 10).low));
}

TEST(Compare, WelchOnLogsMatchesScipy) {
  for (const auto& c : section("welch")) {
    const std::string name = c.at("name");
    const Comparison r =
        compare_latencies(c.at("a").get<std::vector<double>>(), c.at("b").get<std::vector<double>>(), c.at("level"));
    ASSERT_TRUE(r.valid) << name;
    expect_rel(c.at("speedup"), r.speedup, 1e-10, name + " speedup");
    expect_rel(c.at("low"), r.speedup_low, 1e-9, name + " low");
    expect_rel(c.at("high"), r.speedup_high, 1e-9, name + " high");
    expect_rel(c.at("t"), r.t, 1e-9, name + " t");
    expect_rel(c.at("df"), r.df, 1e-9, name + " df");
    // p-values span many decades: compare relatively (scipy and boost differ in the last bits).
    const double p = c.at("p_value");
    EXPECT_NEAR(r.p_value, p, 1e-6 * p + 1e-300) << name << " p";
    expect_rel(c.at("hedges_g"), r.hedges_g, 1e-10, name + " hedges_g");
    EXPECT_EQ(r.significant, c.at("significant").get<bool>()) << name;
  }
}

TEST(Compare, DescribesTheFasterSideWithTheInterval) {
  const auto& cases = section("welch");
  ASSERT_GE(cases.size(), 3u);
  const Comparison fast = compare_latencies(cases[0].at("a").get<std::vector<double>>(),
                                            cases[0].at("b").get<std::vector<double>>(), 0.99, "AoT", "interp");
  EXPECT_EQ(describe(fast), "AoT is 105x to 154x faster than interp (99% CI)");
  const Comparison same = compare_latencies(cases[1].at("a").get<std::vector<double>>(),
                                            cases[1].at("b").get<std::vector<double>>(), 0.99, "A", "B");
  EXPECT_EQ(describe(same), "no significant difference between A and B (99% CI: 0.92x to 1.15x)");
  const Comparison slower = compare_latencies(cases[2].at("a").get<std::vector<double>>(),
                                              cases[2].at("b").get<std::vector<double>>(), 0.95, "runc", "native");
  EXPECT_EQ(describe(slower), "native is 1.46x to 1.80x faster than runc (95% CI)");
}

TEST(Compare, TooFewOrConstantSamplesAreNotEnoughData) {
  EXPECT_FALSE(compare_latencies({1.0}, {2.0, 3.0}).valid);
  EXPECT_FALSE(compare_latencies({2.0, 2.0}, {3.0, 3.0}).valid);
  EXPECT_FALSE(compare_latencies({-1.0, 0.0, 5.0}, {3.0, 4.0}).valid);  // one positive value in A
  EXPECT_EQ(describe(compare_latencies({1.0}, {2.0}, 0.99, "x", "y")), "not enough data to compare x and y");
}

TEST(Outliers, TukeyFencesMatchNumpyQuartiles) {
  for (const auto& c : section("tukey")) {
    const std::string name = c.at("name");
    const auto xs = c.at("data").get<std::vector<double>>();
    const Fences f = tukey_fences(xs, c.at("k"));
    expect_rel(c.at("q1"), f.q1, 1e-12, name + " q1");
    expect_rel(c.at("q3"), f.q3, 1e-12, name + " q3");
    expect_rel(c.at("low"), f.low, 1e-12, name + " low");
    expect_rel(c.at("high"), f.high, 1e-12, name + " high");
    const auto marks = mark_outliers(xs, c.at("k"));
    EXPECT_EQ(marks, c.at("outliers").get<std::vector<bool>>()) << name;
  }
}

TEST(Outliers, EmptyInputMarksNothing) {
  EXPECT_TRUE(mark_outliers({}).empty());
  EXPECT_EQ(mark_outliers({1.0, NAN, 3.0}), (std::vector<bool>{false, false, false}));
}

TEST(AdaptiveStop, StopsWhenTheMedianCiIsNarrowEnough) {
  std::vector<double> tight(20, 100.0);
  for (std::size_t i = 0; i < tight.size(); ++i) tight[i] += static_cast<double>(i % 3);
  const StopDecision d = adaptive_stop(tight, {0.05, 0.95, 10, 200});
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "ci narrow enough");
  EXPECT_LE(d.rel_half_width, 0.05);
}

TEST(AdaptiveStop, GoesOnWhileWideOrTooFewAndStopsAtMax) {
  std::vector<double> wide;
  for (int i = 0; i < 30; ++i) wide.push_back(i % 2 ? 100.0 : 300.0 + i);
  EXPECT_FALSE(adaptive_stop(wide, {0.05, 0.95, 10, 200}).stop);
  EXPECT_FALSE(adaptive_stop({1.0, 1.0, 1.0}, {0.05, 0.95, 10, 200}).stop);  // under min_n
  const StopDecision at_max = adaptive_stop(wide, {0.05, 0.95, 10, 30});
  EXPECT_TRUE(at_max.stop);
  EXPECT_EQ(at_max.reason, "max_n reached");
}

}  // namespace
}  // namespace lumos::stats

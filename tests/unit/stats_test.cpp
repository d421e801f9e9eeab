// Checks lumos::stats against numpy/scipy reference values in tests/data/stats/reference.json.
#include "lumos/stats/stats.hpp"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::stats {
namespace {

// Agreement with numpy up to floating-point summation order.
constexpr double kRelTolerance = 1e-12;

const nlohmann::json& reference() {
  static const nlohmann::json ref = [] {
    const std::string path = std::string(LUMOS_TEST_DATA_DIR) + "/stats/reference.json";
    std::ifstream in(path);
    if (!in) {
      ADD_FAILURE() << "cannot open " << path
                    << " (regenerate with /usr/bin/python3 tests/data/stats/make_reference.py)";
      return nlohmann::json::object();
    }
    return nlohmann::json::parse(in);
  }();
  return ref;
}

const nlohmann::json& section(const char* name) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto& ref = reference();
  auto it = ref.find(name);
  if (it == ref.end() || !it->is_array() || it->empty()) {
    ADD_FAILURE() << "reference.json has no cases in '" << name << "'";
    return empty;
  }
  return *it;
}

void expect_close(double expected, double actual, const std::string& what) {
  EXPECT_NEAR(actual, expected, kRelTolerance * std::max(1.0, std::abs(expected))) << what;
}

TEST(StatsReference, MedianMeanStddevMatchNumpy) {
  for (const auto& ds : section("datasets")) {
    const std::string name = ds.at("name");
    const auto xs = ds.at("data").get<std::vector<double>>();
    expect_close(ds.at("median").get<double>(), median(xs), name + " median");
    expect_close(ds.at("mean").get<double>(), mean(xs), name + " mean");
    if (ds.at("stddev").is_null()) {
      EXPECT_TRUE(std::isnan(stddev(xs))) << name << ": stddev of n < 2 is NaN";
    } else {
      expect_close(ds.at("stddev").get<double>(), stddev(xs), name + " stddev");
    }
  }
}

TEST(StatsReference, PercentilesMatchNumpyLinearMethod) {
  for (const auto& ds : section("datasets")) {
    const std::string name = ds.at("name");
    const auto xs = ds.at("data").get<std::vector<double>>();
    for (const auto& pv : ds.at("percentiles")) {
      const double p = pv.at(0).get<double>();
      expect_close(pv.at(1).get<double>(), percentile(xs, p), name + " p" + std::to_string(p));
    }
  }
}

TEST(StatsReference, MedianCiMatchesScipyBinomialRanks) {
  for (const auto& c : section("median_ci")) {
    const std::string name = c.at("name");
    const auto xs = c.at("data").get<std::vector<double>>();
    const double level = c.at("level").get<double>();
    const Interval ci = median_ci(xs, level);
    EXPECT_EQ(ci.low, c.at("low").get<double>()) << name << " low";
    EXPECT_EQ(ci.high, c.at("high").get<double>()) << name << " high";
    EXPECT_EQ(ci.level, level) << name;
    expect_close(c.at("achieved_level").get<double>(), ci.achieved_level, name + " achieved");
    EXPECT_EQ(ci.meets_level, c.at("meets_level").get<bool>()) << name << " meets_level";
  }
}

TEST(Percentile, OddSampleMedianIsTheMiddleValue) {
  EXPECT_EQ(median({9.0, 1.0, 5.0}), 5.0);
  EXPECT_EQ(percentile({9.0, 1.0, 5.0}, 50.0), 5.0);
}

TEST(Percentile, EvenSampleMedianAveragesTheTwoMiddleValues) {
  EXPECT_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_EQ(percentile({4.0, 1.0, 3.0, 2.0}, 50.0), 2.5);
}

TEST(Percentile, InterpolatesLinearlyBetweenOrderStatistics) {
  // Sorted 10, 20, 30, 40, 50: h = 4 * 0.95 = 3.8 -> 40 + 0.8 * 10.
  EXPECT_DOUBLE_EQ(percentile({50.0, 10.0, 40.0, 20.0, 30.0}, 95.0), 48.0);
  // h = 4 * 0.99 = 3.96 -> 40 + 0.96 * 10.
  EXPECT_DOUBLE_EQ(percentile({50.0, 10.0, 40.0, 20.0, 30.0}, 99.0), 49.6);
  EXPECT_EQ(percentile({50.0, 10.0, 40.0, 20.0, 30.0}, 0.0), 10.0);
  EXPECT_EQ(percentile({50.0, 10.0, 40.0, 20.0, 30.0}, 100.0), 50.0);
}

TEST(Percentile, SingleValueIsEveryPercentile) {
  EXPECT_EQ(median({42.0}), 42.0);
  EXPECT_EQ(percentile({42.0}, 0.0), 42.0);
  EXPECT_EQ(percentile({42.0}, 99.0), 42.0);
  EXPECT_EQ(mean({42.0}), 42.0);
  EXPECT_TRUE(std::isnan(stddev({42.0})));
}

TEST(Percentile, TiesKeepTheirValue) {
  EXPECT_EQ(median({3.0, 3.0, 3.0, 1.0}), 3.0);
  EXPECT_EQ(percentile({3.0, 3.0, 3.0, 1.0}, 95.0), 3.0);
  EXPECT_EQ(stddev({3.0, 3.0, 3.0}), 0.0);
}

TEST(Percentile, OutOfRangeOrNanPercentIsNan) {
  EXPECT_TRUE(std::isnan(percentile({1.0, 2.0}, -0.1)));
  EXPECT_TRUE(std::isnan(percentile({1.0, 2.0}, 100.1)));
  EXPECT_TRUE(std::isnan(percentile({1.0, 2.0}, kNaN)));
}

TEST(EmptyInput, EveryStatisticIsNan) {
  EXPECT_TRUE(std::isnan(median({})));
  EXPECT_TRUE(std::isnan(percentile({}, 50.0)));
  EXPECT_TRUE(std::isnan(mean({})));
  EXPECT_TRUE(std::isnan(stddev({})));
  const Interval ci = median_ci({});
  EXPECT_TRUE(std::isnan(ci.low));
  EXPECT_TRUE(std::isnan(ci.high));
  EXPECT_TRUE(std::isnan(ci.achieved_level));
  EXPECT_EQ(ci.level, 0.95);
  EXPECT_FALSE(ci.meets_level);
}

TEST(NanInput, OrderStatisticsAreNanLikeNumpy) {
  EXPECT_TRUE(std::isnan(median({1.0, kNaN, 3.0})));
  EXPECT_TRUE(std::isnan(percentile({1.0, kNaN, 3.0}, 95.0)));
  EXPECT_TRUE(std::isnan(median_ci({1.0, kNaN, 3.0, 4.0, 5.0, 6.0, 7.0}).low));
}

TEST(MedianCi, TooFewSamplesGiveFullRangeFlaggedAsShort) {
  // [min, max] of 5 values covers the median with 1 - 2/32 = 0.9375 < 0.95.
  const Interval ci = median_ci({5.0, 1.0, 4.0, 2.0, 3.0});
  EXPECT_EQ(ci.low, 1.0);
  EXPECT_EQ(ci.high, 5.0);
  EXPECT_FALSE(ci.meets_level);
  EXPECT_DOUBLE_EQ(ci.achieved_level, 0.9375);
}

TEST(MedianCi, SixSamplesReachNinetyFivePercentWithFullRange) {
  const Interval ci = median_ci({6.0, 1.0, 5.0, 2.0, 4.0, 3.0});
  EXPECT_EQ(ci.low, 1.0);
  EXPECT_EQ(ci.high, 6.0);
  EXPECT_TRUE(ci.meets_level);
  EXPECT_DOUBLE_EQ(ci.achieved_level, 0.96875);
}

TEST(MedianCi, SingleValueIsDegenerateWithZeroCoverage) {
  const Interval ci = median_ci({42.0});
  EXPECT_EQ(ci.low, 42.0);
  EXPECT_EQ(ci.high, 42.0);
  EXPECT_FALSE(ci.meets_level);
  EXPECT_EQ(ci.achieved_level, 0.0);
}

TEST(MedianCi, NarrowsAsSamplesGrowAndAlwaysContainsTheSampleMedian) {
  std::vector<double> xs;
  double previous_width = 1e300;
  for (int n = 1; n <= 400; ++n) {
    xs.push_back(static_cast<double>((n * 7919) % 401));  // a fixed permutation of 1..400
    const Interval ci = median_ci(xs);
    const double m = median(xs);
    ASSERT_LE(ci.low, m) << "n=" << n;
    ASSERT_GE(ci.high, m) << "n=" << n;
    if (ci.meets_level) {
      ASSERT_GE(ci.achieved_level, 0.95 - 1e-12) << "n=" << n;
    }
    if (n % 100 == 0) {
      EXPECT_LT(ci.high - ci.low, previous_width) << "n=" << n;
      previous_width = ci.high - ci.low;
    }
  }
}

TEST(MedianCi, LargeSampleDoesNotUnderflow) {
  // 2^-5000 underflows a double; the log-space CDF must still find the ranks. Reference from
  // scipy.stats.binom (n = 5000): j = 2431, k = 2570, coverage 0.9506841418958285.
  std::vector<double> xs(5000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<double>(xs.size() - i);
  const Interval ci = median_ci(xs);
  EXPECT_TRUE(ci.meets_level);
  EXPECT_EQ(ci.low, 2431.0);
  EXPECT_EQ(ci.high, 2570.0);
  EXPECT_NEAR(ci.achieved_level, 0.9506841418958285, 1e-9);
}

}  // namespace
}  // namespace lumos::stats

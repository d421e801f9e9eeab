// Welch's t-interval on log latencies: the speed ratio of two runtimes with its confidence interval.
#include "lumos/stats/compare.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

namespace lumos::stats {
namespace {

std::vector<double> positive_logs(const std::vector<double>& xs) {
  std::vector<double> out;
  out.reserve(xs.size());
  for (double x : xs) {
    if (x > 0.0 && std::isfinite(x)) out.push_back(std::log(x));
  }
  return out;
}

double variance(const std::vector<double>& xs, double m) {
  double ss = 0.0;
  for (double x : xs) ss += (x - m) * (x - m);
  return ss / static_cast<double>(xs.size() - 1);
}

// 3 significant digits for ratios: "1.32", "15.4", "113".
std::string ratio_text(double r) {
  const double a = std::abs(r);
  const int decimals = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
  return fmt::format("{:.{}f}", r, decimals);
}

}  // namespace

Comparison compare_latencies(const std::vector<double>& a, const std::vector<double>& b, double level,
                             std::string a_name, std::string b_name) {
  Comparison c;
  c.a_name = std::move(a_name);
  c.b_name = std::move(b_name);
  c.level = level;
  const std::vector<double> la = positive_logs(a), lb = positive_logs(b);
  c.n_a = la.size();
  c.n_b = lb.size();
  if (c.n_a < 2 || c.n_b < 2 || !(level > 0.0 && level < 1.0)) return c;

  const double na = static_cast<double>(c.n_a), nb = static_cast<double>(c.n_b);
  const double ma = mean(la), mb = mean(lb);
  const double va = variance(la, ma), vb = variance(lb, mb);
  const double sa = va / na, sb = vb / nb;
  const double se = std::sqrt(sa + sb);
  if (!(se > 0.0)) return c;  // both samples constant: no basis for an interval

  const double diff = mb - ma;  // log(geomean B / geomean A)
  c.t = diff / se;
  c.df = (sa + sb) * (sa + sb) / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
  const boost::math::students_t dist(c.df);
  const double q = boost::math::quantile(dist, (1.0 + level) / 2.0);
  c.p_value = 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(c.t)));
  c.speedup = std::exp(diff);
  c.speedup_low = std::exp(diff - q * se);
  c.speedup_high = std::exp(diff + q * se);
  const double pooled = std::sqrt(((na - 1.0) * va + (nb - 1.0) * vb) / (na + nb - 2.0));
  if (pooled > 0.0) c.hedges_g = diff / pooled * (1.0 - 3.0 / (4.0 * (na + nb) - 9.0));
  c.valid = true;
  c.significant = c.speedup_low > 1.0 || c.speedup_high < 1.0;
  return c;
}

std::string describe(const Comparison& c) {
  if (!c.valid) return fmt::format("not enough data to compare {} and {}", c.a_name, c.b_name);
  const std::string pct = fmt::format("{:g}%", c.level * 100.0);
  if (!c.significant) {
    return fmt::format("no significant difference between {} and {} ({} CI: {}x to {}x)", c.a_name, c.b_name, pct,
                       ratio_text(c.speedup_low), ratio_text(c.speedup_high));
  }
  if (c.speedup_low > 1.0) {
    return fmt::format("{} is {}x to {}x faster than {} ({} CI)", c.a_name, ratio_text(c.speedup_low),
                       ratio_text(c.speedup_high), c.b_name, pct);
  }
  return fmt::format("{} is {}x to {}x faster than {} ({} CI)", c.b_name, ratio_text(1.0 / c.speedup_high),
                     ratio_text(1.0 / c.speedup_low), c.a_name, pct);
}

}  // namespace lumos::stats

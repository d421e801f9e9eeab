// Tukey outlier fences, the adaptive stopping rule and the one-population check.
#include "lumos/stats/quality.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace lumos::stats {

Fences tukey_fences(const std::vector<double>& xs, double k) {
  Fences f;
  f.q1 = percentile(xs, 25.0);
  f.q3 = percentile(xs, 75.0);
  if (std::isnan(f.q1) || std::isnan(f.q3)) return f;
  const double iqr = f.q3 - f.q1;
  f.low = f.q1 - k * iqr;
  f.high = f.q3 + k * iqr;
  return f;
}

std::vector<bool> mark_outliers(const std::vector<double>& xs, double k) {
  const Fences f = tukey_fences(xs, k);
  std::vector<bool> out(xs.size(), false);
  if (std::isnan(f.low)) return out;
  for (std::size_t i = 0; i < xs.size(); ++i) out[i] = xs[i] < f.low || xs[i] > f.high;
  return out;
}

StopDecision adaptive_stop(const std::vector<double>& xs, const StopRule& rule) {
  StopDecision d;
  if (!xs.empty()) {
    const Interval ci = median_ci(xs, rule.level);
    const double m = median(xs);
    if (ci.meets_level && m != 0.0) d.rel_half_width = (ci.high - ci.low) / 2.0 / std::abs(m);
  }
  if (xs.size() >= rule.max_n) {
    d.stop = true;
    d.reason = "max_n reached";
  } else if (xs.size() >= rule.min_n && d.rel_half_width <= rule.target_rel_half_width) {
    d.stop = true;
    d.reason = "ci narrow enough";
  }
  return d;
}

namespace {

bool disjoint(const Interval& a, const Interval& b) { return a.high < b.low || b.high < a.low; }

// A mode while merging: its peak on the grid and the share of the samples in its basin.
struct Basin {
  std::size_t peak = 0;
  double height = 0;
  double share = 0;
};

// Modes of the kernel density of `logs` (sorted), merged by the rule; see population_check.
std::vector<Peak> density_peaks(const std::vector<double>& logs, const PopulationRule& rule) {
  const auto n = static_cast<double>(logs.size());
  const double spread = std::min(stddev(logs), (percentile(logs, 75.0) - percentile(logs, 25.0)) / 1.34);
  const double h = 0.9 * (spread > 0 ? spread : stddev(logs)) * std::pow(n, -0.2);
  if (!(h > 0)) return {Peak{std::exp(logs.front()), 1.0}};  // every sample the same
  constexpr std::size_t kGrid = 256;
  const double lo = logs.front() - 2 * h, step = (logs.back() + 2 * h - lo) / (kGrid - 1);
  std::vector<double> density(kGrid, 0.0);
  for (std::size_t g = 0; g < kGrid; ++g) {
    const double at = lo + step * static_cast<double>(g);
    for (double x : logs) density[g] += std::exp(-0.5 * ((at - x) / h) * ((at - x) / h));
  }
  // Local maxima (the first point of a plateau) and the lowest point between neighbours.
  std::vector<std::size_t> peaks, valleys;
  for (std::size_t g = 1; g + 1 < kGrid; ++g) {
    if (density[g] > density[g - 1] && density[g] >= density[g + 1]) peaks.push_back(g);
  }
  if (peaks.empty())
    peaks.push_back(static_cast<std::size_t>(std::max_element(density.begin(), density.end()) - density.begin()));
  valleys.reserve(peaks.size());
  for (std::size_t k = 0; k + 1 < peaks.size(); ++k) {
    valleys.push_back(
        static_cast<std::size_t>(std::min_element(density.begin() + static_cast<std::ptrdiff_t>(peaks[k]),
                                                  density.begin() + static_cast<std::ptrdiff_t>(peaks[k + 1]) + 1) -
                                 density.begin()));
  }
  std::vector<Basin> basins;
  basins.reserve(peaks.size());
  std::size_t taken = 0;
  for (std::size_t k = 0; k < peaks.size(); ++k) {
    std::size_t upto = logs.size();
    if (k < valleys.size()) {
      const double edge = lo + step * static_cast<double>(valleys[k]);
      upto = static_cast<std::size_t>(std::upper_bound(logs.begin(), logs.end(), edge) - logs.begin());
    }
    basins.push_back({peaks[k], density[peaks[k]], static_cast<double>(upto - taken) / n});
    taken = upto;
  }
  // Merges basin k + 1 into basin k (valley k goes).
  const auto merge = [&](std::size_t k) {
    Basin& a = basins[k];
    const Basin& b = basins[k + 1];
    if (b.height > a.height) {
      a.peak = b.peak;
      a.height = b.height;
    }
    a.share += b.share;
    basins.erase(basins.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    valleys.erase(valleys.begin() + static_cast<std::ptrdiff_t>(k));
  };
  for (bool merged = true; merged && basins.size() > 1;) {
    merged = false;
    // The shallowest valley first, relative to the lower of its two peaks.
    std::size_t worst = 0;
    double worst_ratio = -1;
    for (std::size_t k = 0; k < valleys.size(); ++k) {
      const double ratio = density[valleys[k]] / std::min(basins[k].height, basins[k + 1].height);
      if (ratio > worst_ratio) {
        worst = k;
        worst_ratio = ratio;
      }
    }
    if (worst_ratio > rule.max_valley) {
      merge(worst);
      merged = true;
      continue;
    }
    // Then the smallest mode, into the neighbour across its higher valley.
    std::size_t small = 0;
    for (std::size_t k = 1; k < basins.size(); ++k) {
      if (basins[k].share < basins[small].share) small = k;
    }
    if (basins[small].share < rule.min_mode_share) {
      const bool left =
          small > 0 && (small == basins.size() - 1 || density[valleys[small - 1]] >= density[valleys[small]]);
      merge(left ? small - 1 : small);
      merged = true;
    }
  }
  std::vector<Peak> out;
  out.reserve(basins.size());
  for (const Basin& b : basins) out.push_back({std::exp(lo + step * static_cast<double>(b.peak)), b.share});
  return out;
}

}  // namespace

Population population_check(const std::vector<double>& xs_in_order, const PopulationRule& rule) {
  Population p;
  std::vector<double> xs;
  xs.reserve(xs_in_order.size());
  for (double x : xs_in_order) {
    if (x > 0) xs.push_back(x);  // NaN compares false
  }
  if (xs.size() < std::max<std::size_t>(rule.min_n, 4)) return p;
  p.checked = true;
  const auto half = static_cast<std::ptrdiff_t>(xs.size() / 2);
  const std::vector<double> first(xs.begin(), xs.begin() + half), second(xs.begin() + half, xs.end());
  p.half_ratio = median(second) / median(first);
  p.drift = disjoint(median_ci(first, rule.level), median_ci(second, rule.level)) &&
            std::max(p.half_ratio, 1.0 / p.half_ratio) > 1.0 + rule.min_shift;
  std::vector<double> logs;
  logs.reserve(xs.size());
  for (double x : xs) logs.push_back(std::log(x));
  std::sort(logs.begin(), logs.end());
  p.peaks = density_peaks(logs, rule);
  return p;
}

}  // namespace lumos::stats

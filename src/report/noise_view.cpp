// Noise you can see: cells whose samples are not one population (drift between the halves of
// the run, or two modes), and the run-to-run spread of each median beside its within-run CI
// when the experiment ran several times (`lumos run --repeat K`). The summary's view and the
// report's table.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lumos/common/format.hpp"
#include "lumos/report/html_report.hpp"
#include "lumos/report/summary.hpp"
#include "report_helpers.hpp"

namespace lumos::report {
namespace {

std::string percent(double share) { return std::isfinite(share) ? fmt::format("+-{:.1f}%", share * 100) : "-"; }

bool any_repeats(const std::vector<NoiseRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const NoiseRow& r) { return r.repeats >= 2; });
}

constexpr const char* kNoiseRule =
    "drift: the medians of the first and second half of a cell's samples (in the order they ran) differ by more "
    "than 10% and their 95% CIs are disjoint; modes: peaks of the density of log latencies holding 10% or more of "
    "the samples each";

}  // namespace

std::vector<NoiseRow> noise_view(const std::vector<cells::Cell>& all) {
  std::vector<NoiseRow> rows;
  for (const auto& c : all) {
    if (!c.key.sequential() || c.n_ok == 0) continue;
    NoiseRow row;
    row.label = c.key.label();
    row.n_ok = c.n_ok;
    row.median_ns = c.e2e_median;
    row.population = c.population;
    row.ci_half = c.ci_rel_half_width();
    row.repeats = c.repeat_medians.size();
    row.repeat_spread = c.repeat_spread();
    for (const auto& [repeat, m] : c.repeat_medians) {
      row.lowest_repeat_ns = std::isfinite(row.lowest_repeat_ns) ? std::min(row.lowest_repeat_ns, m) : m;
      row.highest_repeat_ns = std::isfinite(row.highest_repeat_ns) ? std::max(row.highest_repeat_ns, m) : m;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string describe_population(const stats::Population& p) {
  if (!p.checked) return fmt::format("not checked (fewer than {} samples)", stats::PopulationRule{}.min_n);
  std::string out;
  if (p.drift) out = fmt::format("drift: second half {} the first", text::ratio(p.half_ratio));
  if (p.bimodal()) {
    std::string modes;
    for (const auto& peak : p.peaks) {
      modes += fmt::format("{}{} ({:.0f}%)", modes.empty() ? "" : ", ", text::duration(peak.at), peak.share * 100);
    }
    out += fmt::format("{}{} modes: {}", out.empty() ? "" : "; ", p.peaks.size(), modes);
  }
  return out.empty() ? "one population" : out;
}

std::string format_noise_view(const std::vector<NoiseRow>& rows) {
  std::vector<std::vector<std::string>> flagged;
  std::size_t checked = 0;
  for (const auto& r : rows) {
    checked += r.population.checked ? 1 : 0;
    if (r.flagged()) {
      flagged.push_back(
          {r.label, std::to_string(r.n_ok), text::duration(r.median_ns), describe_population(r.population)});
    }
  }
  std::string out;
  if (flagged.empty()) {
    out = fmt::format("every one of the {} cells checked looks like one population (no drift, one mode)\n", checked);
  } else {
    out = fmt::format("{} of {} cells checked are not one population: their median hides a change or a mix\n",
                      flagged.size(), checked);
    out += aligned_table({"cell", "n", "median", "why"}, flagged, {false, true, true, false});
  }
  out += std::string(kNoiseRule) + ".\n";
  if (!any_repeats(rows)) return out;
  std::vector<std::vector<std::string>> spread;
  spread.reserve(rows.size());
  for (const auto& r : rows) {
    spread.push_back(
        {r.label, std::to_string(r.repeats), text::duration(r.median_ns), percent(r.ci_half), percent(r.repeat_spread),
         r.repeats >= 2 ? text::duration(r.lowest_repeat_ns) + " .. " + text::duration(r.highest_repeat_ns) : "-"});
  }
  out += "\nRun-to-run spread of the median (one median per repeat)\n";
  out += aligned_table({"cell", "repeats", "median", "within-run 95% CI", "run to run", "repeat medians"}, spread,
                       {false, true, true, true, true, false});
  out +=
      "within-run CI = half-width of the 95% CI of the median over all repeats' samples / median; run to run =\n"
      "(highest - lowest repeat median) / 2 / median of the repeat medians. A run-to-run spread far beyond the CI\n"
      "says the CI understates what another run would show.\n";
  return out;
}

Table noise_table(const ReportData& r) {
  const auto rows = noise_view(r.cells);
  const bool repeats = any_repeats(rows);
  Table t{"noise",
          "Noise: cells that are not one population" + std::string(repeats ? ", and run-to-run spread" : ""),
          std::string(kNoiseRule) + "." +
              (repeats ? " Run to run: (highest - lowest median of the repeats) / 2 / their median, beside the "
                         "within-run 95% CI's half-width / median."
                       : " Run the experiment with `lumos run --repeat K` to see each median's run-to-run spread."),
          {"cell", "n", "median", "one population?"},
          {}};
  if (repeats) {
    for (std::string h : {"repeats", "within-run CI", "run to run"}) t.header.push_back(h);
  }
  for (const auto& row : rows) {
    if (!row.flagged() && !repeats) continue;
    t.rows.push_back(
        {row.label, std::to_string(row.n_ok), text::duration(row.median_ns), describe_population(row.population)});
    if (repeats) {
      auto& line = t.rows.back();
      line.insert(line.end(), {std::to_string(row.repeats), percent(row.ci_half), percent(row.repeat_spread)});
    }
  }
  if (t.rows.empty()) {
    t.caption =
        fmt::format("Every one of the {} sequential cells looks like one population. ", rows.size()) + t.caption;
  }
  return t;
}

}  // namespace lumos::report

// Text helpers shared by the trace module's files (CSV, Azure converter, synthetic generator).
// Internal to src/engine: not a public header.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "lumos/common/result.hpp"
#include "lumos/stats/bootstrap.hpp"  // SplitMix64: the project's one seeded PRNG
#include "lumos/trace/trace.hpp"

namespace lumos::trace::detail {

using std::chrono::nanoseconds;
inline constexpr std::string_view kHeader = "offset_ms,function,input";
inline constexpr std::int64_t kNsPerMs = 1'000'000;
inline constexpr std::int64_t kUsPerMinute = 60'000'000;
inline constexpr std::string_view kAzureFixedColumns[] = {"HashOwner", "HashApp", "HashFunction", "Trigger"};

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Splits a CSV line on commas (no quoting: trace fields never hold commas or quotes).
inline void split_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

/// Calls fn(line, line_number) for each line of text (line numbers from 1).
template <typename Fn>
auto for_each_line(std::string_view text, Fn&& fn) -> decltype(fn(text, std::size_t{})) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    ++number;
    if (auto r = fn(line, number); !r) return r;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return {};
}

inline bool is_comment_or_blank(std::string_view line) {
  line = trim(line);
  return line.empty() || line.front() == '#';
}

/// A name the trace CSV can hold unquoted and read back unchanged.
inline bool valid_name(std::string_view s) {
  return !s.empty() && trim(s) == s && s.find_first_of(",\"\r\n") == std::string_view::npos;
}

/// Decimal milliseconds ("12", "12.5", "0.000001") to exact nanoseconds; fractions beyond
/// 6 digits are rounded half up. Returns what is wrong on failure.
inline tl::expected<nanoseconds, std::string> parse_offset_ms(std::string_view s) {
  if (!s.empty() && s.front() == '-') return tl::unexpected(fmt::format("negative offset '{}'", s));
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  auto all_digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(frac) || (dot != std::string_view::npos && frac.empty())) {
    return tl::unexpected(fmt::format("offset '{}' is not a decimal number of milliseconds (e.g. 1250.5)", s));
  }
  std::int64_t ms = 0;
  if (whole.size() > 12 || std::from_chars(whole.data(), whole.data() + whole.size(), ms).ec != std::errc{}) {
    return tl::unexpected(fmt::format("offset '{}' is too large (at most 12 integer digits)", s));
  }
  std::int64_t ns = 0;
  for (std::size_t i = 0; i < 6; ++i) ns = ns * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  if (frac.size() > 6 && frac[6] >= '5') ++ns;
  return nanoseconds(ms * kNsPerMs + ns);
}

inline std::string format_offset_ms(nanoseconds at) {
  const std::int64_t ms = at.count() / kNsPerMs;
  const std::int64_t frac = at.count() % kNsPerMs;
  if (frac == 0) return std::to_string(ms);
  std::string digits = fmt::format("{:06d}", frac);
  while (digits.back() == '0') digits.pop_back();
  return fmt::format("{}.{}", ms, digits);
}

inline void stable_sort_by_time(std::vector<TraceEvent>& events) {
  std::stable_sort(events.begin(), events.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.at < b.at; });
}

inline double uniform01(stats::SplitMix64& rng) {
  return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;  // 53 random bits in [0, 1)
}

/// Exponential inter-arrival time in seconds for a rate in 1/s.
inline double exponential_s(stats::SplitMix64& rng, double rate_per_s) {
  return -std::log1p(-uniform01(rng)) / rate_per_s;
}

inline nanoseconds whole_us(double seconds) {
  return std::chrono::microseconds(static_cast<std::int64_t>(std::floor(seconds * 1e6)));
}

}  // namespace lumos::trace::detail

// Durations, byte counts, ratios and CSV fields as text.
#include "lumos/common/format.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

namespace lumos::text {
namespace {

int decimals_for_three_digits(double v) {
  const double a = std::abs(v);
  return a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
}

}  // namespace

std::string duration(double ns) {
  if (!std::isfinite(ns)) return "-";
  struct Unit {
    std::string_view name;
    double scale;
  };
  constexpr std::array<Unit, 4> kUnits = {{{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}};
  std::size_t u = 0;
  while (u + 1 < kUnits.size() && std::abs(ns) >= kUnits[u + 1].scale) ++u;
  double v = ns / kUnits[u].scale;
  // Rounding to 3 digits can carry into the next unit: 999.7 us is "1.00 ms", not "1000 us".
  if (std::abs(v) >= 999.5 && u + 1 < kUnits.size()) v = ns / kUnits[++u].scale;
  return fmt::format("{:.{}f} {}", v, decimals_for_three_digits(v), kUnits[u].name);
}

std::string duration(std::chrono::nanoseconds d) { return duration(static_cast<double>(d.count())); }

std::string bytes(std::uint64_t b) {
  constexpr double kKiB = 1024.0;
  if (b >= (std::uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(b) / (kKiB * kKiB * kKiB));
  if (b >= (std::uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (kKiB * kKiB));
  if (b >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(b) / kKiB);
  return fmt::format("{} B", b);
}

std::string ratio(double r) {
  if (!std::isfinite(r)) return "-";
  return fmt::format("{:.{}f}x", r, decimals_for_three_digits(r));
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_number(double x) { return std::isfinite(x) ? fmt::format("{}", x) : ""; }

}  // namespace lumos::text

// The one way lumos writes durations, byte counts, ratios and CSV fields for people and files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lumos::text {

/// 3 significant digits in the largest unit that keeps the value >= 1 ("1.23 ms", "456 us",
/// "12.0 s"); "-" when not finite. 999.7 us is "1.00 ms".
std::string duration(double ns);
std::string duration(std::chrono::nanoseconds d);

/// Binary units with one decimal ("512 B", "1.5 KiB", "49.1 MiB", "1.2 GiB").
std::string bytes(std::uint64_t b);

/// "2.41x" with 3 significant digits (as duration); "-" when not finite.
std::string ratio(double r);

/// One RFC 4180 field: quoted (with doubled quotes) when it holds a comma, quote or line end.
std::string csv_field(std::string_view s);

/// A number in shortest round-trip form for CSV/JSON-like output; "" when not finite.
std::string csv_number(double x);

}  // namespace lumos::text

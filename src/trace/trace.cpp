// Invocation traces: the lumos trace CSV (parse, load, format, write), time scaling and summaries.
#include "lumos/trace/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "lumos/common/files.hpp"
#include "trace_text.hpp"

namespace lumos::trace {
using namespace detail;

// --- lumos trace CSV --------------------------------------------------------------------

Result<std::vector<TraceEvent>> parse_trace(const std::string& text, const std::string& origin) {
  std::vector<TraceEvent> events;
  std::vector<std::string_view> fields;
  bool header_seen = false;
  auto r = for_each_line(std::string_view(text), [&](std::string_view line, std::size_t number) -> Result<void> {
    if (is_comment_or_blank(line)) return {};
    split_fields(line, fields);
    if (!header_seen) {
      if (fields.size() == 3 && fields[0] == "offset_ms" && fields[1] == "function" && fields[2] == "input") {
        header_seen = true;
        return {};
      }
      const bool azure = !fields.empty() && fields[0] == "HashOwner";
      return fail(ErrorCode::kConfig,
                  fmt::format("{}:{}: expected the header '{}', found '{}'{}", origin, number, kHeader, trim(line),
                              azure ? " (an Azure Functions trace: convert it with `lumos trace convert`)" : ""));
    }
    if (fields.size() != 3) {
      return fail(ErrorCode::kConfig, fmt::format("{}:{}: {} fields, expected 3 (offset_ms,function,input)", origin,
                                                  number, fields.size()));
    }
    auto at = parse_offset_ms(fields[0]);
    if (!at) return fail(ErrorCode::kConfig, fmt::format("{}:{}: {}", origin, number, at.error()));
    if (fields[1].empty()) return fail(ErrorCode::kConfig, fmt::format("{}:{}: empty function name", origin, number));
    if (fields[2].empty()) {
      return fail(ErrorCode::kConfig, fmt::format("{}:{}: empty input name (e.g. small)", origin, number));
    }
    if (fields[1].find('"') != std::string_view::npos || fields[2].find('"') != std::string_view::npos) {
      return fail(ErrorCode::kConfig,
                  fmt::format("{}:{}: quotes are not supported: names are plain words", origin, number));
    }
    events.push_back({*at, std::string(fields[1]), std::string(fields[2])});
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  if (!header_seen) {
    return fail(ErrorCode::kConfig, fmt::format("{}: empty trace: expected the header '{}'", origin, kHeader));
  }
  stable_sort_by_time(events);
  return events;
}

Result<std::vector<TraceEvent>> load_trace(const std::filesystem::path& path) {
  auto text = read_file(path, "trace");
  if (!text) return tl::unexpected(text.error());
  return parse_trace(*text, path.string());
}

Result<std::string> format_trace(const std::vector<TraceEvent>& events) {
  std::string out(kHeader);
  out += '\n';
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.at.count() < 0) return fail(ErrorCode::kConfig, fmt::format("event {}: negative offset", i));
    if (!valid_name(e.function) || !valid_name(e.input)) {
      return fail(ErrorCode::kConfig, fmt::format("event {}: function '{}' / input '{}': names must be non-empty "
                                                  "without commas, quotes, line breaks or edge spaces",
                                                  i, e.function, e.input));
    }
    out += format_offset_ms(e.at);
    out += ',';
    out += e.function;
    out += ',';
    out += e.input;
    out += '\n';
  }
  return out;
}

Result<void> write_trace(const std::filesystem::path& path, const std::vector<TraceEvent>& events) {
  auto text = format_trace(events);
  if (!text) return tl::unexpected(text.error());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail(ErrorCode::kIo, fmt::format("cannot write trace '{}': does its folder exist?", path.string()));
  out << *text;
  out.close();
  if (!out) return fail(ErrorCode::kIo, fmt::format("error while writing trace '{}'", path.string()));
  return {};
}

std::vector<TraceEvent> time_scale(const std::vector<TraceEvent>& events, double factor) {
  std::vector<TraceEvent> out = events;
  for (auto& e : out) e.at = nanoseconds(std::llround(static_cast<double>(e.at.count()) * factor));
  return out;
}

TraceSummary summarize_trace(const std::vector<TraceEvent>& events) {
  TraceSummary s;
  s.events = events.size();
  if (events.empty()) return s;
  std::map<std::pair<std::string, std::string>, std::size_t> per_function;
  std::map<std::int64_t, std::size_t> per_second;
  s.first = events.front().at;
  for (const auto& e : events) {
    s.first = std::min(s.first, e.at);
    s.duration = std::max(s.duration, e.at);
    ++per_function[{e.function, e.input}];
    s.peak_events_per_s = std::max(s.peak_events_per_s, ++per_second[e.at.count() / 1'000'000'000]);
  }
  if (s.duration.count() > 0) {
    s.mean_rate_per_s = static_cast<double>(s.events) / std::chrono::duration<double>(s.duration).count();
  }
  for (const auto& [key, n] : per_function) s.functions.push_back({key.first, key.second, n});
  std::stable_sort(s.functions.begin(), s.functions.end(),
                   [](const auto& a, const auto& b) { return a.events > b.events; });
  return s;
}

Result<FunctionTarget> parse_function_target(const std::string& text, const std::string& default_input) {
  const std::size_t colon = text.find(':');
  FunctionTarget t{text.substr(0, colon), colon == std::string::npos ? default_input : text.substr(colon + 1)};
  if (!valid_name(t.function) || !valid_name(t.input) || t.input.find(':') != std::string::npos) {
    return fail(ErrorCode::kUsage, fmt::format("'{}': expected NAME[:INPUT], e.g. fibonacci:small", text));
  }
  return t;
}

}  // namespace lumos::trace

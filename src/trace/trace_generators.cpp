// Invocation traces made from data: the Azure Functions 2019 converter and the synthetic generator.
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <utility>

#include "lumos/trace/trace.hpp"
#include "trace_text.hpp"

namespace lumos::trace {
using namespace detail;
namespace {

// --- Azure ----------------------------------------------------------------------------

struct MappedState {
  std::string hash_function;  ///< the full hash the mapping matched first (empty: none yet)
  std::size_t line = 0;
  std::string trigger;
  std::vector<std::uint64_t> per_minute;
};

struct Candidate {
  std::size_t line = 0;
  std::string hash_function;
  std::string trigger;
  std::uint64_t total = 0;
  std::vector<std::uint64_t> per_minute;
};

/// Streams the rows of an Azure-layout file, keeping only the mapped rows and the top-N.
class AzureReader {
 public:
  AzureReader(std::string origin, const AzureOptions& options)
      : origin_(std::move(origin)), options_(options), mapped_(options.map.size()) {}

  Result<void> line(std::string_view line, std::size_t number) {
    if (trim(line).empty()) return {};
    split_fields(line, fields_);
    if (!header_seen_) return header(number);
    if (fields_.size() != columns_) {
      return fail(ErrorCode::kConfig,
                  fmt::format("{}:{}: {} fields, the header has {}", origin_, number, fields_.size(), columns_));
    }
    const std::string_view hash = fields_[2];
    if (hash.empty()) return fail(ErrorCode::kConfig, fmt::format("{}:{}: empty HashFunction", origin_, number));
    range_.clear();
    std::uint64_t total = 0;
    for (std::size_t c = 4; c < fields_.size(); ++c) {
      std::uint64_t count = 0;
      const std::string_view f = fields_[c];
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), count);
      if (f.empty() || ec != std::errc{} || end != f.data() + f.size()) {
        return fail(ErrorCode::kConfig, fmt::format("{}:{}: minute {}: '{}' is not a non-negative integer count",
                                                    origin_, number, c - 3, f));
      }
      const std::size_t minute = c - 3;
      if (minute >= first_ && minute < first_ + count_) {
        range_.push_back(count);
        total += count;
      }
    }
    ++rows_;

    std::optional<std::size_t> mapped;
    for (std::size_t m = 0; m < options_.map.size(); ++m) {
      if (!hash.starts_with(options_.map[m].hash)) continue;
      if (mapped) {
        return fail(ErrorCode::kUsage,
                    fmt::format("--map {} and --map {} both select HashFunction {} ({}:{}): "
                                "give each a longer, distinct prefix",
                                options_.map[*mapped].hash, options_.map[m].hash, hash, origin_, number));
      }
      mapped = m;
      auto& state = mapped_[m];
      if (state.hash_function.empty()) {
        state = MappedState{std::string(hash), number, std::string(fields_[3]), range_};
      } else if (state.hash_function == hash) {  // same function in several rows: add up
        for (std::size_t i = 0; i < range_.size(); ++i) state.per_minute[i] += range_[i];
      } else {
        return fail(ErrorCode::kUsage,
                    fmt::format("--map {}: the prefix matches HashFunction {} ({}:{}) and {} "
                                "({}:{}): give more characters of the hash",
                                options_.map[m].hash, state.hash_function, origin_, state.line, hash, origin_, number));
      }
    }
    if (!mapped && options_.top > 0 && total > 0) consider(number, hash, total);
    return {};
  }

  Result<AzureConversion> finish() {
    if (!header_seen_) {
      return fail(ErrorCode::kConfig, fmt::format("{}: empty file: expected the Azure Functions header "
                                                  "HashOwner,HashApp,HashFunction,Trigger,1,2,...",
                                                  origin_));
    }
    if (rows_ == 0) return fail(ErrorCode::kConfig, fmt::format("{}: no function rows after the header", origin_));
    AzureConversion out;
    for (std::size_t m = 0; m < options_.map.size(); ++m) {
      auto& state = mapped_[m];
      if (state.hash_function.empty()) {
        return fail(ErrorCode::kUsage, fmt::format("--map {}: no HashFunction in {} starts with '{}' "
                                                   "(hashes are case-sensitive)",
                                                   options_.map[m].hash, origin_, options_.map[m].hash));
      }
      out.selected.push_back({state.hash_function, state.trigger, options_.map[m].target, std::move(state.per_minute)});
    }
    if (options_.top > 0 && top_.size() < options_.top) {
      return fail(ErrorCode::kUsage, fmt::format("--top {}: only {} other functions of {} have invocations in minutes "
                                                 "{}..{}; lower --top or widen the range",
                                                 options_.top, top_.size(), origin_, first_, first_ + count_ - 1));
    }
    for (std::size_t i = 0; i < top_.size(); ++i) {
      out.selected.push_back({std::move(top_[i].hash_function), std::move(top_[i].trigger),
                              options_.top_targets[i % options_.top_targets.size()], std::move(top_[i].per_minute)});
    }

    stats::SplitMix64 seeds(options_.seed);
    for (const auto& sel : out.selected) {
      stats::SplitMix64 rng(seeds.next());
      for (std::size_t m = 0; m < sel.per_minute.size(); ++m) {
        const std::uint64_t c = sel.per_minute[m];
        const std::int64_t minute_start_us = static_cast<std::int64_t>(m) * kUsPerMinute;
        for (std::uint64_t k = 0; k < c; ++k) {
          std::int64_t us = 0;
          if (options_.spread == Spread::kUniform) {
            us = static_cast<std::int64_t>(uniform01(rng) * kUsPerMinute);
          } else {
            us = static_cast<std::int64_t>((static_cast<double>(k) + 0.5) * kUsPerMinute / static_cast<double>(c));
          }
          us = std::min(us, kUsPerMinute - 1);
          out.events.push_back(
              {std::chrono::microseconds(minute_start_us + us), sel.target.function, sel.target.input});
        }
      }
    }
    stable_sort_by_time(out.events);
    return out;
  }

 private:
  Result<void> header(std::size_t number) {
    bool fixed_ok = fields_.size() >= 5;
    for (std::size_t i = 0; fixed_ok && i < 4; ++i) fixed_ok = fields_[i] == kAzureFixedColumns[i];
    if (!fixed_ok) {
      std::string hint = fields_.size() == 3 && fields_[0] == "offset_ms"
                             ? " (this is already a lumos trace: use it directly, or `lumos trace show`)"
                             : "";
      return fail(ErrorCode::kConfig, fmt::format("{}:{}: expected the Azure Functions header "
                                                  "HashOwner,HashApp,HashFunction,Trigger,1,2,... (per-minute "
                                                  "invocation counts){}",
                                                  origin_, number, hint));
    }
    for (std::size_t c = 4; c < fields_.size(); ++c) {
      if (fields_[c] != std::to_string(c - 3)) {
        return fail(ErrorCode::kConfig, fmt::format("{}:{}: column {} is '{}', expected minute {}", origin_, number,
                                                    c + 1, fields_[c], c - 3));
      }
    }
    columns_ = fields_.size();
    const std::size_t minutes_in_file = columns_ - 4;
    if (options_.from_minute < 1 || static_cast<std::size_t>(options_.from_minute) > minutes_in_file) {
      return fail(ErrorCode::kUsage, fmt::format("--from-minute {}: {} has minutes 1..{}", options_.from_minute,
                                                 origin_, minutes_in_file));
    }
    first_ = static_cast<std::size_t>(options_.from_minute);
    count_ = options_.minutes == 0 ? minutes_in_file - first_ + 1 : static_cast<std::size_t>(options_.minutes);
    if (options_.minutes < 0 || first_ + count_ - 1 > minutes_in_file) {
      return fail(ErrorCode::kUsage, fmt::format("--from-minute {} --minutes {} goes past minute {}, the last column "
                                                 "of {}",
                                                 options_.from_minute, options_.minutes, minutes_in_file, origin_));
    }
    header_seen_ = true;
    return {};
  }

  /// Keeps the `top` rows with the largest totals; earlier rows win ties.
  void consider(std::size_t number, std::string_view hash, std::uint64_t total) {
    if (top_.size() == options_.top && total <= top_.back().total) return;
    Candidate c{number, std::string(hash), std::string(fields_[3]), total, range_};
    const auto pos = std::upper_bound(top_.begin(), top_.end(), c, [](const Candidate& a, const Candidate& b) {
      return a.total > b.total || (a.total == b.total && a.line < b.line);
    });
    top_.insert(pos, std::move(c));
    if (top_.size() > options_.top) top_.pop_back();
  }

  std::string origin_;
  const AzureOptions& options_;
  bool header_seen_ = false;
  std::size_t columns_ = 0;
  std::size_t first_ = 1, count_ = 0;  ///< selected minutes: [first_, first_ + count_), 1-based
  std::size_t rows_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<std::uint64_t> range_;
  std::vector<MappedState> mapped_;
  std::vector<Candidate> top_;  ///< best first
};

Result<void> check_azure_options(const AzureOptions& options) {
  if (options.top == 0 && !options.top_targets.empty()) {
    return fail(ErrorCode::kUsage, "--functions names the lumos functions for --top N: add --top N (or use --map)");
  }
  if (options.map.empty() && options.top == 0) {
    return fail(ErrorCode::kUsage,
                "nothing selected: map functions with --map HASH=NAME[:INPUT] or take the busiest "
                "with --top N --functions NAME[,NAME...]");
  }
  for (const auto& m : options.map) {
    if (m.hash.empty()) return fail(ErrorCode::kUsage, "--map: empty hash; use --map HASH=NAME[:INPUT]");
  }
  if (options.top > 0 && options.top_targets.empty()) {
    return fail(ErrorCode::kUsage, fmt::format("--top {} needs --functions NAME[,NAME...]: the lumos functions that "
                                               "stand for the busiest Azure functions",
                                               options.top));
  }
  if (options.top_targets.size() > options.top) {
    return fail(ErrorCode::kUsage, fmt::format("{} --functions for --top {}: give at most as many functions as --top "
                                               "(they are reused in turn when fewer)",
                                               options.top_targets.size(), options.top));
  }
  return {};
}

}  // namespace

// --- Azure ----------------------------------------------------------------------------

Result<AzureConversion> convert_azure_text(const std::string& text, const std::string& origin,
                                           const AzureOptions& options) {
  if (auto ok = check_azure_options(options); !ok) return tl::unexpected(ok.error());
  AzureReader reader(origin, options);
  auto r = for_each_line(std::string_view(text),
                         [&](std::string_view line, std::size_t number) { return reader.line(line, number); });
  if (!r) return tl::unexpected(r.error());
  return reader.finish();
}

Result<AzureConversion> convert_azure_file(const std::filesystem::path& csv_path, const AzureOptions& options) {
  if (auto ok = check_azure_options(options); !ok) return tl::unexpected(ok.error());
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIo, fmt::format("cannot read Azure trace '{}': check the path", csv_path.string()));
  }
  // Line by line: a published day file is ~150 MB, of which only a few rows are kept.
  AzureReader reader(csv_path.string(), options);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    if (auto r = reader.line(line, ++number); !r) return tl::unexpected(r.error());
  }
  if (in.bad()) return fail(ErrorCode::kIo, fmt::format("error while reading '{}'", csv_path.string()));
  return reader.finish();
}

Result<std::vector<TraceEvent>> convert_azure(const std::filesystem::path& csv_path, const AzureOptions& options) {
  auto conversion = convert_azure_file(csv_path, options);
  if (!conversion) return tl::unexpected(conversion.error());
  return std::move(conversion->events);
}

// --- Synthetic ------------------------------------------------------------------------

std::vector<SyntheticFunction> default_synthetic_functions() {
  return {{{"hello", "small"}, 1.5}, {{"fibonacci", "small"}, 1.0}, {{"prime-numbers", "small"}, 0.5}};
}

Result<std::vector<TraceEvent>> generate_synthetic(const SyntheticOptions& options) {
  const auto functions = options.functions.empty() ? default_synthetic_functions() : options.functions;
  for (const auto& f : functions) {
    if (!valid_name(f.target.function) || !valid_name(f.target.input)) {
      return fail(ErrorCode::kUsage, fmt::format("function '{}' input '{}': names must be non-empty, without commas "
                                                 "or quotes",
                                                 f.target.function, f.target.input));
    }
    if (!(f.rate_per_s > 0) || !std::isfinite(f.rate_per_s)) {
      return fail(ErrorCode::kUsage,
                  fmt::format("function '{}': rate {} per s must be > 0", f.target.function, f.rate_per_s));
    }
  }
  if (options.duration.count() <= 0) return fail(ErrorCode::kUsage, "--duration must be > 0");
  if (options.period.count() <= 0) return fail(ErrorCode::kUsage, "--period must be > 0");
  if (!(options.amplitude >= 0 && options.amplitude <= 1))
    return fail(ErrorCode::kUsage, "--amplitude must be in [0, 1]");
  if (!(options.bursts_per_minute >= 0) || !std::isfinite(options.bursts_per_minute)) {
    return fail(ErrorCode::kUsage, "--bursts-per-minute must be >= 0");
  }
  if (options.burst_length.count() < 0) return fail(ErrorCode::kUsage, "--burst-length must be >= 0");
  if (!(options.burst_factor >= 1) || !std::isfinite(options.burst_factor)) {
    return fail(ErrorCode::kUsage, "--burst-factor must be >= 1");
  }

  using Seconds = std::chrono::duration<double>;
  const double duration_s = Seconds(options.duration).count();
  const double period_s = Seconds(options.period).count();
  const double burst_length_s = Seconds(options.burst_length).count();
  const std::size_t n = functions.size();

  // One stream for the bursts, then one per function, all derived from the seed.
  stats::SplitMix64 seeds(options.seed);
  stats::SplitMix64 burst_rng(seeds.next());
  std::vector<std::vector<double>> burst_starts(n);  // per function, increasing
  if (options.bursts_per_minute > 0 && burst_length_s > 0) {
    for (double t = exponential_s(burst_rng, options.bursts_per_minute / 60.0); t < duration_s;
         t += exponential_s(burst_rng, options.bursts_per_minute / 60.0)) {
      burst_starts[burst_rng.index(n)].push_back(t);
    }
  }

  std::vector<TraceEvent> events;
  for (std::size_t i = 0; i < n; ++i) {
    stats::SplitMix64 rng(seeds.next());
    const auto& f = functions[i];
    const double phase = 2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
    const double max_rate = f.rate_per_s * (1 + options.amplitude) * options.burst_factor;
    const auto& bursts = burst_starts[i];
    std::size_t next_burst = 0;  // bursts[0, next_burst) started at or before t
    for (double t = exponential_s(rng, max_rate); t < duration_s; t += exponential_s(rng, max_rate)) {
      while (next_burst < bursts.size() && bursts[next_burst] <= t) ++next_burst;
      const bool in_burst = next_burst > 0 && t < bursts[next_burst - 1] + burst_length_s;
      const double rate = f.rate_per_s *
                          (1 + options.amplitude * std::sin(2 * std::numbers::pi * t / period_s + phase)) *
                          (in_burst ? options.burst_factor : 1.0);
      if (uniform01(rng) * max_rate < rate) events.push_back({whole_us(t), f.target.function, f.target.input});
    }
  }
  stable_sort_by_time(events);
  return events;
}

}  // namespace lumos::trace

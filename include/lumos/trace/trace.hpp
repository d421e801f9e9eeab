// Invocation traces: the lumos trace CSV, time scaling, the Azure Functions converter and a
// seeded synthetic generator. Pure library code: no printing, errors are Results.
//
// The lumos trace format (docs/ARCHITECTURE.md "Traces", traces/README.md) is a CSV file
// with the header `offset_ms,function,input` and one invocation per line: the offset in
// milliseconds from the start of the replay (decimal, up to 6 fractional digits = 1 ns),
// the lumos function name and the name of one of its inputs. Blank lines and lines starting
// with `#` are ignored.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"

namespace lumos::trace {

/// One invocation of a trace.
struct TraceEvent {
  std::chrono::nanoseconds at{0};  ///< offset from the start of the replay, >= 0
  std::string function;            ///< lumos function name, e.g. "fibonacci"
  std::string input;               ///< input name of that function, e.g. "small"

  bool operator==(const TraceEvent&) const = default;
};

/// Parses trace CSV text (see the file comment). Events are returned stably sorted by `at`:
/// events with equal offsets keep their order in the file. Errors (kConfig) name
/// `origin:line` and what is wrong: missing or wrong header, wrong number of fields,
/// a malformed or negative offset, an empty function or input name.
Result<std::vector<TraceEvent>> parse_trace(const std::string& text, const std::string& origin);

/// Reads and parses a trace file (kIo if it cannot be read).
Result<std::vector<TraceEvent>> load_trace(const std::filesystem::path& path);

/// Writes events in the trace format, in the given order, offsets exact to the nanosecond
/// (trailing zeros of the fraction dropped). Fails with kConfig for a negative offset or a
/// name that is empty or holds a comma, quote or line break, with kIo if the file cannot be
/// written.
Result<void> write_trace(const std::filesystem::path& path, const std::vector<TraceEvent>& events);

/// The trace CSV text that write_trace writes (same checks).
Result<std::string> format_trace(const std::vector<TraceEvent>& events);

/// Multiplies every offset by `factor` (rounded to the nearest ns): 0.5 replays the trace in
/// half the time at twice the rate, 2 stretches it to half the rate. Order is kept.
/// Precondition: factor is finite and > 0 (callers validate user input; the CLI does).
std::vector<TraceEvent> time_scale(const std::vector<TraceEvent>& events, double factor);

/// What `lumos trace show` prints.
struct TraceSummary {
  struct PerFunction {
    std::string function;
    std::string input;
    std::size_t events = 0;
  };
  std::size_t events = 0;
  std::chrono::nanoseconds first{0};     ///< offset of the first event
  std::chrono::nanoseconds duration{0};  ///< offset of the last event (the replay starts at 0)
  double mean_rate_per_s = 0;            ///< events / duration; 0 when the duration is 0
  std::size_t peak_events_per_s = 0;     ///< most events in one whole second [k s, k+1 s)
  std::vector<PerFunction> functions;    ///< per (function, input), busiest first, then by name
};

/// Counts of a trace; events need not be sorted.
TraceSummary summarize_trace(const std::vector<TraceEvent>& events);

// --- Azure Functions public trace ------------------------------------------------------

/// How per-minute counts are placed inside their minute.
enum class Spread {
  /// Each of the c invocations of a minute gets an independent uniform offset in the minute.
  /// This is exactly a Poisson process conditioned on c arrivals in that minute, so the
  /// counts per minute are kept while arrivals within it are Poisson-like.
  kUniform,
  /// The c invocations at (k + 0.5) * 60 s / c, k = 0..c-1: deterministic, evenly spaced.
  kEven,
};

/// A lumos function (and input) that a trace function stands for.
struct FunctionTarget {
  std::string function;
  std::string input;
};

/// An explicit mapping of one Azure function (`HashFunction` column) to a lumos function.
struct AzureMapping {
  std::string hash;  ///< HashFunction, or a prefix of it that matches one hash of the file
  FunctionTarget target;
};

/// Options of convert_azure. At least one of `map` and `top` must select something.
struct AzureOptions {
  std::vector<AzureMapping> map;
  /// Also take the `top` busiest remaining functions (most invocations in the minute range;
  /// ties: earlier row first). The i-th busiest becomes top_targets[i % top_targets.size()].
  std::size_t top = 0;
  std::vector<FunctionTarget> top_targets;  ///< required when top > 0; at most `top` entries
  int from_minute = 1;                      ///< first minute column to use, 1-based like the file's columns
  int minutes = 0;                          ///< number of minutes; 0: up to the last column of the file
  Spread spread = Spread::kUniform;
  std::uint64_t seed = 1;
};

/// One Azure function that convert_azure used, with its invocations in the minute range.
struct AzureSelection {
  std::string hash_function;
  std::string trigger;
  FunctionTarget target;
  std::vector<std::uint64_t> per_minute;  ///< one count per selected minute
};

/// The converted trace and what it was made from.
struct AzureConversion {
  std::vector<TraceEvent> events;        ///< stably sorted by offset; minute m of the range
                                         ///< starts at (m - from_minute) * 60 s
  std::vector<AzureSelection> selected;  ///< explicit mappings first, then the top-N
};

/// Converts CSV text in the Azure Functions 2019 invocation layout: columns HashOwner,
/// HashApp, HashFunction, Trigger, then one column per minute named 1, 2, ... (1440 in the
/// published files). Every invocation counted in a selected minute becomes exactly one event,
/// placed inside that minute by `spread` with a PRNG seeded from `options.seed` (the same seed
/// gives the same trace; each selected function has its own stream, derived from the seed and
/// its position in `selected`). Offsets are whole microseconds. Rows that share a mapped
/// HashFunction are added up. Errors: kConfig naming `origin:line` for a malformed file;
/// kUsage for an unknown or ambiguous hash, a minute range outside the file, or no selection.
Result<AzureConversion> convert_azure_text(const std::string& text, const std::string& origin,
                                           const AzureOptions& options);

/// Reads an Azure-layout CSV file and converts it (see convert_azure_text); kIo if unreadable.
Result<AzureConversion> convert_azure_file(const std::filesystem::path& csv_path, const AzureOptions& options);

/// The events of convert_azure_file.
Result<std::vector<TraceEvent>> convert_azure(const std::filesystem::path& csv_path, const AzureOptions& options);

// --- Synthetic traces --------------------------------------------------------------------

/// One function of a synthetic trace and its mean rate.
struct SyntheticFunction {
  FunctionTarget target;
  double rate_per_s = 1.0;  ///< mean invocations per second without bursts, > 0
};

/// A seeded mix: every function is a Poisson process whose rate follows a "diurnal" sine,
///   rate_i(t) = rate_per_s_i * (1 + amplitude * sin(2 pi t / period + 2 pi i / n)) * b_i(t),
/// (n functions, phases spread so they peak at different times), with bursts: burst starts
/// form a Poisson process of `bursts_per_minute`; each burst hits one function chosen
/// uniformly and multiplies its rate by `burst_factor` (b_i = burst_factor while any burst on
/// it is active, else 1) for `burst_length`. Arrivals are drawn by thinning (Lewis-Shedler).
/// Over whole periods and without bursts, the expected count of function i is
/// rate_per_s_i * duration; bursts add about rate_per_s_i * duration * (burst_factor - 1) *
/// (bursts_per_minute / 60) * burst_length_s / n.
struct SyntheticOptions {
  std::vector<SyntheticFunction> functions;  ///< empty: default_synthetic_functions()
  std::chrono::nanoseconds duration{std::chrono::seconds(120)};
  std::chrono::nanoseconds period{std::chrono::seconds(60)};  ///< of the sine, > 0
  double amplitude = 0.5;                                     ///< in [0, 1]
  double bursts_per_minute = 3.0;                             ///< >= 0; 0: no bursts
  std::chrono::nanoseconds burst_length{std::chrono::seconds(3)};
  double burst_factor = 4.0;  ///< >= 1
  std::uint64_t seed = 1;
};

/// hello, fibonacci and prime-numbers with their `small` inputs at 1.5, 1.0 and 0.5 per s.
std::vector<SyntheticFunction> default_synthetic_functions();

/// Generates a synthetic trace (stably sorted by offset; offsets are whole microseconds in
/// [0, duration)). Same options and seed: the same trace. kUsage for options out of range.
Result<std::vector<TraceEvent>> generate_synthetic(const SyntheticOptions& options);

/// Parses "NAME[:INPUT]" (INPUT defaults to `default_input`); kUsage if NAME or INPUT is empty
/// or holds a character the trace format cannot hold.
Result<FunctionTarget> parse_function_target(const std::string& text, const std::string& default_input);

}  // namespace lumos::trace

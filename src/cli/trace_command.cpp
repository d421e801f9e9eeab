// `lumos trace convert|generate|show`: make invocation traces and look at them (engine/trace.hpp).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lumos/trace/trace.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace {

namespace fs = std::filesystem;
using trace::TraceEvent;

int report(const Error& e) {
  std::fprintf(stderr, "lumos trace: %s\n", e.to_string().c_str());
  return e.code == ErrorCode::kUsage ? kExitUsage : kExitFailure;
}

std::chrono::nanoseconds seconds_to_ns(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

std::string format_seconds(std::chrono::nanoseconds d) {
  return fmt::format("{:.3f} s", std::chrono::duration<double>(d).count());
}

void print_summary(const std::vector<TraceEvent>& events) {
  const auto s = trace::summarize_trace(events);
  std::printf("events      %zu\n", s.events);
  std::printf("duration    %s (last offset; first event at %s)\n", format_seconds(s.duration).c_str(),
              format_seconds(s.first).c_str());
  std::printf("mean rate   %.3f /s (peak %zu in one second)\n", s.mean_rate_per_s, s.peak_events_per_s);
  if (s.functions.empty()) return;
  std::printf("\n  %-24s %-12s %8s %7s %9s\n", "function", "input", "events", "share", "rate/s");
  const double secs = std::chrono::duration<double>(s.duration).count();
  for (const auto& f : s.functions) {
    std::printf("  %-24s %-12s %8zu %6.1f%% %9.3f\n", f.function.c_str(), f.input.c_str(), f.events,
                100.0 * static_cast<double>(f.events) / static_cast<double>(s.events),
                secs > 0 ? static_cast<double>(f.events) / secs : 0.0);
  }
}

Result<void> write_and_report(const fs::path& out, const std::vector<TraceEvent>& events) {
  if (auto w = trace::write_trace(out, events); !w) return w;
  const auto s = trace::summarize_trace(events);
  std::printf("wrote %zu events over %s (%.3f /s) to %s\n", s.events, format_seconds(s.duration).c_str(),
              s.mean_rate_per_s, out.c_str());
  return {};
}

struct ConvertFlags {
  fs::path azure, out;
  std::vector<std::string> maps, functions;
  std::string input = "small";
  std::size_t top = 0;
  int from_minute = 1;
  int minutes = 0;
  std::string spread = "uniform";
  std::uint64_t seed = 1;
  double time_scale = 1.0;
};

int run_convert(const ConvertFlags& f) {
  trace::AzureOptions options;
  for (const auto& m : f.maps) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      return report({ErrorCode::kUsage, fmt::format("--map '{}': expected HASH=NAME[:INPUT], e.g. "
                                                    "--map 9f86d08=fibonacci:small",
                                                    m)});
    }
    auto target = trace::parse_function_target(m.substr(eq + 1), f.input);
    if (!target) return report({ErrorCode::kUsage, "--map " + target.error().message});
    options.map.push_back({m.substr(0, eq), *target});
  }
  for (const auto& name : f.functions) {
    auto target = trace::parse_function_target(name, f.input);
    if (!target) return report({ErrorCode::kUsage, "--functions " + target.error().message});
    options.top_targets.push_back(*target);
  }
  options.top = f.top;
  options.from_minute = f.from_minute;
  options.minutes = f.minutes;
  options.spread = f.spread == "even" ? trace::Spread::kEven : trace::Spread::kUniform;
  options.seed = f.seed;

  auto conversion = trace::convert_azure_file(f.azure, options);
  if (!conversion) return report(conversion.error());
  std::printf("  %-14s %-10s %-28s %10s\n", "HashFunction", "trigger", "-> function:input", "events");
  for (const auto& sel : conversion->selected) {
    std::uint64_t total = 0;
    for (auto c : sel.per_minute) total += c;
    std::printf("  %-14s %-10s %-28s %10llu\n", sel.hash_function.substr(0, 12).c_str(), sel.trigger.c_str(),
                (sel.target.function + ":" + sel.target.input).c_str(), static_cast<unsigned long long>(total));
  }
  const auto events = f.time_scale == 1.0 ? conversion->events : trace::time_scale(conversion->events, f.time_scale);
  if (auto w = write_and_report(f.out, events); !w) return report(w.error());
  return 0;
}

struct GenerateFlags {
  fs::path out;
  std::vector<std::string> functions;
  std::string input = "small";
  double duration_s = 120, period_s = 60, amplitude = 0.5;
  double bursts_per_minute = 3, burst_length_s = 3, burst_factor = 4;
  std::uint64_t seed = 1;
};

int run_generate(const GenerateFlags& f) {
  trace::SyntheticOptions options;
  for (const auto& spec : f.functions) {
    const auto eq = spec.rfind('=');
    double rate = 0;
    if (eq == std::string::npos) {
      return report({ErrorCode::kUsage, fmt::format("--function '{}': expected NAME[:INPUT]=RATE (per second), e.g. "
                                                    "--function fibonacci:small=1.5",
                                                    spec)});
    }
    try {
      std::size_t used = 0;
      rate = std::stod(spec.substr(eq + 1), &used);
      if (used != spec.size() - eq - 1) rate = -1;
    } catch (const std::exception&) {
      rate = -1;
    }
    if (!(rate > 0) || !std::isfinite(rate)) {
      return report({ErrorCode::kUsage, fmt::format("--function '{}': the rate after '=' must be a number > 0 "
                                                    "(invocations per second)",
                                                    spec)});
    }
    auto target = trace::parse_function_target(spec.substr(0, eq), f.input);
    if (!target) return report({ErrorCode::kUsage, "--function " + target.error().message});
    options.functions.push_back({*target, rate});
  }
  if (options.functions.empty()) {
    options.functions = trace::default_synthetic_functions();
    for (auto& fn : options.functions) fn.target.input = f.input;
  }
  options.duration = seconds_to_ns(f.duration_s);
  options.period = seconds_to_ns(f.period_s);
  options.amplitude = f.amplitude;
  options.bursts_per_minute = f.bursts_per_minute;
  options.burst_length = seconds_to_ns(f.burst_length_s);
  options.burst_factor = f.burst_factor;
  options.seed = f.seed;
  auto events = trace::generate_synthetic(options);
  if (!events) return report(events.error());
  if (auto w = write_and_report(f.out, *events); !w) return report(w.error());
  return 0;
}

int run_show(const fs::path& file, double scale, std::size_t head) {
  auto events = trace::load_trace(file);
  if (!events) return report(events.error());
  const auto scaled = scale == 1.0 ? *events : trace::time_scale(*events, scale);
  std::printf("trace       %s%s\n", file.c_str(), scale == 1.0 ? "" : fmt::format(" (time scale {})", scale).c_str());
  print_summary(scaled);
  if (head > 0) {
    std::printf("\n  %12s  %s\n", "offset_ms", "function:input");
    for (std::size_t i = 0; i < head && i < scaled.size(); ++i) {
      std::printf("  %12.3f  %s:%s\n", std::chrono::duration<double, std::milli>(scaled[i].at).count(),
                  scaled[i].function.c_str(), scaled[i].input.c_str());
    }
  }
  return 0;
}

}  // namespace

Subcommand add_trace_command(CLI::App& parent) {
  Subcommand sub;
  auto* trace =
      parent.add_subcommand("trace", "Make invocation traces (lumos CSV: offset_ms,function,input) and inspect them");
  trace->require_subcommand(1);
  trace->footer("Format and examples: traces/README.md. Exit codes: 0 ok, 1 error, 2 usage.");
  sub.app = trace;

  // Flags live as long as the app: shared_ptrs captured by the run callback.
  auto cf = std::make_shared<ConvertFlags>();
  auto* convert = trace->add_subcommand(
      "convert", "Convert an Azure Functions trace (per-function invocation counts per minute) to a lumos trace");
  convert->add_option("azure", cf->azure, "Azure CSV: HashOwner,HashApp,HashFunction,Trigger,1..1440")
      ->required()
      ->check(CLI::ExistingFile);
  convert->add_option("-o,--out", cf->out, "Output lumos trace CSV")->required();
  convert->add_option("--map", cf->maps,
                      "HASH=NAME[:INPUT]: replay Azure function HASH (HashFunction or a unique "
                      "prefix) as lumos function NAME (repeatable)");
  convert->add_option("--top", cf->top, "Also take the N busiest (other) functions in the minute range")
      ->check(CLI::PositiveNumber);
  convert
      ->add_option("--functions", cf->functions,
                   "NAME[:INPUT],...: lumos functions for the --top functions, "
                   "busiest first, reused in turn when fewer than N")
      ->delimiter(',');
  convert->add_option("--input", cf->input, "Input name where NAME has no :INPUT")->capture_default_str();
  convert->add_option("--from-minute", cf->from_minute, "First minute column (1-based)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  convert->add_option("--minutes", cf->minutes, "Number of minutes (0: to the end of the file)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  convert
      ->add_option("--spread", cf->spread,
                   "Placement inside each minute: uniform (seeded; = Poisson arrivals given the count) or even")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "even"}));
  convert->add_option("--seed", cf->seed, "PRNG seed of the spread (same seed, same trace)")->capture_default_str();
  convert->add_option("--time-scale", cf->time_scale, "Multiply offsets (0.1: ten times faster)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  convert->footer(
      "Every invocation counted in a selected minute becomes one event in that minute; minute --from-minute starts at "
      "offset 0.\nExamples:\n  lumos trace convert d01.csv -o t.csv --top 3 --functions fibonacci,hello,prime-numbers "
      "--input small --minutes 10\n  lumos trace convert d01.csv -o t.csv --map 9f86d08=fibonacci:small --seed 7");

  auto gf = std::make_shared<GenerateFlags>();
  auto* generate = trace->add_subcommand(
      "generate", "Generate a seeded synthetic trace: sine-modulated ('diurnal') Poisson arrivals with bursts");
  generate->add_option("-o,--out", gf->out, "Output lumos trace CSV")->required();
  generate->add_option("--function", gf->functions,
                       "NAME[:INPUT]=RATE: a function and its mean rate per second (repeatable; default "
                       "hello=1.5 fibonacci=1 prime-numbers=0.5)");
  generate->add_option("--input", gf->input, "Input name where NAME has no :INPUT")->capture_default_str();
  generate->add_option("--duration", gf->duration_s, "Length of the trace in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  generate->add_option("--period", gf->period_s, "Period of the rate's sine in seconds (a compressed 'day')")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  generate->add_option("--amplitude", gf->amplitude, "Relative amplitude of the sine, 0..1")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  generate->add_option("--bursts-per-minute", gf->bursts_per_minute, "Mean burst starts per minute (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--burst-length", gf->burst_length_s, "Length of a burst in seconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  generate->add_option("--burst-factor", gf->burst_factor, "Rate multiplier of the function a burst hits (>= 1)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  generate->add_option("--seed", gf->seed, "PRNG seed (same options and seed, same trace)")->capture_default_str();
  generate->footer(
      "Model: rate_i(t) = RATE_i * (1 + amplitude * sin(2 pi t / period + 2 pi i / n)) * burst factor "
      "while a burst hits function i; see traces/README.md.");

  auto show_file = std::make_shared<fs::path>();
  auto show_scale = std::make_shared<double>(1.0);
  auto show_head = std::make_shared<std::size_t>(0);
  auto* show = trace->add_subcommand("show", "Events, duration, mean rate and per-function counts of a lumos trace");
  show->add_option("file", *show_file, "lumos trace CSV")->required()->check(CLI::ExistingFile);
  show->add_option("--time-scale", *show_scale, "Multiply offsets first (as a scaled replay would)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  show->add_option("--head", *show_head, "Also list the first N events")->capture_default_str();

  sub.run = [convert, generate, show, cf, gf, show_file, show_scale, show_head] {
    if (*convert) return run_convert(*cf);
    if (*generate) return run_generate(*gf);
    if (*show) return run_show(*show_file, *show_scale, *show_head);
    return kExitUsage;
  };
  return sub;
}

}  // namespace lumos::cli

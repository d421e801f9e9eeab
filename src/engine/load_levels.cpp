// Load cells: per level a fresh pool and N closed-loop clients, or an open-loop arrival process.
#include "run_parts.hpp"

namespace lumos::engine::run_detail {
namespace {

using std::chrono::nanoseconds;

/// Runs one load cell: for each level, a fresh pool and N closed-loop clients, or an open-loop
/// arrival process timed from each request's intended send time (no coordinated omission).
class LoadRunner {
 public:
  LoadRunner(const RunPlan& plan, CellRunner& cell_runner, runtime::Runtime& rt, const Cell& cell,
             telemetry::InvocationSink& sink)
      : plan_(plan), spec_(*plan.load), cells_(cell_runner), rt_(rt), cell_(cell), sink_(sink) {}

  Result<void> run(CellReport& report) {
    if (spec_.kind == telemetry::LoadKind::kClosed) {
      for (int n : spec_.concurrency) {
        if (auto r = level(static_cast<double>(n), report); !r) return r;
      }
    } else {
      for (double rate : spec_.rates) {
        if (auto r = level(rate, report); !r) return r;
      }
    }
    return {};
  }

 private:
  using Clock = std::chrono::steady_clock;

  Result<void> level(double level, CellReport& report) {
    if (plan_.done) {
      telemetry::Invocation probe = cells_.blank(0);
      probe.load = spec_.kind;
      probe.level = level;
      if (plan_.done->count(record_key(probe))) return {};  // resumed: this level has records
    }
    InstancePool pool(rt_, cell_.function->name, spec_.pool, plan_.start_timeout);
    if (auto warmed = pool.prewarm(); !warmed) {
      report.first_error = warmed.error().to_string();
    }
    std::vector<Clock::duration> offsets;  // open loop: intended send times
    int clients = 0;
    int total = 0;
    if (spec_.kind == telemetry::LoadKind::kClosed) {
      clients = static_cast<int>(level);
      total = spec_.requests;
    } else {
      std::mt19937_64 rng(spec_.seed);
      std::exponential_distribution<double> gap(level);
      double t = 0;
      double end = std::chrono::duration<double>(spec_.duration).count();
      for (;;) {
        t += spec_.arrival == "fixed" ? 1.0 / level : gap(rng);
        if (t >= end) break;
        offsets.push_back(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t)));
      }
      total = static_cast<int>(offsets.size());
      clients = std::min(spec_.max_in_flight, std::max(1, total));
    }
    std::atomic<int> next{0};
    ConcurrentRecorder recorder{sink_, report, plan_.on_invocation};
    const auto start = Clock::now();
    auto client = [&] {
      for (;;) {
        int i = next++;
        if (i >= total) return;
        auto issued =
            spec_.kind == telemetry::LoadKind::kClosed ? Clock::now() : start + offsets[static_cast<std::size_t>(i)];
        if (spec_.kind != telemetry::LoadKind::kClosed) std::this_thread::sleep_until(issued);
        telemetry::Invocation inv = cells_.blank(i);
        inv.load = spec_.kind;
        inv.level = level;
        inv.offset_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(issued - start).count();
        inv.started_at = utc_now();
        serve_with_pool(plan_, cells_, pool, inv, issued);
        recorder.record(inv);
      }
    };
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(clients));
    for (int c = 0; c < clients; ++c) threads.emplace_back(client);
    for (auto& t : threads) t.join();
    recorder.report_cells();
    if (recorder.error) return tl::unexpected(*recorder.error);
    return {};
  }

  const RunPlan& plan_;
  const LoadSpec& spec_;
  CellRunner& cells_;
  runtime::Runtime& rt_;
  const Cell& cell_;
  telemetry::InvocationSink& sink_;
};

}  // namespace

Result<void> run_load_cell(const RunPlan& plan, CellRunner& runner, runtime::Runtime& rt, const Cell& cell,
                           telemetry::InvocationSink& sink, CellReport& report) {
  LoadRunner load(plan, runner, rt, cell, sink);
  return load.run(report);
}

}  // namespace lumos::engine::run_detail

// The engine's shared machinery for concurrent clients: the recorder they share, one load
// request through the instance pool, and the entry points of load levels and trace replay.
// Internal to src/engine.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "cell_runner.hpp"
#include "device.hpp"

namespace lumos::engine::run_detail {

/// Records invocations from several client threads: counts them into the cell report,
/// writes them to the sink, keeps the first write error, and reports progress.
struct ConcurrentRecorder {
  ConcurrentRecorder(telemetry::InvocationSink& sink, CellReport& report, const std::function<void()>& on_invocation)
      : sink(sink), report(report), on_invocation(on_invocation) {}

  void record(const telemetry::Invocation& inv) {
    {
      std::lock_guard lock(mutex);
      if (inv.ok) {
        ++report.ok;
      } else {
        ++report.failed;
        if (report.first_error.empty()) report.first_error = inv.error_text();
      }
      if (auto w = sink.write(inv); !w && !error) error = w.error();
      records.push_back(inv);
    }
    if (on_invocation) on_invocation();  // thread-safe (RunPlan); drawing must not hold up the clients
  }

  telemetry::InvocationSink& sink;
  CellReport& report;
  const std::function<void()>& on_invocation;
  std::mutex mutex;
  std::optional<Error> error;                  ///< the first write failure
  std::vector<telemetry::Invocation> records;  ///< what was recorded, for the cell report

  /// Adds the recorded invocations' cells to the report (call when the clients are done).
  void report_cells() {
    auto more = cells::group(records);
    report.cells.insert(report.cells.end(), more.begin(), more.end());
  }
};

/// One request of a load: lease an instance from the pool (cold if it had to start one),
/// invoke, check, give the instance back. e2e counts from `issued`.
inline void serve_with_pool(const RunPlan& plan, CellRunner& cells, InstancePool& pool, telemetry::Invocation& inv,
                            std::chrono::steady_clock::time_point issued) {
  using Clock = std::chrono::steady_clock;
  auto lease = pool.acquire();
  if (!lease) {
    inv.e2e = Clock::now() - issued;
    inv.set_error(lease.error());
    inv.fresh_instance = true;
    return;
  }
  // A Spin-style pool starts a new instance for every request (its phases come with the
  // response); a request that also had to wait for a new host has that host's start too.
  inv.fresh_instance = lease->cold || pool.instance_starts();
  if (lease->cold) inv.phases = lease->instance->start_phases();
  auto t0 = Clock::now();
  auto response = lease->instance->invoke(cells.request_for(inv), plan.timeout);
  auto t1 = Clock::now();
  inv.e2e = t1 - issued;
  inv.phases["invoke"] = t1 - t0;
  // Time between the intended send and the request leaving: waiting for a client thread
  // (open loop, trace) or for a free instance.
  auto before_invoke = std::chrono::duration_cast<std::chrono::nanoseconds>(t0 - issued) - lease->started;
  inv.phases["queue"] = std::max(std::chrono::nanoseconds(0), before_invoke);
  cells.record_response(inv, response);
  CellRunner::record_cpus(inv, *lease->instance);
  auto stats = lease->instance->stats();
  inv.peak_rss_bytes = stats.peak_rss_bytes;
  pool.release(std::move(lease->instance));
}

/// Runs one load cell's levels (load_levels.cpp).
Result<void> run_load_cell(const RunPlan& plan, CellRunner& runner, runtime::Runtime& rt, const Cell& cell,
                           telemetry::InvocationSink& sink, CellReport& report);

/// Trace replay: one pass over the trace per io x runtime, every function at once (trace_replay.cpp).
Result<RunTotals> run_trace_passes(const RunPlan& plan, const RuntimeFactory& make_runtime,
                                   telemetry::InvocationSink& sink,
                                   const std::function<void(const CellReport&)>& on_cell);

}  // namespace lumos::engine::run_detail

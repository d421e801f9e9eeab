// Trace replay: every event sent at its (scaled) time to its function's pool, one pass per io x runtime.
#include "run_parts.hpp"

namespace lumos::engine::run_detail {
namespace {

using std::chrono::nanoseconds;

/// The failed record of trace event i that could not be sent (its function is unknown, or the
/// pass could not start).
telemetry::Invocation unsent_trace_event(const RunPlan& plan, std::size_t i, const std::string& runtime,
                                         const std::string& io, const Error& why) {
  const LoadSpec& spec = *plan.load;
  const auto& e = spec.trace[i];
  telemetry::Invocation inv;
  inv.run_id = plan.run_id;
  inv.repeat = plan.repeat;
  inv.profile = plan.profile ? plan.profile->name : "";
  inv.function = e.function;
  inv.input = e.input;
  inv.runtime = runtime;
  inv.io = io_of(io);
  inv.mode = telemetry::Mode::kPool;
  inv.rep = static_cast<int>(i);
  inv.load = telemetry::LoadKind::kTrace;
  inv.level = spec.time_scale;
  inv.offset_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(e.at).count();
  inv.exec_mode = "unknown";
  inv.set_error(why);
  return inv;
}

/// Replays a trace on one runtime: every event is sent at its (scaled) time to its function's
/// pool, from up to max_in_flight client threads; latency counts from the intended time.
Result<void> replay_trace(const RunPlan& plan, runtime::Runtime& rt, const std::string& runtime_name,
                          const std::string& io, telemetry::InvocationSink& sink, BaasStore& store,
                          CellReport& report) {
  using Clock = std::chrono::steady_clock;
  const LoadSpec& spec = *plan.load;
  std::deque<Cell> cells;
  std::map<std::string, std::unique_ptr<CellRunner>> runners;  // "function|input"
  std::map<std::string, std::unique_ptr<InstancePool>> pools;  // function
  std::map<std::string, std::string> missing;                  // "function|input" -> why
  for (const auto& e : spec.trace) {
    std::string key = e.function + "|" + e.input;
    if (runners.count(key) || missing.count(key)) continue;
    const FunctionUnderTest* f = nullptr;
    for (const auto& fn : plan.functions) {
      if (fn.name == e.function) f = &fn;
    }
    const InputCase* in = nullptr;
    if (f) {
      for (const auto& c : f->inputs) {
        if (c.name == e.input) in = &c;
      }
    }
    if (!f || !in) {
      missing[key] =
          "the trace names " + e.function + " input " + e.input + ", which the experiment's functions do not list";
      continue;
    }
    if (auto ok = rt.prepare(f->artifacts); !ok) {
      missing[key] = ok.error().to_string();
      continue;
    }
    cells.push_back(Cell{f, in, io_of(io), runtime_name, telemetry::Mode::kPool, 1});
    auto runner = std::make_unique<CellRunner>(plan, cells.back(), &rt, sink, store);
    if (io_of(io) == telemetry::Io::kBaas) {
      auto seeded = store.with_client([&](baas::RedisClient& c) { return c.set(runner->input_key(), in->request); });
      if (!seeded) {
        missing[key] = "seeding the BaaS input: " + seeded.error().message;
        continue;
      }
    }
    runners[key] = std::move(runner);
    if (!pools.count(f->name)) {
      pools[f->name] = std::make_unique<InstancePool>(rt, f->name, spec.pool, plan.start_timeout);
    }
  }
  std::atomic<std::size_t> next{0};
  ConcurrentRecorder recorder{sink, report, plan.on_invocation};
  const auto start = Clock::now();
  auto client = [&] {
    for (;;) {
      std::size_t i = next++;
      if (i >= spec.trace.size()) return;
      const auto& e = spec.trace[i];
      auto issued = start + std::chrono::duration_cast<Clock::duration>(e.at);
      std::this_thread::sleep_until(issued);
      std::string key = e.function + "|" + e.input;
      telemetry::Invocation inv;
      if (auto it = runners.find(key); it != runners.end()) {
        inv = it->second->blank(static_cast<int>(i));
        inv.load = telemetry::LoadKind::kTrace;
        inv.level = spec.time_scale;
        inv.offset_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(e.at).count();
        inv.started_at = utc_now();
        serve_with_pool(plan, *it->second, *pools.at(e.function), inv, issued);
      } else {
        inv = unsent_trace_event(plan, i, runtime_name, io, Error{ErrorCode::kConfig, missing[key]});
      }
      recorder.record(inv);
    }
  };
  std::vector<std::thread> threads;
  int n_threads = std::max(1, std::min<int>(spec.max_in_flight, static_cast<int>(spec.trace.size())));
  threads.reserve(static_cast<std::size_t>(n_threads));
  for (int t = 0; t < n_threads; ++t) threads.emplace_back(client);
  for (auto& t : threads) t.join();
  recorder.report_cells();
  if (recorder.error) return tl::unexpected(*recorder.error);
  return {};
}

// Resuming: a trace pass (io x runtime) with any record is skipped whole, as a load level is.
bool trace_pass_recorded(const RunPlan& plan, const std::string& io, const std::string& runtime) {
  if (!plan.done) return false;
  telemetry::Invocation probe;
  probe.repeat = plan.repeat;
  probe.io = io_of(io);
  probe.runtime = runtime;
  probe.mode = telemetry::Mode::kPool;
  probe.load = telemetry::LoadKind::kTrace;
  probe.level = plan.load->time_scale;
  for (const auto& e : plan.load->trace) {
    probe.function = e.function;
    probe.input = e.input;
    if (plan.done->count(record_key(probe))) return true;
  }
  return false;
}

}  // namespace

Result<RunTotals> run_trace_passes(const RunPlan& plan, const RuntimeFactory& make_runtime,
                                   telemetry::InvocationSink& sink,
                                   const std::function<void(const CellReport&)>& on_cell) {
  // Trace replay: one pass over the trace per io x runtime, every function at once.
  RunTotals totals;
  BaasStore store(plan.baas);
  std::size_t index = 0;
  const std::size_t count = plan.io.size() * plan.runtimes.size();
  for (const auto& io : plan.io) {
    for (const auto& name : plan.runtimes) {
      CellReport report;
      report.index = ++index;
      report.count = count;
      report.function = "(trace)";
      report.input = "-";
      report.io = io;
      report.runtime = name;
      report.mode = "trace";
      if (trace_pass_recorded(plan, io, name)) {  // 0 ok 0 failed, as a resumed cell
        if (on_cell) on_cell(report);
        continue;
      }
      auto rt = make_runtime(name);
      if (rt) {
        if (auto ok = (*rt)->check(); !ok) rt = tl::unexpected(ok.error());
      }
      Result<Device> device = rt ? Device::open(plan, false) : Result<Device>(tl::unexpected(rt.error()));
      if (!device) {  // every event of the pass is a failed record, as every repetition of a cell is
        ConcurrentRecorder recorder{sink, report, plan.on_invocation};
        for (std::size_t i = 0; i < plan.load->trace.size(); ++i) {
          recorder.record(unsent_trace_event(plan, i, name, io, device.error()));
        }
        recorder.report_cells();
        if (recorder.error) return tl::unexpected(*recorder.error);
      } else {
        const auto entered = device->enter();
        if (auto r = replay_trace(plan, **rt, name, io, sink, store, report); !r) return tl::unexpected(r.error());
      }
      totals.invocations += static_cast<std::size_t>(report.ok + report.failed);
      totals.failed += static_cast<std::size_t>(report.failed);
      if (on_cell) on_cell(report);
    }
  }
  return totals;
}

}  // namespace lumos::engine::run_detail

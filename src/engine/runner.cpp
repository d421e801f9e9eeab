// The experiment loop: expands a plan into cells and runs them in order (sequential cells here,
// load levels and trace replay in their own files), plus resume keys and output checks.
#include "run_parts.hpp"

#include <sched.h>

#include <openssl/sha.h>

namespace lumos::engine {
using namespace run_detail;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

bool output_matches(std::string_view actual, std::string_view expected) {
  return trim_right(actual) == trim_right(expected);
}

namespace {

// The start a cell's requests need from its runtime: a load cell's pool starts processes, or
// (pool start: instance) instances in live hosts.
telemetry::Mode start_mode(const RunPlan& plan, telemetry::Mode mode) {
  if (mode != telemetry::Mode::kPool) return mode;
  return plan.load && plan.load->pool.start == PoolStart::kInstance ? telemetry::Mode::kInstance
                                                                    : telemetry::Mode::kCold;
}

// The cells of a plan in run order: function x input x io x runtime x mode.
std::vector<Cell> expand_cells(const RunPlan& plan) {
  std::vector<Cell> cells;
  for (const auto& f : plan.functions) {
    const auto& ios = f.io.empty() ? plan.io : f.io;
    const auto& runtimes = f.runtimes.empty() ? plan.runtimes : f.runtimes;
    // A load cell runs all its levels through a pool.
    std::vector<telemetry::Mode> modes;
    if (plan.load) {
      modes = {telemetry::Mode::kPool};
    } else {
      for (const auto& word : f.modes.empty() ? plan.modes : f.modes) {
        modes.push_back(telemetry::parse_mode(word).value_or(telemetry::Mode::kCold));
      }
    }
    int reps = f.repetitions > 0 ? f.repetitions : plan.repetitions;
    for (const auto& in : f.inputs) {
      for (const auto& word : ios) {
        const telemetry::Io io = io_of(word);
        // One-shot programs and functions built without BaaS have no BaaS mode.
        if (io == telemetry::Io::kBaas && (f.command || !f.baas)) continue;
        for (const auto& rt : runtimes) {
          for (const auto& mode : modes) {
            if (f.command && mode != telemetry::Mode::kCold) continue;  // one-shot programs: no warm state, no load
            if (!runtime::mode_support(rt, start_mode(plan, mode)).applicable) continue;  // see not_applicable()
            cells.push_back({&f, &in, io, rt, mode, reps});
          }
        }
      }
    }
  }
  return cells;
}

}  // namespace

PlacementCpus placement_cpus(telemetry::Placement wanted) {
  PlacementCpus out;
  if (wanted == telemetry::Placement::kFree) return out;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) return out;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &mask)) cpus.push_back(c);
  }
  if (cpus.empty()) return out;
  out.client = cpus.back();
  const bool cross = wanted == telemetry::Placement::kCrossCpu && cpus.size() > 1;
  out.instance = cross ? cpus.front() : out.client;
  out.placement = cross ? telemetry::Placement::kCrossCpu : telemetry::Placement::kSameCpu;
  return out;
}

bool pin_calling_thread(int cpu) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CPU_SET(cpu, &mask);
  return sched_setaffinity(0, sizeof mask, &mask) == 0;
}

std::vector<NotApplicable> not_applicable(const RunPlan& plan) {
  std::set<std::pair<std::string, telemetry::Mode>> seen;
  std::vector<NotApplicable> out;
  for (const auto& f : plan.functions) {
    if (f.command) continue;
    std::vector<telemetry::Mode> modes;
    if (plan.load) {
      modes = {start_mode(plan, telemetry::Mode::kPool)};
    } else {
      for (const auto& word : f.modes.empty() ? plan.modes : f.modes) {
        modes.push_back(telemetry::parse_mode(word).value_or(telemetry::Mode::kCold));
      }
    }
    for (const auto& rt : f.runtimes.empty() ? plan.runtimes : f.runtimes) {
      for (const auto mode : modes) {
        auto support = runtime::mode_support(rt, mode);
        if (!support.applicable && seen.emplace(rt, mode).second) out.push_back({rt, mode, support.what});
      }
    }
  }
  return out;
}

RecordKey record_key(const telemetry::Invocation& inv) {
  RecordKey key{inv.function, inv.input, inv.runtime, inv.io, inv.mode};
  if (inv.load != telemetry::LoadKind::kNone) {
    key.mode = telemetry::Mode::kPool;
    key.load = inv.load;
    key.level = inv.level;
  } else {
    key.rep = inv.rep;
  }
  return key;
}

std::size_t count_cells(const RunPlan& plan) {
  if (plan.load && plan.load->kind == telemetry::LoadKind::kTrace) return plan.io.size() * plan.runtimes.size();
  return expand_cells(plan).size();
}

std::size_t expected_invocations(const RunPlan& plan) {
  if (plan.load && plan.load->kind == telemetry::LoadKind::kTrace) return plan.load->trace.size() * count_cells(plan);
  std::size_t total = 0;
  for (const auto& cell : expand_cells(plan)) {
    if (cell.mode != telemetry::Mode::kPool) {
      total += static_cast<std::size_t>(cell.repetitions);
    } else if (plan.load->kind == telemetry::LoadKind::kClosed) {
      total += plan.load->concurrency.size() * static_cast<std::size_t>(plan.load->requests);
    } else {
      for (double rate : plan.load->rates) {
        total += static_cast<std::size_t>(rate * std::chrono::duration<double>(plan.load->duration).count());
      }
    }
  }
  return total;
}

Result<RunTotals> run_plan(const RunPlan& plan, const RuntimeFactory& make_runtime, telemetry::InvocationSink& sink,
                           const std::function<void(const CellReport&)>& on_cell) {
  if (plan.load && plan.load->kind == telemetry::LoadKind::kTrace)
    return run_trace_passes(plan, make_runtime, sink, on_cell);
  std::vector<Cell> cells = expand_cells(plan);
  // One runtime object per name; prepare() once per function and runtime.
  std::map<std::string, Result<std::unique_ptr<runtime::Runtime>>> runtimes;
  std::map<std::pair<std::string, std::string>, std::optional<Error>> prepared;
  RunTotals totals;
  BaasStore store(plan.baas);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    auto rt_it = runtimes.find(cell.runtime);
    if (rt_it == runtimes.end()) {
      auto made = make_runtime(cell.runtime);
      if (made) {
        if (auto ok = (*made)->check(); !ok) made = tl::unexpected(ok.error());
      }
      rt_it = runtimes.emplace(cell.runtime, std::move(made)).first;
    }
    std::optional<Error> setup_error;
    runtime::Runtime* rt = nullptr;
    if (!rt_it->second) {
      setup_error = rt_it->second.error();
    } else {
      rt = rt_it->second->get();
      auto key = std::make_pair(cell.runtime, cell.function->name);
      auto p = prepared.find(key);
      if (p == prepared.end()) {
        auto ok = rt->prepare(cell.function->artifacts);
        p = prepared.emplace(key, ok ? std::nullopt : std::optional<Error>(ok.error())).first;
      }
      setup_error = p->second;
    }
    CellReport report;
    report.index = i + 1;
    report.count = cells.size();
    report.function = cell.function->name;
    report.input = cell.input->name;
    report.io = std::string(telemetry::to_string(cell.io));
    report.runtime = cell.runtime;
    report.mode = std::string(telemetry::to_string(cell.mode));
    Result<Device> device =
        setup_error ? Result<Device>(Device{}) : Device::open(plan, cell.mode != telemetry::Mode::kPool);
    if (!device) setup_error = device.error();
    CellRunner runner(plan, cell, rt, sink, store);
    if (device) runner.set_placement(device->placement());
    if (cell.io == telemetry::Io::kBaas && !setup_error) {
      // Seed the input object (idempotent; the same key serves every cell of this input).
      auto seeded =
          store.with_client([&](baas::RedisClient& c) { return c.set(runner.input_key(), cell.input->request); });
      if (!seeded) setup_error = Error{ErrorCode::kIo, "seeding the BaaS input: " + seeded.error().message};
    }
    if (cell.mode == telemetry::Mode::kPool) {
      report.mode = std::string(telemetry::to_string(plan.load->kind));
      if (setup_error) {
        // One failed record per level says why the cell could not run.
        std::vector<telemetry::Invocation> failed;
        auto levels =
            plan.load->kind == telemetry::LoadKind::kClosed ? plan.load->concurrency.size() : plan.load->rates.size();
        for (std::size_t l = 0; l < levels; ++l) {
          telemetry::Invocation inv = runner.blank(0);
          inv.load = plan.load->kind;
          inv.level = plan.load->kind == telemetry::LoadKind::kClosed ? plan.load->concurrency[l] : plan.load->rates[l];
          inv.set_error(*setup_error);
          ++report.failed;
          if (auto w = sink.write(inv); !w) return tl::unexpected(w.error());
          failed.push_back(std::move(inv));
        }
        report.cells = cells::group(failed);
        report.first_error = setup_error->to_string();
      } else {
        if (auto r = run_load_cell(plan, runner, *rt, cell, sink, report); !r) return tl::unexpected(r.error());
      }
    } else if (auto r = runner.run(setup_error, report); !r) {
      return tl::unexpected(r.error());
    }
    totals.invocations += static_cast<std::size_t>(report.ok + report.failed);
    totals.failed += static_cast<std::size_t>(report.failed);
    if (on_cell) on_cell(report);
  }
  for (const auto& [name, rt] : runtimes) {
    if (!rt) continue;
    for (const auto& line : (*rt)->checks()) totals.checks.push_back(name + ": " + line);
  }
  return totals;
}

}  // namespace lumos::engine

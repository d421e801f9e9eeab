// The experiment loop: expands a plan into cells and runs them, sequential cells in interleaved
// rounds or in order (here), load levels and trace replay in their own files; plus resume keys
// and output checks.
#include "run_parts.hpp"

#include <sched.h>

#include <random>

#include <openssl/sha.h>

#include "lumos/common/vocabulary.hpp"

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
          // The floor echoes the request: BaaS and one-shot programs have no floor of their own.
          if (rt == kFloorRuntime && (io == telemetry::Io::kBaas || f.command)) continue;
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
  key.repeat = inv.repeat;
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

namespace {

// One runtime object per name (checked once); prepare() once per function and runtime.
class RuntimeSet {
 public:
  explicit RuntimeSet(const RuntimeFactory& make) : make_(make) {}

  /// The cell's runtime, or why the cell cannot run.
  std::pair<runtime::Runtime*, std::optional<Error>> get(const Cell& cell) {
    auto rt_it = runtimes_.find(cell.runtime);
    if (rt_it == runtimes_.end()) {
      auto made = make_(cell.runtime);
      if (made) {
        if (auto ok = (*made)->check(); !ok) made = tl::unexpected(ok.error());
      }
      rt_it = runtimes_.emplace(cell.runtime, std::move(made)).first;
    }
    if (!rt_it->second) return {nullptr, rt_it->second.error()};
    runtime::Runtime* rt = rt_it->second->get();
    auto key = std::make_pair(cell.runtime, cell.function->name);
    auto p = prepared_.find(key);
    if (p == prepared_.end()) {
      auto ok = rt->prepare(cell.function->artifacts);
      p = prepared_.emplace(key, ok ? std::nullopt : std::optional<Error>(ok.error())).first;
    }
    return {rt, p->second};
  }

  /// What the runtimes checked while preparing, for RunTotals::checks.
  std::vector<std::string> checks() const {
    std::vector<std::string> out;
    for (const auto& [name, rt] : runtimes_) {
      if (!rt) continue;
      for (const auto& line : (*rt)->checks()) out.push_back(name + ": " + line);
    }
    return out;
  }

 private:
  const RuntimeFactory& make_;
  std::map<std::string, Result<std::unique_ptr<runtime::Runtime>>> runtimes_;
  std::map<std::pair<std::string, std::string>, std::optional<Error>> prepared_;
};

// A cell while it runs: its runtime, device, runner and report. Members in this order so the
// runner (and its live instance) goes before the device's slot.
struct OpenCell {
  runtime::Runtime* rt = nullptr;
  std::optional<Error> setup_error;
  Device device;
  std::unique_ptr<CellRunner> runner;
  CellReport report;
  bool stepped = false;  ///< ran a step already (an interleaved cell's later steps re-warm)
};

std::unique_ptr<OpenCell> open_cell(const RunPlan& plan, const Cell& cell, std::size_t index, std::size_t count,
                                    RuntimeSet& runtimes, telemetry::InvocationSink& sink, BaasStore& store) {
  auto open = std::make_unique<OpenCell>();
  std::tie(open->rt, open->setup_error) = runtimes.get(cell);
  CellReport& report = open->report;
  report.index = index + 1;
  report.count = count;
  report.function = cell.function->name;
  report.input = cell.input->name;
  report.io = std::string(telemetry::to_string(cell.io));
  report.runtime = cell.runtime;
  report.mode = std::string(telemetry::to_string(cell.mode));
  if (!open->setup_error) {
    auto device = Device::open(plan, cell.mode != telemetry::Mode::kPool);
    if (device) {
      open->device = std::move(*device);
    } else {
      open->setup_error = device.error();
    }
  }
  open->runner = std::make_unique<CellRunner>(plan, cell, open->rt, sink, store);
  open->runner->set_placement(open->device.placement());
  if (cell.io == telemetry::Io::kBaas && !open->setup_error) {
    // Seed the input object (idempotent; the same key serves every cell of this input).
    auto seeded =
        store.with_client([&](baas::RedisClient& c) { return c.set(open->runner->input_key(), cell.input->request); });
    if (!seeded) open->setup_error = Error{ErrorCode::kIo, "seeding the BaaS input: " + seeded.error().message};
  }
  return open;
}

// A load cell: all its levels as one unit.
Result<void> run_load(const RunPlan& plan, const Cell& cell, OpenCell& open, telemetry::InvocationSink& sink) {
  CellReport& report = open.report;
  report.mode = std::string(telemetry::to_string(plan.load->kind));
  if (!open.setup_error) {
    const auto entered = open.device.enter();
    return run_load_cell(plan, *open.runner, *open.rt, cell, sink, report);
  }
  // One failed record per level says why the cell could not run.
  std::vector<telemetry::Invocation> failed;
  auto levels =
      plan.load->kind == telemetry::LoadKind::kClosed ? plan.load->concurrency.size() : plan.load->rates.size();
  for (std::size_t l = 0; l < levels; ++l) {
    telemetry::Invocation inv = open.runner->blank(0);
    inv.load = plan.load->kind;
    inv.level = plan.load->kind == telemetry::LoadKind::kClosed ? plan.load->concurrency[l] : plan.load->rates[l];
    inv.set_error(*open.setup_error);
    ++report.failed;
    if (auto w = sink.write(inv); !w) return tl::unexpected(w.error());
    failed.push_back(std::move(inv));
  }
  report.cells = cells::group(failed);
  report.first_error = open.setup_error->to_string();
  return {};
}

}  // namespace

std::vector<std::size_t> round_order(std::size_t n, std::uint64_t seed, int round) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  // Fisher-Yates on std::mt19937_64, whose sequence the standard fixes: the same seed gives the
  // same order with any standard library (resume relies on it).
  std::mt19937_64 rng(seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(round + 1));
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

Result<RunTotals> run_plan(const RunPlan& plan, const RuntimeFactory& make_runtime, telemetry::InvocationSink& sink,
                           const std::function<void(const CellReport&)>& on_cell) {
  if (plan.load && plan.load->kind == telemetry::LoadKind::kTrace)
    return run_trace_passes(plan, make_runtime, sink, on_cell);
  std::vector<Cell> cells = expand_cells(plan);
  RuntimeSet runtimes(make_runtime);
  RunTotals totals;
  BaasStore store(plan.baas);
  auto finished = [&](OpenCell& open) {
    totals.invocations += static_cast<std::size_t>(open.report.ok + open.report.failed);
    totals.failed += static_cast<std::size_t>(open.report.failed);
    if (on_cell) on_cell(open.report);
  };
  if (plan.load) {  // load levels and their cells stay whole units, one after another
    for (std::size_t i = 0; i < cells.size(); ++i) {
      auto open = open_cell(plan, cells[i], i, cells.size(), runtimes, sink, store);
      if (auto r = run_load(plan, cells[i], *open, sink); !r) return tl::unexpected(r.error());
      finished(*open);
    }
    totals.checks = runtimes.checks();
    return totals;
  }
  // Sequential cells in rounds: interleaved, each cell runs its next batch of repetitions per
  // round, in a shuffled order; else one round in which each cell runs whole, in plan order.
  int most = 0;
  for (const auto& c : cells) most = std::max(most, c.repetitions);
  const int batch = plan.interleave ? std::max(1, plan.interleave->batch) : std::max(1, most);
  const int rounds = (most + batch - 1) / batch;
  std::vector<std::unique_ptr<OpenCell>> open(cells.size());
  std::vector<bool> done(cells.size(), false);
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::size_t> order;
    if (plan.interleave) {
      for (std::size_t i : round_order(cells.size(), plan.interleave->seed, round)) {
        if (!done[i]) order.push_back(i);
      }
    } else {
      for (std::size_t i = 0; i < cells.size(); ++i) order.push_back(i);
    }
    for (std::size_t i : order) {
      if (!open[i]) open[i] = open_cell(plan, cells[i], i, cells.size(), runtimes, sink, store);
      OpenCell& cell = *open[i];
      Result<bool> complete = true;
      {
        const auto entered = cell.device.enter();
        complete = cell.runner->step(round * batch, (round + 1) * batch, cell.stepped, cell.setup_error, cell.report);
      }
      cell.stepped = true;
      if (!complete) return tl::unexpected(complete.error());
      if (!*complete) continue;
      {
        const auto entered = cell.device.enter();
        cell.runner->finish(cell.report);
      }
      finished(cell);
      open[i].reset();
      done[i] = true;
    }
    if (plan.on_round) plan.on_round(round + 1, rounds);
  }
  totals.checks = runtimes.checks();
  return totals;
}

}  // namespace lumos::engine

// The experiment loop: cold cells start an instance per invocation, warm cells reuse one.
#include "lumos/engine/runner.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <openssl/sha.h>

#include "lumos/common/files.hpp"
#include "lumos/env/cgroup.hpp"

namespace lumos::engine {
namespace {

using std::chrono::nanoseconds;
using Clock = std::chrono::steady_clock;

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string preview(std::string_view s) {
  std::string out(s.substr(0, 60));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s.size() > 60 ? out + "..." : out;
}

struct Cell {
  const FunctionUnderTest* function;
  const InputCase* input;
  std::string io;
  std::string runtime;
  std::string mode;
  int repetitions;
};

/// The engine's side of BaaS: seeds inputs, fetches and removes outputs. Reconnects on use
/// after a failure, so a Redis that died turns into failed records, not a failed run.
class BaasStore {
 public:
  explicit BaasStore(std::optional<baas::Endpoint> endpoint) : endpoint_(std::move(endpoint)) {}

  Result<baas::RedisClient*> client() {
    if (!endpoint_) return fail(ErrorCode::kConfig, "no BaaS server configured");
    if (!client_) {
      auto c = baas::RedisClient::connect(*endpoint_);
      if (!c) return tl::unexpected(c.error());
      client_.emplace(std::move(*c));
    }
    return &*client_;
  }
  template <typename F>
  auto with_client(F&& f) -> decltype(f(std::declval<baas::RedisClient&>())) {
    std::lock_guard lock(mutex_);  // one connection, shared by load cells' client threads
    auto c = client();
    if (!c) return tl::unexpected(c.error());
    auto r = f(**c);
    if (!r) client_.reset();  // reconnect next time
    return r;
  }

 private:
  std::optional<baas::Endpoint> endpoint_;
  std::optional<baas::RedisClient> client_;
  std::mutex mutex_;
};

class CellRunner {
 public:
  CellRunner(const RunPlan& plan, const Cell& cell, runtime::Runtime* rt,
             telemetry::InvocationSink& sink, BaasStore& store)
      : plan_(plan), cell_(cell), rt_(rt), sink_(sink), store_(store) {}

  Result<void> run(const std::optional<Error>& setup_error, CellReport& report) {
    std::vector<telemetry::Invocation> records;
    for (int rep = 0; rep < cell_.repetitions; ++rep) {
      telemetry::Invocation inv = blank(rep);
      if (plan_.done && plan_.done->count(record_key(inv))) continue;  // resumed: recorded already
      if (setup_error) {
        inv.set_error(*setup_error);
      } else if (cell_.function->command) {
        one_shot(inv);
      } else if (cell_.mode == "cold") {
        cold(inv);
      } else {
        warm(inv);
      }
      if (inv.ok) {
        ++report.ok;
        e2e_ns_.push_back(static_cast<double>(inv.e2e.count()));
      } else {
        ++report.failed;
        if (report.first_error.empty()) report.first_error = inv.error_text();
      }
      if (auto w = sink_.write(inv); !w) return w;
      records.push_back(inv);
      if (plan_.on_invocation) plan_.on_invocation();
      if (plan_.adaptive && inv.ok && adaptive_stop(rep, report)) break;
    }
    if (instance_) instance_->stop();
    report.cells = cells::group(records);
    return {};
  }

  // Adaptive repetitions: whether the CI of the median e2e is narrow enough to stop after
  // repetition `rep` (the cell's repetitions are the most it runs).
  bool adaptive_stop(int rep, CellReport& report) const {
    if (e2e_ns_.size() < plan_.adaptive->min_n || rep + 1 >= cell_.repetitions) return false;
    stats::StopRule rule = *plan_.adaptive;
    rule.max_n = static_cast<std::size_t>(cell_.repetitions);  // per-function or --reps repetitions
    const auto decision = stats::adaptive_stop(e2e_ns_, rule);
    if (!decision.stop) return false;
    report.skipped = cell_.repetitions - rep - 1;
    report.ci_rel_half_width = decision.rel_half_width;
    return true;
  }

  // The pieces below are shared with LoadRunner (load cells).
  telemetry::Invocation blank(int rep) const {
    telemetry::Invocation inv;
    inv.run_id = plan_.run_id;
    inv.function = cell_.function->name;
    inv.runtime = cell_.runtime;
    inv.mode = cell_.mode == "cold" ? telemetry::Mode::kCold
               : cell_.mode == "warm" ? telemetry::Mode::kWarm
                                      : telemetry::Mode::kPool;
    inv.fresh_instance = inv.mode == telemetry::Mode::kCold;
    inv.input = cell_.input->name;
    inv.io = cell_.io == "baas" ? telemetry::Io::kBaas : telemetry::Io::kDirect;
    inv.profile = plan_.profile ? plan_.profile->name : "";
    inv.rep = rep;
    inv.exec_mode = "unknown";
    inv.bytes_in = cell_.input->request.size();
    return inv;
  }

  bool baas() const { return cell_.io == "baas"; }

  std::string output_key(const telemetry::Invocation& inv) const {
    return "lumos:out:" + inv.function + ":" + inv.input + ":" + inv.runtime + ":" + std::string(telemetry::to_string(inv.mode)) + ":" +
           std::string(telemetry::to_string(inv.load)) + std::to_string(inv.level) + ":" + std::to_string(inv.rep);
  }

  /// The request of an invocation: the input itself, or a BaaS envelope naming its keys.
  std::string request_for(const telemetry::Invocation& inv) const {
    if (!baas()) return cell_.input->request;
    return protocol::encode_baas_envelope(input_key(), output_key(inv));
  }

  std::string input_key() const { return "lumos:in:" + cell_.function->name + ":" + cell_.input->name; }

  // Fills an invocation from a response: phases, exec mode, output and exec-mode checks.
  void record_response(telemetry::Invocation& inv, const Result<runtime::Response>& response) {
    if (!response) {
      inv.set_error(response.error());
      return;
    }
    if (baas()) {
      inv.baas_bytes_in = response->baas_bytes_in;
      inv.baas_bytes_out = response->baas_bytes_out;
      if (response->ok) {
        // The function's answer is only a receipt: check the object it stored instead.
        auto stored = store_.with_client([&](baas::RedisClient& c) { return c.get(output_key(inv)); });
        if (!stored) {
          inv.set_error(Error{ErrorCode::kIo, "fetching the output from Redis: " + stored.error().message});
          return;
        }
        (void)store_.with_client([&](baas::RedisClient& c) { return c.del(output_key(inv)); });
        if (!*stored) {
          inv.set_error(Error{ErrorCode::kOutputMismatch, "the function stored no output under " + output_key(inv)});
          return;
        }
        runtime::Response stored_response = *response;
        stored_response.body = std::move(**stored);
        return check_response(inv, stored_response);
      }
    }
    check_response(inv, *response);
  }

  void check_response(telemetry::Invocation& inv, const runtime::Response& response) {
    inv.exec_mode = std::string(protocol::exec_mode_name(response.exec_mode));
    for (const auto& [name, d] : response.phases) inv.phases[name] += d;
    inv.bytes_out = response.body.size();
    if (!response.ok) {
      inv.set_error(Error{ErrorCode::kFunctionError, response.body});
      return;
    }
    if (response.exec_mode != runtime::promised_exec_mode(cell_.runtime)) {  // not what was asked
      inv.set_error(Error{ErrorCode::kWrongExecMode,
                        cell_.runtime + " was asked for but the code ran as " + inv.exec_mode});
      return;
    }
    const auto& digest = cell_.input->expected_sha256;
    if (digest && sha256_hex(response.body) != *digest) {
      inv.set_error(Error{ErrorCode::kOutputMismatch, "SHA-256 of the output is " +
                                                        sha256_hex(response.body) + ", expected " + *digest});
      return;
    }
    const auto& expected = cell_.input->expected;
    if (expected && !output_matches(response.body, *expected)) {
      inv.set_error(Error{ErrorCode::kOutputMismatch,
                        "expected '" + preview(*expected) + "', got '" + preview(response.body) + "'"});
      return;
    }
    inv.ok = true;
  }

 private:
  void cold(telemetry::Invocation& inv) {
    inv.started_at = utc_now();
    auto t0 = Clock::now();
    auto instance = rt_->start_instance(cell_.function->name, plan_.start_timeout);
    if (!instance) {
      inv.e2e = Clock::now() - t0;
      inv.set_error(instance.error());
      return;
    }
    inv.phases = (*instance)->start_phases();
    auto t1 = Clock::now();
    auto response = (*instance)->invoke(request_for(inv), plan_.timeout);
    auto t2 = Clock::now();
    inv.e2e = t2 - t0;
    inv.phases["invoke"] = t2 - t1;
    record_response(inv, response);
    auto stats = (*instance)->stats();
    inv.cpu = stats.cpu;
    inv.peak_rss_bytes = stats.peak_rss_bytes;
    (*instance)->stop();
  }

  // A command function: fresh working directory, stdin/stdout in files, one process.
  void one_shot(telemetry::Invocation& inv) {
    namespace fs = std::filesystem;
    const CommandSetup& setup = *cell_.function->command;
    char tmpl[] = "/tmp/lumos-run-XXXXXX";
    if (!mkdtemp(tmpl)) {
      inv.set_error(Error{ErrorCode::kIo, "cannot create a scratch folder in /tmp"});
      return;
    }
    fs::path scratch = tmpl;
    runtime::CommandRequest req;
    req.function = cell_.function->name;
    req.args = setup.args;
    req.env = setup.env;
    req.work_dir = scratch / "work";
    req.stdin_file = scratch / "stdin";
    req.stdout_file = scratch / "stdout";
    req.stderr_file = scratch / "stderr";
    req.timeout = plan_.timeout;
    std::error_code ec;
    fs::create_directories(req.work_dir, ec);
    for (const auto& dir : setup.dirs) {
      fs::copy(dir, req.work_dir / dir.filename(), fs::copy_options::recursive, ec);
    }
    std::ofstream(req.stdin_file, std::ios::binary) << cell_.input->request;
    inv.started_at = utc_now();
    auto t0 = Clock::now();
    auto outcome = rt_->run_command(req);
    inv.e2e = Clock::now() - t0;
    if (!outcome) {
      inv.set_error(outcome.error());
    } else {
      inv.exec_mode = std::string(protocol::exec_mode_name(outcome->exec_mode));
      inv.phases = outcome->phases;
      inv.cpu = outcome->stats.cpu;
      inv.peak_rss_bytes = outcome->stats.peak_rss_bytes;
      std::string out = read_file_or_empty(req.stdout_file);
      inv.bytes_out = out.size();
      runtime::Response as_response;
      as_response.exec_mode = outcome->exec_mode;
      as_response.body = out;
      as_response.ok = true;
      if (outcome->timed_out) {
        inv.set_error(Error{ErrorCode::kTimeout, "no exit within " + std::to_string(plan_.timeout.count()) +
                                                   " ms; process killed"});
      } else if (!outcome->error.empty()) {
        inv.set_error(Error{ErrorCode::kSpawn, outcome->error});
      } else if (outcome->exit_code != cell_.input->expected_exit) {
        std::string err = read_file_or_empty(req.stderr_file).substr(0, 300);
        inv.set_error(Error{ErrorCode::kFunctionError,
                          outcome->exit_text + " (expected exit code " +
                              std::to_string(cell_.input->expected_exit) + ")" +
                              (err.empty() ? "" : "; stderr: " + err)});
      } else {
        record_response(inv, as_response);
        for (const auto& [path, expected] : cell_.input->expected_files) {
          if (!inv.ok) break;
          if (!fs::exists(req.work_dir / path)) {
            inv.ok = false;
            inv.set_error(Error{ErrorCode::kOutputMismatch, "the program did not write " + path});
          } else if (!output_matches(read_file_or_empty(req.work_dir / path), expected)) {
            inv.ok = false;
            inv.set_error(Error{ErrorCode::kOutputMismatch, "file " + path + " differs from the expected one"});
          }
        }
      }
    }
    fs::remove_all(scratch, ec);
  }

  // Starts (or restarts after a crash/timeout) the cell's live instance, with warm-up requests.
  std::optional<Error> ensure_instance() {
    if (instance_ && instance_->alive()) return std::nullopt;
    if (instance_) instance_->stop();
    instance_.reset();
    auto started = rt_->start_instance(cell_.function->name, plan_.start_timeout);
    if (!started) return started.error();
    instance_ = std::move(*started);
    telemetry::Invocation warm_up = blank(-1);
    for (int i = 0; i < plan_.warmup; ++i) {
      auto r = instance_->invoke(request_for(warm_up), plan_.timeout);
      if (!r) return Error{r.error().code, "during warm-up: " + r.error().message};
    }
    return std::nullopt;
  }

  void warm(telemetry::Invocation& inv) {
    if (auto err = ensure_instance()) {
      inv.started_at = utc_now();
      inv.set_error(*err);
      return;
    }
    auto before = instance_->stats();
    inv.started_at = utc_now();
    auto t0 = Clock::now();
    auto response = instance_->invoke(request_for(inv), plan_.timeout);
    auto t1 = Clock::now();
    inv.e2e = t1 - t0;
    inv.phases["invoke"] = t1 - t0;
    record_response(inv, response);
    auto after = instance_->stats();
    if (before.cpu && after.cpu) inv.cpu = *after.cpu - *before.cpu;
    inv.peak_rss_bytes = after.peak_rss_bytes;
  }

  const RunPlan& plan_;
  const Cell& cell_;
  runtime::Runtime* rt_;
  telemetry::InvocationSink& sink_;
  BaasStore& store_;
  std::unique_ptr<runtime::Instance> instance_;
  std::vector<double> e2e_ns_;  ///< ok e2e times of this cell, for its median and the adaptive rule
};

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
  std::optional<Error> error;  ///< the first write failure
  std::vector<telemetry::Invocation> records;  ///< what was recorded, for the cell report

  /// Adds the recorded invocations' cells to the report (call when the clients are done).
  void report_cells() {
    auto more = cells::group(records);
    report.cells.insert(report.cells.end(), more.begin(), more.end());
  }
};

/// One request of a load: lease an instance from the pool (cold if it had to start one),
/// invoke, check, give the instance back. e2e counts from `issued`.
void serve_with_pool(const RunPlan& plan, CellRunner& cells, InstancePool& pool, telemetry::Invocation& inv,
                     std::chrono::steady_clock::time_point issued) {
  using Clock = std::chrono::steady_clock;
  auto lease = pool.acquire();
  if (!lease) {
    inv.e2e = Clock::now() - issued;
    inv.set_error(lease.error());
    inv.fresh_instance = true;
    return;
  }
  inv.fresh_instance = lease->cold;
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
  auto stats = lease->instance->stats();
  inv.peak_rss_bytes = stats.peak_rss_bytes;
  pool.release(std::move(lease->instance));
}

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
        auto issued = spec_.kind == telemetry::LoadKind::kClosed ? Clock::now() : start + offsets[static_cast<std::size_t>(i)];
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

/// The environment profile's limits for one cell or trace pass: a fresh cgroup slot (one
/// device) that the runtime's instances (processes, wasm hosts, `runc run`, `podman run`) are
/// spawned into through plan.spawn_scope. Declared before the cell's instances, so they are
/// gone when it closes the slot.
class Device {
 public:
  Device() = default;
  Device(Device&&) = default;
  Device& operator=(Device&&) = delete;  // one device at a time: plan.spawn_scope is shared
  ~Device() {
    if (scope_) *scope_ = nullptr;  // drops the slot, which removes its groups
  }

  /// No slot without a profile that limits CPU or memory.
  static Result<Device> open(const RunPlan& plan) {
    Device device;
    if (!plan.profile || !plan.profile->limits_resources() || !plan.spawn_scope) return device;
    auto made = env::CgroupSlot::create(*plan.profile);
    if (!made) return fail(made.error().code, "applying profile " + plan.profile->name + ": " + made.error().message);
    std::shared_ptr<env::CgroupSlot> slot(std::move(*made));
    *plan.spawn_scope = [slot]() -> Result<std::function<void()>> {
      auto in = slot->enter_calling_thread();
      if (!in) return tl::unexpected(in.error());
      auto guard = std::make_shared<env::ThreadInSlot>(std::move(*in));
      return [guard] { guard->leave(); };
    };
    device.scope_ = plan.spawn_scope;
    return device;
  }

 private:
  std::shared_ptr<SpawnScope> scope_;
};

/// The failed record of trace event i that could not be sent (its function is unknown, or the
/// pass could not start).
telemetry::Invocation unsent_trace_event(const RunPlan& plan, std::size_t i, const std::string& runtime,
                                         const std::string& io, const Error& why) {
  const LoadSpec& spec = *plan.load;
  const auto& e = spec.trace[i];
  telemetry::Invocation inv;
  inv.run_id = plan.run_id;
  inv.profile = plan.profile ? plan.profile->name : "";
  inv.function = e.function;
  inv.input = e.input;
  inv.runtime = runtime;
  inv.io = io == "baas" ? telemetry::Io::kBaas : telemetry::Io::kDirect;
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
      missing[key] = "the trace names " + e.function + " input " + e.input +
                     ", which the experiment's functions do not list";
      continue;
    }
    if (auto ok = rt.prepare(f->artifacts); !ok) {
      missing[key] = ok.error().to_string();
      continue;
    }
    cells.push_back(Cell{f, in, io, runtime_name, "load", 1});
    auto runner = std::make_unique<CellRunner>(plan, cells.back(), &rt, sink, store);
    if (io == "baas") {
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
  probe.io = io == "baas" ? telemetry::Io::kBaas : telemetry::Io::kDirect;
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

// The cells of a plan in run order: function x input x io x runtime x mode.
std::vector<Cell> expand_cells(const RunPlan& plan) {
  std::vector<Cell> cells;
  for (const auto& f : plan.functions) {
    const auto& ios = f.io.empty() ? plan.io : f.io;
    const auto& runtimes = f.runtimes.empty() ? plan.runtimes : f.runtimes;
    // A load cell runs all its levels; its "mode" is the load kind.
    const auto& modes = plan.load ? std::vector<std::string>{"load"} : f.modes.empty() ? plan.modes : f.modes;
    int reps = f.repetitions > 0 ? f.repetitions : plan.repetitions;
    for (const auto& in : f.inputs) {
      for (const auto& io : ios) {
        // One-shot programs and functions built without BaaS have no BaaS mode.
        if (io == "baas" && (f.command || !f.baas)) continue;
        for (const auto& rt : runtimes) {
          for (const auto& mode : modes) {
            if (f.command && mode != "cold") continue;  // one-shot programs: no warm state, no load
            cells.push_back({&f, &in, io, rt, mode, reps});
          }
        }
      }
    }
  }
  return cells;
}

}  // namespace

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
    if (cell.mode != "load") {
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

Result<RunTotals> run_plan(const RunPlan& plan, const RuntimeFactory& make_runtime,
                           telemetry::InvocationSink& sink,
                           const std::function<void(const CellReport&)>& on_cell) {
  if (plan.load && plan.load->kind == telemetry::LoadKind::kTrace) {
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
        Result<Device> device = rt ? Device::open(plan) : Result<Device>(tl::unexpected(rt.error()));
        if (!device) {  // every event of the pass is a failed record, as every repetition of a cell is
          ConcurrentRecorder recorder{sink, report, plan.on_invocation};
          for (std::size_t i = 0; i < plan.load->trace.size(); ++i) {
            recorder.record(unsent_trace_event(plan, i, name, io, device.error()));
          }
          recorder.report_cells();
    if (recorder.error) return tl::unexpected(*recorder.error);
        } else if (auto r = replay_trace(plan, **rt, name, io, sink, store, report); !r) {
          return tl::unexpected(r.error());
        }
        totals.invocations += static_cast<std::size_t>(report.ok + report.failed);
        totals.failed += static_cast<std::size_t>(report.failed);
        if (on_cell) on_cell(report);
      }
    }
    return totals;
  }
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
    report.io = cell.io;
    report.runtime = cell.runtime;
    report.mode = cell.mode;
    Result<Device> device = setup_error ? Result<Device>(Device{}) : Device::open(plan);
    if (!device) setup_error = device.error();
    CellRunner runner(plan, cell, rt, sink, store);
    if (cell.io == "baas" && !setup_error) {
      // Seed the input object (idempotent; the same key serves every cell of this input).
      auto seeded = store.with_client(
          [&](baas::RedisClient& c) { return c.set(runner.input_key(), cell.input->request); });
      if (!seeded) setup_error = Error{ErrorCode::kIo, "seeding the BaaS input: " + seeded.error().message};
    }
    if (cell.mode == "load") {
      report.mode = std::string(telemetry::to_string(plan.load->kind));
      if (setup_error) {
        // One failed record per level says why the cell could not run.
        std::vector<telemetry::Invocation> failed;
        auto levels = plan.load->kind == telemetry::LoadKind::kClosed ? plan.load->concurrency.size() : plan.load->rates.size();
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
        LoadRunner load(plan, runner, *rt, cell, sink);
        if (auto r = load.run(report); !r) return tl::unexpected(r.error());
      }
    } else if (auto r = runner.run(setup_error, report); !r) {
      return tl::unexpected(r.error());
    }
    totals.invocations += static_cast<std::size_t>(report.ok + report.failed);
    totals.failed += static_cast<std::size_t>(report.failed);
    if (on_cell) on_cell(report);
  }
  return totals;
}

}  // namespace lumos::engine

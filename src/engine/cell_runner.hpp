// One cell of the plan and its runner: cold, warm and one-shot invocations, the BaaS store of
// its inputs and outputs, and the response checks (output, exec mode). Internal to src/engine.
// Just over 400 lines: one concept (a cell's requests), whose modes share the response checks.
#pragma once

#include "lumos/engine/runner.hpp"

#include <sched.h>

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

#include "lumos/common/files.hpp"

namespace lumos::engine::run_detail {

using std::chrono::nanoseconds;
using Clock = std::chrono::steady_clock;

inline std::string utc_now() {
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

inline std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

inline std::string preview(std::string_view s) {
  std::string out(s.substr(0, 60));
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s.size() > 60 ? out + "..." : out;
}

struct Cell {
  const FunctionUnderTest* function;
  const InputCase* input;
  telemetry::Io io;
  std::string runtime;
  telemetry::Mode mode;  ///< kPool for load cells and trace passes
  int repetitions;
};

/// An experiment's io word ("direct", "baas"; validated when the experiment was loaded).
inline telemetry::Io io_of(const std::string& word) {
  return telemetry::parse_io(word).value_or(telemetry::Io::kDirect);
}

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
  CellRunner(const RunPlan& plan, const Cell& cell, runtime::Runtime* rt, telemetry::InvocationSink& sink,
             BaasStore& store)
      : plan_(plan), cell_(cell), rt_(rt), sink_(sink), store_(store) {}

  /// The cell's placement, for its records (the Device decides it).
  void set_placement(telemetry::Placement placement) { placement_ = placement; }

  /// The client's and the instance's CPU after a response.
  static void record_cpus(telemetry::Invocation& inv, runtime::Instance& instance) {
    inv.client_cpu = sched_getcpu();
    inv.instance_cpu = instance.last_cpu().value_or(-1);
  }

  /// Runs repetitions [from, to) of the cell (those not recorded yet). `rewarm`: other cells ran
  /// since this cell's last step, so a live instance first serves one unrecorded request (the
  /// recorded ones then measure a warm instance, not the caches the other cells left). True
  /// when the cell is done: all its repetitions run, or the adaptive rule stopped it.
  Result<bool> step(int from, int to, bool rewarm, const std::optional<Error>& setup_error, CellReport& report) {
    to = std::min(to, cell_.repetitions);
    if (rewarm && !setup_error && instance_ && instance_->alive()) {
      (void)instance_->invoke(request_for(blank(-1)), plan_.timeout);
    }
    for (int rep = from; rep < to; ++rep) {
      telemetry::Invocation inv = blank(rep);
      if (plan_.done && plan_.done->count(record_key(inv))) continue;  // resumed: recorded already
      if (setup_error) {
        inv.set_error(*setup_error);
      } else if (cell_.function->command) {
        one_shot(inv);
      } else if (cell_.mode == telemetry::Mode::kCold) {
        cold(inv);
      } else if (cell_.mode == telemetry::Mode::kInstance) {
        fresh(inv);
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
      if (auto w = sink_.write(inv); !w) return tl::unexpected(w.error());
      records_.push_back(inv);
      if (plan_.on_invocation) plan_.on_invocation();
      if (plan_.adaptive && inv.ok && adaptive_stop(rep, report)) return true;
    }
    return to >= cell_.repetitions;
  }

  /// Ends the cell: stops its live instance and groups its records into the report.
  void finish(CellReport& report) {
    if (instance_) instance_->stop();
    report.cells = cells::group(records_);
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
    inv.repeat = plan_.repeat;
    inv.function = cell_.function->name;
    inv.runtime = cell_.runtime;
    inv.mode = cell_.mode;
    inv.fresh_instance = inv.mode == telemetry::Mode::kCold || inv.mode == telemetry::Mode::kInstance;
    inv.placement = placement_;
    inv.input = cell_.input->name;
    inv.io = cell_.io;
    inv.profile = plan_.profile ? plan_.profile->name : "";
    inv.rep = rep;
    inv.exec_mode = "unknown";
    inv.bytes_in = cell_.input->request.size();
    return inv;
  }

  bool baas() const { return cell_.io == telemetry::Io::kBaas; }

  std::string output_key(const telemetry::Invocation& inv) const {
    return "lumos:out:" + inv.function + ":" + inv.input + ":" + inv.runtime + ":" +
           std::string(telemetry::to_string(inv.mode)) + ":" + std::string(telemetry::to_string(inv.load)) +
           std::to_string(inv.level) + ":" + std::to_string(inv.rep);
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
      inv.set_error(
          Error{ErrorCode::kWrongExecMode, cell_.runtime + " was asked for but the code ran as " + inv.exec_mode});
      return;
    }
    if (response.exec_mode == protocol::ExecMode::kNone) {  // the floor: no function ran, the request came back
      if (response.body != request_for(inv)) {
        inv.set_error(Error{ErrorCode::kOutputMismatch, "the floor's echo differs from the request"});
        return;
      }
      inv.ok = true;
      return;
    }
    const auto& digest = cell_.input->expected_sha256;
    if (digest && sha256_hex(response.body) != *digest) {
      inv.set_error(Error{ErrorCode::kOutputMismatch,
                          "SHA-256 of the output is " + sha256_hex(response.body) + ", expected " + *digest});
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
    record_cpus(inv, **instance);
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
    // A symbolic link in a copied folder stays a link (never the host file it points at).
    for (const auto& dir : setup.dirs) {
      fs::copy(dir, req.work_dir / dir.filename(), fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
      if (ec) {
        inv.set_error(
            Error{ErrorCode::kIo, "cannot copy " + dir.string() + " into the work directory: " + ec.message()});
        fs::remove_all(scratch, ec);
        return;
      }
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
      // Outputs are read as regular files only, capped, never through a link the program made.
      auto stdout_text = read_output_beneath(scratch, "stdout");
      std::string out = stdout_text.value_or(std::string());
      inv.bytes_out = out.size();
      runtime::Response as_response;
      as_response.exec_mode = outcome->exec_mode;
      as_response.body = out;
      as_response.ok = true;
      if (!stdout_text) {
        inv.set_error(Error{stdout_text.error().code, "standard output: " + stdout_text.error().message});
      } else if (outcome->timed_out) {
        inv.set_error(Error{ErrorCode::kTimeout,
                            "no exit within " + std::to_string(plan_.timeout.count()) + " ms; process killed"});
      } else if (!outcome->error.empty()) {
        inv.set_error(Error{ErrorCode::kSpawn, outcome->error});
      } else if (outcome->exit_code != cell_.input->expected_exit) {
        std::string err = read_file_or_empty(req.stderr_file).substr(0, 300);
        inv.set_error(Error{ErrorCode::kFunctionError, outcome->exit_text + " (expected exit code " +
                                                           std::to_string(cell_.input->expected_exit) + ")" +
                                                           (err.empty() ? "" : "; stderr: " + err)});
      } else {
        record_response(inv, as_response);
        for (const auto& [path, expected] : cell_.input->expected_files) {
          if (!inv.ok) break;
          auto written = read_output_beneath(req.work_dir, path);
          if (!written) {
            inv.ok = false;
            inv.set_error(Error{written.error().code, "file " + written.error().message});
          } else if (!output_matches(*written, expected)) {
            inv.ok = false;
            inv.set_error(Error{ErrorCode::kOutputMismatch, "file " + path + " differs from the expected one"});
          }
        }
      }
    }
    fs::remove_all(scratch, ec);
  }

  // Starts (or restarts after a crash/timeout) the cell's live instance, with warm-up requests;
  // in mode `instance` the live sandbox whose every request gets a new instance.
  std::optional<Error> ensure_instance() {
    if (instance_ && instance_->alive()) return std::nullopt;
    if (instance_) instance_->stop();
    instance_.reset();
    auto started = cell_.mode == telemetry::Mode::kInstance
                       ? rt_->start_instance_host(cell_.function->name, plan_.start_timeout)
                       : rt_->start_instance(cell_.function->name, plan_.start_timeout);
    if (!started) return started.error();
    instance_ = std::move(*started);
    telemetry::Invocation warm_up = blank(-1);
    for (int i = 0; i < plan_.warmup; ++i) {
      auto r = instance_->invoke(request_for(warm_up), plan_.timeout);
      if (!r) return Error{r.error().code, "during warm-up: " + r.error().message};
    }
    return std::nullopt;
  }

  // Mode `instance`: a new instance in the live sandbox serves the request; the response's
  // phases split its start (fork, wasi_setup, instantiate, first_call), e2e is the round trip.
  void fresh(telemetry::Invocation& inv) { warm(inv); }

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
    record_cpus(inv, *instance_);
    auto after = instance_->stats();
    if (before.cpu && after.cpu) inv.cpu = *after.cpu - *before.cpu;
    inv.peak_rss_bytes = after.peak_rss_bytes;
  }

  const RunPlan& plan_;
  const Cell& cell_;
  runtime::Runtime* rt_;
  telemetry::InvocationSink& sink_;
  BaasStore& store_;
  telemetry::Placement placement_ = telemetry::Placement::kFree;
  std::unique_ptr<runtime::Instance> instance_;
  std::vector<double> e2e_ns_;                  ///< ok e2e times of this cell, for its median and the adaptive rule
  std::vector<telemetry::Invocation> records_;  ///< this run's records of the cell, for its report
};

}  // namespace lumos::engine::run_detail

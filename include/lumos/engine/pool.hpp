// An autoscaling instance pool: reuse of idle instances (warm), new instances on demand up to a
// limit (cold), keep-alive expiry (scale to zero) and pre-warming, as on Knative/OpenWhisk; or,
// as Spin does, live hosts whose every request gets a new instance.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "lumos/runtime/runtime.hpp"

namespace lumos::engine {

/// What the pool keeps and what a request that finds none idle starts.
enum class PoolStart {
  kProcess,   ///< instances are processes/containers: a request meets a warm one or starts one
  kInstance,  ///< Spin-style: live hosts (runtime::Runtime::start_instance_host) whose every
              ///< request runs in a new instance; a new host only when none is idle
};

struct PoolConfig {
  std::chrono::milliseconds keep_alive{10'000};  ///< idle instances older than this are stopped
  int max_instances = 0;                         ///< 0: no limit
  int prewarm = 0;                               ///< instances started before the load begins
  PoolStart start = PoolStart::kProcess;
};

/// An instance lent to one request. `cold` when it was started for this request.
struct Lease {
  std::unique_ptr<runtime::Instance> instance;
  bool cold = false;
  std::chrono::nanoseconds waited{0};   ///< time spent waiting for a free instance (queueing)
  std::chrono::nanoseconds started{0};  ///< time spent starting it (cold only)
};

/// Thread-safe. Instances are started outside the lock, so several can start at once.
class InstancePool {
 public:
  InstancePool(runtime::Runtime& runtime, std::string function, PoolConfig config,
               std::chrono::milliseconds start_timeout);
  ~InstancePool();
  InstancePool(const InstancePool&) = delete;
  InstancePool& operator=(const InstancePool&) = delete;

  /// Starts `prewarm` instances; fails with the first start error.
  Result<void> prewarm();
  /// The most recently used idle instance, or a new one if under the limit, or waits for one.
  Result<Lease> acquire();
  /// Returns an instance; a dead one (after a crash or timeout) is dropped.
  void release(std::unique_ptr<runtime::Instance> instance);
  /// Stops idle instances past their keep-alive. Called by acquire/release; call it to scale to zero.
  void reap();
  /// Instances alive now (idle + lent + starting).
  int live() const;
  /// Whether every request runs in a new instance of a live host (PoolStart::kInstance).
  bool instance_starts() const { return config_.start == PoolStart::kInstance; }

 private:
  using Clock = std::chrono::steady_clock;
  Result<std::unique_ptr<runtime::Instance>> start_one();

  runtime::Runtime& runtime_;
  std::string function_;
  PoolConfig config_;
  std::chrono::milliseconds start_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::deque<std::pair<std::unique_ptr<runtime::Instance>, Clock::time_point>> idle_;  // back = newest
  int live_ = 0;
};

}  // namespace lumos::engine

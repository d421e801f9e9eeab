// The instance pool: LIFO reuse, bounded scale-out, keep-alive expiry.
#include "lumos/engine/pool.hpp"

namespace lumos::engine {

InstancePool::InstancePool(runtime::Runtime& runtime, std::string function, PoolConfig config,
                           std::chrono::milliseconds start_timeout)
    : runtime_(runtime), function_(std::move(function)), config_(config), start_timeout_(start_timeout) {}

InstancePool::~InstancePool() {
  std::lock_guard lock(mutex_);
  for (auto& [instance, _] : idle_) instance->stop();
  idle_.clear();
}

Result<std::unique_ptr<runtime::Instance>> InstancePool::start_one() {
  return config_.start == PoolStart::kInstance ? runtime_.start_instance_host(function_, start_timeout_)
                                               : runtime_.start_instance(function_, start_timeout_);
}

Result<void> InstancePool::prewarm() {
  for (int i = 0; i < config_.prewarm; ++i) {
    auto started = start_one();
    if (!started) return tl::unexpected(started.error());
    std::lock_guard lock(mutex_);
    ++live_;
    idle_.emplace_back(std::move(*started), Clock::now());
  }
  return {};
}

Result<Lease> InstancePool::acquire() {
  auto t0 = Clock::now();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      Lease lease;
      lease.instance = std::move(idle_.back().first);
      idle_.pop_back();
      lease.waited = Clock::now() - t0;
      return lease;
    }
    if (config_.max_instances <= 0 || live_ < config_.max_instances) break;
    freed_.wait(lock);
  }
  ++live_;  // reserve the slot, start outside the lock
  lock.unlock();
  Lease lease;
  lease.cold = true;
  auto t1 = Clock::now();
  lease.waited = t1 - t0;
  auto started = start_one();
  lease.started = Clock::now() - t1;
  if (!started) {
    lock.lock();
    --live_;
    freed_.notify_one();
    return tl::unexpected(started.error());
  }
  lease.instance = std::move(*started);
  return lease;
}

void InstancePool::release(std::unique_ptr<runtime::Instance> instance) {
  bool alive = instance && instance->alive();
  if (!alive && instance) instance->stop();
  {
    std::lock_guard lock(mutex_);
    if (alive) {
      idle_.emplace_back(std::move(instance), Clock::now());
    } else {
      --live_;
    }
  }
  freed_.notify_one();
  reap();
}

void InstancePool::reap() {
  std::vector<std::unique_ptr<runtime::Instance>> expired;
  {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    // The front holds the least recently used instances.
    while (!idle_.empty() && now - idle_.front().second > config_.keep_alive) {
      expired.push_back(std::move(idle_.front().first));
      idle_.pop_front();
      --live_;
    }
  }
  for (auto& instance : expired) instance->stop();
  if (!expired.empty()) freed_.notify_all();
}

int InstancePool::live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

}  // namespace lumos::engine

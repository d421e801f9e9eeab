// The link's timing: FIFO serialization at the bit rate, then a jittered one-way delay.
#include "lumos/env/link_model.hpp"

#include <algorithm>
#include <cstdint>

namespace lumos::env {

LinkModel::LinkModel(const Link& link) : link_(link), rng_(link.seed) {
  if (link.bandwidth_bps > 0) {
    chunk_cap_ = std::clamp<std::size_t>(link.bandwidth_bps / 8 / 1000, 1448, 65536);
    const double bdp =
        static_cast<double>(link.bandwidth_bps) / 8.0 * std::chrono::duration<double>(link.rtt + link.jitter).count();
    queue_cap_ = std::max<std::size_t>(256 << 10, static_cast<std::size_t>(2 * bdp));
  } else if (link.rtt.count() > 0) {
    queue_cap_ = 4 << 20;
  }
}

std::chrono::nanoseconds LinkModel::one_way_delay() {
  double d = static_cast<double>(link_.rtt.count()) / 2.0;
  if (link_.jitter.count() > 0) {
    const double j = static_cast<double>(link_.jitter.count()) / 2.0;
    d += std::uniform_real_distribution<double>(-j, j)(rng_);
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(0.0, d)));
}

LinkModel::TimePoint LinkModel::serialize(Direction d, std::size_t bytes, TimePoint now) {
  if (link_.bandwidth_bps == 0) return now;
  auto& free_at = wire_free_[static_cast<int>(d)];
  const TimePoint start = std::max(now, free_at);
  const double ns = static_cast<double>(bytes) * 8e9 / static_cast<double>(link_.bandwidth_bps);
  free_at = start + std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
  return free_at;
}

LinkModel::TimePoint LinkModel::release(Direction d, std::size_t bytes, TimePoint now, TimePoint not_before) {
  const TimePoint depart = serialize(d, bytes, now);
  return std::max(depart + one_way_delay(), not_before);
}

}  // namespace lumos::env

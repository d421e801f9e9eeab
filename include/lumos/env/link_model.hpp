// The timing of an emulated link, without sockets or clocks of its own: when a chunk that
// arrives at a given time is delivered. The link emulator's proxy (link_emulator.hpp) asks it
// for every chunk it reads; unit tests drive it with chosen times.
#pragma once

#include <chrono>
#include <cstddef>
#include <random>

#include "lumos/env/profile.hpp"

namespace lumos::env {

/// One link with its two directions (device -> BaaS and back), each a FIFO bottleneck at the
/// link's bit rate shared by every connection, followed by a one-way delay of
/// rtt/2 + U(-jitter/2, +jitter/2) from a PRNG seeded by the link's seed.
class LinkModel {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  enum class Direction : int { kUp = 0, kDown = 1 };

  explicit LinkModel(const Link& link);

  const Link& link() const { return link_; }
  /// Largest read the proxy makes: about 1 ms of traffic at the bit rate (at least one TCP
  /// segment, at most 64 KiB), so serialization is smooth; 64 KiB when unlimited.
  std::size_t chunk_cap() const { return chunk_cap_; }
  /// Bytes one connection may have queued in one direction before the proxy stops reading it:
  /// two bandwidth-delay products (at least 256 KiB), so senders feel the limit as on a real
  /// link; 4 MiB for a delay-only link, 1 MiB for an ideal one.
  std::size_t queue_cap() const { return queue_cap_; }

  /// When a chunk of `bytes` (0 for an end of stream) read at `now` in direction `d` is
  /// delivered: after the chunks before it on the wire are serialized, its own serialization,
  /// and one one-way delay; never before `not_before` (the previous release of the same
  /// connection and direction: TCP keeps order).
  TimePoint release(Direction d, std::size_t bytes, TimePoint now, TimePoint not_before);

  /// The release of a connection's first bytes: opening it costs the TCP handshake's round
  /// trip, so they reach the upstream no earlier than 1.5 RTT after `accepted`.
  TimePoint first_release(TimePoint accepted) const { return accepted + link_.rtt + link_.rtt / 2; }

 private:
  std::chrono::nanoseconds one_way_delay();
  TimePoint serialize(Direction d, std::size_t bytes, TimePoint now);

  Link link_;
  std::size_t chunk_cap_ = 65536;
  std::size_t queue_cap_ = 1 << 20;
  std::mt19937_64 rng_;
  TimePoint wire_free_[2]{};  // when each direction's wire is free again
};

}  // namespace lumos::env

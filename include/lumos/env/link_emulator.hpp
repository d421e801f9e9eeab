// A user-space link emulator: a TCP proxy in front of the BaaS that adds the profile's delay,
// jitter and bandwidth limit (this kernel has no netem).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lumos/common/endpoint.hpp"
#include "lumos/common/result.hpp"
#include "lumos/env/profile.hpp"

namespace lumos::env {

/// Counters of a running emulator (cumulative).
struct LinkStats {
  std::uint64_t connections = 0;        ///< accepted client connections
  std::uint64_t active = 0;             ///< connections open now
  std::uint64_t upstream_failures = 0;  ///< connections closed because the upstream refused/failed
  std::uint64_t bytes_up = 0;           ///< client -> upstream bytes delivered
  std::uint64_t bytes_down = 0;         ///< upstream -> client bytes delivered
};

/// Listens on 127.0.0.1 (and optional extra addresses, e.g. the host side of a veth) on one
/// port and forwards every connection to `upstream`. Each direction models one link of the
/// emulated network, shared by all connections (a device's uplink and downlink):
///  - bandwidth: chunks are serialized at the bit rate in arrival order (a FIFO bottleneck;
///    equivalently a token bucket filled at the rate, one chunk deep); chunks are at most
///    ~1 ms of traffic, so small messages are not held behind big reads;
///  - delay: after serialization every chunk waits rtt/2 + U(-jitter/2, +jitter/2) (seeded
///    PRNG), never overtaking an earlier chunk of its connection (TCP keeps order);
///  - back pressure: a connection stops being read while ~2 bandwidth-delay products of it
///    are queued, so senders feel the limit as on a real link.
/// End of stream is delayed like data and forwarded as a half-close. One thread with epoll
/// and a timerfd (ns deadlines, no polling loop); the destructor stops it and closes every
/// connection. TCP_NODELAY is set on both sides so the proxy adds no Nagle delay.
class LinkEmulator {
 public:
  /// Starts the proxy thread. extra_binds are IPv4 addresses to listen on as well (same
  /// port). Fails with kConfig for an unresolvable upstream, kIo if it cannot listen.
  static Result<std::unique_ptr<LinkEmulator>> start(const Endpoint& upstream, const Link& link,
                                                     const std::vector<std::string>& extra_binds = {});
  ~LinkEmulator();
  LinkEmulator(const LinkEmulator&) = delete;
  LinkEmulator& operator=(const LinkEmulator&) = delete;

  /// 127.0.0.1:port: where clients on the host connect instead of the upstream (with the
  /// upstream's password: AUTH passes through like any other bytes).
  const Endpoint& endpoint() const;
  LinkStats stats() const;
  /// The proxy thread's id (0 until it runs): /proc/<id>/stat tells where it ran.
  pid_t thread_id() const;

  struct Impl;

 private:
  explicit LinkEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumos::env

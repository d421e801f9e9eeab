// The link emulator, measured: RTT, bandwidth and overhead against small TCP servers and a real
// redis-server. Prints the measured figures. Over 400 lines on purpose: one concept, with the
// small TCP servers and clients its measurements share.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "lumos/baas/redis.hpp"
#include "lumos/env/cgroup.hpp"
#include "lumos/env/link_emulator.hpp"
#include "lumos/env/profile.hpp"
#include "measure_support.hpp"

using namespace lumos;
using namespace lumos::env;
using namespace std::chrono_literals;
using lumos::testing::median;
using lumos::testing::ms;
using lumos::testing::quantile;
using lumos::testing::within;
using Clock = std::chrono::steady_clock;

namespace {

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool recv_exact(int fd, char* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

int connect_to(const baas::Endpoint& e) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(e.port));
  inet_pton(AF_INET, e.host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// A loopback TCP server running `handler(fd)` on a thread per connection.
class TcpServer {
 public:
  explicit TcpServer(std::function<void(int)> handler) : handler_(std::move(handler)) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(lfd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::listen(lfd_, 256);
    socklen_t len = sizeof sa;
    getsockname(lfd_, reinterpret_cast<sockaddr*>(&sa), &len);
    endpoint_.port = ntohs(sa.sin_port);
    accept_thread_ = std::thread([this] {
      for (;;) {
        int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(mu_);
        fds_.push_back(fd);
        workers_.emplace_back([this, fd] { handler_(fd); });
      }
    });
  }
  ~TcpServer() {
    ::shutdown(lfd_, SHUT_RDWR);
    ::close(lfd_);
    accept_thread_.join();
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : workers_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  const baas::Endpoint& endpoint() const { return endpoint_; }

 private:
  std::function<void(int)> handler_;
  int lfd_ = -1;
  baas::Endpoint endpoint_;
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
};

// Real-time priority for the test's own client and server threads, so the figures measure
// the emulator and not the scheduling of the measuring threads on a busy host. Restores the
// previous policy when it goes out of scope.
class Boost {
 public:
  Boost() {
    pthread_getschedparam(pthread_self(), &policy_, &param_);
    sched_param p{};
    p.sched_priority = 1;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
  }
  ~Boost() { pthread_setschedparam(pthread_self(), policy_, &param_); }

 private:
  int policy_ = SCHED_OTHER;
  sched_param param_{};
};

void echo(int fd) {
  Boost boost;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || !send_all(fd, buf, static_cast<std::size_t>(n))) break;
  }
  ::shutdown(fd, SHUT_WR);  // answer the client's end of stream with ours
}

// 'S' + u64 n: sends n bytes. 'R' + u64 n: reads n bytes, then answers one byte.
void bulk(int fd) {
  Boost boost;
  for (;;) {
    char cmd;
    std::uint64_t n = 0;
    if (!recv_exact(fd, &cmd, 1) || !recv_exact(fd, reinterpret_cast<char*>(&n), sizeof n)) return;
    std::vector<char> buf(65536, 'x');
    if (cmd == 'S') {
      while (n > 0) {
        std::size_t k = std::min<std::uint64_t>(n, buf.size());
        if (!send_all(fd, buf.data(), k)) return;
        n -= k;
      }
    } else {
      while (n > 0) {
        ssize_t r = ::recv(fd, buf.data(), std::min<std::uint64_t>(n, buf.size()), 0);
        if (r <= 0) return;
        n -= static_cast<std::uint64_t>(r);
      }
      if (!send_all(fd, "k", 1)) return;
    }
  }
}

// Round-trip times (ms) of `count` small ping-pongs on one connection, after one unmeasured
// exchange (which pays the emulated handshake).
std::vector<double> ping_pong(const baas::Endpoint& e, int count) {
  Boost boost;
  std::vector<double> out;
  int fd = connect_to(e);
  if (fd < 0) return out;
  char msg[32] = "ping-ping-ping-ping-ping-ping-p";
  char back[32];
  for (int i = 0; i <= count; ++i) {
    auto t0 = Clock::now();
    if (!send_all(fd, msg, sizeof msg) || !recv_exact(fd, back, sizeof back)) break;
    if (i > 0) out.push_back(ms(Clock::now() - t0));
  }
  ::close(fd);
  return out;
}

const Link& edge_link() {
  static const Link link = builtin_profile("edge-pi")->link;
  return link;
}

}  // namespace

// --- link emulator -------------------------------------------------------------------------

TEST(LinkEmulator, EdgeRttMedianIsWithinTenPercentOfTheProfile) {
  TcpServer server(echo);
  auto em = LinkEmulator::start(server.endpoint(), edge_link());
  ASSERT_TRUE(em) << em.error().to_string();
  auto rtts = ping_pong((*em)->endpoint(), 50);
  ASSERT_EQ(rtts.size(), 50u);
  double configured = ms(edge_link().rtt);
  double med = median(rtts);
  std::printf(
      "[edge-pi link] RTT configured %.1f ms (jitter %.1f ms): median %.2f ms, p10 %.2f, p90 %.2f, "
      "min %.2f, max %.2f (n=50)\n",
      configured, ms(edge_link().jitter), med, quantile(rtts, 0.1), quantile(rtts, 0.9), quantile(rtts, 0.0),
      quantile(rtts, 1.0));
  EXPECT_TRUE(within(med, configured, 0.10)) << med;
  // Jitter is there and bounded: samples spread, none outside rtt +- jitter (+ slack).
  EXPECT_GT(quantile(rtts, 0.9) - quantile(rtts, 0.1), ms(edge_link().jitter) * 0.3);
  EXPECT_GE(quantile(rtts, 0.0), configured - ms(edge_link().jitter) - 0.1);
}

TEST(LinkEmulator, EdgeBandwidthIsWithinTenPercentBothWays) {
  TcpServer server(bulk);
  auto em = LinkEmulator::start(server.endpoint(), edge_link());
  ASSERT_TRUE(em) << em.error().to_string();
  Boost boost;
  int fd = connect_to((*em)->endpoint());
  ASSERT_GE(fd, 0);
  // Pay the connection's emulated handshake first.
  char cmd[9] = {'S'};
  std::uint64_t one = 1;
  std::memcpy(cmd + 1, &one, 8);
  char c;
  ASSERT_TRUE(send_all(fd, cmd, 9) && recv_exact(fd, &c, 1));

  const std::uint64_t n = 6'000'000;
  double configured = static_cast<double>(edge_link().bandwidth_bps) / 1e6;
  double rtt = ms(edge_link().rtt);
  std::vector<char> buf(n);
  // Download: request, then n bytes arrive.
  cmd[0] = 'S';
  std::memcpy(cmd + 1, &n, 8);
  auto t0 = Clock::now();
  ASSERT_TRUE(send_all(fd, cmd, 9) && recv_exact(fd, buf.data(), n));
  double down_ms = ms(Clock::now() - t0);
  // Upload: n bytes, then a one-byte acknowledgement.
  cmd[0] = 'R';
  t0 = Clock::now();
  ASSERT_TRUE(send_all(fd, cmd, 9) && send_all(fd, buf.data(), n) && recv_exact(fd, &c, 1));
  double up_ms = ms(Clock::now() - t0);
  ::close(fd);
  // Throughput of the transfer itself: the elapsed time minus one round trip of latency.
  double down = static_cast<double>(n) * 8 / ((down_ms - rtt) * 1e3);
  double up = static_cast<double>(n) * 8 / ((up_ms - rtt) * 1e3);
  std::printf(
      "[edge-pi link] bandwidth configured %.1f Mbit/s: download %.2f Mbit/s (%.0f ms for %.1f MB), "
      "upload %.2f Mbit/s (%.0f ms); without subtracting the RTT: %.2f / %.2f Mbit/s\n",
      configured, down, down_ms, static_cast<double>(n) / 1e6, up, up_ms, static_cast<double>(n) * 8 / (down_ms * 1e3),
      static_cast<double>(n) * 8 / (up_ms * 1e3));
  EXPECT_TRUE(within(down, configured, 0.10)) << down;
  EXPECT_TRUE(within(up, configured, 0.10)) << up;
  EXPECT_EQ((*em)->stats().bytes_down, n + 2);  // + the two one-byte answers
}

TEST(LinkEmulator, IdealLinkAddsLessThanHalfAMillisecond) {
  TcpServer server(echo);
  auto em = LinkEmulator::start(server.endpoint(), Link{});
  ASSERT_TRUE(em) << em.error().to_string();
  // Interleave direct and proxied rounds so background load hits both alike.
  std::vector<double> direct, proxied;
  for (int round = 0; round < 4; ++round) {
    auto d = ping_pong(server.endpoint(), 50);
    auto p = ping_pong((*em)->endpoint(), 50);
    direct.insert(direct.end(), d.begin(), d.end());
    proxied.insert(proxied.end(), p.begin(), p.end());
  }
  ASSERT_EQ(direct.size(), 200u);
  ASSERT_EQ(proxied.size(), 200u);
  // The emulator's own cost is compared at the lower quartile: a busy host only adds to both
  // sides, and it adds more to the side that needs two extra thread wake-ups per round trip.
  double added = quantile(proxied, 0.25) - quantile(direct, 0.25);
  std::printf(
      "[ideal link] ping-pong direct median %.3f ms (p25 %.3f), through the emulator median %.3f ms (p25 %.3f): "
      "adds %.3f ms at p25\n",
      median(direct), quantile(direct, 0.25), median(proxied), quantile(proxied, 0.25), added);
  EXPECT_LT(added, 0.5);
}

TEST(LinkEmulator, HandshakeCostsOneRoundTrip) {
  TcpServer server(echo);
  Link link;
  link.rtt = 30ms;
  auto em = LinkEmulator::start(server.endpoint(), link);
  ASSERT_TRUE(em);
  auto t0 = Clock::now();
  int fd = connect_to((*em)->endpoint());
  ASSERT_GE(fd, 0);
  char b[4] = "abc";
  ASSERT_TRUE(send_all(fd, b, 4) && recv_exact(fd, b, 4));
  double first = ms(Clock::now() - t0);
  ::close(fd);
  std::printf("[rtt 30 ms] connect + first exchange: %.1f ms (expected 60)\n", first);
  // The emulated delays are floors: never less than the handshake's and the exchange's round
  // trip (a few percent of timer slack), and one round trip each, not two (that would be 90).
  EXPECT_GE(first, 57.0);
  EXPECT_LT(first, 85.0) << "more than one round trip for the handshake or the exchange";
}

TEST(LinkEmulator, ManyConcurrentConnectionsAllGetTheirEchoes) {
  TcpServer server(echo);
  Link link;
  link.rtt = 10ms;
  link.jitter = 4ms;
  link.bandwidth_bps = 20'000'000;
  auto em = LinkEmulator::start(server.endpoint(), link);
  ASSERT_TRUE(em);
  constexpr int kClients = 64;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  auto t0 = Clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      int fd = connect_to((*em)->endpoint());
      if (fd < 0) return;
      bool good = true;
      for (int k = 0; k < 10 && good; ++k) {
        std::string msg = "client " + std::to_string(i) + " message " + std::to_string(k);
        std::string back(msg.size(), '\0');
        good = send_all(fd, msg.data(), msg.size()) && recv_exact(fd, back.data(), back.size()) && back == msg;
      }
      ::close(fd);
      if (good) ok++;
    });
  }
  for (auto& t : clients) t.join();
  double elapsed = ms(Clock::now() - t0);
  std::printf("[64 clients x 10 exchanges, rtt 10 ms] %.0f ms\n", elapsed);
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_LT(elapsed, 2000.0);  // in parallel: ~11 RTTs, not 640
  for (int i = 0; i < 100 && (*em)->stats().active > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ((*em)->stats().connections, static_cast<std::uint64_t>(kClients));
  EXPECT_EQ((*em)->stats().active, 0u);
}

TEST(LinkEmulator, RefusedUpstreamClosesTheClientConnection) {
  int port;
  {
    TcpServer gone(echo);
    port = gone.endpoint().port;
  }
  auto em = LinkEmulator::start(baas::Endpoint{"127.0.0.1", port, ""}, Link{});
  ASSERT_TRUE(em);
  int fd = connect_to((*em)->endpoint());
  ASSERT_GE(fd, 0);
  char b;
  EXPECT_LE(::recv(fd, &b, 1, 0), 0);
  ::close(fd);
  EXPECT_EQ((*em)->stats().upstream_failures, 1u);
}

TEST(LinkEmulator, UnresolvableUpstreamAndBadBindAreErrors) {
  auto a = LinkEmulator::start(baas::Endpoint{"no-such-host.invalid", 6379, ""}, Link{});
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("no-such-host.invalid"), std::string::npos);
  auto b = LinkEmulator::start(baas::Endpoint{"127.0.0.1", 6379, ""}, Link{}, {"not-an-ip"});
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("not-an-ip"), std::string::npos);
}

TEST(LinkEmulator, DestructorReturnsPromptlyWithOpenConnections) {
  TcpServer server(echo);
  Link link;
  link.rtt = 200ms;
  auto em = LinkEmulator::start(server.endpoint(), link);
  ASSERT_TRUE(em);
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    fds.push_back(connect_to((*em)->endpoint()));
    ASSERT_TRUE(send_all(fds.back(), "pending", 7));
  }
  auto t0 = Clock::now();
  em->reset();
  EXPECT_LT(ms(Clock::now() - t0), 100.0);
  for (int fd : fds) {
    char b;
    EXPECT_LE(::recv(fd, &b, 1, 0), 0);  // closed by the emulator, not answered
    ::close(fd);
  }
}

TEST(LinkEmulator, RedisThroughTheEdgeLink) {
  auto redis = baas::RedisServer::start();
  if (!redis && redis.error().code == ErrorCode::kNotInstalled) GTEST_SKIP() << redis.error().message;
  ASSERT_TRUE(redis) << redis.error().to_string();
  auto em = LinkEmulator::start((*redis)->endpoint(), edge_link());
  ASSERT_TRUE(em) << em.error().to_string();
  Boost boost;
  auto client = baas::RedisClient::connect((*em)->endpoint(), 5000ms);
  ASSERT_TRUE(client) << client.error().to_string();
  ASSERT_TRUE(client->ping());
  auto direct = baas::RedisClient::connect((*redis)->endpoint(), 5000ms);
  ASSERT_TRUE(direct);
  // PINGs through the link and directly, interleaved, so Redis' own response time (which grows
  // on a busy host) is measured beside the link's and taken off it.
  std::vector<double> pings, direct_pings;
  for (int i = 0; i < 50; ++i) {
    auto t0 = Clock::now();
    ASSERT_TRUE(client->ping());
    pings.push_back(ms(Clock::now() - t0));
    t0 = Clock::now();
    ASSERT_TRUE(direct->ping());
    direct_pings.push_back(ms(Clock::now() - t0));
  }
  // SET and GET of 2 MB and 6 MB, through the link and directly. The difference of the times
  // is 4 MB on the wire, with the round trip and per-command costs cancelled. Redis' and
  // hiredis' per-byte costs remain (~10 ms/MB on a busy host, partly overlapping the wire), so
  // the raw figure is a little low and the one minus the direct difference a little high; the
  // emulator's own rate is checked exactly by EdgeBandwidthIsWithinTenPercentBothWays.
  auto timed = [&](baas::RedisClient& c, bool set, std::size_t bytes) {
    std::string value(bytes, 'v');
    if (!set) {
      EXPECT_TRUE(direct->set("lumos:env:big", value));
    }
    std::vector<double> t;
    for (int i = 0; i < 3; ++i) {
      auto t0 = Clock::now();
      bool ok = set ? static_cast<bool>(c.set("lumos:env:big", value)) : [&] {
        auto got = c.get("lumos:env:big");
        return got && *got && (*got)->size() == value.size();
      }();
      EXPECT_TRUE(ok);
      t.push_back(ms(Clock::now() - t0));
    }
    return median(t);
  };
  double configured = static_cast<double>(edge_link().bandwidth_bps) / 1e6;
  auto measure = [&](bool set) {
    double d2 = timed(*direct, set, 2'000'000), d6 = timed(*direct, set, 6'000'000);
    double t2 = timed(*client, set, 2'000'000), t6 = timed(*client, set, 6'000'000);
    double raw = 4e6 * 8 / ((t6 - t2) * 1e3);
    double corrected = 4e6 * 8 / ((t6 - t2 - (d6 - d2)) * 1e3);
    std::printf(
        "[redis via edge-pi link] %s 2 MB %.0f ms, 6 MB %.0f ms (direct %.0f / %.0f ms): %.2f Mbit/s, "
        "%.2f Mbit/s without Redis' own per-byte time\n",
        set ? "SET" : "GET", t2, t6, d2, d6, raw, corrected);
    // The link's rate lies between the two (within 10%), and Redis costs at most 20%.
    EXPECT_LE(raw, configured * 1.10);
    EXPECT_GE(corrected, configured * 0.90);
    EXPECT_GE(raw, configured * 0.80);
  };
  measure(true);
  measure(false);
  double added = median(pings) - median(direct_pings);
  std::printf("[redis via edge-pi link] PING median %.2f ms, direct %.3f ms: the link adds %.2f ms\n", median(pings),
              median(direct_pings), added);
  // The profile's RTT within 10% is EdgeRttMedianIsWithinTenPercentOfTheProfile's to check; here
  // Redis is a third process to schedule on a small host, and a busy host only adds to the time
  // (CI saw +11%): the link adds its RTT (never less than 90%), and at most 20% more.
  EXPECT_GE(added, ms(edge_link().rtt) * 0.90);
  EXPECT_LE(added, ms(edge_link().rtt) * 1.20);
}

// The link's timing without sockets: serialization at the bit rate, FIFO on a shared wire,
// jittered delay within its bounds and reproducible by seed, order kept, the handshake cost.
#include "lumos/env/link_model.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lumos::env {
namespace {

using namespace std::chrono_literals;
using Dir = LinkModel::Direction;
using TimePoint = LinkModel::TimePoint;

const TimePoint kT0{std::chrono::seconds(1000)};

Link link_of(std::chrono::nanoseconds rtt, std::chrono::nanoseconds jitter, std::uint64_t bps, std::uint64_t seed = 1) {
  Link l;
  l.rtt = rtt;
  l.jitter = jitter;
  l.bandwidth_bps = bps;
  l.seed = seed;
  return l;
}

TEST(LinkModel, IdealLinkDeliversAtOnce) {
  LinkModel m(Link{});
  EXPECT_EQ(m.release(Dir::kUp, 1 << 20, kT0, TimePoint{}), kT0);
  EXPECT_EQ(m.first_release(kT0), kT0);
  EXPECT_EQ(m.chunk_cap(), 65536u);
  EXPECT_EQ(m.queue_cap(), 1u << 20);
}

TEST(LinkModel, DelayOnlyAddsHalfTheRoundTrip) {
  LinkModel m(link_of(10ms, 0ns, 0));
  EXPECT_EQ(m.release(Dir::kDown, 1000, kT0, TimePoint{}), kT0 + 5ms);
  EXPECT_EQ(m.first_release(kT0), kT0 + 15ms);
  EXPECT_EQ(m.queue_cap(), 4u << 20);
}

TEST(LinkModel, SerializesAtTheBitRateFifoPerDirection) {
  LinkModel m(link_of(0ns, 0ns, 8'000'000));  // 1 MB/s: 1000 bytes take 1 ms
  EXPECT_EQ(m.release(Dir::kUp, 1000, kT0, TimePoint{}), kT0 + 1ms);
  // A second chunk read at the same time waits for the first on the shared wire.
  EXPECT_EQ(m.release(Dir::kUp, 1000, kT0, TimePoint{}), kT0 + 2ms);
  // The other direction has a wire of its own.
  EXPECT_EQ(m.release(Dir::kDown, 1000, kT0, TimePoint{}), kT0 + 1ms);
  // After an idle gap the wire starts from the arrival again.
  EXPECT_EQ(m.release(Dir::kUp, 500, kT0 + 10ms, TimePoint{}), kT0 + 10ms + 500us);
  // An end of stream (0 bytes) takes no wire time but comes after what is queued.
  EXPECT_EQ(m.release(Dir::kUp, 2000, kT0 + 20ms, TimePoint{}), kT0 + 22ms);
  EXPECT_EQ(m.release(Dir::kUp, 0, kT0 + 20ms, TimePoint{}), kT0 + 22ms);
}

TEST(LinkModel, CapsFollowTheBandwidthDelayProduct) {
  LinkModel slow(link_of(50ms, 0ns, 1'000'000));  // 125 bytes per ms: one TCP segment at least
  EXPECT_EQ(slow.chunk_cap(), 1448u);
  EXPECT_EQ(slow.queue_cap(), 256u << 10);           // 2 x BDP (12.5 kB) is under the floor
  LinkModel fast(link_of(100ms, 0ns, 800'000'000));  // 100 MB/s
  EXPECT_EQ(fast.chunk_cap(), 65536u);
  EXPECT_EQ(fast.queue_cap(), 20'000'000u);  // 2 x 100 MB/s x 0.1 s
}

TEST(LinkModel, JitterStaysWithinItsBoundsAndKeepsOrder) {
  LinkModel m(link_of(20ms, 8ms, 0, 7));
  TimePoint last{};
  bool varied = false;
  for (int i = 0; i < 500; ++i) {
    const TimePoint now = kT0 + i * 100us;
    const TimePoint unordered = LinkModel(m).release(Dir::kUp, 100, now, TimePoint{});
    EXPECT_GE(unordered - now, 6ms);
    EXPECT_LE(unordered - now, 14ms);
    const TimePoint r = m.release(Dir::kUp, 100, now, last);
    EXPECT_GE(r, last) << "chunk " << i << " overtook the one before it";
    if (i > 0 && r - now != (last - (now - 100us))) varied = true;
    last = r;
  }
  EXPECT_TRUE(varied);
}

TEST(LinkModel, SameSeedSameDelays) {
  auto delays = [](std::uint64_t seed) {
    LinkModel m(link_of(20ms, 8ms, 0, seed));
    std::vector<TimePoint> out;
    for (int i = 0; i < 20; ++i) out.push_back(m.release(Dir::kUp, 100, kT0, TimePoint{}));
    return out;
  };
  EXPECT_EQ(delays(3), delays(3));
  EXPECT_NE(delays(3), delays(4));
}

}  // namespace
}  // namespace lumos::env

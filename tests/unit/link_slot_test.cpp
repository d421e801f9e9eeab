// Per-run link slots: two lumos processes never share a /30 or a device name, whatever their
// PIDs (the slot is locked, the PID is only where the search starts).

#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "../temp_dir.hpp"

#include "lumos/env/netns.hpp"

namespace lumos::env {
namespace {

TEST(LinkSlot, PidsOneWrapApartGetDifferentAddressesAndNames) {
  testing::TempDir dir("lumos-slots");
  const std::uint32_t pid = 4242;
  auto a = LinkSlot::claim(dir.path, pid);
  auto b = LinkSlot::claim(dir.path, pid + LinkSlot::kSlots);  // pid % 16384 collided before
  ASSERT_TRUE(a) << a.error().to_string();
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(a->index(), pid);
  EXPECT_NE(a->index(), b->index());
  EXPECT_NE(a->host_ip(), b->host_ip());
  EXPECT_NE(a->namespace_ip(), b->namespace_ip());
  EXPECT_NE(a->netns_name(), b->netns_name());
  EXPECT_NE(a->host_if(), b->host_if());
  for (const auto& name : {a->host_if(), a->namespace_if(), b->host_if(), b->namespace_if()}) {
    EXPECT_LE(name.size(), 15u) << name;  // IFNAMSIZ - 1
  }
}

TEST(LinkSlot, AddressesOfASlotAreTheTwoHostsOfItsOwnSlash30) {
  testing::TempDir dir("lumos-slots");
  auto s = LinkSlot::claim(dir.path, 16383);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host_ip(), "10.213.255.253");
  EXPECT_EQ(s->namespace_ip(), "10.213.255.254");
  auto first = LinkSlot::claim(dir.path, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->host_ip(), "10.213.0.1");
  EXPECT_EQ(first->netns_name(), "lumos-0");
}

TEST(LinkSlot, AReleasedSlotIsFreeAgainAndTheSearchWraps) {
  testing::TempDir dir("lumos-slots");
  std::set<std::uint32_t> seen;
  {
    auto a = LinkSlot::claim(dir.path, LinkSlot::kSlots - 1);
    auto b = LinkSlot::claim(dir.path, LinkSlot::kSlots - 1);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->index(), LinkSlot::kSlots - 1);
    EXPECT_EQ(b->index(), 0u);  // wrapped around
    auto moved = std::move(*a);
    EXPECT_EQ(moved.index(), LinkSlot::kSlots - 1);
  }
  auto again = LinkSlot::claim(dir.path, LinkSlot::kSlots - 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index(), LinkSlot::kSlots - 1);
}

}  // namespace
}  // namespace lumos::env

// A network namespace joined to the host by a veth pair: the containers' only network path
// (to lumos' Redis on the host side of the link).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "lumos/common/result.hpp"

namespace lumos::env {

/// One of the 16384 /30 links of 10.213.0.0/16, held by this process while the object lives: a
/// lock file per slot (flock, released by the kernel when the holder dies, so a killed run
/// frees its slot), so two lumos processes never get the same addresses or names.
class LinkSlot {
 public:
  static constexpr std::uint32_t kSlots = 16384;
  /// Claims the first free slot from `preferred % kSlots` on, under `lock_dir` (created if
  /// missing). kSpawn when every slot is held or the folder cannot be used.
  static Result<LinkSlot> claim(const std::filesystem::path& lock_dir, std::uint32_t preferred);
  LinkSlot(LinkSlot&& other) noexcept;
  LinkSlot& operator=(LinkSlot&& other) noexcept;
  LinkSlot(const LinkSlot&) = delete;
  LinkSlot& operator=(const LinkSlot&) = delete;
  ~LinkSlot();

  std::uint32_t index() const { return index_; }
  /// 10.213.<index / 64>.<(index % 64) * 4 + 1>: the host side; + 2: the namespace side.
  std::string host_ip() const;
  std::string namespace_ip() const;
  /// "lumos-<index>", and the veth ends "lmh<index>" / "lmc<index>" (within IFNAMSIZ).
  std::string netns_name() const;
  std::string host_if() const;
  std::string namespace_if() const;

 private:
  LinkSlot(int fd, std::uint32_t index) : fd_(fd), index_(index) {}
  int fd_ = -1;
  std::uint32_t index_ = 0;
};

class LinkedNetns {
 public:
  /// Claims a link slot (LinkSlot, locks in /run/lumos/links), creates its netns and /30 veth
  /// link (removing what a killed run left in that slot first); fails with kSpawn saying which
  /// `ip` step failed (needs root and iproute2).
  static Result<std::unique_ptr<LinkedNetns>> create();
  ~LinkedNetns();
  LinkedNetns(const LinkedNetns&) = delete;
  LinkedNetns& operator=(const LinkedNetns&) = delete;

  /// /var/run/netns/<name>, for an OCI config's network namespace path.
  std::string path() const { return "/var/run/netns/" + name_; }
  /// The host side's address, reachable from inside the namespace.
  const std::string& host_ip() const { return host_ip_; }
  /// Filters what leaves the namespace (iptables and ip6tables in it): loopback and TCP to
  /// host_ip():port pass, everything else is rejected (TCP with a reset), IPv6 included. Call
  /// once the BaaS endpoint's port is known; kSpawn naming the step that failed.
  Result<void> allow_only(int port);

 private:
  explicit LinkedNetns(LinkSlot slot) : slot_(std::move(slot)) {}
  LinkSlot slot_;
  std::string name_, host_if_, host_ip_;
};

}  // namespace lumos::env

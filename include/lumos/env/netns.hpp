// A network namespace joined to the host by a veth pair: the containers' only network path
// (to lumos' Redis on the host side of the link).
#pragma once

#include <memory>
#include <string>

#include "lumos/common/result.hpp"

namespace lumos::env {

class LinkedNetns {
 public:
  /// Creates netns "lumos-PID" and a /30 veth link; fails with kSpawn saying which `ip` step
  /// failed (needs root and iproute2).
  static Result<std::unique_ptr<LinkedNetns>> create();
  ~LinkedNetns();
  LinkedNetns(const LinkedNetns&) = delete;
  LinkedNetns& operator=(const LinkedNetns&) = delete;

  /// /var/run/netns/<name>, for an OCI config's network namespace path.
  std::string path() const { return "/var/run/netns/" + name_; }
  /// The host side's address, reachable from inside the namespace.
  const std::string& host_ip() const { return host_ip_; }

 private:
  LinkedNetns() = default;
  std::string name_, host_if_, host_ip_;
};

}  // namespace lumos::env

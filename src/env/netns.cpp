// Network namespace + veth setup with iproute2.
#include "lumos/env/netns.hpp"

#include <unistd.h>

#include "lumos/common/process.hpp"

namespace lumos::env {

Result<std::unique_ptr<LinkedNetns>> LinkedNetns::create() {
  std::unique_ptr<LinkedNetns> ns(new LinkedNetns());
  auto pid = std::to_string(getpid());
  ns->name_ = "lumos-" + pid;
  ns->host_if_ = "lmh" + pid;
  std::string ns_if = "lmc" + pid;
  // A /30 per lumos process (10.213.0.0/16 split by pid) so concurrent runs do not collide.
  int block = static_cast<int>(getpid() % 16384);
  std::string prefix = "10.213." + std::to_string(block / 64) + ".";
  int base = (block % 64) * 4;
  ns->host_ip_ = prefix + std::to_string(base + 1);
  std::string ns_ip = prefix + std::to_string(base + 2);
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "netns", "add", ns->name_},
      {"ip", "link", "add", ns->host_if_, "type", "veth", "peer", "name", ns_if},
      {"ip", "link", "set", ns_if, "netns", ns->name_},
      {"ip", "addr", "add", ns->host_ip_ + "/30", "dev", ns->host_if_},
      {"ip", "link", "set", ns->host_if_, "up"},
      {"ip", "-n", ns->name_, "addr", "add", ns_ip + "/30", "dev", ns_if},
      {"ip", "-n", ns->name_, "link", "set", ns_if, "up"},
      {"ip", "-n", ns->name_, "link", "set", "lo", "up"},
  };
  for (const auto& step : steps) {
    auto r = run_command(step);
    if (!r || r->exit_code != 0) {
      std::string cmd;
      for (const auto& a : step) cmd += (cmd.empty() ? "" : " ") + a;
      return fail(ErrorCode::kSpawn, "cannot set up the containers' network (" + cmd +
                                         "): " + (r ? r->out : r.error().message) + " (needs root and iproute2)");
    }
  }
  return ns;
}

LinkedNetns::~LinkedNetns() {
  (void)run_command({"ip", "link", "del", host_if_});
  (void)run_command({"ip", "netns", "del", name_});
}

}  // namespace lumos::env

// Network namespace + veth setup with iproute2.
#include "lumos/env/netns.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "lumos/common/process.hpp"

namespace lumos::env {
namespace {

// Runs each command in turn; the first that fails is a kSpawn error naming it and what it needs.
Result<void> run_all(const std::vector<std::vector<std::string>>& steps, std::string_view doing,
                     std::string_view needs) {
  for (const auto& step : steps) {
    auto r = run_command(step);
    if (!r || r->exit_code != 0) {
      std::string cmd;
      for (const auto& a : step) cmd += (cmd.empty() ? "" : " ") + a;
      return fail(ErrorCode::kSpawn, "cannot " + std::string(doing) + " the containers' network (" + cmd +
                                         "): " + (r ? r->out : r.error().message) + " (needs root and " +
                                         std::string(needs) + ")");
    }
  }
  return {};
}

}  // namespace

Result<LinkSlot> LinkSlot::claim(const std::filesystem::path& lock_dir, std::uint32_t preferred) {
  std::error_code ec;
  std::filesystem::create_directories(lock_dir, ec);
  if (ec) return fail(ErrorCode::kSpawn, "cannot create " + lock_dir.string() + " for link slots: " + ec.message());
  for (std::uint32_t i = 0; i < kSlots; ++i) {
    const std::uint32_t index = (preferred + i) % kSlots;
    const auto path = lock_dir / ("slot-" + std::to_string(index) + ".lock");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(ErrorCode::kSpawn, "cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return LinkSlot(fd, index);
    ::close(fd);  // held by another lumos: the next slot
  }
  return fail(ErrorCode::kSpawn, "every one of the " + std::to_string(kSlots) + " link slots in " + lock_dir.string() +
                                     " is held by a running lumos");
}

LinkSlot::LinkSlot(LinkSlot&& other) noexcept : fd_(std::exchange(other.fd_, -1)), index_(other.index_) {}

LinkSlot& LinkSlot::operator=(LinkSlot&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    index_ = other.index_;
  }
  return *this;
}

LinkSlot::~LinkSlot() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string LinkSlot::host_ip() const {
  return "10.213." + std::to_string(index_ / 64) + "." + std::to_string((index_ % 64) * 4 + 1);
}
std::string LinkSlot::namespace_ip() const {
  return "10.213." + std::to_string(index_ / 64) + "." + std::to_string((index_ % 64) * 4 + 2);
}
std::string LinkSlot::netns_name() const { return "lumos-" + std::to_string(index_); }
std::string LinkSlot::host_if() const { return "lmh" + std::to_string(index_); }
std::string LinkSlot::namespace_if() const { return "lmc" + std::to_string(index_); }

Result<std::unique_ptr<LinkedNetns>> LinkedNetns::create() {
  // The pid is only where the search starts: the lock decides.
  auto slot = LinkSlot::claim("/run/lumos/links", static_cast<std::uint32_t>(getpid()));
  if (!slot) return tl::unexpected(slot.error());
  std::unique_ptr<LinkedNetns> ns(new LinkedNetns(std::move(*slot)));
  ns->name_ = ns->slot_.netns_name();
  ns->host_if_ = ns->slot_.host_if();
  ns->host_ip_ = ns->slot_.host_ip();
  const std::string ns_if = ns->slot_.namespace_if();
  const std::string ns_ip = ns->slot_.namespace_ip();
  // What a killed run left in this slot (its lock died with it) goes first.
  (void)run_command({"ip", "link", "del", ns->host_if_});
  (void)run_command({"ip", "netns", "del", ns->name_});
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
  if (auto done = run_all(steps, "set up", "iproute2"); !done) return tl::unexpected(done.error());
  return ns;
}

Result<void> LinkedNetns::allow_only(int port) {
  const std::vector<std::string> in_ns = {"ip", "netns", "exec", name_};
  const std::vector<std::vector<std::string>> rules = {
      {"iptables", "-w", "-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"},
      {"iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "-d", host_ip_, "--dport", std::to_string(port), "-j", "ACCEPT"},
      {"iptables", "-w", "-A", "OUTPUT", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"},
      {"iptables", "-w", "-A", "OUTPUT", "-j", "REJECT"},
      {"ip6tables", "-w", "-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"},
      {"ip6tables", "-w", "-A", "OUTPUT", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"},
      {"ip6tables", "-w", "-A", "OUTPUT", "-j", "REJECT"},
  };
  std::vector<std::vector<std::string>> steps;
  steps.reserve(rules.size());
  for (const auto& rule : rules) {
    steps.push_back(in_ns);
    steps.back().insert(steps.back().end(), rule.begin(), rule.end());
  }
  return run_all(steps, "filter", "iptables");
}

LinkedNetns::~LinkedNetns() {
  (void)run_command({"ip", "link", "del", host_if_});
  (void)run_command({"ip", "netns", "del", name_});
}

}  // namespace lumos::env

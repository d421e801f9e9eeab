// The link emulator's lifecycle: listening sockets, the proxy thread, its stats.
#include "link_proxy.hpp"

namespace lumos::env {

LinkEmulator::LinkEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LinkEmulator::~LinkEmulator() = default;

const Endpoint& LinkEmulator::endpoint() const { return impl_->endpoint; }

pid_t LinkEmulator::thread_id() const { return impl_->tid.load(); }

LinkStats LinkEmulator::stats() const {
  return {impl_->n_connections.load(), impl_->n_active.load(), impl_->n_failures.load(), impl_->n_up.load(),
          impl_->n_down.load()};
}

Result<std::unique_ptr<LinkEmulator>> LinkEmulator::start(const Endpoint& upstream, const Link& link,
                                                          const std::vector<std::string>& extra_binds) {
  auto impl = std::make_unique<Impl>(link);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int gai = getaddrinfo(upstream.host.c_str(), std::to_string(upstream.port).c_str(), &hints, &res);
  if (gai != 0 || !res) {
    return fail(ErrorCode::kConfig,
                "link emulator: cannot resolve upstream " + upstream.to_string() + ": " + gai_strerror(gai));
  }
  std::memcpy(&impl->upstream_addr, res->ai_addr, res->ai_addrlen);
  impl->upstream_len = res->ai_addrlen;
  freeaddrinfo(res);

  impl->buffer.resize(impl->model.chunk_cap());

  // One port on loopback and every extra address (containers reach the host side of a veth).
  std::vector<std::string> addrs = {"127.0.0.1"};
  addrs.insert(addrs.end(), extra_binds.begin(), extra_binds.end());
  std::string last_error;
  for (int attempt = 0; attempt < 10 && impl->listeners.empty(); ++attempt) {
    int port = 0;
    std::vector<int> fds;
    bool ok = true;
    for (const auto& a : addrs) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<std::uint16_t>(port));
      if (inet_pton(AF_INET, a.c_str(), &sa.sin_addr) != 1) {
        for (int fd : fds) ::close(fd);
        return fail(ErrorCode::kConfig, "link emulator: '" + a + "' is not an IPv4 address to listen on");
      }
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 1024) != 0) {
        last_error = "cannot listen on " + a + ":" + std::to_string(port) + ": " + errno_text();
        if (fd >= 0) ::close(fd);
        ok = false;
        break;
      }
      if (port == 0) {
        socklen_t len = sizeof sa;
        getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        port = ntohs(sa.sin_port);
      }
      fds.push_back(fd);
    }
    if (!ok) {
      for (int fd : fds) ::close(fd);
      continue;
    }
    impl->listeners = std::move(fds);
    impl->endpoint = Endpoint{"127.0.0.1", port, upstream.password};  // the bytes pass through, AUTH too
  }
  if (impl->listeners.empty()) return fail(ErrorCode::kIo, "link emulator: " + last_error);

  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  impl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0 || impl->timer_fd < 0) {
    return fail(ErrorCode::kIo, "link emulator: cannot create epoll/eventfd/timerfd: " + errno_text());
  }
  epoll_watch(impl->epoll_fd, EPOLL_CTL_ADD, impl->wake_fd, EPOLLIN, kWakeToken);
  epoll_watch(impl->epoll_fd, EPOLL_CTL_ADD, impl->timer_fd, EPOLLIN, kTimerToken);
  for (std::size_t i = 0; i < impl->listeners.size(); ++i) {
    epoll_watch(impl->epoll_fd, EPOLL_CTL_ADD, impl->listeners[i], EPOLLIN, kListenerBase + i);
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->loop(); });
  return std::unique_ptr<LinkEmulator>(new LinkEmulator(std::move(impl)));
}

}  // namespace lumos::env

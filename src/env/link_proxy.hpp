// The link emulator's proxy: one epoll thread that reads each direction's chunks, asks the
// LinkModel when each is due and delivers it then (LinkEmulator::Impl). Internal to src/env.
// Over 400 lines on purpose: one concept, the event loop and the connection state its handlers
// share; the timing it applies is the pure LinkModel (link_model.hpp).
#pragma once

#include "lumos/env/link_emulator.hpp"
#include "lumos/env/link_model.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <queue>
#include <thread>
#include <unordered_map>

namespace lumos::env {
namespace link_detail {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, the timerfd's clock
using TimePoint = Clock::time_point;
using std::chrono::nanoseconds;

inline constexpr std::uint64_t kWakeToken = 1;
inline constexpr std::uint64_t kTimerToken = 2;
inline constexpr std::uint64_t kListenerBase = 16;   // listener i: kListenerBase + i
inline constexpr int kConnShift = 8;                 // connection token: id << kConnShift | side
inline constexpr std::uint64_t kListenersTimer = 0;  // heap entry that re-enables paused listeners

enum Side : int { kClient = 0, kServer = 1 };

// Adds (EPOLL_CTL_ADD) or changes (EPOLL_CTL_MOD) what epoll watches on fd, tagged with token.
inline void epoll_watch(int epoll_fd, int op, int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  epoll_ctl(epoll_fd, op, fd, &ev);
}

struct Chunk {
  std::string data;
  std::size_t off = 0;
  TimePoint release;
  bool eof = false;
};

// One direction of a connection: bytes read from src, queued, written to dst.
struct Direction {
  LinkModel::Direction link = LinkModel::Direction::kUp;  // kUp: client -> upstream
  std::deque<Chunk> queue;
  std::size_t queued = 0;    // bytes queued, not yet written
  bool src_eof = false;      // end of stream read (an eof chunk is queued)
  bool done = false;         // end of stream delivered (dst shut for writing)
  bool blocked = false;      // dst's send buffer is full: wait for EPOLLOUT
  TimePoint last_release{};  // releases never go backwards: no reordering
  TimePoint scheduled{};     // deadline already in the timer heap
};

struct Conn {
  std::uint64_t id = 0;
  int fd[2] = {-1, -1};  // [kClient], [kServer]
  bool in_epoll[2] = {false, false};
  std::uint32_t mask[2] = {0, 0};
  bool connecting = true;
  bool dead = false;
  Direction up, down;
  Direction& from(Side s) { return s == kClient ? up : down; }  // reads from side s
  Direction& into(Side s) { return s == kClient ? down : up; }  // writes to side s
};

struct TimerEntry {
  TimePoint at;
  std::uint64_t conn;
  LinkModel::Direction link;
  bool operator>(const TimerEntry& o) const { return at > o.at; }
};

inline void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline std::string errno_text() { return std::strerror(errno); }

}  // namespace link_detail

using namespace link_detail;

struct LinkEmulator::Impl {
  explicit Impl(const Link& link) : model(link) {}

  Endpoint endpoint;
  LinkModel model;  // when each chunk is due
  sockaddr_storage upstream_addr{};
  socklen_t upstream_len = 0;
  std::vector<int> listeners;
  int epoll_fd = -1, wake_fd = -1, timer_fd = -1;
  std::thread thread;
  std::atomic<pid_t> tid{0};  // the proxy thread's id, once it runs (where it ran: the manifest)

  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
  std::uint64_t next_id = 1;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers;
  TimePoint armed_at = TimePoint::max();    // earliest deadline the timer is armed for
  TimePoint armed_fire = TimePoint::max();  // when it was asked to fire (armed_at - advance)
  // Timer wake-ups arrive late (~0.1 ms in a VM); the timer is armed that much early and
  // chunks due within it are sent, so releases are on time on average, not always late.
  // An exponential average of the observed lateness, capped at kMaxAdvance.
  nanoseconds advance{0};
  static constexpr nanoseconds kMaxAdvance{200'000};
  bool listeners_paused = false;
  std::vector<char> buffer;

  std::atomic<std::uint64_t> n_connections{0}, n_active{0}, n_failures{0}, n_up{0}, n_down{0};

  ~Impl() {
    if (thread.joinable()) {
      std::uint64_t one = 1;
      (void)!::write(wake_fd, &one, sizeof one);
      thread.join();
    }
    for (auto& [_, c] : conns) {
      for (int fd : c->fd) {
        if (fd >= 0) ::close(fd);
      }
    }
    for (int fd : listeners) ::close(fd);
    for (int fd : {epoll_fd, wake_fd, timer_fd}) {
      if (fd >= 0) ::close(fd);
    }
  }

  // --- timing -------------------------------------------------------------------------------

  void schedule(Conn& c, Direction& d, TimePoint at) {
    if (d.scheduled == at) return;
    d.scheduled = at;
    timers.push({at, c.id, d.link});
  }

  void arm_timer() {
    TimePoint next = timers.empty() ? TimePoint::max() : timers.top().at;
    if (next == armed_at) return;
    armed_at = next;
    armed_fire = next == TimePoint::max() ? next : next - advance;
    itimerspec spec{};
    if (next != TimePoint::max()) {
      auto ns = std::max<std::int64_t>(1, armed_fire.time_since_epoch().count());
      spec.it_value.tv_sec = ns / 1'000'000'000;
      spec.it_value.tv_nsec = ns % 1'000'000'000;
    }
    timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  // --- epoll interest -----------------------------------------------------------------------

  void update_interest(Conn& c) {
    for (Side s : {kClient, kServer}) {
      if (c.fd[s] < 0 || !c.in_epoll[s]) continue;
      std::uint32_t m = 0;
      Direction& rd = c.from(s);
      Direction& wr = c.into(s);
      if (s == kServer && c.connecting) {
        m = EPOLLOUT;
      } else {
        if (!rd.src_eof && rd.queued < model.queue_cap()) m |= EPOLLIN;
        if (wr.blocked) m |= EPOLLOUT;
      }
      if (m == c.mask[s]) continue;
      epoll_watch(epoll_fd, EPOLL_CTL_MOD, c.fd[s], m, (c.id << kConnShift) | static_cast<std::uint64_t>(s));
      c.mask[s] = m;
    }
  }

  void forget_fd(Conn& c, Side s) {
    if (!c.in_epoll[s]) return;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd[s], nullptr);
    c.in_epoll[s] = false;
  }

  // --- data path ----------------------------------------------------------------------------

  void enqueue(Direction& d, std::string data, bool eof) {
    // An end of stream is 0 bytes, released after what is queued before it.
    const TimePoint release = model.release(d.link, data.size(), Clock::now(), d.last_release);
    d.last_release = release;
    d.queued += data.size();
    d.queue.push_back(Chunk{std::move(data), 0, release, eof});
  }

  // Reads what src has (up to the queue cap unless `drain`), then delivers what is due.
  void pump(Conn& c, Side src, bool drain) {
    Direction& d = c.from(src);
    while (!c.dead && !d.src_eof && (drain || d.queued < model.queue_cap())) {
      ssize_t n = ::recv(c.fd[src], buffer.data(), model.chunk_cap(), 0);
      if (n > 0) {
        enqueue(d, std::string(buffer.data(), static_cast<std::size_t>(n)), false);
      } else if (n == 0) {
        enqueue(d, {}, true);
        d.src_eof = true;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        c.dead = true;  // reset by the peer: the connection is gone, as on a real network
        return;
      }
    }
    flush(c, d);
  }

  // Writes every chunk whose release time has come, in order.
  void flush(Conn& c, Direction& d) {
    Side dst = &d == &c.up ? kServer : kClient;
    while (!c.dead && !d.queue.empty()) {
      Chunk& ch = d.queue.front();
      if (ch.release > Clock::now() + advance) {
        schedule(c, d, ch.release);
        return;
      }
      if (d.blocked || (dst == kServer && c.connecting)) return;
      if (ch.eof) {
        ::shutdown(c.fd[dst], SHUT_WR);
        d.done = true;
        d.queue.pop_front();
        continue;
      }
      ssize_t n = ::send(c.fd[dst], ch.data.data() + ch.off, ch.data.size() - ch.off, MSG_NOSIGNAL);
      if (n > 0) {
        ch.off += static_cast<std::size_t>(n);
        d.queued -= static_cast<std::size_t>(n);
        (d.link == LinkModel::Direction::kUp ? n_up : n_down) += static_cast<std::uint64_t>(n);
        if (ch.off == ch.data.size()) d.queue.pop_front();
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        d.blocked = true;
        return;
      } else {
        c.dead = true;
        return;
      }
    }
    if (c.up.done && c.down.done) c.dead = true;
  }

  // --- connections --------------------------------------------------------------------------

  void add_fd(Conn& c, Side s, std::uint32_t mask) {
    epoll_watch(epoll_fd, EPOLL_CTL_ADD, c.fd[s], mask, (c.id << kConnShift) | static_cast<std::uint64_t>(s));
    c.in_epoll[s] = true;
    c.mask[s] = mask;
  }

  void set_listeners(bool on) {
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      epoll_watch(epoll_fd, EPOLL_CTL_MOD, listeners[i], on ? static_cast<std::uint32_t>(EPOLLIN) : 0u,
                  kListenerBase + i);
    }
    listeners_paused = !on;
  }

  void accept_all(int lfd) {
    for (;;) {
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment instead of spinning on the event.
          set_listeners(false);
          timers.push({Clock::now() + std::chrono::milliseconds(100), kListenersTimer, LinkModel::Direction::kUp});
        }
        return;
      }
      set_nodelay(fd);
      n_connections++;
      int s = ::socket(upstream_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s < 0) {
        ::close(fd);
        n_failures++;
        continue;
      }
      set_nodelay(s);
      int rc = ::connect(s, reinterpret_cast<const sockaddr*>(&upstream_addr), upstream_len);
      if (rc != 0 && errno != EINPROGRESS) {
        ::close(fd);
        ::close(s);
        n_failures++;
        continue;
      }
      auto c = std::make_unique<Conn>();
      c->id = next_id++;
      c->fd[kClient] = fd;
      c->fd[kServer] = s;
      c->connecting = rc != 0;
      c->up.link = LinkModel::Direction::kUp;
      c->down.link = LinkModel::Direction::kDown;
      c->up.last_release = model.first_release(Clock::now());
      add_fd(*c, kClient, EPOLLIN);
      add_fd(*c, kServer, c->connecting ? EPOLLOUT : EPOLLIN);
      n_active++;
      auto id = c->id;
      conns.emplace(id, std::move(c));
    }
  }

  void finish_connect(Conn& c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd[kServer], SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      n_failures++;
      c.dead = true;
      return;
    }
    c.connecting = false;
    flush(c, c.up);
  }

  void reap(std::uint64_t id) {
    auto it = conns.find(id);
    if (it == conns.end() || !it->second->dead) return;
    for (Side s : {kClient, kServer}) {
      forget_fd(*it->second, s);
      ::close(it->second->fd[s]);
    }
    conns.erase(it);
    n_active--;
  }

  void on_conn_event(std::uint64_t token, std::uint32_t events) {
    auto it = conns.find(token >> kConnShift);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    auto side = static_cast<Side>(token & 1);
    if (side == kServer && c.connecting) {
      finish_connect(c);
    } else {
      if (events & EPOLLERR) {
        c.dead = true;
      } else {
        if (events & EPOLLOUT) {
          Direction& wr = c.into(side);
          wr.blocked = false;
          flush(c, wr);
        }
        if (events & EPOLLHUP) {
          // Both directions of this socket are closed: read what is left, then stop
          // watching it (a hung-up socket would report EPOLLHUP forever).
          pump(c, side, true);
          forget_fd(c, side);
        } else if (events & EPOLLIN) {
          pump(c, side, false);
        }
      }
    }
    if (!c.dead) update_interest(c);
    reap(c.id);
  }

  void run_due() {
    while (!timers.empty() && timers.top().at <= Clock::now() + advance) {
      TimerEntry e = timers.top();
      timers.pop();
      if (e.conn == kListenersTimer) {
        if (listeners_paused) set_listeners(true);
        continue;
      }
      auto it = conns.find(e.conn);
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      Direction& d = e.link == LinkModel::Direction::kUp ? c.up : c.down;
      if (d.scheduled == e.at) d.scheduled = TimePoint{};
      flush(c, d);
      if (!c.dead) update_interest(c);
      reap(e.conn);
    }
  }

  void loop() {
    tid = static_cast<pid_t>(::syscall(SYS_gettid));
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    // The link is infrastructure, not the device under test: its delays must not stretch
    // when the function or unrelated work saturates the CPUs. Real-time priority (lowest
    // level; the kernel caps real-time use at 95%) where allowed, else a high nice level.
    sched_param param{};
    param.sched_priority = 1;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) {
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), -10);
    }
    std::vector<epoll_event> events(256);
    for (;;) {
      int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      for (int i = 0; i < n; ++i) {
        std::uint64_t token = events[i].data.u64;
        if (token == kWakeToken) return;
        if (token == kTimerToken) {
          std::uint64_t expirations = 0;
          (void)!::read(timer_fd, &expirations, sizeof expirations);
          if (armed_fire != TimePoint::max()) {
            auto late = std::clamp(Clock::now() - armed_fire, Clock::duration::zero(), Clock::duration(kMaxAdvance));
            advance = (advance * 7 + std::chrono::duration_cast<nanoseconds>(late)) / 8;
          }
          armed_at = armed_fire = TimePoint::max();  // a fired timer is disarmed
        } else if (token >= kListenerBase && token < (std::uint64_t{1} << kConnShift)) {
          accept_all(listeners[token - kListenerBase]);
        } else {
          on_conn_event(token, events[i].events);
        }
      }
      run_due();
      arm_timer();
    }
  }
};

}  // namespace lumos::env

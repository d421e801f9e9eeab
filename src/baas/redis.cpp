// redis-server lifecycle and a hiredis client.
#include "lumos/baas/redis.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include <fmt/format.h>

#include <hiredis/hiredis.h>

namespace lumos::baas {
namespace fs = std::filesystem;

namespace {

// A loopback port that was free a moment ago.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// Commands of lumos' own Redis that functions must not have (rename-command ... "").
constexpr const char* kRemovedCommands[] = {"CONFIG",  "FLUSHALL",     "FLUSHDB", "DEBUG",    "SHUTDOWN", "SAVE",
                                            "BGSAVE",  "BGREWRITEAOF", "MONITOR", "CLIENT",   "SLAVEOF",  "REPLICAOF",
                                            "MODULE",  "ACL",          "MIGRATE", "FAILOVER", "SYNC",     "PSYNC",
                                            "CLUSTER", "LATENCY",      "SWAPDB",  "KEYS"};

std::string reply_error(redisContext* ctx, const std::string& what) {
  return what + ": " + (ctx && ctx->err ? ctx->errstr : "no reply") + " (is the Redis server still running?)";
}

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return fail(ErrorCode::kConfig, "Redis address '" + text + "' must be host:port");
  }
  Endpoint e;
  e.host = text.substr(0, colon);
  try {
    e.port = std::stoi(text.substr(colon + 1));
  } catch (...) {
    e.port = 0;
  }
  if (e.port <= 0 || e.port > 65535) return fail(ErrorCode::kConfig, "Redis address '" + text + "' has no valid port");
  return e;
}

Result<std::unique_ptr<RedisServer>> RedisServer::start(const std::vector<std::string>& extra_binds) {
  // A password per server: other local processes (another run's containers) cannot use it.
  std::random_device rd;
  std::string password;
  for (int i = 0; i < 4; ++i) password += fmt::format("{:08x}", rd());
  char tmpl[] = "/tmp/lumos-redis-XXXXXX";
  if (!mkdtemp(tmpl)) return fail(ErrorCode::kIo, "cannot create a folder for redis-server in /tmp");
  fs::path dir = tmpl;
  Error last{ErrorCode::kSpawn, "redis-server did not start"};
  for (int attempt = 0; attempt < 3; ++attempt) {
    Endpoint endpoint;
    endpoint.port = free_port();
    std::string bind = "127.0.0.1";
    for (const auto& b : extra_binds) bind += " " + b;
    endpoint.password = password;
    std::vector<std::string> argv = {"redis-server",
                                     "--port",
                                     std::to_string(endpoint.port),
                                     "--bind",
                                     bind,
                                     "--dir",
                                     dir.string(),
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--protected-mode",
                                     "no",
                                     "--logfile",
                                     "",
                                     "--requirepass",
                                     password};
    // Functions get the password (they must reach their data), so the commands that could
    // change, wipe, stop or redirect the server, or spy on other clients, are gone.
    for (const char* command : kRemovedCommands) argv.insert(argv.end(), {"--rename-command", command, ""});
    auto child = ChildProcess::spawn(argv);
    if (!child) {
      fs::remove_all(dir);
      if (child.error().code == ErrorCode::kNotInstalled) {
        return fail(ErrorCode::kNotInstalled, "redis-server not found: run scripts/setup");
      }
      return tl::unexpected(child.error());
    }
    for (int i = 0; i < 200; ++i) {
      if (child->exited()) break;
      auto client = RedisClient::connect(endpoint, std::chrono::milliseconds(100));
      if (client && client->ping()) {
        return std::unique_ptr<RedisServer>(new RedisServer(std::move(*child), endpoint, dir));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    last = Error{ErrorCode::kSpawn, "redis-server did not answer on port " + std::to_string(endpoint.port) + ": " +
                                        child->describe_exit()};
  }
  fs::remove_all(dir);
  return tl::unexpected(last);
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  // SIGTERM makes redis-server exit cleanly; with --save "" it writes nothing.
  if (process_.pid() > 0) ::kill(process_.pid(), SIGTERM);
  process_.terminate(std::chrono::milliseconds(2000));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void RedisServer::kill_now() { process_.terminate(std::chrono::milliseconds(0)); }

Result<RedisClient> RedisClient::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  redisContext* ctx = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
  if (!ctx || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return fail(ErrorCode::kIo, "cannot connect to Redis at " + endpoint.to_string() + ": " + why);
  }
  redisSetTimeout(ctx, tv);
  if (!endpoint.password.empty()) {
    auto* r = static_cast<redisReply*>(redisCommand(ctx, "AUTH %s", endpoint.password.c_str()));
    const bool ok = r && r->type != REDIS_REPLY_ERROR;
    const std::string why = r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : reply_error(ctx, "AUTH");
    if (r) freeReplyObject(r);
    if (!ok) {
      redisFree(ctx);
      return fail(ErrorCode::kIo, "Redis at " + endpoint.to_string() + " refused lumos' password: " + why);
    }
  }
  return RedisClient(ctx);
}

RedisClient::RedisClient(RedisClient&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

RedisClient::~RedisClient() {
  if (ctx_) redisFree(ctx_);
}

Result<void> RedisClient::ping() {
  auto* r = static_cast<redisReply*>(redisCommand(ctx_, "PING"));
  if (!r) return fail(ErrorCode::kIo, reply_error(ctx_, "PING"));
  bool ok = r->type == REDIS_REPLY_STATUS;
  freeReplyObject(r);
  if (!ok) return fail(ErrorCode::kIo, "unexpected reply to PING");
  return {};
}

Result<void> RedisClient::set(const std::string& key, const std::string& value) {
  auto* r =
      static_cast<redisReply*>(redisCommand(ctx_, "SET %b %b", key.data(), key.size(), value.data(), value.size()));
  if (!r) return fail(ErrorCode::kIo, reply_error(ctx_, "SET " + key));
  bool ok = r->type == REDIS_REPLY_STATUS;
  std::string err = r->type == REDIS_REPLY_ERROR ? r->str : "";
  freeReplyObject(r);
  if (!ok) return fail(ErrorCode::kIo, "SET " + key + " failed: " + err);
  return {};
}

Result<std::optional<std::string>> RedisClient::get(const std::string& key) {
  auto* r = static_cast<redisReply*>(redisCommand(ctx_, "GET %b", key.data(), key.size()));
  if (!r) return fail(ErrorCode::kIo, reply_error(ctx_, "GET " + key));
  std::optional<std::string> value;
  if (r->type == REDIS_REPLY_STRING) value = std::string(r->str, r->len);
  freeReplyObject(r);
  return value;
}

Result<void> RedisClient::del(const std::string& key) {
  auto* r = static_cast<redisReply*>(redisCommand(ctx_, "DEL %b", key.data(), key.size()));
  if (!r) return fail(ErrorCode::kIo, reply_error(ctx_, "DEL " + key));
  freeReplyObject(r);
  return {};
}

}  // namespace lumos::baas

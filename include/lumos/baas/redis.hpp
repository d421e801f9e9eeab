// BaaS: a private redis-server that lumos starts and stops itself, and a small client for it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/endpoint.hpp"
#include "lumos/common/process.hpp"
#include "lumos/common/result.hpp"

struct redisContext;

namespace lumos::baas {

/// host:port of a Redis server.
using Endpoint = lumos::Endpoint;

/// Parses "host:port". Fails with kConfig naming the text.
Result<Endpoint> parse_endpoint(const std::string& text);

/// A redis-server owned by lumos: free loopback port (plus optional extra bind addresses),
/// a private data folder, no persistence. The destructor stops it and removes the folder.
class RedisServer {
 public:
  /// Starts `redis-server` and waits until it answers PING. kNotInstalled if missing.
  static Result<std::unique_ptr<RedisServer>> start(const std::vector<std::string>& extra_binds = {});
  ~RedisServer();
  const Endpoint& endpoint() const { return endpoint_; }
  /// The server's process id (where it ran: /proc/<pid>/stat).
  pid_t pid() const { return process_.pid(); }
  /// Stops the server (SHUTDOWN NOSAVE, then SIGKILL after a grace period); idempotent.
  void stop();
  /// Kills the server abruptly (for failure-injection tests).
  void kill_now();

 private:
  RedisServer(ChildProcess process, Endpoint endpoint, std::filesystem::path dir)
      : process_(std::move(process)), endpoint_(std::move(endpoint)), dir_(std::move(dir)) {}
  ChildProcess process_;
  Endpoint endpoint_;
  std::filesystem::path dir_;
  bool stopped_ = false;
};

/// A synchronous Redis connection (hiredis). Each call fails with kIo on connection errors.
class RedisClient {
 public:
  static Result<RedisClient> connect(const Endpoint& endpoint,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  RedisClient(RedisClient&& other) noexcept;
  RedisClient(const RedisClient&) = delete;
  ~RedisClient();

  Result<void> ping();
  Result<void> set(const std::string& key, const std::string& value);
  /// nullopt when the key does not exist.
  Result<std::optional<std::string>> get(const std::string& key);
  Result<void> del(const std::string& key);

 private:
  explicit RedisClient(redisContext* ctx) : ctx_(ctx) {}
  redisContext* ctx_ = nullptr;
};

}  // namespace lumos::baas

// host:port of a TCP service (the BaaS server, the link emulator in front of it).
#pragma once

#include <string>

namespace lumos {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string password;  ///< Redis AUTH password, "" for none; never part of to_string()
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

}  // namespace lumos

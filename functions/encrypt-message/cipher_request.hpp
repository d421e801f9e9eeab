// The request shared by encrypt-message and decrypt-message:
// {"key": 64 hex digits, "iv": 32 hex digits, "<payload>": base64, "padding": "pkcs7"|"none"}.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aes.hpp"

namespace cipher {

/// A decoded request: AES-256 key, CBC IV, padding mode (default PKCS#7) and payload bytes.
struct Request {
  aes::Key key{};
  aes::Block iv{};
  aes::Padding padding = aes::Padding::kPkcs7;
  std::vector<uint8_t> payload;
};

/// Reads and decodes `j` with the base64 payload under `payload_field`; returns a message
/// naming the bad field, or an empty string when `out` was filled.
std::string read_request(const nlohmann::json& j, const char* payload_field, Request& out);

}  // namespace cipher

// Validation and decoding of the cipher functions' request JSON.
#include "cipher_request.hpp"

#include "base64.hpp"

namespace cipher {
namespace {

const nlohmann::json* string_field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? &*it : nullptr;
}

}  // namespace

std::string read_request(const nlohmann::json& j, const char* payload_field, Request& out) {
  if (j.is_discarded()) return "input is not valid JSON";
  if (!j.is_object())
    return "input must be a JSON object with \"key\", \"iv\" and \"" + std::string(payload_field) + "\"";
  const auto* key = string_field(j, "key");
  if (!key || !codec::hex_decode(key->get_ref<const std::string&>(), out.key)) {
    return "\"key\" must be a string of 64 hex digits (a 256-bit AES key)" +
           (key ? ", got " + std::to_string(key->get_ref<const std::string&>().size()) + " characters" : "");
  }
  const auto* iv = string_field(j, "iv");
  if (!iv || !codec::hex_decode(iv->get_ref<const std::string&>(), out.iv)) {
    return "\"iv\" must be a string of 32 hex digits (one 16-byte block)";
  }
  if (auto it = j.find("padding"); it != j.end()) {
    if (*it == "pkcs7") {
      out.padding = aes::Padding::kPkcs7;
    } else if (*it == "none") {
      out.padding = aes::Padding::kNone;
    } else {
      return "\"padding\" must be \"pkcs7\" (the default) or \"none\"";
    }
  }
  const auto* payload = string_field(j, payload_field);
  if (!payload) return std::string("\"") + payload_field + "\" must be a base64 string";
  auto bytes = codec::base64_decode(payload->get_ref<const std::string&>());
  if (!bytes)
    return std::string("\"") + payload_field +
           "\" is not valid base64 (standard alphabet, '=' padding, no line breaks)";
  out.payload = std::move(*bytes);
  return {};
}

}  // namespace cipher

// Base64 codec for the workload functions (see base64.hpp).
#include "base64.hpp"

namespace b64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, 64 for '=', 255 for anything else.
struct DecodeTable {
  uint8_t v[256];
  constexpr DecodeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 255;
    for (int i = 0; i < 64; ++i) v[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
    v[static_cast<uint8_t>('=')] = 64;
  }
};
constexpr DecodeTable kDecode;

}  // namespace

std::string encode(const uint8_t* data, size_t len) {
  std::string out((len + 2) / 3 * 4, '=');
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out[o++] = kAlphabet[(n >> 18) & 63];
    out[o++] = kAlphabet[(n >> 12) & 63];
    out[o++] = kAlphabet[(n >> 6) & 63];
    out[o++] = kAlphabet[n & 63];
  }
  if (size_t rest = len - i; rest > 0) {
    uint32_t n = uint32_t{data[i]} << 16;
    if (rest == 2) n |= uint32_t{data[i + 1]} << 8;
    out[o++] = kAlphabet[(n >> 18) & 63];
    out[o++] = kAlphabet[(n >> 12) & 63];
    if (rest == 2) out[o++] = kAlphabet[(n >> 6) & 63];
  }
  return out;
}

bool decode(std::string_view text, std::vector<uint8_t>& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint8_t a = kDecode.v[static_cast<uint8_t>(text[i])];
    uint8_t b = kDecode.v[static_cast<uint8_t>(text[i + 1])];
    uint8_t c = kDecode.v[static_cast<uint8_t>(text[i + 2])];
    uint8_t d = kDecode.v[static_cast<uint8_t>(text[i + 3])];
    bool last = i + 4 == text.size();
    if (a > 63 || b > 63 || c == 255 || d == 255) return false;
    if ((c == 64 || d == 64) && !last) return false;  // padding only at the very end
    if (c == 64 && d != 64) return false;
    uint32_t n = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c & 63u} << 6) | (d & 63u);
    out.push_back(static_cast<uint8_t>(n >> 16));
    if (c != 64) out.push_back(static_cast<uint8_t>(n >> 8));
    if (d != 64) out.push_back(static_cast<uint8_t>(n));
  }
  return true;
}

}  // namespace b64

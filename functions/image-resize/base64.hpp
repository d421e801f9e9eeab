// Base64 (RFC 4648, standard alphabet, '=' padding) for binary payloads inside JSON strings;
// shared by image-resize and audio-generation (each lists base64.cpp in its sources).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace b64 {

/// Encodes `len` bytes at `data` as padded base64 text.
std::string encode(const uint8_t* data, size_t len);

/// Decodes padded base64 text into `out` (replacing its contents). Returns false on a length
/// that is not a multiple of 4, a character outside the alphabet or misplaced padding.
bool decode(std::string_view text, std::vector<uint8_t>& out);

}  // namespace b64

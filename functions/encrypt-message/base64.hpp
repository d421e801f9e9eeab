// Text encodings of binary payloads in the cipher functions' JSON: base64 (RFC 4648, standard
// alphabet with '=' padding) and fixed-length hex for keys and IVs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace codec {

/// Base64 of `bytes` with '=' padding and no line breaks.
std::string base64_encode(std::span<const uint8_t> bytes);

/// Decodes strict base64 (length a multiple of 4, '=' only at the end, no whitespace);
/// nullopt on anything else.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

/// Decodes exactly `out.size()` bytes from 2 * out.size() hex digits (either case); false if
/// the length or a digit is wrong.
bool hex_decode(std::string_view text, std::span<uint8_t> out);

}  // namespace codec

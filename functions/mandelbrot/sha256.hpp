// SHA-256 (FIPS 180-4) of a byte buffer, for digests of outputs too large to return whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace digest {

/// Lower-case hex SHA-256 of `len` bytes at `data`.
std::string sha256_hex(const uint8_t* data, size_t len);

}  // namespace digest

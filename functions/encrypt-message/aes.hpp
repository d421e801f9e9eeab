// AES-256 block cipher (FIPS-197) and the CBC mode with optional PKCS#7 padding (NIST SP 800-38A).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aes {

inline constexpr std::size_t kBlockBytes = 16;  ///< Nb = 4 words
inline constexpr std::size_t kKeyBytes = 32;    ///< Nk = 8 words (AES-256)
inline constexpr int kRounds = 14;              ///< Nr for AES-256

using Block = std::array<uint8_t, kBlockBytes>;
using Key = std::array<uint8_t, kKeyBytes>;

/// An AES-256 cipher with its expanded key schedule (FIPS-197 section 5.2).
class Aes256 {
 public:
  explicit Aes256(const Key& key);
  /// Cipher (FIPS-197 5.1): encrypts one 16-byte block; `in` and `out` may alias.
  void encrypt_block(const uint8_t* in, uint8_t* out) const;
  /// InvCipher (FIPS-197 5.3): decrypts one 16-byte block; `in` and `out` may alias.
  void decrypt_block(const uint8_t* in, uint8_t* out) const;

 private:
  std::array<uint8_t, kBlockBytes*(kRounds + 1)> round_keys_;  ///< w[0..59] as bytes
};

enum class Padding { kPkcs7, kNone };

/// Output bytes of a CBC operation, or a message in `error` when it failed.
struct CbcResult {
  std::vector<uint8_t> bytes;
  std::string error;
  bool ok() const { return error.empty(); }
};

/// CBC encryption (SP 800-38A 6.2). With kPkcs7 1..16 padding bytes are always added; with
/// kNone the plaintext length must be a multiple of 16.
CbcResult cbc_encrypt(const Aes256& cipher, const Block& iv, std::span<const uint8_t> plaintext, Padding padding);

/// CBC decryption; fails when the length is not a positive multiple of 16 (any multiple for
/// kNone) or the PKCS#7 padding is malformed (a wrong key usually shows up as bad padding).
CbcResult cbc_decrypt(const Aes256& cipher, const Block& iv, std::span<const uint8_t> ciphertext, Padding padding);

}  // namespace aes

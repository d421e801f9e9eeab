// AES-256 from FIPS-197: S-box derived from GF(2^8) inverses at compile time, byte-oriented
// round transformations on the column-major state (state[r][c] = byte 4c + r), CBC chaining.
#include "aes.hpp"

#include <cstring>

namespace aes {
namespace {

// Multiplication by x in GF(2^8) modulo m(x) = x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2.1).
constexpr uint8_t xtime(uint8_t b) { return static_cast<uint8_t>((b << 1) ^ ((b & 0x80) ? 0x1b : 0x00)); }

constexpr uint8_t gf_mul(uint8_t a, uint8_t b) {
  uint8_t product = 0;
  for (; b != 0; b >>= 1, a = xtime(a)) {
    if (b & 1) product ^= a;
  }
  return product;
}

constexpr uint8_t rotl8(uint8_t b, int n) { return static_cast<uint8_t>((b << n) | (b >> (8 - n))); }

struct SBoxes {
  std::array<uint8_t, 256> forward{};
  std::array<uint8_t, 256> inverse{};
};

// FIPS-197 5.1.1: S(b) = affine(b^-1) with 0 mapped to itself before the affine step. Inverses
// come from exp/log tables of the generator {03}.
constexpr SBoxes make_sboxes() {
  std::array<uint8_t, 256> exp{}, log{};
  uint8_t p = 1;
  for (int i = 0; i < 255; ++i) {
    exp[i] = p;
    log[p] = static_cast<uint8_t>(i);
    p = static_cast<uint8_t>(p ^ xtime(p));  // p * {03}
  }
  SBoxes boxes;
  for (int x = 0; x < 256; ++x) {
    uint8_t inv = x == 0 ? 0 : exp[(255 - log[x]) % 255];
    uint8_t s = static_cast<uint8_t>(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63);
    boxes.forward[x] = s;
    boxes.inverse[s] = static_cast<uint8_t>(x);
  }
  return boxes;
}

constexpr SBoxes kSBoxes = make_sboxes();
constexpr const std::array<uint8_t, 256>& kSBox = kSBoxes.forward;
constexpr const std::array<uint8_t, 256>& kInvSBox = kSBoxes.inverse;
static_assert(kSBox[0x00] == 0x63 && kSBox[0x53] == 0xed && kInvSBox[0x63] == 0x00, "FIPS-197 Figure 7");

constexpr std::array<uint8_t, 256> make_mul_table(uint8_t factor) {
  std::array<uint8_t, 256> table{};
  for (int x = 0; x < 256; ++x) table[x] = gf_mul(static_cast<uint8_t>(x), factor);
  return table;
}

// InvMixColumns' coefficients as lookup tables (the loop in gf_mul would dominate decryption).
constexpr auto kMul09 = make_mul_table(0x09);
constexpr auto kMul0b = make_mul_table(0x0b);
constexpr auto kMul0d = make_mul_table(0x0d);
constexpr auto kMul0e = make_mul_table(0x0e);

// ShiftRows as a byte permutation: s'[r][c] = s[r][(c + r) mod 4], i.e. row r moves r columns left.
constexpr std::array<uint8_t, 16> make_shift_rows() {
  std::array<uint8_t, 16> from{};
  for (int c = 0; c < 4; ++c) {
    for (int r = 0; r < 4; ++r) from[4 * c + r] = static_cast<uint8_t>(4 * ((c + r) % 4) + r);
  }
  return from;
}

constexpr auto kShiftRowsFrom = make_shift_rows();

using State = uint8_t[16];

// The `#pragma GCC unroll` lines below (honoured by gcc and clang) matter for the comparison of
// runtimes: clang -O2 (the wasm build) fully unrolls these 16-byte loops by itself, gcc -O2 (the
// native build) does not and was 2-3x slower without them.

void add_round_key(State s, const uint8_t* round_key) {
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) s[i] ^= round_key[i];
}

void sub_bytes(State s) {
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) s[i] = kSBox[s[i]];
}

void inv_sub_bytes(State s) {
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) s[i] = kInvSBox[s[i]];
}

void shift_rows(State s) {
  uint8_t t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) t[i] = s[kShiftRowsFrom[i]];
  std::memcpy(s, t, 16);
}

void inv_shift_rows(State s) {
  uint8_t t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) t[kShiftRowsFrom[i]] = s[i];
  std::memcpy(s, t, 16);
}

// Each column times a(x) = {03}x^3 + {01}x^2 + {01}x + {02} (FIPS-197 5.1.3).
void mix_columns(State s) {
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    uint8_t* col = s + 4 * c;
    uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
    uint8_t all = a0 ^ a1 ^ a2 ^ a3;
    // {02}a_i ^ {03}a_{i+1} ^ a_{i+2} ^ a_{i+3} = a_i ^ all ^ {02}(a_i ^ a_{i+1})
    col[0] = a0 ^ all ^ xtime(a0 ^ a1);
    col[1] = a1 ^ all ^ xtime(a1 ^ a2);
    col[2] = a2 ^ all ^ xtime(a2 ^ a3);
    col[3] = a3 ^ all ^ xtime(a3 ^ a0);
  }
}

// Each column times a^-1(x) = {0b}x^3 + {0d}x^2 + {09}x + {0e} (FIPS-197 5.3.3).
void inv_mix_columns(State s) {
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    uint8_t* col = s + 4 * c;
    uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
    col[0] = kMul0e[a0] ^ kMul0b[a1] ^ kMul0d[a2] ^ kMul09[a3];
    col[1] = kMul09[a0] ^ kMul0e[a1] ^ kMul0b[a2] ^ kMul0d[a3];
    col[2] = kMul0d[a0] ^ kMul09[a1] ^ kMul0e[a2] ^ kMul0b[a3];
    col[3] = kMul0b[a0] ^ kMul0d[a1] ^ kMul09[a2] ^ kMul0e[a3];
  }
}

}  // namespace

// KeyExpansion (FIPS-197 5.2) for Nk = 8: 60 words, SubWord(RotWord) ^ Rcon every 8th word and
// an extra SubWord at i mod 8 == 4.
Aes256::Aes256(const Key& key) {
  constexpr int kNk = 8;
  constexpr int kWords = 4 * (kRounds + 1);
  std::memcpy(round_keys_.data(), key.data(), kKeyBytes);
  uint8_t rcon = 0x01;
  for (int i = kNk; i < kWords; ++i) {
    uint8_t temp[4];
    std::memcpy(temp, &round_keys_[4 * (i - 1)], 4);
    if (i % kNk == 0) {
      uint8_t first = temp[0];
      temp[0] = static_cast<uint8_t>(kSBox[temp[1]] ^ rcon);
      temp[1] = kSBox[temp[2]];
      temp[2] = kSBox[temp[3]];
      temp[3] = kSBox[first];
      rcon = xtime(rcon);
    } else if (i % kNk == 4) {
      for (auto& b : temp) b = kSBox[b];
    }
    for (int k = 0; k < 4; ++k) round_keys_[4 * i + k] = round_keys_[4 * (i - kNk) + k] ^ temp[k];
  }
}

void Aes256::encrypt_block(const uint8_t* in, uint8_t* out) const {
  State s;
  std::memcpy(s, in, 16);
  add_round_key(s, &round_keys_[0]);
  for (int round = 1; round < kRounds; ++round) {
    sub_bytes(s);
    shift_rows(s);
    mix_columns(s);
    add_round_key(s, &round_keys_[16 * round]);
  }
  sub_bytes(s);
  shift_rows(s);
  add_round_key(s, &round_keys_[16 * kRounds]);
  std::memcpy(out, s, 16);
}

void Aes256::decrypt_block(const uint8_t* in, uint8_t* out) const {
  State s;
  std::memcpy(s, in, 16);
  add_round_key(s, &round_keys_[16 * kRounds]);
  for (int round = kRounds - 1; round >= 1; --round) {
    inv_shift_rows(s);
    inv_sub_bytes(s);
    add_round_key(s, &round_keys_[16 * round]);
    inv_mix_columns(s);
  }
  inv_shift_rows(s);
  inv_sub_bytes(s);
  add_round_key(s, &round_keys_[0]);
  std::memcpy(out, s, 16);
}

CbcResult cbc_encrypt(const Aes256& cipher, const Block& iv, std::span<const uint8_t> plaintext, Padding padding) {
  CbcResult result;
  std::size_t pad = 0;
  if (padding == Padding::kPkcs7) {
    pad = kBlockBytes - plaintext.size() % kBlockBytes;  // 1..16, a full block when aligned
  } else if (plaintext.size() % kBlockBytes != 0) {
    result.error = "with padding \"none\" the plaintext length must be a multiple of 16 bytes, got " +
                   std::to_string(plaintext.size());
    return result;
  }
  auto& out = result.bytes;
  out.resize(plaintext.size() + pad);
  if (!plaintext.empty()) std::memcpy(out.data(), plaintext.data(), plaintext.size());
  std::memset(out.data() + plaintext.size(), static_cast<int>(pad), pad);
  const uint8_t* chain = iv.data();
  for (std::size_t at = 0; at < out.size(); at += kBlockBytes) {
    uint8_t* block = out.data() + at;
#pragma GCC unroll 16
    for (std::size_t i = 0; i < kBlockBytes; ++i) block[i] ^= chain[i];
    cipher.encrypt_block(block, block);
    chain = block;
  }
  return result;
}

CbcResult cbc_decrypt(const Aes256& cipher, const Block& iv, std::span<const uint8_t> ciphertext, Padding padding) {
  CbcResult result;
  if (ciphertext.size() % kBlockBytes != 0 || (padding == Padding::kPkcs7 && ciphertext.empty())) {
    result.error = "ciphertext length must be a " + std::string(padding == Padding::kPkcs7 ? "positive " : "") +
                   "multiple of 16 bytes, got " + std::to_string(ciphertext.size());
    return result;
  }
  auto& out = result.bytes;
  out.resize(ciphertext.size());
  const uint8_t* chain = iv.data();
  for (std::size_t at = 0; at < ciphertext.size(); at += kBlockBytes) {
    uint8_t* block = out.data() + at;
    cipher.decrypt_block(ciphertext.data() + at, block);
#pragma GCC unroll 16
    for (std::size_t i = 0; i < kBlockBytes; ++i) block[i] ^= chain[i];
    chain = ciphertext.data() + at;
  }
  if (padding == Padding::kPkcs7) {
    std::size_t pad = out.back();
    bool valid = pad >= 1 && pad <= kBlockBytes;
    for (std::size_t i = 0; valid && i < pad; ++i) valid = out[out.size() - 1 - i] == pad;
    if (!valid) {
      result.bytes.clear();
      result.error = "bad PKCS#7 padding after decryption (wrong key or iv, or corrupted ciphertext)";
      return result;
    }
    out.resize(out.size() - pad);
  }
  return result;
}

}  // namespace aes

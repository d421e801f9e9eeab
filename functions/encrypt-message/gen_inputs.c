/* Input generator for encrypt-message and decrypt-message (both list this file as their
 * `generator`). For each message size N KB in {1, 50, 512, 1024, 2048} it writes, into the
 * current directory,
 *   plain-kbN.json  {"iv":..,"key":..,"plaintext":base64}   (encrypt-message input)
 *   cipher-kbN.json {"ciphertext":base64,"iv":..,"key":..}  (decrypt-message input)
 * Key, IV and message bytes come from splitmix64 seeded with N, so every build writes the same
 * files. The ciphertext needs AES-256-CBC with PKCS#7 here, in C: a compact forward cipher,
 * independent of the functions' C++ code; make_expected.sh checks it against openssl. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void fill(uint64_t* state, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = (uint8_t)(splitmix64(state) >> 56);
}

/* ---- AES-256 encryption (FIPS-197), table-free apart from the S-box built at start ---- */
static uint8_t sbox[256];

static uint8_t xtime(uint8_t b) { return (uint8_t)((b << 1) ^ ((b & 0x80) ? 0x1b : 0)); }

static void build_sbox(void) {
  /* Walk p over all non-zero elements (p *= 3) while q = p^-1 (q /= 3). */
  uint8_t p = 1, q = 1;
  do {
    p = (uint8_t)(p ^ xtime(p));
    q ^= (uint8_t)(q << 1);
    q ^= (uint8_t)(q << 2);
    q ^= (uint8_t)(q << 4);
    if (q & 0x80) q ^= 0x09;
    uint8_t x = q;
    uint8_t s = (uint8_t)(x ^ (uint8_t)(x << 1 | x >> 7) ^ (uint8_t)(x << 2 | x >> 6) ^ (uint8_t)(x << 3 | x >> 5) ^
                          (uint8_t)(x << 4 | x >> 4) ^ 0x63);
    sbox[p] = s;
  } while (p != 1);
  sbox[0] = 0x63;
}

static void expand_key(const uint8_t key[32], uint8_t w[240]) {
  uint8_t rcon = 1;
  memcpy(w, key, 32);
  for (int i = 8; i < 60; ++i) {
    uint8_t t[4];
    memcpy(t, w + 4 * (i - 1), 4);
    if (i % 8 == 0) {
      uint8_t t0 = t[0];
      t[0] = sbox[t[1]] ^ rcon;
      t[1] = sbox[t[2]];
      t[2] = sbox[t[3]];
      t[3] = sbox[t0];
      rcon = xtime(rcon);
    } else if (i % 8 == 4) {
      for (int k = 0; k < 4; ++k) t[k] = sbox[t[k]];
    }
    for (int k = 0; k < 4; ++k) w[4 * i + k] = w[4 * (i - 8) + k] ^ t[k];
  }
}

static void encrypt_block(const uint8_t w[240], uint8_t s[16]) {
  for (int i = 0; i < 16; ++i) s[i] ^= w[i];
  for (int round = 1; round <= 14; ++round) {
    uint8_t t[16];
    for (int c = 0; c < 4; ++c) /* SubBytes + ShiftRows */
      for (int r = 0; r < 4; ++r) t[4 * c + r] = sbox[s[4 * ((c + r) & 3) + r]];
    if (round < 14) { /* MixColumns */
      for (int c = 0; c < 4; ++c) {
        uint8_t *a = t + 4 * c, a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        a[0] = (uint8_t)(xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3);
        a[1] = (uint8_t)(a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3);
        a[2] = (uint8_t)(a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3);
        a[3] = (uint8_t)(xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3));
      }
    }
    for (int i = 0; i < 16; ++i) s[i] = t[i] ^ w[16 * round + i];
  }
}

/* ---- output ---- */
static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(FILE* f, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)b[i] << 16;
    if (i + 1 < n) v |= (uint32_t)b[i + 1] << 8;
    if (i + 2 < n) v |= b[i + 2];
    fputc(kB64[v >> 18], f);
    fputc(kB64[(v >> 12) & 63], f);
    fputc(i + 1 < n ? kB64[(v >> 6) & 63] : '=', f);
    fputc(i + 2 < n ? kB64[v & 63] : '=', f);
  }
}

static void put_hex(FILE* f, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) fprintf(f, "%02x", b[i]);
}

static int write_json(const char* name, const char* first_field, const uint8_t* payload, size_t n,
                      const uint8_t key[32], const uint8_t iv[16]) {
  FILE* f = fopen(name, "wb");
  if (!f) {
    perror(name);
    return 1;
  }
  int cipher = strcmp(first_field, "ciphertext") == 0; /* keep the keys in sorted order */
  fputc('{', f);
  if (cipher) {
    fputs("\"ciphertext\":\"", f);
    put_base64(f, payload, n);
    fputs("\",", f);
  }
  fputs("\"iv\":\"", f);
  put_hex(f, iv, 16);
  fputs("\",\"key\":\"", f);
  put_hex(f, key, 32);
  fputc('"', f);
  if (!cipher) {
    fputs(",\"plaintext\":\"", f);
    put_base64(f, payload, n);
    fputc('"', f);
  }
  fputc('}', f);
  return fclose(f) == 0 ? 0 : 1;
}

int main(void) {
  static const unsigned kSizesKb[] = {1, 50, 512, 1024, 2048};
  build_sbox();
  for (size_t s = 0; s < sizeof kSizesKb / sizeof kSizesKb[0]; ++s) {
    unsigned kb = kSizesKb[s];
    size_t n = (size_t)kb * 1024, padded = n + 16 - n % 16;
    uint64_t state = kb;
    uint8_t key[32], iv[16], w[240];
    uint8_t *plain = malloc(n), *cipher = malloc(padded);
    if (!plain || !cipher) return 1;
    fill(&state, key, sizeof key);
    fill(&state, iv, sizeof iv);
    fill(&state, plain, n);

    expand_key(key, w);
    memcpy(cipher, plain, n);
    memset(cipher + n, (int)(padded - n), padded - n); /* PKCS#7 */
    const uint8_t* chain = iv;
    for (size_t at = 0; at < padded; at += 16) {
      for (int i = 0; i < 16; ++i) cipher[at + i] ^= chain[i];
      encrypt_block(w, cipher + at);
      chain = cipher + at;
    }

    char name[64];
    snprintf(name, sizeof name, "plain-kb%u.json", kb);
    if (write_json(name, "plaintext", plain, n, key, iv)) return 1;
    snprintf(name, sizeof name, "cipher-kb%u.json", kb);
    if (write_json(name, "ciphertext", cipher, padded, key, iv)) return 1;
    free(plain);
    free(cipher);
  }
  return 0;
}

// encrypt-message: AES-256-CBC encryption of a base64 message with PKCS#7 padding (or none).
#include "lumos.hpp"

#include "aes.hpp"
#include "base64.hpp"
#include "cipher_request.hpp"

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  cipher::Request request;
  {
    lumos::Phase p(ctx, "deserialize");  // hex and base64 decoding belong to deserialization
    if (auto error = cipher::read_request(j, "plaintext", request); !error.empty()) return lumos::fail(ctx, error);
  }
  aes::CbcResult encrypted;
  {
    lumos::Phase p(ctx, "compute");
    aes::Aes256 cipher(request.key);
    encrypted = aes::cbc_encrypt(cipher, request.iv, request.payload, request.padding);
  }
  if (!encrypted.ok()) return lumos::fail(ctx, encrypted.error);
  nlohmann::json out;
  {
    lumos::Phase p(ctx, "serialize");
    out["ciphertext"] = codec::base64_encode(encrypted.bytes);
  }
  lumos::write_json(ctx, out);
  return 0;
}

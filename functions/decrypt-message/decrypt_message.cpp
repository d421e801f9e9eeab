// decrypt-message: AES-256-CBC decryption of a base64 ciphertext, checking PKCS#7 padding (or none).
#include "lumos.hpp"

#include "../encrypt-message/aes.hpp"
#include "../encrypt-message/base64.hpp"
#include "../encrypt-message/cipher_request.hpp"

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  cipher::Request request;
  {
    lumos::Phase p(ctx, "deserialize");  // hex and base64 decoding belong to deserialization
    if (auto error = cipher::read_request(j, "ciphertext", request); !error.empty()) return lumos::fail(ctx, error);
  }
  aes::CbcResult decrypted;
  {
    lumos::Phase p(ctx, "compute");
    aes::Aes256 cipher(request.key);
    decrypted = aes::cbc_decrypt(cipher, request.iv, request.payload, request.padding);
  }
  if (!decrypted.ok()) return lumos::fail(ctx, decrypted.error);
  nlohmann::json out;
  {
    lumos::Phase p(ctx, "serialize");
    out["plaintext"] = codec::base64_encode(decrypted.bytes);
  }
  lumos::write_json(ctx, out);
  return 0;
}

// Lumos guest SDK, C++ layer: phase scopes and JSON in/out with nlohmann-json, identical in the
// native and the wasm32-wasi build (compiled with -fno-exceptions and JSON_NOEXCEPTION).
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lumos.h"

namespace lumos {

/// Times a named phase for the lifetime of the object ("deserialize", "compute", ...).
class Phase {
 public:
  Phase(lumos_ctx* ctx, const char* name) : ctx_(ctx), name_(name) { lumos_phase_begin(ctx, name); }
  ~Phase() { end(); }
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;
  /// Ends the phase early (idempotent).
  void end() {
    if (name_) lumos_phase_end(ctx_, name_);
    name_ = nullptr;
  }

 private:
  lumos_ctx* ctx_;
  const char* name_;
};

/// The request bytes as a string_view (libc++ has no char_traits<unsigned char>).
inline std::string_view input_view(const uint8_t* input, size_t len) {
  return {reinterpret_cast<const char*>(input), len};
}

/// Parses the request as JSON inside a "deserialize" phase; discarded() on malformed input.
inline nlohmann::json parse_json(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  Phase p(ctx, "deserialize");
  auto text = input_view(input, len);
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

/// Serializes `out` inside a "serialize" phase and writes it as the response body.
inline void write_json(lumos_ctx* ctx, const nlohmann::json& out) {
  Phase p(ctx, "serialize");
  std::string text = out.dump();
  lumos_write(ctx, text.data(), text.size());
}

/// Fails the request with a message (returns 1 for `return fail(...)`).
inline int fail(lumos_ctx* ctx, const std::string& message) { return lumos_fail(ctx, message.c_str()); }

}  // namespace lumos

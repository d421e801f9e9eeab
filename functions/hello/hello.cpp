// hello: {"message": "..."} -> {"message": same}; the smallest function, so its latency is
// almost pure overhead (the "compute" phase only moves the string into the response).
#include "lumos.hpp"

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  if (j.is_discarded()) return lumos::fail(ctx, "input is not valid JSON (expected {\"message\": \"...\"})");
  auto message = j.is_object() ? j.find("message") : j.end();
  if (!j.is_object() || message == j.end() || !message->is_string()) {
    return lumos::fail(ctx, "input must be {\"message\": a string}");
  }
  nlohmann::json out;
  {
    lumos::Phase p(ctx, "compute");
    out["message"] = std::move(*message);
  }
  lumos::write_json(ctx, out);
  return 0;
}

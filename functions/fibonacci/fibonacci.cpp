// fibonacci: {"n": N} -> {"fib": fib(N), "n": N} by naive recursion, a CPU-bound, call-heavy
// workload (about 1.6^N calls).
#include "lumos.hpp"

namespace {

constexpr int64_t kMaxN = 90;  // fib(90) is the largest below 2^63 (and the recursion never ends)

uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  if (j.is_discarded()) return lumos::fail(ctx, "input is not valid JSON (expected {\"n\": 0..90})");
  auto n_field = j.is_object() ? j.find("n") : j.end();
  if (!j.is_object() || n_field == j.end() || !n_field->is_number_integer() || n_field->get<int64_t>() < 0 ||
      n_field->get<int64_t>() > kMaxN) {
    return lumos::fail(ctx, "input must be {\"n\": an integer 0..90}");
  }
  auto n = static_cast<uint32_t>(n_field->get<int64_t>());
  uint64_t result = 0;
  {
    lumos::Phase p(ctx, "compute");
    result = fib(n);
  }
  lumos::write_json(ctx, {{"n", n}, {"fib", result}});
  return 0;
}

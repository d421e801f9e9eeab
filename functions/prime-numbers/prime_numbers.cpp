// prime-numbers: counts the primes up to n with a sieve of Eratosthenes over the odd numbers and
// returns the count and the largest (up to) 10 primes; integer-only, so identical everywhere.
//
// Request:  {"n": 1000000}   (integer, 0 <= n <= 100000000)
// Response: {"count": 78498, "last": [999863, ..., 999983], "n": 1000000}
#include <cstdint>
#include <vector>

#include "lumos.hpp"

namespace {

constexpr int64_t kMaxN = 100000000;
constexpr size_t kLastCount = 10;

struct SieveResult {
  uint64_t count = 0;
  std::vector<uint32_t> last;  // ascending
};

// composite[i] describes the odd number 2*i + 1 (index 0 is 1, neither prime nor composite).
SieveResult sieve(uint32_t n) {
  SieveResult r;
  if (n < 2) return r;
  const uint32_t half = n / 2 + (n % 2);  // odd numbers 1, 3, ..., <= n
  std::vector<uint8_t> composite(half, 0);
  for (uint64_t i = 1; (2 * i + 1) * (2 * i + 1) <= n; ++i) {
    if (composite[i]) continue;
    const uint64_t p = 2 * i + 1;
    for (uint64_t j = (p * p) / 2; j < half; j += p) composite[j] = 1;
  }
  r.count = 1;  // the prime 2
  for (uint32_t i = 1; i < half; ++i) r.count += composite[i] == 0;

  // The largest primes, found scanning down from n.
  for (uint32_t i = half; i-- > 1 && r.last.size() < kLastCount;) {
    if (!composite[i]) r.last.push_back(2 * i + 1);
  }
  if (r.last.size() < kLastCount) r.last.push_back(2);
  std::vector<uint32_t> ascending(r.last.rbegin(), r.last.rend());
  r.last = std::move(ascending);
  return r;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto req = lumos::parse_json(ctx, input, len);
  if (req.is_discarded()) return lumos::fail(ctx, "request is not valid JSON (expected {\"n\": N})");
  if (!req.is_object() || !req.contains("n") || !req["n"].is_number_integer()) {
    return lumos::fail(ctx, "request needs an integer field 'n' (digits, e.g. 1000000, not 1e6)");
  }
  const int64_t n = req["n"].get<int64_t>();
  if (n < 0 || n > kMaxN) return lumos::fail(ctx, "'n' must be between 0 and 100000000");

  SieveResult r;
  {
    lumos::Phase p(ctx, "compute");
    r = sieve(static_cast<uint32_t>(n));
  }
  nlohmann::json out = {{"n", n}, {"count", r.count}, {"last", r.last}};
  lumos::write_json(ctx, out);
  return 0;
}

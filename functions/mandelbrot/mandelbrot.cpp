// mandelbrot: renders a size x size 1-bit image of the Mandelbrot set over [-1.5, 0.5] x [-1, 1]
// (50 iterations, escape radius 2), packed as a binary PBM (P4) as in the Computer Language
// Benchmarks Game, and returns its digest (and the image itself for small sizes).
//
// Request:  {"size": 256}   (integer, 1 <= size <= 8192)
// Response: {"height": 256, "in_set": N, "pbm_sha256": "<hex>", "width": 256}
//           plus "pbm_base64": "<base64 of the P4 file>" when size <= 128.
//
// Pixel (x, y), y = 0 the top row, samples c = (2x/size - 1.5) + i (2y/size - 1); a point is in
// the set (bit 1, black) if |z| <= 2 after 50 iterations of z = z^2 + c. Only + - * in a fixed
// order, so every runtime computes the same bits; reference.py repeats them in Python.
#include <cstdint>
#include <string>
#include <vector>

#include "base64.hpp"
#include "lumos.hpp"
#include "sha256.hpp"

namespace {

constexpr int64_t kMaxSize = 8192;
constexpr int64_t kMaxInlineSize = 128;
constexpr int kIterations = 50;
constexpr double kLimit2 = 2.0 * 2.0;

struct Render {
  std::vector<uint8_t> pbm;  // header + rows of (size + 7) / 8 bytes, most significant bit first
  uint64_t in_set = 0;
};

inline bool in_set(double cr, double ci) {
  double zr = 0, zi = 0, tr = 0, ti = 0;
  for (int i = 0; i < kIterations && tr + ti <= kLimit2; ++i) {
    zi = 2.0 * zr * zi + ci;
    zr = tr - ti + cr;
    tr = zr * zr;
    ti = zi * zi;
  }
  return tr + ti <= kLimit2;
}

Render render(uint32_t size) {
  Render r;
  std::string header = "P4\n" + std::to_string(size) + " " + std::to_string(size) + "\n";
  const size_t row_bytes = (size + 7) / 8;
  r.pbm.assign(header.begin(), header.end());
  r.pbm.resize(header.size() + row_bytes * size, 0);
  uint8_t* bits = r.pbm.data() + header.size();
  const double n = size;
  for (uint32_t y = 0; y < size; ++y) {
    const double ci = 2.0 * y / n - 1.0;
    uint8_t* row = bits + size_t{y} * row_bytes;
    for (uint32_t x = 0; x < size; ++x) {
      const double cr = 2.0 * x / n - 1.5;
      if (in_set(cr, ci)) {
        row[x >> 3] |= static_cast<uint8_t>(0x80u >> (x & 7));
        ++r.in_set;
      }
    }
  }
  return r;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto req = lumos::parse_json(ctx, input, len);
  if (req.is_discarded()) return lumos::fail(ctx, "request is not valid JSON (expected {\"size\": N})");
  if (!req.is_object() || !req.contains("size") || !req["size"].is_number_integer()) {
    return lumos::fail(ctx, "request needs an integer field 'size'");
  }
  const int64_t size = req["size"].get<int64_t>();
  if (size < 1 || size > kMaxSize) return lumos::fail(ctx, "'size' must be between 1 and 8192");

  nlohmann::json out = {{"width", size}, {"height", size}};
  {
    lumos::Phase p(ctx, "compute");
    Render r = render(static_cast<uint32_t>(size));
    out["in_set"] = r.in_set;
    out["pbm_sha256"] = digest::sha256_hex(r.pbm.data(), r.pbm.size());
    if (size <= kMaxInlineSize) out["pbm_base64"] = b64::encode(r.pbm.data(), r.pbm.size());
  }
  lumos::write_json(ctx, out);
  return 0;
}

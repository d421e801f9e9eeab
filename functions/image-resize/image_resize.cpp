// image-resize: decodes a binary PPM (P6) image, downscales it by a factor with an exact box
// (area-averaging) filter in integer arithmetic and returns the result as a PPM.
//
// Request:  {"image": "<base64 of a P6 PPM, maxval 255>", "scale": 2.5}   (1 < scale <= 16)
// Response: {"height": H, "image": "<base64 of the P6 PPM>", "width": W}
//
// The scale is taken as the fraction p/q = round(scale * 1000) / 1000 in lowest terms. The output
// is floor(in * q / p) pixels per axis; output pixel x averages the source span
// [x*p/q, (x+1)*p/q) weighted by exact overlap, and the sum is divided by p*p rounding half up,
// so every runtime produces the same bytes.
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "base64.hpp"
#include "lumos.hpp"

namespace {

struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3 bytes, row-major
};

// A decoded PPM whose raster points into the base64-decoded buffer (no copy).
struct ImageView {
  uint32_t width = 0;
  uint32_t height = 0;
  const uint8_t* rgb = nullptr;
};

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Reads one unsigned decimal header field, skipping whitespace and '#' comments before it.
bool read_field(const std::vector<uint8_t>& d, size_t& pos, uint32_t& value) {
  while (pos < d.size()) {
    if (is_space(d[pos])) {
      ++pos;
    } else if (d[pos] == '#') {
      while (pos < d.size() && d[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
  if (pos >= d.size() || d[pos] < '0' || d[pos] > '9') return false;
  uint64_t v = 0;
  while (pos < d.size() && d[pos] >= '0' && d[pos] <= '9') {
    v = v * 10 + (d[pos++] - '0');
    if (v > 1u << 20) return false;
  }
  value = static_cast<uint32_t>(v);
  return true;
}

// Parses a P6 PPM with maxval 255; returns an error message or "" on success.
std::string decode_ppm(const std::vector<uint8_t>& d, ImageView& img) {
  if (d.size() < 2 || d[0] != 'P' || d[1] != '6') return "image is not a binary PPM (P6)";
  size_t pos = 2;
  uint32_t maxval = 0;
  if (!read_field(d, pos, img.width) || !read_field(d, pos, img.height) || !read_field(d, pos, maxval)) {
    return "malformed PPM header";
  }
  if (maxval != 255) return "PPM maxval must be 255";
  if (img.width == 0 || img.height == 0) return "PPM has no pixels";
  if (pos >= d.size() || !is_space(d[pos])) return "malformed PPM header";
  ++pos;  // exactly one whitespace byte before the raster
  uint64_t need = uint64_t{img.width} * img.height * 3;
  if (d.size() - pos < need) return "PPM raster is truncated";
  img.rgb = d.data() + pos;
  return "";
}

std::vector<uint8_t> encode_ppm(const Image& img) {
  std::string header = "P6\n" + std::to_string(img.width) + " " + std::to_string(img.height) + "\n255\n";
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), img.rgb.begin(), img.rgb.end());
  return out;
}

// Box-filter taps of one axis: output i covers [i*p, i*p + p) in units of 1/q source pixel;
// source pixel s covers [s*q, s*q + q). Weights of one output add up to p.
struct Taps {
  std::vector<uint32_t> first;   // first source index per output
  std::vector<uint32_t> offset;  // start of its weights in `weight` (size out + 1)
  std::vector<uint32_t> weight;
};

Taps make_taps(uint32_t out_len, uint64_t p, uint64_t q) {
  Taps t;
  t.first.resize(out_len);
  t.offset.resize(out_len + 1);
  for (uint32_t i = 0; i < out_len; ++i) {
    uint64_t lo = i * p;
    uint64_t hi = lo + p;
    uint64_t s0 = lo / q;
    uint64_t s1 = (hi - 1) / q;
    t.first[i] = static_cast<uint32_t>(s0);
    t.offset[i] = static_cast<uint32_t>(t.weight.size());
    for (uint64_t s = s0; s <= s1; ++s) {
      uint64_t a = s * q > lo ? s * q : lo;
      uint64_t b = (s + 1) * q < hi ? (s + 1) * q : hi;
      t.weight.push_back(static_cast<uint32_t>(b - a));
    }
  }
  t.offset[out_len] = static_cast<uint32_t>(t.weight.size());
  return t;
}

Image downscale(const ImageView& src, uint64_t p, uint64_t q) {
  Image dst;
  dst.width = static_cast<uint32_t>(src.width * q / p);
  dst.height = static_cast<uint32_t>(src.height * q / p);
  Taps tx = make_taps(dst.width, p, q);
  Taps ty = make_taps(dst.height, p, q);

  // Horizontal pass: unnormalized sums (at most p * 255 per channel).
  std::vector<uint32_t> rows(size_t{src.height} * dst.width * 3);
  for (uint32_t y = 0; y < src.height; ++y) {
    const uint8_t* in = src.rgb + size_t{y} * src.width * 3;
    uint32_t* out = &rows[size_t{y} * dst.width * 3];
    for (uint32_t x = 0; x < dst.width; ++x) {
      uint32_t r = 0, g = 0, b = 0;
      const uint8_t* px = in + size_t{tx.first[x]} * 3;
      for (uint32_t k = tx.offset[x]; k < tx.offset[x + 1]; ++k, px += 3) {
        uint32_t w = tx.weight[k];
        r += w * px[0];
        g += w * px[1];
        b += w * px[2];
      }
      out[x * 3] = r;
      out[x * 3 + 1] = g;
      out[x * 3 + 2] = b;
    }
  }

  // Vertical pass, then divide by p*p rounding half up.
  uint64_t den = p * p;
  size_t stride = size_t{dst.width} * 3;
  dst.rgb.resize(size_t{dst.height} * stride);
  std::vector<uint64_t> acc(stride);
  for (uint32_t y = 0; y < dst.height; ++y) {
    std::fill(acc.begin(), acc.end(), 0);
    const uint32_t* row = &rows[size_t{ty.first[y]} * stride];
    for (uint32_t k = ty.offset[y]; k < ty.offset[y + 1]; ++k, row += stride) {
      uint64_t w = ty.weight[k];
      for (size_t i = 0; i < stride; ++i) acc[i] += w * row[i];
    }
    uint8_t* out = &dst.rgb[size_t{y} * stride];
    for (size_t i = 0; i < stride; ++i) out[i] = static_cast<uint8_t>((acc[i] + den / 2) / den);
  }
  return dst;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  if (j.is_discarded() || !j.is_object())
    return lumos::fail(ctx, "request must be a JSON object {\"image\": base64 PPM, \"scale\": number}");
  auto image_it = j.find("image");
  auto scale_it = j.find("scale");
  if (image_it == j.end() || !image_it->is_string())
    return lumos::fail(ctx, "'image' must be a base64 string of a P6 PPM");
  if (scale_it == j.end() || !scale_it->is_number()) return lumos::fail(ctx, "'scale' must be a number in (1, 16]");
  double scale = scale_it->get<double>();
  if (!(scale > 1.0 && scale <= 16.0)) return lumos::fail(ctx, "'scale' must be a number in (1, 16]");
  uint64_t p = static_cast<uint64_t>(scale * 1000.0 + 0.5);
  uint64_t q = 1000;
  uint64_t g = std::gcd(p, q);
  p /= g;
  q /= g;
  if (p <= q) return lumos::fail(ctx, "'scale' must be greater than 1 after rounding to 3 decimals");

  std::vector<uint8_t> ppm;
  {
    lumos::Phase phase(ctx, "deserialize");
    if (!b64::decode(image_it->get_ref<const std::string&>(), ppm))
      return lumos::fail(ctx, "'image' is not valid base64");
  }

  std::vector<uint8_t> out_ppm;
  Image small;
  {
    lumos::Phase phase(ctx, "compute");
    ImageView src;
    if (auto err = decode_ppm(ppm, src); !err.empty()) return lumos::fail(ctx, err);
    if (src.width * q / p == 0 || src.height * q / p == 0)
      return lumos::fail(ctx, "image is smaller than one output pixel at this scale");
    small = downscale(src, p, q);
    out_ppm = encode_ppm(small);
  }

  nlohmann::json out;
  {
    lumos::Phase phase(ctx, "serialize");
    out["width"] = small.width;
    out["height"] = small.height;
    out["image"] = b64::encode(out_ppm.data(), out_ppm.size());
  }
  lumos::write_json(ctx, out);
  return 0;
}

// audio-generation: synthesizes a sum of sine tones as 16-bit PCM mono WAV, with a 10 ms linear
// fade in and out, and returns it base64-encoded.
//
// Request:  {"seconds": 1.6, "sample_rate": 16000, "tones": [{"freq": 440, "amp": 0.3}, ...]}
// Response: {"samples": N, "wav": "<base64 WAV>"}     N = floor(seconds * sample_rate + 0.5)
//
// No libm: each tone is a rotation recurrence (c, s) <- (c*cd - s*sd, s*cd + c*sd), re-anchored
// every 1024 samples from the exact phase with an own Taylor kernel, all in + - * / and floor,
// so the samples are bit-identical on every IEEE-754 runtime (no FMA contraction on x86-64
// baseline or wasm32). reference.py repeats the same arithmetic with numpy.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../image-resize/base64.hpp"
#include "lumos.hpp"

namespace {

constexpr uint32_t kBlock = 1024;         // samples between re-anchorings of an oscillator
constexpr int64_t kMaxSamples = 1 << 24;  // 17 minutes at 16 kHz
constexpr double kHalfPi = 1.5707963267948966;

struct Tone {
  double freq;
  double amp;
};

struct SinCos {
  double sin;
  double cos;
};

// sin and cos of 2*pi*t for t in [0, 1): quadrant reduction in cycles (exact), then Taylor
// polynomials on [-pi/4, pi/4] (truncation error below 1e-16).
SinCos sincos_cycles(double t) {
  double u = t * 4.0;
  double k = std::floor(u + 0.5);
  double x = (u - k) * kHalfPi;
  double x2 = x * x;
  double s =
      x * (1.0 + x2 * (-1.0 / 6.0 +
                       x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0 +
                                                                       x2 * (-1.0 / 39916800.0 +
                                                                             x2 * (1.0 / 6227020800.0 +
                                                                                   x2 * (-1.0 / 1307674368000.0))))))));
  double c =
      1.0 +
      x2 * (-1.0 / 2.0 +
            x2 * (1.0 / 24.0 +
                  x2 * (-1.0 / 720.0 +
                        x2 * (1.0 / 40320.0 + x2 * (-1.0 / 3628800.0 + x2 * (1.0 / 479001600.0 +
                                                                             x2 * (-1.0 / 87178291200.0 +
                                                                                   x2 * (1.0 / 20922789888000.0))))))));
  switch (static_cast<int>(k) & 3) {
    case 0:
      return {s, c};
    case 1:
      return {c, -s};
    case 2:
      return {-s, -c};
    default:
      return {-c, s};
  }
}

double frac(double v) { return v - std::floor(v); }

// Adds amp * sin(2*pi*freq*i/rate) to mix[i] for every sample.
void add_tone(std::vector<double>& mix, const Tone& tone, double rate) {
  SinCos step = sincos_cycles(frac(tone.freq / rate));
  size_t n = mix.size();
  for (size_t start = 0; start < n; start += kBlock) {
    SinCos osc = sincos_cycles(frac((tone.freq * static_cast<double>(start)) / rate));
    double s = osc.sin;
    double c = osc.cos;
    size_t end = start + kBlock < n ? start + kBlock : n;
    for (size_t i = start; i < end; ++i) {
      mix[i] += tone.amp * s;
      double c2 = c * step.cos - s * step.sin;
      double s2 = s * step.cos + c * step.sin;
      c = c2;
      s = s2;
    }
  }
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void put_tag(std::vector<uint8_t>& out, const char* tag) { out.insert(out.end(), tag, tag + 4); }

// Fades, clips to [-1, 1], quantizes (round half up) and wraps the samples in a WAV file.
std::vector<uint8_t> encode_wav(const std::vector<double>& mix, uint32_t rate) {
  size_t n = mix.size();
  uint32_t data_bytes = static_cast<uint32_t>(n * 2);
  std::vector<uint8_t> out;
  out.reserve(44 + data_bytes);
  put_tag(out, "RIFF");
  put_u32(out, 36 + data_bytes);
  put_tag(out, "WAVE");
  put_tag(out, "fmt ");
  put_u32(out, 16);
  put_u16(out, 1);  // PCM
  put_u16(out, 1);  // mono
  put_u32(out, rate);
  put_u32(out, rate * 2);
  put_u16(out, 2);
  put_u16(out, 16);
  put_tag(out, "data");
  put_u32(out, data_bytes);

  size_t fade = rate / 100;
  if (fade > n / 2) fade = n / 2;
  for (size_t i = 0; i < n; ++i) {
    double v = mix[i];
    if (i < fade)
      v *= static_cast<double>(i) / static_cast<double>(fade);
    else if (i >= n - fade)
      v *= static_cast<double>(n - 1 - i) / static_cast<double>(fade);
    if (v > 1.0) v = 1.0;
    if (v < -1.0) v = -1.0;
    auto q = static_cast<int32_t>(std::floor(v * 32767.0 + 0.5));
    put_u16(out, static_cast<uint16_t>(static_cast<int16_t>(q)));
  }
  return out;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  constexpr const char* kUsage =
      "request must be {\"seconds\": s, \"sample_rate\": hz, \"tones\": [{\"freq\": hz, \"amp\": a}, ...]}";
  auto j = lumos::parse_json(ctx, input, len);
  if (j.is_discarded() || !j.is_object()) return lumos::fail(ctx, kUsage);
  auto seconds_it = j.find("seconds");
  auto rate_it = j.find("sample_rate");
  auto tones_it = j.find("tones");
  if (seconds_it == j.end() || rate_it == j.end() || tones_it == j.end()) return lumos::fail(ctx, kUsage);
  if (!seconds_it->is_number() || !(seconds_it->get<double>() > 0.0))
    return lumos::fail(ctx, "'seconds' must be a positive number");
  if (!rate_it->is_number_integer() || rate_it->get<int64_t>() < 1000 || rate_it->get<int64_t>() > 192000) {
    return lumos::fail(ctx, "'sample_rate' must be an integer from 1000 to 192000");
  }
  if (!tones_it->is_array() || tones_it->empty() || tones_it->size() > 64)
    return lumos::fail(ctx, "'tones' must be a list of 1 to 64 {freq, amp}");
  auto rate = static_cast<uint32_t>(rate_it->get<int64_t>());
  double samples = seconds_it->get<double>() * static_cast<double>(rate) + 0.5;
  if (!(samples >= 1.0 && samples <= static_cast<double>(kMaxSamples))) {
    return lumos::fail(ctx, "'seconds' * 'sample_rate' must give 1 to 16777216 samples");
  }
  auto n = static_cast<size_t>(samples);
  std::vector<Tone> tones;
  for (const auto& t : *tones_it) {
    auto f = t.is_object() ? t.find("freq") : t.end();
    auto a = t.is_object() ? t.find("amp") : t.end();
    if (f == t.end() || a == t.end() || !f->is_number() || !a->is_number())
      return lumos::fail(ctx, "each tone must be {\"freq\": hz, \"amp\": a}");
    Tone tone{f->get<double>(), a->get<double>()};
    if (!(tone.freq >= 0.0 && tone.freq < rate / 2.0))
      return lumos::fail(ctx, "tone 'freq' must be in [0, sample_rate / 2)");
    if (!(tone.amp >= 0.0 && tone.amp <= 1.0)) return lumos::fail(ctx, "tone 'amp' must be in [0, 1]");
    tones.push_back(tone);
  }

  std::vector<uint8_t> wav;
  {
    lumos::Phase phase(ctx, "compute");
    std::vector<double> mix(n, 0.0);
    for (const auto& tone : tones) add_tone(mix, tone, static_cast<double>(rate));
    wav = encode_wav(mix, rate);
  }

  nlohmann::json out;
  {
    lumos::Phase phase(ctx, "serialize");
    out["samples"] = n;
    out["wav"] = b64::encode(wav.data(), wav.size());
  }
  lumos::write_json(ctx, out);
  return 0;
}

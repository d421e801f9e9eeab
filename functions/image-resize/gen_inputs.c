/* Input generator for image-resize: writes {"image": base64 PPM, "scale": S} requests with a
 * deterministic synthetic picture (gradients, a disc, a ring, a box, stripes, a checkerboard and
 * low-amplitude noise from a fixed-seed xorshift), all in integer arithmetic.
 * Run as `gen DIR`; writes DIR/kb{1,50,512,1024,2048}.json (scale 2) and
 * DIR/scale{1.5,2.0,2.5,3.0}.json (the 1024 KB picture). inputs/small.json and
 * inputs/medium.json are copies of kb1.json and kb50.json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 0x9E3779B9u;
static uint32_t xorshift32(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static uint8_t clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Fills w*h*3 bytes of RGB. */
static void draw(uint8_t* rgb, int w, int h) {
  int m = w < h ? w : h;
  int dcx = w / 3, dcy = h / 3, dr = m / 4;                  /* red disc */
  int rcx = 2 * w / 3, rcy = h / 4, r1 = m / 10, r2 = m / 6; /* yellow ring */
  int stripe = w / 32 > 2 ? w / 32 : 2;
  int cell = 4;
  rng_state = 0x9E3779B9u;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int r = x * 255 / (w > 1 ? w - 1 : 1);
      int g = y * 255 / (h > 1 ? h - 1 : 1);
      int b = (x + y) * 255 / (w + h > 2 ? w + h - 2 : 1);
      int ddx = x - dcx, ddy = y - dcy;
      int rdx = x - rcx, rdy = y - rcy;
      int rd2 = rdx * rdx + rdy * rdy;
      if (ddx * ddx + ddy * ddy <= dr * dr) {
        r = 230;
        g = 40;
        b = 40 + (x - dcx + dr) * 100 / (2 * dr + 1);
      } else if (rd2 >= r1 * r1 && rd2 <= r2 * r2) {
        r = 240;
        g = 220;
        b = 30;
      } else if (x >= w / 2 && x < 5 * w / 6 && y >= h / 2 && y < 4 * h / 5) {
        r = 20;
        g = 160;
        b = 60;
      } else if (x < w / 3 && y > 2 * h / 3) {
        int on = ((x + 2 * y) / stripe) % 2 == 0;
        r = g = b = on ? 250 : 10;
      } else if (x >= 5 * w / 6 && y >= 5 * h / 6) {
        int on = ((x / cell) + (y / cell)) % 2 == 0;
        r = on ? 255 : 0;
        g = on ? 0 : 255;
        b = 128;
      }
      int noise = (int)(xorshift32() % 9) - 4;
      uint8_t* px = rgb + ((size_t)y * w + x) * 3;
      px[0] = clamp8(r + noise);
      px[1] = clamp8(g - noise);
      px[2] = clamp8(b + noise / 2);
    }
  }
}

static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_base64(FILE* f, const uint8_t* d, size_t n) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8) | d[i + 2];
    fputc(kB64[(v >> 18) & 63], f);
    fputc(kB64[(v >> 12) & 63], f);
    fputc(kB64[(v >> 6) & 63], f);
    fputc(kB64[v & 63], f);
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)d[i] << 16;
    fputc(kB64[(v >> 18) & 63], f);
    fputc(kB64[(v >> 12) & 63], f);
    fputs("==", f);
  } else if (n - i == 2) {
    uint32_t v = ((uint32_t)d[i] << 16) | ((uint32_t)d[i + 1] << 8);
    fputc(kB64[(v >> 18) & 63], f);
    fputc(kB64[(v >> 12) & 63], f);
    fputc(kB64[(v >> 6) & 63], f);
    fputc('=', f);
  }
}

static int write_request(const char* name, int side, const char* scale) {
  size_t raster = (size_t)side * side * 3;
  char header[64];
  int hl = snprintf(header, sizeof header, "P6\n%d %d\n255\n", side, side);
  uint8_t* ppm = malloc(hl + raster);
  if (!ppm) return 1;
  memcpy(ppm, header, (size_t)hl);
  draw(ppm + hl, side, side);
  FILE* f = fopen(name, "wb");
  if (!f) {
    free(ppm);
    return 1;
  }
  fputs("{\"image\":\"", f);
  write_base64(f, ppm, hl + raster);
  fprintf(f, "\",\"scale\":%s}\n", scale);
  free(ppm);
  return fclose(f) != 0;
}

/* Side of a square picture whose PPM raster is about `kb` KiB. */
static int side_for_kb(int kb) {
  int s = 1;
  while ((long)(s + 1) * (s + 1) * 3 <= (long)kb * 1024 + (long)(s + 1) * 3 / 2) ++s;
  return s;
}

int main(void) {
  static const int kbs[] = {1, 50, 512, 1024, 2048};
  static const char* scales[] = {"1.5", "2.0", "2.5", "3.0"};
  char name[64];
  for (size_t i = 0; i < sizeof kbs / sizeof kbs[0]; ++i) {
    snprintf(name, sizeof name, "kb%d.json", kbs[i]);
    if (write_request(name, side_for_kb(kbs[i]), "2.0")) {
      perror(name);
      return 1;
    }
  }
  for (size_t i = 0; i < sizeof scales / sizeof scales[0]; ++i) {
    snprintf(name, sizeof name, "scale%s.json", scales[i]);
    if (write_request(name, side_for_kb(1024), scales[i])) {
      perror(name);
      return 1;
    }
  }
  return 0;
}
